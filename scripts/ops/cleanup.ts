// `ops cleanup --run-id ID`: what a killed run left behind, found by its marks and removed:
// tasks started by it (ListTasks by startedBy "ops/<run id>"), container instances it left
// DRAINING (tag remote-claude:drill-run), FIS experiments it started that still run (same tag),
// and the workspace volumes and snapshots it created (same tag on this stack's volumes: deleted
// once their tasks are stopped and they detach).
// `--all` finds leftovers of every drill run. --dry-run lists them and changes nothing.
import { DescribeTasksCommand, paginateListTasks } from "@aws-sdk/client-ecs";
import { StopExperimentCommand, paginateListExperiments } from "@aws-sdk/client-fis";
import { chunk } from "./concurrency";
import type { OpsContext } from "./context";
import { describeInstances, listInstances, setInstancesState } from "./drills/containerInstances";
import { EXIT, UsageError, errorMessage, errorName } from "./errors";
import { EcsWorkspaceTarget, MAX_DESCRIBE_TASKS } from "./load/ecsTarget";
import { stopRun } from "./load/stopper";
import { ECS_API_LIMITS, TokenBucket } from "./rateLimiter";
import { ReportBuilder } from "./report";
import { DRILL_RUN_TAG, isRunId, runIdFromStartedBy, startedByFor } from "./runId";

export interface CleanupArgs {
  readonly runId?: string;
  readonly all: boolean;
  /** Seconds to wait for the run's volumes to detach (their tasks are being stopped). */
  readonly volumeTimeout?: number;
}

interface Leftovers {
  /** Task ARN → run id. */
  readonly tasks: Map<string, string>;
  readonly instances: { arn: string; ec2InstanceId: string; runId: string }[];
  readonly experiments: { id: string; state: string; runId: string }[];
  readonly volumes: { id: string; state: string; runId: string }[];
  readonly snapshots: { id: string; state: string; runId: string }[];
}

const ACTIVE_EXPERIMENT_STATES = new Set(["pending", "initiating", "running"]);

