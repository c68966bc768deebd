import { expect } from "chai";
import { ApiCaller } from "../../scripts/ops/api";
import { EcsWorkspaceTarget } from "../../scripts/ops/load/ecsTarget";
import { launchAll } from "../../scripts/ops/load/launcher";
import { TaskTracker, normalizeReason } from "../../scripts/ops/load/tracker";
import { TokenBucket } from "../../scripts/ops/rateLimiter";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { simulatedEcs, TEST_LAUNCH } from "./helpers/ecsMock";
import { ECSClient } from "@aws-sdk/client-ecs";
import type { TaskScript } from "../../scripts/ops/sim/ecsSim";

function setup(script: (n: number) => TaskScript, clock = new VirtualClock(0)) {
  const { sim, ecs } = simulatedEcs({ clock, script });
  const target = new EcsWorkspaceTarget({
    ecs: new ECSClient({ region: "ap-northeast-1" }),
    api: new ApiCaller(clock),
    cluster: "c",
    launch: { ...TEST_LAUNCH, cluster: "c", taskDefinition: "td", subnets: ["s"], securityGroups: ["g"], capacityProvider: "cp" },
    runStopBucket: new TokenBucket(100, 40, clock),
    describeBucket: new TokenBucket(100, 20, clock),
    kind: "load",
  });
  return { sim, ecs, target, clock };
}

describe("ops: task tracker", () => {
  afterEach(() => {
    // each setup() mocks ECSClient anew
  });

  it("follows tasks through PROVISIONING/PENDING/RUNNING/HEALTHY and records ECS and observed times", async () => {
    const { sim, ecs, target, clock } = setup((n) => ({ pendingAfter: 300, runningAfter: 2000 + n * 1000, healthyAfter: 4000 + n * 1000 }));
    const tracker = new TaskTracker(target, clock, { healthContainers: ["workspace-agent", "credential-proxy"], startTimeoutMs: 60_000, pollIntervalMs: 500 });
    const launched = await target.launch(3, "load-x");
    tracker.add(launched.tasks, clock.now());
    await tracker.run(new AbortController().signal, () => false);
    const r = tracker.results();
    expect(r).to.include({ tracked: 3, ready: 3, failed: 0, starting: 0 });
    // RUNNING from ECS's own timestamps: exact.
    expect(r.runningMs).to.deep.equal([2000, 3000, 4000]);
    // HEALTHY as observed, within one poll interval of the truth.
    r.readyMs.forEach((ms, i) => expect(ms).to.be.within(4000 + i * 1000, 4000 + i * 1000 + 500));
    expect(sim.calls.DescribeTasks).to.equal(r.pollRounds);
    ecs.restore();
  });

  it("describes only tasks still starting, in batches of at most 100", async () => {
    const { sim, ecs, target, clock } = setup((n) => (n < 150 ? { pendingAfter: 0, runningAfter: 500, healthyAfter: 500 } : { pendingAfter: 100, runningAfter: 5000, healthyAfter: 5000 }));
    const tracker = new TaskTracker(target, clock, { healthContainers: ["workspace-agent"], startTimeoutMs: 60_000, pollIntervalMs: 1000 });
    for (let i = 0; i < 25; i++) tracker.add((await target.launch(10, "load-x")).tasks, clock.now());
    const before = sim.calls.DescribeTasks ?? 0;
    clock.advance(1000);
    await tracker.pollStarting();
    expect((sim.calls.DescribeTasks ?? 0) - before).to.equal(3); // 250 tasks → 100 + 100 + 50
    expect(tracker.startingCount).to.equal(100);
    const second = sim.calls.DescribeTasks;
    await tracker.pollStarting();
    expect(sim.calls.DescribeTasks - second).to.equal(1); // only the 100 still starting
    ecs.restore();
  });

  it("counts tasks that stop, turn UNHEALTHY or time out, by reason", async () => {
    const scripts: TaskScript[] = [
      { pendingAfter: 100, runningAfter: 1000, healthyAfter: 2000 },
      { pendingAfter: 100, runningAfter: 99_000, stopsAfter: 1500, stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): arn:aws:ecr:x" },
      { pendingAfter: 100, runningAfter: 1000, healthyAfter: 2000, unhealthy: true },
      { pendingAfter: 100_000, runningAfter: 200_000 },
    ];
    const { ecs, target, clock } = setup((n) => scripts[n]);
    const tracker = new TaskTracker(target, clock, { healthContainers: ["workspace-agent"], startTimeoutMs: 10_000, pollIntervalMs: 500 });
    tracker.add((await target.launch(4, "load-x")).tasks, clock.now());
    await tracker.run(new AbortController().signal, () => false);
    const r = tracker.results();
    expect(r).to.include({ ready: 1, failed: 3 });
    expect(Object.keys(r.failuresByReason).sort()).to.deep.equal([
      "TIMEOUT: not ready after 10 s (last PROVISIONING)",
      "TaskFailedToStart: CannotPullContainerError: pull image manifest has been retried 5 time(s): <arn>",
      "UNHEALTHY: workspace-agent",
    ]);
    ecs.restore();
  });

  it("normalizes ids out of reasons so equal causes group together", () => {
    expect(normalizeReason("Task failed on i-0123456789abcdef0 at 10.0.1.2")).to.equal("Task failed on <instance> at <ip>");
  });
});

describe("ops: launcher", () => {
  it("counts each task RunTask did not start when it gives no reason (moto's answer when nothing can take them)", async () => {
    const clock = new VirtualClock(0);
    let asked = 0;
    // Two of every five tasks placed, no failures listed: what moto's RunTask answers without capacity.
    const target = {
      kind: "test", describeBatchSize: 100, launchBatchSize: 10,
      healthCheckedContainers: async () => [],
      launch: async (count: number) => ({ requested: count, requestedAt: clock.now(), tasks: Array.from({ length: Math.min(2, count) }, () => ({ id: `t${asked++}`, lastStatus: "PENDING", health: {} })), failures: [] }),
      describe: async () => [], stop: async () => "stopped" as const, listRunTasks: async () => [], hosts: async () => [],
    };
    const tracker = new TaskTracker(target, clock, { healthContainers: [], startTimeoutMs: 1000, pollIntervalMs: 100 });
    const stats = await launchAll(target, tracker, "load-x", { count: 10, batchSize: 5, concurrency: 1 }, new AbortController().signal);
    expect(stats).to.include({ launched: 4, notLaunched: 6 });
    expect(stats.reasons).to.deep.equal({ "UNKNOWN: RunTask returned fewer tasks than asked": 6 });
  });
});
