// `npm run bench:start`: how fast a workspace starts on a private local engine, with the task
// definition's full hardening, at concurrency 1 and 10. Two parts (BENCH_PARTS, both by default):
//
// workspaces: the whole workspace task as the local drill target runs it (LocalWorkspace: its
//   named volume, the credential proxy and the workspace agent with every setting derived from the
//   task definition, under the project's seccomp profile, started in dependency order on the run's
//   event stream). From the start call (create, as after RunTask) it times
//     RUNNING:         every container started (the engine's start events);
//     port answering:  the agent's port answers GET /health, seen from the run's network (a prober
//                      in the engine's network namespace, as the backend would reach it);
//     HEALTHY:         every health-checked container passed its check (health_status events).
//   HEALTHY cannot come sooner than Docker's first check (printed: the floor on this engine).
//
// containers: what the hardening costs at start. The agent image started three ways, alternated:
//   hardened: as the local drill target starts a workspace agent (its named volume, then the
//             container with every setting derived from the task definition) on the run's
//             internal network;
//   plain:    `docker run --network <that network>` of the image with no other option;
//   bare:     `docker run` of the image with no option at all (the default bridge).
//   hardened/plain is the hardening's cost (the target: at most 5 %); plain/bare is what any
//   user-defined network costs on a local engine (likely Docker's embedded DNS resolver, which the
//   default bridge does not get). A start here is the create call until the engine reports the
//   container started.
//
// With cgroups to account in (scripts/benchCpu.ts), the workspaces part also prints the CPU a
// workspace start costs in core-seconds (engine: dockerd, containerd, the shims, runc and their
// hooks; containers: the workspace's processes and health checks), and the floor that puts under
// ten at once on this machine's cores.
//
// BENCH_JSON=<file> also writes every sample, for comparing runs.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { DockerApi } from "./ops/docker/runtime/api";
import { DockerEngine } from "./ops/docker/runtime/engine";
import { ContainerEvents } from "./ops/docker/runtime/events";
import { LOCAL_IMAGES, LOCAL_CREDENTIAL_PROXY_SECRET, type LocalRuntime, LocalWorkspace, localWorkspaceTask } from "./ops/docker/runtime/localWorkspace";
import { ulimitCeilings } from "./ops/docker/runtime/ulimits";
import { buildWorkspaceImages } from "./ops/docker/runtime/workspaceImage";
import { AGENT_PORT } from "../lib/workspaceContainers";
import { dockerMajor, healthyFloorSeconds } from "./ops/docker/loadWorkspaces";
import { readSeccompProfile } from "./ops/docker/run";
import { percentile } from "./ops/percentiles";
import { CpuAccount, type CpuSample } from "./benchCpu";

const ROOT = path.resolve(__dirname, "..");
const SEQUENTIAL_ROUNDS = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const CONCURRENT_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
/** Whole workspaces take seconds each (health checks): fewer rounds than single containers. */
const WORKSPACE_SEQUENTIAL_ROUNDS = Number(process.env.BENCH_WORKSPACE_SEQUENTIAL ?? 10);
const WORKSPACE_CONCURRENT_ROUNDS = Number(process.env.BENCH_WORKSPACE_ROUNDS ?? 3);
const PARTS = new Set((process.env.BENCH_PARTS ?? "workspaces,containers").split(",").map((p) => p.trim()));
const WARMUP = 2;
const TARGET_RATIO = 1.05;
/** A workspace that is not HEALTHY this long after its start counts as failed (ECS's own limit is none). */
const WORKSPACE_DEADLINE_MS = 120_000;
/** How often the prober retries the agent's port: fine enough to time a start, cheap next to one. */
const PROBE_RETRY_MS = 20;
const LABELS = { "remote-claude.purpose": "bench-start" };
const NETWORK = "bench";

type Kind = "hardened" | "plain" | "bare";
const KINDS: readonly Kind[] = ["hardened", "plain", "bare"];

const p = (xs: readonly number[], q: number) => percentile([...xs].sort((x, y) => x - y), q);

