// `ops load workspaces`: launch N workspaces exactly as the backend does, follow each until it is
// ready or failed, measure, hold, and stop every task the run started (also on errors, SIGINT and
// SIGTERM), then delete every volume the run's tasks were given once they detached. The figures go
// into the report, the thresholds into the exit code, and the samples into CloudWatch.
import { workspaceRunTaskRequest } from "../../../lib/launchContract";
import { requireLaunchTarget } from "../launchTarget";
import type { OpsContext } from "../context";
import { EXIT, errorMessage, errorName } from "../errors";
import type { MetricSample } from "../metrics";
import { type Summary, summarize } from "../percentiles";
import { ECS_API_LIMITS, TokenBucket } from "../rateLimiter";
import { ReportBuilder } from "../report";
import { drillTags, startedByFor } from "../runId";
import { checkAnyReady, checkMax, checkMin, formatSeconds } from "../thresholds";
import { EcsWorkspaceTarget } from "./ecsTarget";
import { runLoad } from "./choreography";
import { type LaunchStats, batchSizes } from "./launcher";
import type { StopResult } from "./stopper";
import type { HostInfo, RunVolume, RunVolumeCleanup, WorkspaceTarget } from "./target";
import { type TrackerResults, TaskTracker } from "./tracker";

export interface LoadWorkspacesArgs {
  readonly count: number;
  readonly batchSize: number;
  readonly concurrency: number;
  /** RunTask + StopTask calls per second and burst (ECS: 40/s, 100). */
  readonly rate: number;
  readonly burst: number;
  /** DescribeTasks + ListTasks calls per second (ECS: 20/s). */
  readonly describeRate: number;
  readonly pollInterval: number;
  readonly startTimeout: number;
  readonly hold: number;
  readonly holdPollInterval: number;
  readonly stopConcurrency: number;
  /** Seconds to wait for the run's volumes to detach after their tasks stopped, before deleting them. */
  readonly volumeTimeout: number;
  readonly runId?: string;
  readonly maxP50Start?: number;
  readonly maxP95Start?: number;
  readonly maxP99Start?: number;
  readonly maxP95Running?: number;
  readonly maxFailureRate?: number;
  readonly minTasksPerInstance?: number;
}


export interface DensityRow {
  readonly host: HostInfo;
  readonly drillTasks: number;
}

const secs = (v: number) => `${v.toFixed(2)} s`;

function summaryRow(name: string, s: Summary | undefined): (string | number)[] {
  if (!s) return [name, 0, "-", "-", "-", "-", "-"];
  return [name, s.count, ...[s.p50, s.p90, s.p95, s.p99, s.max].map((v) => (v / 1000).toFixed(2))];
}

