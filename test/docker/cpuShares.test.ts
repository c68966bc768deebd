// The workspace task's CPU settings in a real engine, judged by the kernel's own counters (the
// engine's stats: cpuacct usage and CFS throttling), never by a clock: busy containers run until
// one has used a fixed amount of CPU, then the counters are compared as ratios with wide margins.
// The CPU settings come from the one mapping of the task definition (scripts/ops/docker/runtime/containerSettings.ts):
// CPU shares only by default, plus the task's quota with workspaceCpuHardLimit. What the test adds
// is the work (busy loops in busybox) and, for the contention case, one CPU for both containers
// (CpusetCpus), so they contend however many cores the machine has. How much a lone container
// bursts above its share is not asserted: that needs a clock and an idle machine; the counters
// show instead that the kernel keeps no CFS bandwidth account for it (no periods, never
// throttled), while it does for the capped one (periods counted; nr_periods grows only under a
// quota), and throttles a container whose quota is below what the busy machine still gives it.
import { expect } from "chai";
import { dockerContainerSettings } from "../../scripts/ops/docker/runtime/containerSettings";
import type { DockerEngine } from "../../scripts/ops/docker/runtime/engine";
import { LOCAL_CREDENTIAL_PROXY_SECRET, localWorkspaceTask } from "../../scripts/ops/docker/runtime/localWorkspace";
import { CONTAINERS } from "../../lib/names";
import { engine, image } from "../helpers/docker";

/** CPU time one container must have used before the counters are read: enough for CFS to converge. */
const WORK_NS = 1e9;
const POLL_MS = 50;
/** Busy loops in busybox's shell: one per CPU the container should want. */
const busy = (loops: number) => ["sh", "-c", `${Array(loops).fill("while :; do :; done").join(" & ")}`];

interface CpuCounters {
  readonly usageNs: number;
  readonly periods: number;
  readonly throttledPeriods: number;
}

