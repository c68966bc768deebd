// One workspace load run against the simulated ECS control plane on a virtual clock: the real
// launcher, tracker and stopper of `ops load workspaces`, the real ECS SDK client with its send()
// answered by the simulator, and the token buckets of a scenario. `npm run bench:ops` measures it
// at 10,000 and 100,000 workspaces; a test asserts its call counts, which are deterministic.
import { type ECSClient, ECSClient as RealEcsClient } from "@aws-sdk/client-ecs";
import { ApiCaller } from "../api";
import { EcsWorkspaceTarget } from "../load/ecsTarget";
import { launchAll } from "../load/launcher";
import { stopRun } from "../load/stopper";
import { TaskTracker } from "../load/tracker";
import { LOAD_DEFAULTS } from "../load/defaults";
import { ECS_API_LIMITS, TokenBucket } from "../rateLimiter";
import { VirtualClock } from "../virtualClock";
import { EcsSim } from "./ecsSim";

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
        default: return Promise.reject(new Error(`simulated run: no ${command.constructor.name}`));
      }
    } finally {
      const used = process.cpuUsage(start);
      this.simCpuMicros += used.user + used.system;
    }
  }
}

interface Scenario {
  readonly name: string;
  /** RunTask + StopTask calls: burst and per second. */
  readonly runStop: { readonly burst: number; readonly perSecond: number };
  /** DescribeTasks + ListTasks calls per second (burst: ECS's). */
  readonly describePerSecond: number;
  readonly concurrency: number;
  readonly stopConcurrency: number;
}

export const SCENARIOS = {
  /** The ops tool's defaults: a fraction of the account's buckets, which the backend shares. */
  drill: {
    name: "the drill's defaults",
    runStop: { burst: LOAD_DEFAULTS.burst, perSecond: LOAD_DEFAULTS.rate },
    describePerSecond: LOAD_DEFAULTS.describeRate,
    concurrency: LOAD_DEFAULTS.concurrency,
    stopConcurrency: LOAD_DEFAULTS.stopConcurrency,
  },
  /** The whole of ECS's limits: the fastest any client of one account and Region can launch. */
  limits: {
    name: "ECS's full limits",
    runStop: ECS_API_LIMITS.runStop,
    describePerSecond: ECS_API_LIMITS.describe.perSecond,
    concurrency: LOAD_DEFAULTS.concurrency,
    stopConcurrency: LOAD_DEFAULTS.stopConcurrency,
  },
} as const satisfies Record<string, Scenario>;

export interface RunFigures {
  readonly tasks: number;
  readonly scenario: string;
  /** CPU of the tool itself (the simulator's subtracted), per task. */
  readonly cpuMicrosPerTask: number;
  readonly calls: Readonly<Record<string, number>>;
  readonly ready: number;
  readonly failed: number;
  /** Simulated seconds from the first RunTask to the last RunTask's answer. */
  readonly launchSeconds: number;
  /** Simulated seconds of the whole run: launch, track and stop. */
  readonly totalSeconds: number;
  readonly pollRounds: number;
}

/**
 * Starts spread over 2-12 s, healthy 1.5 s later; 2 % never start (their image pull fails at 20 s).
 * The scripts depend on the task's index only, so a run is the same every time.
 */
export async function simulatedRun(tasks: number, scenario: Scenario): Promise<RunFigures> {
  const clock = new VirtualClock(0);
  const sim = new EcsSim({
    clock,
    containerInstances: Math.ceil(tasks / 40),
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
    runStopBucket: new TokenBucket(scenario.runStop.burst, scenario.runStop.perSecond, clock),
    describeBucket: new TokenBucket(ECS_API_LIMITS.describe.burst, scenario.describePerSecond, clock),
    kind: "load",
  });
  const health = await target.healthCheckedContainers();
  const tracker = new TaskTracker(target, clock, { healthContainers: health, startTimeoutMs: LOAD_DEFAULTS.startTimeout * 1000, pollIntervalMs: LOAD_DEFAULTS.pollInterval * 1000 });
  const signal = new AbortController().signal;

  const cpu = process.cpuUsage();
  const started = clock.now();
  let launching = true;
  let launchedAt = started;
  const launched = launchAll(target, tracker, "bench-run", { count: tasks, batchSize: LOAD_DEFAULTS.batchSize, concurrency: scenario.concurrency }, signal).finally(() => {
    launching = false;
    launchedAt = clock.now();
  });
  await Promise.all([launched, tracker.run(signal, () => launching)]);
  await stopRun(target, "bench-run", tracker.ids, { concurrency: scenario.stopConcurrency, reason: "bench" });
  const used = process.cpuUsage(cpu);
  const results = tracker.results();
  if (sim.orphans().length > 0) throw new Error(`simulated run: ${sim.orphans().length} tasks left running`);
  return {
    tasks,
    scenario: scenario.name,
    cpuMicrosPerTask: (used.user + used.system - ecs.simCpuMicros) / tasks,
    calls: { ...api.stats.calls },
    ready: results.ready,
    failed: results.failed,
    launchSeconds: (launchedAt - started) / 1000,
    totalSeconds: (clock.now() - started) / 1000,
    pollRounds: results.pollRounds,
  };
}