export async function loadWorkspaces(ctx: OpsContext, args: LoadWorkspacesArgs): Promise<ReportBuilder> {
  const launchTarget = requireLaunchTarget(ctx);
  ctx.guard(`load workspaces launches ${args.count} workspace tasks`);
  await ctx.verifyCredentials();

  const runId = args.runId ?? ctx.newRunId("load");
  const report = new ReportBuilder("load workspaces", "Load drill: workspace starts");
  report.runId = runId;
  const target: WorkspaceTarget = new EcsWorkspaceTarget({
    ecs: ctx.aws.ecs,
    api: ctx.api,
    cluster: launchTarget.cluster,
    launch: launchTarget,
    volumes: ctx.volumes(),
    volumeTimeoutSeconds: args.volumeTimeout,
    runStopBucket: new TokenBucket(args.burst, args.rate, ctx.clock),
    describeBucket: new TokenBucket(ECS_API_LIMITS.describe.burst, args.describeRate, ctx.clock),
    kind: "load",
  });
  const healthContainers = await target.healthCheckedContainers();
  const sizes = batchSizes(args.count, args.batchSize);
  const readiness = healthContainers.length > 0 ? `RUNNING and ${healthContainers.join(", ")} HEALTHY` : "RUNNING (no container has a health check)";
  report.data.plan = { count: args.count, runTaskCalls: sizes.length, batchSize: args.batchSize, concurrency: args.concurrency, rate: args.rate, burst: args.burst, describeRate: args.describeRate, readiness };

  if (ctx.args.dryRun) {
    report.outcome = "dry-run";
    report.summary.push(
      `Would launch ${args.count} workspace tasks in ${sizes.length} RunTask calls of up to ${args.batchSize}, ${args.concurrency} in flight, at most ${args.rate} RunTask/StopTask calls/s (burst ${args.burst}).`,
      `Would wait until each is ${readiness} (timeout ${args.startTimeout} s, DescribeTasks at most ${args.describeRate}/s), hold ${args.hold} s, then stop all ${args.count}.`,
      `Tasks would carry startedBy ${startedByFor(runId)} and tag remote-claude:drill-run=${runId}; so would their ${launchTarget.volume.sizeGiB} GiB gp3 volumes, all deleted after the tasks stop.`,
    );
    report.data.firstRunTask = workspaceRunTaskRequest(launchTarget, {
      count: sizes[0],
      workspaceId: `${runId}-1`,
      startedBy: startedByFor(runId),
      tags: drillTags(runId, "load"),
      volumeTags: drillTags(runId, "load"),
    });
    return report;
  }

  ctx.scope.setCleanupHint(ctx.cleanupHint(runId));
  const tracker = new TaskTracker(target, ctx.clock, {
    healthContainers,
    startTimeoutMs: args.startTimeout * 1000,
    pollIntervalMs: args.pollInterval * 1000,
  });
  let density: DensityRow[] = [];
  let runVolumes: RunVolume[] = [];
  let volumeCleanup: RunVolumeCleanup | undefined;
  const { launch, liveLaunch, stop } = await runLoad(ctx, target, tracker, {
    runId,
    count: args.count,
    batchSize: args.batchSize,
    concurrency: args.concurrency,
    hold: args.hold,
    holdPollInterval: args.holdPollInterval,
    stopConcurrency: args.stopConcurrency,
    words: { launched: "launched", stopping: "stopping", stopped: "tasks" },
    startLine: `run ${runId}: launching ${args.count} workspace tasks (${readiness})`,
  }, {
    measure: async () => {
      density = await measureDensity(target, tracker);
      // EC2's own attach times, read while the volumes are still attached.
      if (!ctx.signal.aborted && target.runVolumes) runVolumes = await target.runVolumes(runId);
    },
    // Then the run's volumes: kept by design when a task stops, so the drill deletes them itself.
    afterStop: async () => {
      if (!target.deleteRunVolumes) return;
      ctx.progress.log(`deleting the volumes of run ${runId} once they detach (at most ${args.volumeTimeout} s)`);
      volumeCleanup = await deleteVolumesSafely(target, runId);
    },
  });

  fillReport(report, ctx, args, launch ?? liveLaunch, tracker.results(), density, stop, healthContainers.length > 0);
  if (volumeCleanup) fillVolumeReport(report, tracker, runVolumes, volumeCleanup);
  const volumesLeft = volumeCleanup ? volumeCleanup.leftBehind.length + volumeCleanup.failed.length : 0;
  if (stop.failed.length > 0 || volumesLeft > 0) {
    report.exitCode = EXIT.cleanupIncomplete;
    report.outcome = "error";
    if (stop.failed.length > 0) report.notes.push(`${stop.failed.length} tasks could not be stopped; run: ${ctx.cleanupHint(runId)}`);
    if (volumesLeft > 0) report.notes.push(`${volumesLeft} volumes of the run are left; run: ${ctx.cleanupHint(runId)}`);
  }
  return report;
}

/** Volume cleanup must not throw past the report: a failure is a row, and the cleanup hint. */
export async function deleteVolumesSafely(target: WorkspaceTarget, runId: string): Promise<RunVolumeCleanup> {
  try {
    return await target.deleteRunVolumes!(runId);
  } catch (err) {
    return { found: 0, deleted: 0, alreadyGone: 0, failed: [{ id: `(volumes of run ${runId})`, error: `${errorName(err)}: ${errorMessage(err)}` }], leftBehind: [] };
  }
}

