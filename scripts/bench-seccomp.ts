// `npm run bench:seccomp`: the same syscall-heavy workload in containers under the project's
// seccomp profile (the default ptrace choice) and under today's Docker default (the vendored
// base), alternated in one run on a private engine, timed inside the container; prints the median
// time of each and their ratio.
import * as fs from "node:fs";
import * as path from "node:path";
import { DockerEngine } from "./ops/docker/runtime/engine";
import { localWorkspaceTask } from "./ops/docker/runtime/localWorkspace";
import { IMAGE_SPECS, importRootfs } from "./ops/docker/runtime/rootfs";
import { ulimitCeilings } from "./ops/docker/runtime/ulimits";
import { runWorkspaceCommand } from "./ops/docker/runtime/workspaceCommand";
import { BASE_PROFILE } from "../host/seccomp";
import { SECCOMP_PROFILE } from "./ops/docker/run";

const ROOT = path.resolve(__dirname, "..");
const PROFILES = {
  project: path.join(ROOT, SECCOMP_PROFILE),
  "docker-default": path.join(ROOT, BASE_PROFILE.file),
} as const;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = Number(process.env.BENCH_CALLS ?? 200000);

// getppid, stat, pipe read/write and open/close: cheap calls, so the filter's cost dominates.
const WORKLOAD = `
import os, time
n = ${CALLS}
r, w = os.pipe()
t = time.perf_counter()
for i in range(n):
    os.getppid(); os.stat("/"); os.write(w, b"x"); os.read(r, 1)
    if i % 8 == 0: os.close(os.open("/etc/passwd", os.O_RDONLY))
print(time.perf_counter() - t)
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  const engine = await DockerEngine.start();
  try {
    await importRootfs(engine, IMAGE_SPECS.python(), "rc-python:bench");
    // The workspace's own settings (derived from the task definition), with the ulimits this engine grants.
    const ceilings = await ulimitCeilings(engine.api, "rc-python:bench", localWorkspaceTask({ agent: "rc-python:bench" }).containers[0].ulimits ?? []);
    const times: Record<keyof typeof PROFILES, number[]> = { project: [], "docker-default": [] };
    const order = Object.keys(PROFILES) as (keyof typeof PROFILES)[];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which profile goes first, so drift in the machine's speed hits both alike.
      for (const name of round % 2 ? [...order].reverse() : order) {
        const run = await runWorkspaceCommand(engine.api, { image: "rc-python:bench", seccompProfile: fs.readFileSync(PROFILES[name], "utf8"), ulimitCeilings: ceilings, command: ["python3", "-c", WORKLOAD] });
        times[name].push(Number(run.stdout.trim()));
      }
    }
    const project = median(times.project);
    const dockerDefault = median(times["docker-default"]);
    const syscalls = CALLS * 4 + CALLS / 8 * 2;
    console.log(`workload: ~${Math.round(syscalls / 1000)}k syscalls per run, ${ROUNDS} runs per profile, alternated`);
    for (const name of order) {
      console.log(`  ${name.padEnd(15)} median ${(median(times[name]) * 1000).toFixed(0)} ms  (runs: ${times[name].map((t) => (t * 1000).toFixed(0)).join(", ")} ms)`);
    }
    console.log(`seccomp overhead ratio (project / Docker default): ${(project / dockerDefault).toFixed(3)}`);
  } finally {
    await engine.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
