// Launches `count` workspaces in RunTask batches with at most `concurrency` calls in flight; the
// target's bucket paces them. A task RunTask returns is handed to the tracker at once, so the
// stopper knows it even if the run is interrupted a moment later. An abort stops new batches but
// never a call already sent: its tasks exist and must be stopped, so we wait for its answer.
import { AbortedError, errorMessage, errorName } from "../errors";
import type { LaunchFailure, WorkspaceTarget } from "./target";
import type { TaskTracker } from "./tracker";

interface LaunchPlan {
  readonly count: number;
  readonly batchSize: number;
  readonly concurrency: number;
  /** Stop launching after this many batches in a row failed with an API error. */
  readonly maxConsecutiveErrors?: number;
}

export interface LaunchStats {
  readonly requested: number;
  launched: number;
  /** Tasks RunTask did not start (requested − returned), with the reasons it gave. */
  notLaunched: number;
  readonly reasons: Record<string, number>;
  calls: number;
  /** Why launching stopped early, if it did. */
  stoppedEarly?: string;
}

export function batchSizes(count: number, batchSize: number): number[] {
  const sizes: number[] = [];
  for (let left = count; left > 0; left -= batchSize) sizes.push(Math.min(batchSize, left));
  return sizes;
}

export async function launchAll(
  target: WorkspaceTarget,
  tracker: TaskTracker,
  runId: string,
  plan: LaunchPlan,
  signal: AbortSignal,
  onBatch?: (stats: LaunchStats) => void,
): Promise<LaunchStats> {
  const stats: LaunchStats = { requested: plan.count, launched: 0, notLaunched: 0, reasons: {}, calls: 0 };
  const sizes = batchSizes(plan.count, Math.min(plan.batchSize, target.launchBatchSize));
  const maxErrors = plan.maxConsecutiveErrors ?? 3;
  let next = 0;
  let consecutiveErrors = 0;
  const note = (failures: readonly LaunchFailure[]) => {
    for (const f of failures) stats.reasons[f.reason] = (stats.reasons[f.reason] ?? 0) + 1;
  };

  const worker = async () => {
    while (next < sizes.length && !signal.aborted && !stats.stoppedEarly) {
      const size = sizes[next++];
      try {
        const result = await target.launch(size, runId, { signal });
        stats.calls++;
        tracker.add(result.tasks, result.requestedAt);
        stats.launched += result.tasks.length;
        const short = size - result.tasks.length;
        stats.notLaunched += short;
        note(result.failures);
        // No reason given (moto's answer when nothing can take them): each task not started counts once.
        if (short > 0 && result.failures.length === 0) note(Array.from({ length: short }, () => ({ reason: "UNKNOWN: RunTask returned fewer tasks than asked" })));
        consecutiveErrors = 0;
      } catch (err) {
        if (err instanceof AbortedError) return;
        stats.calls++;
        stats.notLaunched += size;
        const reason = `${errorName(err)}: ${errorMessage(err)}`.slice(0, 160);
        stats.reasons[reason] = (stats.reasons[reason] ?? 0) + size;
        if (++consecutiveErrors >= maxErrors) stats.stoppedEarly = `${consecutiveErrors} RunTask calls in a row failed (last: ${reason})`;
      }
      onBatch?.(stats);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, sizes.length)) }, worker));
  return stats;
}