async function counters(e: DockerEngine, id: string): Promise<CpuCounters> {
  const s = await e.api.json<{ cpu_stats: { cpu_usage: { total_usage: number }; throttling_data?: { periods: number; throttled_periods: number } } }>(
    "GET", `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: false, "one-shot": true } });
  const t = s.cpu_stats.throttling_data;
  return { usageNs: s.cpu_stats.cpu_usage.total_usage, periods: t?.periods ?? 0, throttledPeriods: t?.throttled_periods ?? 0 };
}

/** Polls (state, not time) until `done` holds for the container's counters. */
async function until(e: DockerEngine, id: string, done: (c: CpuCounters) => boolean): Promise<CpuCounters> {
  for (;;) {
    const c = await counters(e, id);
    if (done(c)) return c;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * The CPU part of the create body the mapping derives for `container`, with or without the task's
 * quota; `taskCpu` stands for another task-level cpu than the workspace task's.
 */
function cpuSettings(container: string, cpuHardLimit: boolean, taskCpu?: number): { CpuShares?: number; NanoCpus?: number } {
  const task = localWorkspaceTask({ agent: "a", credentialProxy: "p" }, cpuHardLimit);
  const def = task.containers.find((c) => c.name === container)!;
  const { HostConfig: h } = dockerContainerSettings(def, { networkMode: "none", taskCpu: taskCpu ?? task.taskCpu, secretValues: { [LOCAL_CREDENTIAL_PROXY_SECRET]: "x" } }).body;
  return { CpuShares: h.CpuShares, ...(h.NanoCpus ? { NanoCpus: h.NanoCpus } : {}) };
}

describe("workspace CPU on a real engine: shares divide a busy CPU, only the hard limit throttles", function () {
  this.timeout(240_000);
  const created: string[] = [];
  let e: DockerEngine;

  async function run(name: string, tag: string, cmd: string[], host: Record<string, unknown>): Promise<string> {
    const id = await e.api.createContainer(`rc-cpu-${name}-${process.pid}`, { Image: tag, Cmd: cmd, Labels: { "remote-claude.purpose": "cpu-test" }, HostConfig: { NetworkMode: "none", ...host } });
    created.push(id);
    await e.api.startContainer(id);
    return id;
  }

  afterEach(async () => {
    await Promise.all(created.splice(0).map((id) => e.api.removeContainer(id)));
  });

  it("two busy containers on one CPU split it by their shares: the agent's 384 against the credential proxy's 128", async function () {
    e = await engine(this);
    const tag = await image(e, "busybox");
    const agent = cpuSettings(CONTAINERS.workspaceAgent, false);
    const credentialProxy = cpuSettings(CONTAINERS.credentialProxy, false);
    expect(agent).to.deep.equal({ CpuShares: 384 });
    expect(credentialProxy).to.deep.equal({ CpuShares: 128 });
    const a = await run("agent", tag, busy(1), { ...agent, CpusetCpus: "0" });
    const p = await run("credential-proxy", tag, busy(1), { ...credentialProxy, CpusetCpus: "0" });
    // Baselines once both run, so the time the first ran alone does not count.
    const [a0, p0] = [await until(e, a, (c) => c.usageNs > 0), await until(e, p, (c) => c.usageNs > 0)];
    const a1 = await until(e, a, (c) => c.usageNs - a0.usageNs >= WORK_NS);
    const p1 = await counters(e, p);
    const ratio = (a1.usageNs - a0.usageNs) / (p1.usageNs - p0.usageNs);
    console.log(`    CPU used on one shared CPU: agent ${((a1.usageNs - a0.usageNs) / 1e9).toFixed(2)} s, credential proxy ${((p1.usageNs - p0.usageNs) / 1e9).toFixed(2)} s, ratio ${ratio.toFixed(2)} (shares 384:128 = 3)`);
    expect(ratio).to.be.within(2, 4.5);
    // Shares are a weight: neither was held back by a quota.
    expect([a1.throttledPeriods, p1.throttledPeriods]).to.deep.equal([0, 0]);
  });

  it("a lone busy container with shares only has no CFS quota and is never throttled; with workspaceCpuHardLimit the kernel holds it to the task's quota", async function () {
    e = await engine(this);
    const tag = await image(e, "busybox");
    const shares = cpuSettings(CONTAINERS.workspaceAgent, false);
    const capped = cpuSettings(CONTAINERS.workspaceAgent, true);
    expect(capped).to.deep.equal({ CpuShares: 384, NanoCpus: 0.5e9 }); // the task's 512 units
    // Each wants two CPUs, far above a 384-unit share and the 0.5-CPU quota.
    const free = await run("shares", tag, busy(2), shares);
    const freeDone = await until(e, free, (c) => c.usageNs >= WORK_NS);
    expect(freeDone).to.include({ periods: 0, throttledPeriods: 0 });
    const inspect = await e.api.inspectContainer(free) as unknown as { HostConfig: { NanoCpus?: number; CpuQuota?: number; CpuShares?: number } };
    expect([inspect.HostConfig.NanoCpus ?? 0, inspect.HostConfig.CpuQuota ?? 0, inspect.HostConfig.CpuShares]).to.deep.equal([0, 0, 384]);
    const limited = await run("capped", tag, busy(2), capped);
    const limitedDone = await until(e, limited, (c) => c.usageNs >= WORK_NS);
    // The kernel counts CFS periods only for a cgroup with a quota.
    expect(limitedDone.periods).to.be.greaterThan(0);
    // Whether 0.5 CPU throttles depends on what the machine leaves it; ECS's smallest task-level
    // cpu, 128 units (0.125 CPU), is below what any busy machine gives two busy loops.
    const tight = cpuSettings(CONTAINERS.workspaceAgent, true, 128);
    expect(tight).to.deep.equal({ CpuShares: 384, NanoCpus: 0.125e9 });
    const throttled = await run("tight", tag, busy(2), tight);
    const tightDone = await until(e, throttled, (c) => c.usageNs >= WORK_NS / 4);
    console.log(`    throttled periods after the work: shares only ${freeDone.throttledPeriods}/${freeDone.periods}; task quota 0.5 CPU ${limitedDone.throttledPeriods}/${limitedDone.periods}; 0.125 CPU ${tightDone.throttledPeriods}/${tightDone.periods}`);
    expect(tightDone.throttledPeriods).to.be.greaterThan(0);
  });
});