async function main() {
  const unknownParts = [...PARTS].filter((x) => x !== "workspaces" && x !== "containers");
  if (unknownParts.length) throw new Error(`BENCH_PARTS: ${unknownParts.join(", ")} is not a part (workspaces, containers)`);
  const cpu = CpuAccount.create();
  const account = typeof cpu === "string" ? undefined : cpu;
  const engine = await DockerEngine.start({ isolateNetwork: true, daemonConfig: account?.daemonConfig, cgroupProcs: account?.engineProcs }).catch((err) => {
    account?.remove();
    throw err;
  });
  const api = engine.api;
  let prober: Prober | undefined;
  let events: ContainerEvents | undefined;
  try {
    const [version, info] = [await api.version(), await api.info()];
    await buildWorkspaceImages(api);
    const task = localWorkspaceTask(LOCAL_IMAGES);
    const agentDef = task.containers.find((c) => c.image === LOCAL_IMAGES.agent)!;
    const ceilings = await ulimitCeilings(api, LOCAL_IMAGES.agent, agentDef.ulimits ?? []);
    await api.createNetwork({ Name: NETWORK, Internal: true, Labels: LABELS, Options: { "com.docker.network.bridge.enable_icc": "false" } });
    events = await ContainerEvents.open(api, Object.entries(LABELS).map(([k, v]) => `${k}=${v}`)[0]);
    const runtime: LocalRuntime = {
      api, network: NETWORK, seccompProfile: readSeccompProfile(ROOT), labels: LABELS,
      secretValues: { [LOCAL_CREDENTIAL_PROXY_SECRET]: "bench-start-credential" }, ulimitCeilings: ceilings, events,
    };
    console.log(`bench:start (Docker ${version.Version}, ${info.NCPU} CPUs, Node ${process.version})`);
    const out: Record<string, unknown> = { docker: version.Version, cpus: info.NCPU, node: process.version };
    if (PARTS.has("workspaces")) {
      prober = Prober.start(engine);
      if (!account) console.log(`  (no CPU accounting: ${cpu as string})`);
      out.workspaces = await benchWorkspaces(api, runtime, events, prober, dockerMajor(version.Version), info.NCPU, account);
    }
    if (PARTS.has("containers")) out.containers = await benchContainers(api, runtime, agentDef);
    if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(out, null, 1));
  } finally {
    prober?.stop();
    events?.close();
    await engine.stop();
    const left = account?.remove() ?? [];
    if (left.length) console.error(`bench:start: cgroups still busy, not removed: ${left.join(", ")}`);
  }
}

interface WorkspaceSample {
  runningMs?: number;
  answeringMs?: number;
  healthyMs?: number;
  /** Core-seconds from the start call to the port answering, and to HEALTHY (overlapping when several start at once). */
  cpuAnswering?: CpuSample;
  cpuHealthy?: CpuSample;
  failure?: string;
}

const cpuSince = (a: CpuSample, b: CpuSample): CpuSample => ({ engine: b.engine - a.engine, containers: b.containers - a.containers });
const cores = (c: CpuSample) => c.engine + c.containers;