function fillVolumeReport(report: ReportBuilder, tracker: TaskTracker, runVolumes: readonly RunVolume[], cleanup: RunVolumeCleanup): void {
  const results = tracker.results();
  const observed = summarize(results.volumeAttachedMs);
  // EC2's attach time against ECS's createdAt, for the tasks whose volume was read while attached.
  const byTask = new Map(runVolumes.filter((v) => v.taskId && v.attachTime !== undefined).map((v) => [v.taskId as string, v]));
  const ec2Ms: number[] = [];
  const perTask: { task: string; volumeId?: string; observedAttachMs?: number; ec2AttachMs?: number }[] = [];
  for (const t of tracker.all()) {
    const v = byTask.get(t.id);
    const ec2 = v && t.createdAt !== undefined ? Math.max(0, (v.attachTime as number) - t.createdAt) : undefined;
    if (ec2 !== undefined) ec2Ms.push(ec2);
    if (t.volumeId || ec2 !== undefined) perTask.push({ task: t.id.split("/").pop() ?? t.id, volumeId: t.volumeId ?? v?.volumeId, observedAttachMs: t.volumeAttachedMs, ec2AttachMs: ec2 });
  }
  const precise = summarize(ec2Ms);
  const start = report.tables.find((t) => t.title === "Start times (seconds)");
  const rows: (string | number)[][] = [summaryRow("RunTask → volume ATTACHED (task attachment, observed)", observed)];
  if (precise) rows.push(summaryRow("ECS createdAt → EBS attach (EC2 AttachTime)", precise));
  if (start) (start.rows as (string | number)[][]).push(...rows);
  else report.table("Start times (seconds)", ["measure", "count", "p50", "p90", "p95", "p99", "max"], rows);
  report.summary.push(
    `Volumes: attach p50 ${formatSeconds(observed?.p50)}, p95 ${formatSeconds(observed?.p95)}, p99 ${formatSeconds(observed?.p99)} (task attachment); ` +
      `${cleanup.found} found, ${cleanup.deleted} deleted (${cleanup.alreadyGone} already gone), ${cleanup.leftBehind.length + cleanup.failed.length} left.`,
  );
  report.table("Volumes left", ["volume", "state or error"], [
    ...cleanup.leftBehind.map((v) => [v.id, v.state]),
    ...cleanup.failed.map((f) => [f.id, f.error]),
  ]);
  report.check("cleanup", "volumes left", "0", String(cleanup.leftBehind.length + cleanup.failed.length), cleanup.leftBehind.length + cleanup.failed.length === 0);
  report.data.volumes = { cleanup, attachObservedSummary: observed, attachEc2Summary: precise, perTask };
  report.metrics.push({ name: "WorkspaceVolumeAttachTime", unit: "Milliseconds", values: results.volumeAttachedMs });
}

async function measureDensity(target: WorkspaceTarget, tracker: TaskTracker): Promise<DensityRow[]> {
  const perHost = new Map<string, number>();
  for (const t of tracker.all()) if (t.phase === "ready" && t.host) perHost.set(t.host, (perHost.get(t.host) ?? 0) + 1);
  if (perHost.size === 0) return [];
  const hosts = await target.hosts([...perHost.keys()]);
  return hosts.map((host) => ({ host, drillTasks: perHost.get(host.id) ?? 0 })).sort((a, b) => b.drillTasks - a.drillTasks);
}

