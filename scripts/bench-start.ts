// `npm run bench:start`: what the workspace's hardening costs at start. On a private engine, the
// same image is started three ways, alternated in one run, at concurrency 1 and 10:
//   hardened: as the local drill target starts a workspace agent (LocalWorkspace: its named volume,
//             then the container with every setting derived from the task definition, under the
//             project's seccomp profile), on the run's internal network;
//   plain:    `docker run --network <that network>` of the image with no other option;
//   bare:     `docker run` of the image with no option at all (the default bridge).
// hardened/plain is the hardening's cost (the target: at most 5 %); plain/bare is what any
// user-defined network costs on a local engine (likely Docker's embedded DNS resolver, which the
// default bridge does not get). A start is the create call until the engine reports the container started (its process
// runs); health checks are not part of it (they wait for Docker's check interval).
import * as path from "node:path";
import { DockerEngine } from "./ops/docker/runtime/engine";
import { LOCAL_IMAGES, LocalWorkspace, localWorkspaceTask } from "./ops/docker/runtime/localWorkspace";
import { ulimitCeilings } from "./ops/docker/runtime/ulimits";
import { buildWorkspaceImages } from "./ops/docker/runtime/workspaceImage";
import { readSeccompProfile } from "./ops/docker/run";
import { percentile } from "./ops/percentiles";

const ROOT = path.resolve(__dirname, "..");
const SEQUENTIAL_ROUNDS = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const CONCURRENT_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const WARMUP = 2;
const TARGET_RATIO = 1.05;
const LABELS = { "remote-claude.purpose": "bench-start" };

type Kind = "hardened" | "plain" | "bare";
const KINDS: readonly Kind[] = ["hardened", "plain", "bare"];

async function main() {
  const engine = await DockerEngine.start({ isolateNetwork: true });
  const api = engine.api;
  try {
    const [version] = await Promise.all([api.version(), buildWorkspaceImages(api)]);
    const info = await api.info();
    const task = localWorkspaceTask({ agent: LOCAL_IMAGES.agent });
    const ceilings = await ulimitCeilings(api, LOCAL_IMAGES.agent, task.containers[0].ulimits ?? []);
    await api.createNetwork({ Name: "bench", Internal: true, Labels: LABELS, Options: { "com.docker.network.bridge.enable_icc": "false" } });
    const runtime = { api, network: "bench", seccompProfile: readSeccompProfile(ROOT), labels: LABELS, secretValues: {}, ulimitCeilings: ceilings };
    let n = 0;

    const startOne = async (kind: Kind): Promise<{ ms: number; remove: () => Promise<unknown> }> => {
      const name = `bench-${kind}-${++n}`;
      const t0 = performance.now();
      if (kind === "hardened") {
        const ws = new LocalWorkspace(name, task, runtime);
        await ws.create();
        await ws.start();
        return { ms: performance.now() - t0, remove: () => ws.remove() };
      }
      const id = await api.createContainer(name, { Image: LOCAL_IMAGES.agent, Labels: LABELS, HostConfig: { NetworkMode: kind === "plain" ? "bench" : "bridge" } });
      await api.startContainer(id);
      return { ms: performance.now() - t0, remove: () => api.removeContainer(id) };
    };
    const batch = async (kind: Kind, size: number): Promise<number[]> => {
      const started = await Promise.all(Array.from({ length: size }, () => startOne(kind)));
      await Promise.all(started.map((s) => s.remove()));
      return started.map((s) => s.ms);
    };

    const results: ({ concurrency: number } & Record<Kind, number[]>)[] = [];
    for (const [concurrency, rounds] of [[1, SEQUENTIAL_ROUNDS], [10, CONCURRENT_ROUNDS]] as const) {
      const samples: Record<Kind, number[]> = { hardened: [], plain: [], bare: [] };
      for (let round = 0; round < rounds + WARMUP; round++) {
        // ABC, then CBA: drift in the machine's speed hits every kind alike.
        const order = round % 2 ? [...KINDS].reverse() : KINDS;
        for (const kind of order) {
          const times = await batch(kind, concurrency);
          if (round >= WARMUP) samples[kind].push(...times);
        }
      }
      results.push({ concurrency, ...samples });
    }

    const p = (xs: number[], q: number) => percentile([...xs].sort((x, y) => x - y), q);
    const ms = (xs: number[]) => `p50 ${p(xs, 50).toFixed(0)} ms, p95 ${p(xs, 95).toFixed(0)} ms`;
    console.log(`bench:start: hardened workspace start vs plain docker run of ${LOCAL_IMAGES.agent} (Docker ${version.Version}, ${info.NCPU} CPUs, Node ${process.version})`);
    console.log("  a start = create call → the engine reports the container started (hardened: with the workspace's named volume)");
    let worst = 0;
    for (const r of results) {
      const ratio = (q: number) => p(r.hardened, q) / p(r.plain, q);
      worst = Math.max(worst, ratio(50));
      console.log(`  concurrency ${String(r.concurrency).padStart(2)} (${r.hardened.length} starts of each):`);
      console.log(`    hardened ${ms(r.hardened)} | plain (same network) ${ms(r.plain)} | ratio p50 ${ratio(50).toFixed(3)}, p95 ${ratio(95).toFixed(3)}`);
      console.log(`    bare docker run (default bridge) ${ms(r.bare)}: a user-defined network adds ${(p(r.plain, 50) - p(r.bare, 50)).toFixed(0)} ms at p50; hardened / bare p50 ${(p(r.hardened, 50) / p(r.bare, 50)).toFixed(3)}`);
    }
    console.log(`hardening cost (hardened / plain at p50): ${((worst - 1) * 100).toFixed(1)} % at worst (target: at most ${((TARGET_RATIO - 1) * 100).toFixed(0)} %) — ${worst <= TARGET_RATIO ? "met" : "NOT met"}`);
  } finally {
    await engine.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
