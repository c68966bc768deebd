// `ops cleanup --target docker`: what a killed local run left on the engine, found by its label
// (remote-claude:drill-run=<run id>, or any run with --all) and removed: containers, then
// volumes, then networks. --dry-run lists them and removes nothing.
import type { CleanupArgs } from "../cleanup";
import { EXIT, UsageError } from "../errors";
import { ReportBuilder } from "../report";
import { isRunId } from "../runId";
import type { LocalContext } from "./context";
import { findLeftovers, leftoverCount, removeLeftovers } from "./run";

export async function dockerCleanup(ctx: LocalContext, args: CleanupArgs): Promise<ReportBuilder> {
  if (!args.runId && !args.all) throw new UsageError("cleanup needs --run-id ID (printed by the run) or --all (every drill run's leftovers)");
  if (args.runId && !isRunId(args.runId)) throw new UsageError(`--run-id ${args.runId} is not a run id (like load-20261123T120000-3fa2)`);
  await ctx.connect();
  try {
    const report = new ReportBuilder("cleanup", `Cleanup of ${args.runId && !args.all ? `run ${args.runId}` : "every drill run"}`);
    report.runId = args.runId;
    report.target = ctx.reportTarget;
    report.publishesMetrics = false;
    const runId = args.all ? undefined : args.runId;
    const found = await findLeftovers(ctx.docker, runId);
    const run = (id: string) => found.runIds.get(id) ?? "";
    report.table("Leftovers", ["kind", "id", "run id", "action"], [
      ...found.containers.map((id) => ["container", id.slice(0, 12), run(id), "remove (force)"]),
      ...found.volumes.map((name) => ["volume", name, run(name), "remove"]),
      ...found.networks.map((id) => ["network", id.slice(0, 12), run(id), "remove"]),
    ]);
    report.summary.push(`Found ${found.containers.length} containers, ${found.volumes.length} volumes and ${found.networks.length} networks of ${runId ? `run ${runId}` : "drill runs"}.`);
    if (ctx.args.dryRun) {
      report.outcome = "dry-run";
      return report;
    }
    const problems = await removeLeftovers(ctx.docker, found);
    const left = await findLeftovers(ctx.docker, runId);
    report.summary.push(`Removed ${leftoverCount(found) - leftoverCount(left)} of them; ${leftoverCount(left)} left.`);
    report.check("cleanup", "problems while cleaning up", "none", problems.length === 0 ? "none" : problems.join("; "), problems.length === 0);
    report.check("cleanup", "containers, volumes and networks left", "0", String(leftoverCount(left)), leftoverCount(left) === 0);
    if (problems.length > 0 || leftoverCount(left) > 0) {
      report.exitCode = EXIT.cleanupIncomplete;
      report.outcome = "error";
    }
    return report;
  } finally {
    ctx.close();
  }
}
