// `npm run bench:ops`: what the workspace drill's tracking costs, measured on a simulated run of
// 5,000 tasks (no AWS): API calls per task and CPU time per task of the tool itself (the
// simulator's own CPU is measured separately and subtracted). Time is virtual, so the run takes
// seconds of CPU, not the minutes it would take on a stack.
import { type ECSClient, ECSClient as RealEcsClient } from "@aws-sdk/client-ecs";
import { ApiCaller } from "./ops/api";
import { EcsWorkspaceTarget } from "./ops/load/ecsTarget";
import { launchAll } from "./ops/load/launcher";
import { stopRun } from "./ops/load/stopper";
import { TaskTracker } from "./ops/load/tracker";
import { summarize } from "./ops/percentiles";
import { LOAD_DEFAULTS } from "./ops/load/workspaces";
import { ECS_API_LIMITS, TokenBucket } from "./ops/rateLimiter";
import { EcsSim } from "./ops/sim/ecsSim";
import { VirtualClock } from "./ops/virtualClock";

// Same as the CLI: the pinned SDK's Node 20 notice is not part of the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const TASKS = Number(process.env.BENCH_TASKS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** An ECSClient whose send() answers from the simulator, timing the simulator's own CPU. */
class SimulatedEcsClient extends RealEcsClient {
  simCpuMicros = 0;
  constructor(private readonly sim: EcsSim) {
    super({ region: "ap-northeast-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  }
  override send(command: any): any {
    const start = process.cpuUsage();
    try {
      const input = command.input;
      switch (command.constructor.name) {
        case "RunTaskCommand": return Promise.resolve(this.sim.runTask(input));
        case "DescribeTasksCommand": return Promise.resolve(this.sim.describeTasks(input));
        case "StopTaskCommand": return Promise.resolve(this.sim.stopTask(input));
        case "ListTasksCommand": return Promise.resolve(this.sim.listTasks(input));
        case "DescribeContainerInstancesCommand": return Promise.resolve(this.sim.describeContainerInstances(input));
        case "DescribeTaskDefinitionCommand": return Promise.resolve(this.sim.describeTaskDefinition());
        default: return Promise.reject(new Error(`bench: no ${command.constructor.name}`));
      }
    } finally {
      const used = process.cpuUsage(start);
      this.simCpuMicros += used.user + used.system;
    }
  }
}

interface Figures {
  readonly cpuMicrosPerTask: number;
  readonly calls: Record<string, number>;
  readonly ready: number;
  readonly failed: number;
  readonly virtualSeconds: number;
  readonly pollRounds: number;
  readonly heapMb: number;
}

async function once(): Promise<Figures> {
  const clock = new VirtualClock(0);
  // Starts spread over 2-12 s, healthy 1.5 s later; 2 % never start (image pull fails at 20 s).
  const sim = new EcsSim({
    clock,
    containerInstances: Math.ceil(TASKS / 40),
    script: (n) => (n % 50 === 7
      ? { pendingAfter: 1000, runningAfter: 10 ** 9, stopsAfter: 20_000, stoppedReason: "CannotPullContainerError: pull access denied" }
      : { pendingAfter: 800, runningAfter: 2000 + ((n * 7919) % 10_000), healthyAfter: 3500 + ((n * 7919) % 10_000) }),
  });
  const ecs = new SimulatedEcsClient(sim);
  const api = new ApiCaller(clock);
  const target = new EcsWorkspaceTarget({
    ecs: ecs as ECSClient,
    api,
    cluster: "bench",
    launch: {
      cluster: "bench", taskDefinition: "bench-workspace:1", subnets: ["subnet-a"], securityGroups: ["sg-w"], capacityProvider: "bench-workspace",
      volume: { volumeName: "workspace", sizeGiB: 20, iops: 3000, throughputMiBps: 125, filesystem: "xfs", kmsKeyArn: "arn:aws:kms:ap-northeast-1:123456789012:key/bench", infrastructureRoleArn: "arn:aws:iam::123456789012:role/bench-volumes", stack: "bench" },
    },
    runStopBucket: new TokenBucket(LOAD_DEFAULTS.burst, LOAD_DEFAULTS.rate, clock),
    describeBucket: new TokenBucket(ECS_API_LIMITS.describe.burst, LOAD_DEFAULTS.describeRate, clock),
    kind: "load",
  });
  const health = await target.healthCheckedContainers();
  const tracker = new TaskTracker(target, clock, { healthContainers: health, startTimeoutMs: LOAD_DEFAULTS.startTimeout * 1000, pollIntervalMs: LOAD_DEFAULTS.pollInterval * 1000 });
  const signal = new AbortController().signal;

  const cpu = process.cpuUsage();
  let launching = true;
  const launched = launchAll(target, tracker, "bench-run", { count: TASKS, batchSize: LOAD_DEFAULTS.batchSize, concurrency: LOAD_DEFAULTS.concurrency }, signal).finally(() => {
    launching = false;
  });
  await Promise.all([launched, tracker.run(signal, () => launching)]);
  await stopRun(target, "bench-run", tracker.ids, { concurrency: LOAD_DEFAULTS.stopConcurrency, reason: "bench" });
  const used = process.cpuUsage(cpu);
  const results = tracker.results();
  if (sim.orphans().length > 0) throw new Error(`bench: ${sim.orphans().length} tasks left running`);
  return {
    cpuMicrosPerTask: (used.user + used.system - ecs.simCpuMicros) / TASKS,
    calls: { ...api.stats.calls },
    ready: results.ready,
    failed: results.failed,
    virtualSeconds: clock.now() / 1000,
    pollRounds: results.pollRounds,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

async function main(): Promise<void> {
  const runs: Figures[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  const cpu = summarize(runs.map((r) => r.cpuMicrosPerTask))!;
  const r = runs[0];
  const perTask = (op: string) => ((r.calls[op] ?? 0) / TASKS).toFixed(3);
  const total = Object.values(r.calls).reduce((a, b) => a + b, 0);
  const lines = [
    `bench:ops: the workspace drill's own cost on a simulated run of ${TASKS} tasks (${RUNS} runs, Node ${process.version})`,
    `  scenario: the CLI's defaults: RunTask batches of ${LOAD_DEFAULTS.batchSize}, ${LOAD_DEFAULTS.concurrency} in flight, RunTask+StopTask ${LOAD_DEFAULTS.rate}/s (burst ${LOAD_DEFAULTS.burst}), DescribeTasks ${LOAD_DEFAULTS.describeRate}/s, poll every ${LOAD_DEFAULTS.pollInterval} s;`,
    `            tasks RUNNING after 2-12 s and HEALTHY 1.5 s later, 2 % fail to pull their image`,
    `  outcome: ${r.ready} ready, ${r.failed} failed, all stopped; ${r.pollRounds} poll rounds; ${r.virtualSeconds.toFixed(0)} s of simulated time (launch, track and stop)`,
    `  API calls per task: RunTask ${perTask("RunTask")}, DescribeTasks ${perTask("DescribeTasks")}, StopTask ${perTask("StopTask")}, ListTasks ${perTask("ListTasks")}; all ${(total / TASKS).toFixed(3)}`,
    `  CPU per task (tool only, simulator subtracted): median ${cpu.p50.toFixed(1)} µs, min ${cpu.min.toFixed(1)} µs, max ${cpu.max.toFixed(1)} µs; total ${(cpu.p50 * TASKS / 1000).toFixed(0)} ms`,
    `  heap after the runs: ${r.heapMb.toFixed(0)} MB`,
  ];
  console.log(lines.join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
