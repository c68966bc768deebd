// Holding the ready workspaces of a load run for --hold seconds, re-checking them every poll so a
// workspace that dies while held is counted, on either target.
import type { Clock } from "../clock";
import type { Progress } from "../progress";
import type { TaskTracker } from "./tracker";

export async function holdReady(
  ctx: { readonly clock: Clock; readonly signal: AbortSignal; readonly progress: Progress },
  tracker: TaskTracker,
  holdSeconds: number,
  pollIntervalSeconds: number,
): Promise<void> {
  if (holdSeconds <= 0 || ctx.signal.aborted) return;
  ctx.progress.log(`holding ${tracker.results().ready} ready workspaces for ${holdSeconds} s`);
  const until = ctx.clock.now() + holdSeconds * 1000;
  while (!ctx.signal.aborted && ctx.clock.now() < until) {
    await ctx.clock.sleep(Math.min(pollIntervalSeconds * 1000, until - ctx.clock.now()), ctx.signal);
    if (!ctx.signal.aborted) await tracker.sweepReady(ctx.signal);
  }
}