function fillReport(
  report: ReportBuilder,
  ctx: OpsContext,
  args: LoadWorkspacesArgs,
  launch: LaunchStats | undefined,
  results: TrackerResults,
  density: DensityRow[],
  stop: StopResult,
  hasHealthChecks: boolean,
): void {
  const launched = launch?.launched ?? results.tracked;
  const notLaunched = launch?.notLaunched ?? 0;
  const running = summarize(results.runningMs);
  const ready = summarize(results.readyMs);
  const start = hasHealthChecks ? ready : running;
  const failedTotal = notLaunched + results.failed;
  const failureRate = args.count > 0 ? (failedTotal / args.count) * 100 : 0;
  const stats = ctx.stats;
  const toolThrottles = stats.total(stats.throttled);
  const sdkThrottles = stats.total(stats.sdkThrottled);

  report.summary.push(
    `Launched ${launched} of ${args.count} workspace tasks in ${launch?.calls ?? 0} RunTask calls (batch ${args.batchSize}, ${args.concurrency} in flight, ${args.rate} calls/s); ${notLaunched} not launched.`,
    `Ready (${hasHealthChecks ? "RUNNING + HEALTHY" : "RUNNING"}): ${results.ready}; failed after launch: ${results.failed}; still starting at the end: ${results.starting}.`,
    `Time to RUNNING p50 ${formatSeconds(running?.p50)}, p95 ${formatSeconds(running?.p95)}, p99 ${formatSeconds(running?.p99)}; time to HEALTHY p50 ${formatSeconds(ready?.p50)}, p95 ${formatSeconds(ready?.p95)}, p99 ${formatSeconds(ready?.p99)}.`,
    `Throttling: ${toolThrottles} throttled calls retried by the tool, ${sdkThrottles} throttled attempts absorbed by the SDK.`,
    `Stopped ${stop.stopped} tasks (${stop.alreadyGone} already gone, ${stop.foundByRunId} more found by run id); ${stop.failed.length} could not be stopped.`,
  );
  if (launch?.stoppedEarly) report.notes.push(`launching stopped early: ${launch.stoppedEarly}`);
  if (density.length > 0) {
    const counts = density.map((d) => d.drillTasks);
    report.summary.push(`Density: ${density.length} container instances, ${Math.min(...counts)}–${Math.max(...counts)} drill tasks each (mean ${(counts.reduce((a, b) => a + b, 0) / counts.length).toFixed(1)}).`);
  }

  report.table("Start times (seconds)", ["measure", "count", "p50", "p90", "p95", "p99", "max"], [
    summaryRow("RunTask → RUNNING (ECS createdAt → startedAt)", running),
    summaryRow("RunTask → HEALTHY (observed)", ready),
  ]);
  report.table("Failures by reason", ["stage", "reason", "count"], [
    ...Object.entries(launch?.reasons ?? {}).map(([r, n]) => ["RunTask", r, n]),
    ...Object.entries(results.failuresByReason).map(([r, n]) => ["after launch", r, n]),
    ...Object.entries(results.stoppedAfterReady).map(([r, n]) => ["during hold", r, n]),
  ]);
  report.table("Tasks per container instance", ["container instance", "EC2 instance", "type", "AZ", "drill tasks", "all running tasks"],
    density.map((d) => [d.host.id.split("/").pop() ?? d.host.id, d.host.instanceId ?? "-", d.host.instanceType ?? "-", d.host.availabilityZone ?? "-", d.drillTasks, d.host.runningTasks ?? "-"]));
  const ops = [...new Set([...Object.keys(stats.calls), ...Object.keys(stats.sdkAttempts)])].sort();
  report.table("API calls", ["operation", "calls", "throttled (tool retried)", "SDK attempts", "SDK throttled"],
    ops.map((op) => [op, stats.calls[op] ?? 0, stats.throttled[op] ?? 0, stats.sdkAttempts[op] ?? "-", stats.sdkThrottled[op] ?? "-"]));

  checkMax(report, "p50 time to start", ms(args.maxP50Start), start?.p50, secsMs);
  checkMax(report, "p95 time to start", ms(args.maxP95Start), start?.p95, secsMs);
  checkMax(report, "p99 time to start", ms(args.maxP99Start), start?.p99, secsMs);
  checkMax(report, "p95 time to RUNNING", ms(args.maxP95Running), running?.p95, secsMs);
  checkMax(report, "failure rate", args.maxFailureRate, failureRate, (v) => `${v.toFixed(1)} %`);
  const densityMax = density.length > 0 ? Math.max(...density.map((d) => d.drillTasks)) : undefined;
  checkMin(report, "most drill tasks on one instance", args.minTasksPerInstance, densityMax, (v) => String(v));
  if (!ctx.signal.aborted) checkAnyReady(report, results.ready, args.count);
  report.check("cleanup", "tasks left running", "0", String(stop.failed.length), stop.failed.length === 0);

  report.data.launch = launch;
  report.data.tracker = { ...results, runningMs: undefined, readyMs: undefined, volumeAttachedMs: undefined, runningSummary: running, readySummary: ready };
  report.data.density = density;
  report.data.stop = stop;
  report.data.api = { calls: stats.calls, throttled: stats.throttled, sdkAttempts: stats.sdkAttempts, sdkThrottled: stats.sdkThrottled };

  const metrics: MetricSample[] = [
    { name: "WorkspaceTimeToRunning", unit: "Milliseconds", values: results.runningMs },
    { name: "WorkspaceTimeToHealthy", unit: "Milliseconds", values: results.readyMs },
    { name: "WorkspacesLaunched", unit: "Count", values: [launched] },
    { name: "WorkspaceLaunchFailures", unit: "Count", values: [failedTotal] },
    ...Object.entries(failuresByDimension({ ...launch?.reasons }, results.failuresByReason)).map(([reason, n]): MetricSample => ({
      name: "WorkspaceLaunchFailures", unit: "Count", values: [n], dimensions: { Reason: reason },
    })),
    { name: "ApiThrottles", unit: "Count", values: [toolThrottles + sdkThrottles] },
    { name: "TasksPerInstance", unit: "Count", values: density.map((d) => d.drillTasks) },
  ];
  report.metrics.push(...metrics);
}

/**
 * A metric dimension per kind of failure, few and stable: RESOURCE:MEMORY and RESOURCE:ENI stay
 * apart (that is the density question), everything else is its first word (TaskFailedToStart,
 * TIMEOUT, UNHEALTHY, ThrottlingException, …).
 */
export function reasonDimension(reason: string): string {
  const resource = /^RESOURCE:[A-Z_]+/.exec(reason);
  return (resource ? resource[0] : reason.split(":")[0].trim()).slice(0, 64) || "UNKNOWN";
}

function failuresByDimension(...tables: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const table of tables) for (const [reason, n] of Object.entries(table)) out[reasonDimension(reason)] = (out[reasonDimension(reason)] ?? 0) + n;
  return out;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
const secsMs = (v: number) => secs(v / 1000);