export async function cleanup(ctx: OpsContext, args: CleanupArgs): Promise<ReportBuilder> {
  if (!args.runId && !args.all) throw new UsageError("cleanup needs --run-id ID (printed by the run) or --all (every drill run's leftovers)");
  if (args.runId && !isRunId(args.runId)) throw new UsageError(`--run-id ${args.runId} is not a run id (like load-20261123T120000-3fa2)`);
  const out = ctx.require(["clusterName"]);
  ctx.guard("cleanup stops tasks, reactivates container instances, stops FIS experiments and deletes drill volumes");
  await ctx.verifyCredentials();
  const wanted = (runId: string | undefined) => runId !== undefined && (args.all || runId === args.runId);
  const report = new ReportBuilder("cleanup", `Cleanup of ${args.runId ? `run ${args.runId}` : "every drill run"}`);
  report.runId = args.runId;
  report.publishesMetrics = false;

  const found: Leftovers = { tasks: new Map(), instances: [], experiments: [], volumes: [], snapshots: [] };
  await findTasks(ctx, out.clusterName, args, wanted, found);
  for (const ci of await listInstances(ctx, out.clusterName, { status: "DRAINING" })) {
    const runId = ci.tags[DRILL_RUN_TAG];
    if (wanted(runId)) found.instances.push({ arn: ci.arn, ec2InstanceId: ci.ec2InstanceId, runId });
  }
  try {
    for await (const page of ctx.api.pages("ListExperiments", paginateListExperiments({ client: ctx.aws.fis }, {}))) {
      for (const e of page.experiments ?? []) {
        const runId = e.tags?.[DRILL_RUN_TAG];
        if (e.id && wanted(runId) && ACTIVE_EXPERIMENT_STATES.has(e.state?.status ?? "")) found.experiments.push({ id: e.id, state: e.state?.status ?? "", runId: runId ?? "" });
      }
    }
  } catch (err) {
    report.notes.push(`FIS experiments not checked: ${errorName(err)}: ${errorMessage(err)}`);
  }

  // Workspace storage: the run's volumes and snapshots, on this stack only.
  const run = { runId: args.all ? undefined : args.runId, anyRun: args.all };
  const volumes = ctx.volumes();
  found.volumes.push(...(await volumes.list(run)).filter((v) => v.state !== "deleting" && v.state !== "deleted").map((v) => ({ id: v.id, state: v.state, runId: v.runId ?? "" })));
  found.snapshots.push(...(await volumes.listSnapshots(run)).map((sn) => ({ id: sn.id, state: sn.state, runId: sn.runId ?? "" })));

  const rows: (string | number)[][] = [
    ...[...found.tasks].map(([arn, runId]) => ["task", arn.split("/").pop() ?? arn, runId, "stop"]),
    ...found.instances.map((i) => ["container instance", i.ec2InstanceId || i.arn, i.runId, "DRAINING → ACTIVE"]),
    ...found.experiments.map((e) => ["FIS experiment", e.id, e.runId, `${e.state} → stop`]),
    ...found.volumes.map((v) => ["volume", v.id, v.runId, v.state === "available" || v.state === "error" ? "delete" : `${v.state}: delete once detached`]),
    ...found.snapshots.map((sn) => ["snapshot", sn.id, sn.runId, "delete"]),
  ];
  report.table("Leftovers", ["kind", "id", "run id", "action"], rows);
  report.summary.push(`Found ${found.tasks.size} tasks, ${found.instances.length} draining container instances, ${found.experiments.length} running FIS experiments, ${found.volumes.length} volumes and ${found.snapshots.length} snapshots.`);
  if (ctx.args.dryRun) {
    report.outcome = "dry-run";
    return report;
  }

  const problems: string[] = [];
  const byRun = new Map<string, string[]>();
  for (const [arn, runId] of found.tasks) byRun.set(runId, [...(byRun.get(runId) ?? []), arn]);
  const target = new EcsWorkspaceTarget({
    ecs: ctx.aws.ecs,
    api: ctx.api,
    cluster: out.clusterName,
    runStopBucket: new TokenBucket(20, 10, ctx.clock),
    describeBucket: new TokenBucket(ECS_API_LIMITS.describe.burst, 5, ctx.clock),
    kind: "cleanup",
  });
  let stopped = 0;
  for (const [runId, arns] of byRun) {
    const result = await stopRun(target, runId, arns, { concurrency: 4, reason: `ops cleanup of run ${runId}` });
    stopped += result.stopped + result.alreadyGone;
    problems.push(...result.failed.map((f) => `task ${f.id}: ${f.error}`));
  }
  for (const [runId, instances] of groupBy(found.instances, (i) => i.runId)) {
    problems.push(...await setInstancesState(ctx, out.clusterName, instances.map((i) => i.arn), "ACTIVE", runId));
  }
  for (const e of found.experiments) {
    try {
      await ctx.api.call("StopExperiment", () => ctx.aws.fis.send(new StopExperimentCommand({ id: e.id })));
    } catch (err) {
      problems.push(`experiment ${e.id}: ${errorName(err)}: ${errorMessage(err)}`);
    }
  }
  // Volumes after the tasks: a volume detaches only once its task has stopped.
  let volumesDeleted = 0;
  let volumesLeft = 0;
  if (found.volumes.length > 0) {
    const c = await volumes.cleanupRun(run, args.volumeTimeout ?? 600);
    volumesDeleted = c.deleted.length + c.alreadyGone.length;
    volumesLeft = c.leftBehind.length + c.failed.length;
    problems.push(...c.failed.map((f) => `volume ${f.id}: ${f.error}`), ...c.leftBehind.map((v) => `volume ${v.id}: still ${v.state} after ${args.volumeTimeout ?? 600} s`));
  }
  let snapshotsDeleted = 0;
  const pending = found.snapshots.filter((sn) => sn.state === "pending").map((sn) => sn.id);
  if (pending.length > 0) await volumes.waitSnapshots(pending, args.volumeTimeout ?? 600);
  for (const sn of found.snapshots) {
    try {
      await volumes.deleteSnapshot(sn.id);
      snapshotsDeleted++;
    } catch (err) {
      problems.push(`snapshot ${sn.id}: ${errorName(err)}: ${errorMessage(err)}`);
    }
  }
  const stillDraining = found.instances.length > 0
    ? (await describeInstances(ctx, out.clusterName, found.instances.map((i) => i.arn))).filter((i) => i.status === "DRAINING").length
    : 0;
  report.summary.push(`Stopped ${stopped} tasks, reactivated ${found.instances.length - stillDraining} container instances, stopped ${found.experiments.length - problems.filter((p) => p.startsWith("experiment")).length} experiments, deleted ${volumesDeleted} volumes and ${snapshotsDeleted} snapshots.`);
  report.check("cleanup", "problems while cleaning up", "none", problems.length === 0 ? "none" : problems.join("; "), problems.length === 0);
  report.check("cleanup", "container instances still DRAINING", "0", String(stillDraining), stillDraining === 0);
  report.check("cleanup", "drill volumes left", "0", String(volumesLeft), volumesLeft === 0);
  if (problems.length > 0 || stillDraining > 0) {
    report.exitCode = EXIT.cleanupIncomplete;
    report.outcome = "error";
  }
  return report;
}

async function findTasks(ctx: OpsContext, cluster: string, args: CleanupArgs, wanted: (runId: string | undefined) => boolean, found: Leftovers): Promise<void> {
  if (args.runId && !args.all) {
    const target = { cluster, startedBy: startedByFor(args.runId) };
    for await (const page of ctx.api.pages("ListTasks", paginateListTasks({ client: ctx.aws.ecs }, target))) {
      for (const arn of page.taskArns ?? []) found.tasks.set(arn, args.runId);
    }
    return;
  }
  // Every running task of the cluster, then keep those a drill started (startedBy "ops/<run id>").
  const arns: string[] = [];
  for await (const page of ctx.api.pages("ListTasks", paginateListTasks({ client: ctx.aws.ecs }, { cluster }))) arns.push(...(page.taskArns ?? []));
  for (const batch of chunk(arns, MAX_DESCRIBE_TASKS)) {
    const response = await ctx.api.call("DescribeTasks", () => ctx.aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: batch, include: ["TAGS"] })));
    for (const task of response.tasks ?? []) {
      const runId = runIdFromStartedBy(task.startedBy) ?? task.tags?.find((t) => t.key === DRILL_RUN_TAG)?.value;
      if (task.taskArn && wanted(runId)) found.tasks.set(task.taskArn, runId ?? "");
    }
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
