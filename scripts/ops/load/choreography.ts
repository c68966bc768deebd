// The load drill's one choreography, the same on ECS and on the local Docker engine: launch while
// tracking, measure what only a live run shows, hold, then stop every workspace the run started,
// also after a failure or a signal. Each target brings its WorkspaceTarget, its wording and the
// steps around the run (the local engine opens and closes the run's network; ECS deletes volumes).
import type { Clock } from "../clock";
import type { Progress } from "../progress";
import { holdReady } from "./hold";
import { type LaunchStats, launchAll } from "./launcher";
import { type StopResult, stopRun } from "./stopper";
import type { WorkspaceTarget } from "./target";
import type { TaskTracker } from "./tracker";

interface LoadRunContext {
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly progress: Progress;
}

interface LoadRunPlan {
  readonly runId: string;
  readonly count: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly hold: number;
  readonly holdPollInterval: number;
  readonly stopConcurrency: number;
  /** The target's words: ECS launches and stops tasks; the local engine starts and removes workspaces. */
  readonly words: { readonly launched: string; readonly stopping: string; readonly stopped: string };
  /** Logged once the run is open, before the first launch. */
  readonly startLine: string;
}

interface LoadRunSteps {
  /** Before launching, inside the run (its cleanup covers a failure here). */
  open?(): Promise<void>;
  /** After every workspace is ready or failed, unless interrupted: what only a live run shows. */
  measure?(): Promise<void>;
  /** After every workspace was stopped and the progress line cleared. */
  afterStop?(): Promise<void>;
}

interface LoadRunResult {
  /** The launcher's final figures; undefined when launching itself failed. */
  readonly launch?: LaunchStats;
  /** The launcher's last progress, also when it did not finish. */
  readonly liveLaunch?: LaunchStats;
  readonly stop: StopResult;
}

/** Runs the drill on `target`; rethrows what failed after everything it started has been stopped. */
export async function runLoad(ctx: LoadRunContext, target: WorkspaceTarget, tracker: TaskTracker, plan: LoadRunPlan, steps: LoadRunSteps): Promise<LoadRunResult> {
  const { runId } = plan;
  // Launching stops on a signal or when tracking fails; tasks already asked for are still awaited.
  const launchAbort = new AbortController();
  const onAbort = () => launchAbort.abort();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  let launch: LaunchStats | undefined;
  let liveLaunch: LaunchStats | undefined;
  let stop: StopResult | undefined;
  const progressLine = () => {
    const r = tracker.results();
    ctx.progress.update(`run ${runId}: ${plan.words.launched} ${liveLaunch?.launched ?? 0}/${plan.count}, ready ${r.ready}, failed ${r.failed + (liveLaunch?.notLaunched ?? 0)}, starting ${r.starting}`);
  };
  try {
    await steps.open?.();
    ctx.progress.log(plan.startLine);
    let launching = true;
    const launchP = launchAll(target, tracker, runId, { count: plan.count, batchSize: plan.batchSize, concurrency: plan.concurrency }, launchAbort.signal, (s) => {
      liveLaunch = s;
      progressLine();
    }).finally(() => {
      launching = false;
    });
    const trackP = tracker.run(launchAbort.signal, () => launching, progressLine);
    const [launched, tracked] = await Promise.allSettled([launchP, trackP.catch((err) => { launchAbort.abort(); throw err; })]);
    if (launched.status === "rejected") throw launched.reason;
    if (tracked.status === "rejected") throw tracked.reason;
    launch = launched.value;
    if (!ctx.signal.aborted) await steps.measure?.();
    await holdReady(ctx, tracker, plan.hold, plan.holdPollInterval);
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    ctx.progress.log(`${plan.words.stopping} ${tracker.ids.length} ${plan.words.stopped} of run ${runId}`);
    stop = await stopRun(target, runId, tracker.ids, {
      concurrency: plan.stopConcurrency,
      reason: `ops load workspaces ${runId} finished`,
      onProgress: (done, total) => ctx.progress.update(`${plan.words.stopping}: ${done}/${total}`),
    });
    ctx.progress.clear();
    await steps.afterStop?.();
  }
  return { launch, liveLaunch, stop };
}