/** Whole workspaces (credential proxy + agent), one at a time and ten at a time. */
async function benchWorkspaces(api: DockerApi, runtime: LocalRuntime, events: ContainerEvents, prober: Prober, major: number, ncpu: number, account?: CpuAccount) {
  const task = localWorkspaceTask(LOCAL_IMAGES);
  let n = 0;
  const startOne = async (): Promise<{ sample: WorkspaceSample; ws: LocalWorkspace }> => {
    const ws = new LocalWorkspace(`bench-ws-${++n}`, task, runtime);
    const deadline = AbortSignal.timeout(WORKSPACE_DEADLINE_MS);
    const failedNow = new AbortController();
    const signal = AbortSignal.any([deadline, failedNow.signal]);
    const t0 = performance.now();
    const cpu0 = account?.read();
    const cpuNow = () => (cpu0 && account ? cpuSince(cpu0, account.read()) : undefined);
    const since = () => performance.now() - t0;
    const sample: WorkspaceSample = {};
    try {
      await ws.create();
      await ws.start();
      const ids = ws.containers.map((c) => c.id as string);
      const checked = ws.containers.filter((c) => ws.healthChecked.includes(c.name)).map((c) => c.id as string);
      const netns = await api.inspectContainer(ids[0]);
      const address = netns.NetworkSettings.Networks[NETWORK]?.IPAddress;
      if (!address) throw new Error(`${ws.id}: no address on ${NETWORK}`);
      const failed = (s: { exitCode?: number; health?: string }) => (s.exitCode !== undefined ? `exited ${s.exitCode}` : s.health === "unhealthy" ? "UNHEALTHY" : undefined);
      const all = async <T>(waits: Promise<T | undefined>[], ok: (v: T | undefined) => boolean, record: () => void) => {
        const got = await Promise.all(waits);
        if (!got.every(ok)) throw new Error(ws.failure ?? String(got.find((v) => !ok(v)) ?? "gave up"));
        record();
      };
      await Promise.all([
        all(ids.map((id) => events.waitFor(id, (s) => (s.started ? true : undefined), signal)), (v) => v === true, () => (sample.runningMs = since())),
        prober.answering(address, AGENT_PORT).then(() => {
          sample.answeringMs = since();
          sample.cpuAnswering = cpuNow();
        }),
        all(checked.map((id) => events.waitFor(id, (s) => (s.health === "healthy" ? "" : failed(s)), signal)), (v) => v === "", () => {
          sample.healthyMs = since();
          sample.cpuHealthy = cpuNow();
        }),
      ]);
    } catch (err) {
      failedNow.abort();
      sample.failure = ws.failure ?? (deadline.aborted ? `not HEALTHY within ${WORKSPACE_DEADLINE_MS / 1000} s` : (err as Error).message);
    }
    return { sample, ws };
  };
  const results: { concurrency: number; samples: WorkspaceSample[]; rounds: { answering?: CpuSample; healthy?: CpuSample }[] }[] = [];
  for (const [concurrency, rounds] of [[1, WORKSPACE_SEQUENTIAL_ROUNDS], [10, WORKSPACE_CONCURRENT_ROUNDS]] as const) {
    const samples: WorkspaceSample[] = [];
    const roundCpu: { answering?: CpuSample; healthy?: CpuSample }[] = [];
    for (let round = 0; round < rounds + 1; round++) {
      const started = await Promise.all(Array.from({ length: concurrency }, () => startOne()));
      await Promise.all(started.map((s) => s.ws.remove()));
      // The first round warms the engine's caches (image layers, the seccomp profile's parse).
      if (round === 0) continue;
      samples.push(...started.map((s) => s.sample));
      // The round's CPU up to its last milestone: every start's share, early ones' health checks included.
      const last = (k: "cpuAnswering" | "cpuHealthy") => started.map((s) => s.sample[k]).filter((c): c is CpuSample => !!c).reduce<CpuSample | undefined>((a, c) => (!a || cores(c) > cores(a) ? c : a), undefined);
      if (account) roundCpu.push({ answering: last("cpuAnswering"), healthy: last("cpuHealthy") });
    }
    results.push({ concurrency, samples, rounds: roundCpu });
  }

  const floor = healthyFloorSeconds(task.containers, major);
  const agentDeps = task.containers.flatMap((c) => (c.dependsOn ?? []).map((d) => `${c.name} after ${d.containerName} ${d.condition}`)).join(", ");
  console.log(`workspaces: the workspace task (${task.containers.map((c) => c.name).join(" + ")}; ${agentDeps || "no dependencies"}), start call → each milestone, seconds`);
  console.log(`  HEALTHY floor on this engine: ${floor} s (Docker ${major} runs a container's first health check ${major >= 25 ? "5 s after its start during its start period" : "one interval after its start"})`);
  const row = (name: string, xs: number[]) => (xs.length ? `${name} p50 ${(p(xs, 50) / 1000).toFixed(2)} p90 ${(p(xs, 90) / 1000).toFixed(2)} (min ${(Math.min(...xs) / 1000).toFixed(2)}, max ${(Math.max(...xs) / 1000).toFixed(2)})` : `${name} no samples`);
  for (const r of results) {
    const pick = (k: keyof WorkspaceSample) => r.samples.map((s) => s[k]).filter((v): v is number => typeof v === "number");
    const failures = r.samples.filter((s) => s.failure).map((s) => s.failure);
    console.log(`  concurrency ${String(r.concurrency).padStart(2)} (${r.samples.length} workspaces${failures.length ? `, ${failures.length} failed: ${[...new Set(failures)].join("; ")}` : ""}):`);
    console.log(`    ${row("RUNNING       ", pick("runningMs"))}`);
    console.log(`    ${row("port answering", pick("answeringMs"))}`);
    console.log(`    ${row("HEALTHY       ", pick("healthyMs"))}`);
  }
  if (!account) return { floorSeconds: floor, dependsOn: agentDeps, results };

  // Core-seconds: one at a time, each start's own; at once, each round's whole over its workspaces.
  const split = (xs: CpuSample[]) => {
    const mid = (k: keyof CpuSample) => p(xs.map((c) => c[k]), 50);
    return `${p(xs.map(cores), 50).toFixed(2)} (engine ${mid("engine").toFixed(2)}, containers ${mid("containers").toFixed(2)})`;
  };
  console.log("  CPU in core-seconds per workspace (engine: dockerd, containerd, shims, runc and their hooks; containers: the workspace's processes and health checks):");
  let floorLine = "";
  for (const r of results) {
    if (r.concurrency === 1) {
      const answering = r.samples.map((s) => s.cpuAnswering).filter((c): c is CpuSample => !!c);
      const healthy = r.samples.map((s) => s.cpuHealthy).filter((c): c is CpuSample => !!c);
      if (!answering.length) continue;
      console.log(`    concurrency  1, start call → port answering: p50 ${split(answering)}; → HEALTHY: p50 ${split(healthy)}`);
      const each = p(answering.map(cores), 50);
      floorLine = `    the CPU floor for 10 at once on ${ncpu} CPUs: 10 × ${each.toFixed(2)} / ${ncpu} = ${((10 * each) / ncpu).toFixed(2)} s of CPU before the last port can answer, with every core the engine's`;
    } else {
      const per = (k: "answering" | "healthy") => r.rounds.map((x) => x[k]).filter((c): c is CpuSample => !!c).map((c) => ({ engine: c.engine / r.concurrency, containers: c.containers / r.concurrency }));
      if (!per("answering").length) continue;
      console.log(`    concurrency ${String(r.concurrency).padStart(2)}, round start → its last port answering: ${split(per("answering"))}; → its last HEALTHY: ${split(per("healthy"))} (median of ${r.rounds.length} rounds)`);
    }
  }
  if (floorLine) console.log(floorLine);
  return { floorSeconds: floor, dependsOn: agentDeps, results };
}

