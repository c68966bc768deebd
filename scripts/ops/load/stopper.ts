// Stops every task a run started, then asks the target for any task of the run it still has
// (ListTasks by startedBy) and stops those too: a RunTask whose answer was lost still created
// tasks. Runs after an abort as well, so it takes no abort signal.
import { mapLimit } from "../concurrency";
import { errorMessage, errorName } from "../errors";
import type { WorkspaceTarget } from "./target";

export interface StopResult {
  stopped: number;
  alreadyGone: number;
  /** Tasks found by the run's startedBy that the run had not recorded. */
  foundByRunId: number;
  readonly failed: { id: string; error: string }[];
}

export async function stopRun(
  target: WorkspaceTarget,
  runId: string,
  knownIds: readonly string[],
  options: { readonly concurrency: number; readonly reason: string; readonly onProgress?: (done: number, total: number) => void },
): Promise<StopResult> {
  const result: StopResult = { stopped: 0, alreadyGone: 0, foundByRunId: 0, failed: [] };
  let done = 0;
  const stopOne = async (id: string) => {
    try {
      const outcome = await target.stop(id, options.reason);
      if (outcome === "stopped") result.stopped++;
      else result.alreadyGone++;
    } catch (err) {
      result.failed.push({ id, error: `${errorName(err)}: ${errorMessage(err)}` });
    }
    options.onProgress?.(++done, knownIds.length);
  };
  await mapLimit(knownIds, options.concurrency, stopOne);

  const known = new Set(knownIds);
  let leftovers: string[] = [];
  try {
    leftovers = (await target.listRunTasks(runId)).filter((id) => !known.has(id));
  } catch (err) {
    result.failed.push({ id: `(ListTasks for run ${runId})`, error: `${errorName(err)}: ${errorMessage(err)}` });
  }
  result.foundByRunId = leftovers.length;
  await mapLimit(leftovers, options.concurrency, stopOne);
  return result;
}
