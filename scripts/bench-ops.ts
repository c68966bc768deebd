// `npm run bench:ops`: what the workspace drill's launching, tracking and stopping costs at scale,
// on simulated runs of 10,000 and 100,000 workspaces (no AWS; scripts/ops/sim/simulatedRun.ts):
// API calls per task, CPU per task of the tool itself (the simulator's own CPU subtracted), peak
// memory, and how long launching takes within the API limits, under the drill's defaults and
// under ECS's full limits, next to the plan's figure for the same burst. Time is virtual, so a run
// takes seconds of CPU, not the minutes it would take on a stack. Each size and scenario runs in a
// process of its own so that its peak memory is its own. BENCH_SIZES (e.g. "5000,20000") and
// BENCH_RUNS change the sizes and the runs per size.
import { fork } from "node:child_process";
import { burstLaunch } from "../lib/awsLimits";
import { summarize } from "./ops/percentiles";
import { type RunFigures, SCENARIOS, simulatedRun } from "./ops/sim/simulatedRun";

// Same as the CLI: the pinned SDK's Node 20 notice is not part of the figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const SIZES = (process.env.BENCH_SIZES ?? "10000,100000").split(",").map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
type ScenarioName = keyof typeof SCENARIOS;

interface ChildResult {
  readonly runs: RunFigures[];
  /** Peak resident memory of the process (MiB). */
  readonly peakRssMiB: number;
  readonly heapMiB: number;
}

/** In the child: RUNS runs of one size and scenario, reported to the parent. */
async function child(tasks: number, scenario: ScenarioName): Promise<void> {
  const runs: RunFigures[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await simulatedRun(tasks, SCENARIOS[scenario]));
  const result: ChildResult = { runs, peakRssMiB: process.resourceUsage().maxRSS / 1024, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 };
  process.send?.(result);
}

function runChild(tasks: number, scenario: ScenarioName): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(__filename, [], { env: { ...process.env, BENCH_CHILD: `${tasks}:${scenario}` }, execArgv: process.execArgv });
    let result: ChildResult | undefined;
    proc.on("message", (m) => (result = m as ChildResult));
    proc.on("error", reject);
    proc.on("exit", (code) => (result && code === 0 ? resolve(result) : reject(new Error(`bench child ${tasks}:${scenario} exited ${code}`))));
  });
}

const n = (v: number) => v.toLocaleString("en-US");

async function main(): Promise<void> {
  console.log(`bench:ops: the workspace drill's own cost on simulated runs (${RUNS} runs per size, Node ${process.version});`);
  console.log("  tasks RUNNING after 2-12 s and HEALTHY 1.5 s later, 2 % fail to pull their image; RunTask batches of 10; every task stopped at the end");
  for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
    const s = SCENARIOS[name];
    console.log(`\n${s.name}: RunTask+StopTask ${s.runStop.perSecond}/s (burst ${s.runStop.burst}), DescribeTasks ${s.describePerSecond}/s, ${s.concurrency} RunTask calls in flight`);
    const perTask: Record<string, number>[] = [];
    for (const tasks of SIZES) {
      const r = await runChild(tasks, name);
      const first = r.runs[0];
      const cpu = summarize(r.runs.map((x) => x.cpuMicrosPerTask))!;
      const calls = (op: string) => (first.calls[op] ?? 0) / tasks;
      const all = Object.values(first.calls).reduce((a, b) => a + b, 0) / tasks;
      perTask.push({ all, cpu: cpu.p50 });
      const plan = burstLaunch(tasks, 1);
      console.log(
        `  ${n(tasks).padStart(7)} tasks: ${n(first.ready)} ready, ${n(first.failed)} failed; ` +
          `API calls per task: RunTask ${calls("RunTask").toFixed(3)}, DescribeTasks ${calls("DescribeTasks").toFixed(3)}, StopTask ${calls("StopTask").toFixed(3)}, ListTasks ${calls("ListTasks").toFixed(5)}; all ${all.toFixed(3)}`,
      );
      console.log(
        `                 CPU per task (tool only): median ${cpu.p50.toFixed(1)} µs (min ${cpu.min.toFixed(1)}, max ${cpu.max.toFixed(1)}), ${n(Math.round((cpu.p50 * tasks) / 1000))} ms in all; ` +
          `peak memory ${r.peakRssMiB.toFixed(0)} MiB (heap ${r.heapMiB.toFixed(0)} MiB)`,
      );
      console.log(
        `                 launch: ${n(first.launchSeconds)} s of simulated time for ${n(first.calls.RunTask ?? 0)} RunTask calls (the plan's figure at ECS's full limits: ${n(plan.seconds)} s); ` +
          `whole run ${n(Math.round(first.totalSeconds))} s, ${first.pollRounds} poll rounds`,
      );
    }
    if (perTask.length > 1) {
      const [a, b] = [perTask[0], perTask[perTask.length - 1]];
      console.log(`  per task from ${n(SIZES[0])} to ${n(SIZES[SIZES.length - 1])}: calls x${(b.all / a.all).toFixed(2)}, CPU x${(b.cpu / a.cpu).toFixed(2)}`);
    }
  }
}

const childSpec = process.env.BENCH_CHILD;
(childSpec ? child(Number(childSpec.split(":")[0]), childSpec.split(":")[1] as ScenarioName) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