/** Single containers: the hardened agent against plain and bare `docker run`s of its image. */
async function benchContainers(api: DockerApi, runtime: LocalRuntime, agentDef: NonNullable<ReturnType<typeof localWorkspaceTask>["containers"][number]>) {
  // The agent alone (no credential proxy to wait for): a start here is one container's.
  const task = localWorkspaceTask({ agent: LOCAL_IMAGES.agent });
  let n = 0;
  const startOne = async (kind: Kind): Promise<{ ms: number; remove: () => Promise<unknown> }> => {
    const name = `bench-${kind}-${++n}`;
    const t0 = performance.now();
    if (kind === "hardened") {
      const ws = new LocalWorkspace(name, task, { ...runtime, events: undefined });
      await ws.create();
      await ws.start();
      return { ms: performance.now() - t0, remove: () => ws.remove() };
    }
    const id = await api.createContainer(name, { Image: agentDef.image, Labels: LABELS, HostConfig: { NetworkMode: kind === "plain" ? NETWORK : "bridge" } });
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

  const ms = (xs: number[]) => `p50 ${p(xs, 50).toFixed(0)} ms, p95 ${p(xs, 95).toFixed(0)} ms`;
  console.log(`containers: hardened workspace agent start vs plain docker run of ${agentDef.image}`);
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
  return results;
}

/**
 * A small Node program in the engine's network namespace (where the run's network is reachable):
 * given "address port" lines, it retries GET /health on each until it answers 200 and prints the
 * line back. The benchmark takes the time when the line arrives.
 */
class Prober {
  private readonly waiting = new Map<string, ((answered: boolean) => void)[]>();

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const [address, port, verdict] = line.split(" ");
      const key = `${address} ${port}`;
      for (const settle of this.waiting.get(key) ?? []) settle(verdict === "ok");
      this.waiting.delete(key);
    });
  }

  static start(engine: DockerEngine): Prober {
    if (!engine.netns) throw new Error("the prober needs the engine's own network namespace (isolateNetwork)");
    const program = `
      const http = require("node:http");
      const probe = (line, host, port, until) => {
        const retry = () => (Date.now() < until ? setTimeout(() => probe(line, host, port, until), ${PROBE_RETRY_MS}) : process.stdout.write(line + " gave-up\\n"));
        const req = http.get({ host, port, path: "/health", timeout: 1000, agent: false }, (res) => {
          res.resume();
          if (res.statusCode === 200) process.stdout.write(line + " ok\\n"); else retry();
        });
        req.on("timeout", () => req.destroy());
        req.on("error", retry);
      };
      require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
        const [host, port] = line.split(" ");
        probe(line, host, Number(port), Date.now() + ${WORKSPACE_DEADLINE_MS});
      });`;
    const child = spawn("nsenter", [`--net=/var/run/netns/${engine.netns}`, process.execPath, "-e", program], { stdio: ["pipe", "pipe", "inherit"] });
    return new Prober(child);
  }

  /** Resolves when GET http://address:port/health answers 200; rejects when the prober gave up. */
  answering(address: string, port: number): Promise<void> {
    const key = `${address} ${port}`;
    return new Promise((resolve, reject) => {
      const settle = (answered: boolean) => (answered ? resolve() : reject(new Error(`${key}: the agent's port never answered`)));
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), settle]);
      this.child.stdin!.write(`${key}\n`);
    });
  }

  stop(): void {
    this.child.stdin?.end();
    if (this.child.exitCode === null && this.child.pid) this.child.kill();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
