// `ops load workspaces --target docker`: the load drill on the local Docker engine. The same
// choreography as on ECS (load/choreography.ts), over DockerWorkspaceTarget; workspaces run with the
// task definition's settings (settings.ts shows them), on an internal network of the run. It
// reports start-to-running and start-to-healthy percentiles, failures and memory per workspace,
// checks the same thresholds, and removes every container, volume and network it created (also
// on SIGINT/SIGTERM), then proves by label that nothing is left.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { EXIT } from "../errors";
import { runLoad } from "../load/choreography";
import { TaskTracker } from "../load/tracker";
import type { LoadWorkspacesArgs } from "../load/workspaces";
import { type Summary, summarize } from "../percentiles";
import { ReportBuilder } from "../report";
import { checkAnyReady, checkMax, formatSeconds } from "../thresholds";
import type { LocalContext } from "./context";
import { type Leftovers, LocalRun, SECCOMP_PROFILE, leftoverCount, readSeccompProfile, runLabel } from "./run";
import { type ImageArgs, fidelityNotes, hardeningTable, resolveTask, settingsData } from "./settings";
import { DockerWorkspaceTarget } from "./target";

export interface DockerLoadArgs extends ImageArgs {
  /** Fail if a workspace uses more memory than this, MiB. */
  readonly maxMemoryPerWorkspace?: number;
}

const MIB = 1024 * 1024;

function timeRow(name: string, s: Summary | undefined): (string | number)[] {
  if (!s) return [name, 0, "-", "-", "-", "-", "-"];
  return [name, s.count, ...[s.p50, s.p90, s.p95, s.p99, s.max].map((v) => (v / 1000).toFixed(2))];
}

export async function loadDockerWorkspaces(ctx: LocalContext, args: LoadWorkspacesArgs & DockerLoadArgs): Promise<ReportBuilder> {
  const engine = await ctx.connect();
  try {
    return await drill(ctx, args, engine.name);
  } finally {
    ctx.close();
  }
}

async function drill(ctx: LocalContext, args: LoadWorkspacesArgs & DockerLoadArgs, engineName: string): Promise<ReportBuilder> {
  const { task, images } = await resolveTask(ctx, args);
  const runId = args.runId ?? ctx.newRunId("load");
  const run = new LocalRun(ctx.docker, { runId, kind: "load", task, seccompProfile: readSeccompProfile(ctx.deps.projectDir) });
  const report = new ReportBuilder("load workspaces", "Load drill: workspace starts");
  report.runId = runId;
  report.target = ctx.reportTarget;
  report.publishesMetrics = false;
  const imageText = `${images.agent}${images.credentialProxy ? ` + ${images.credentialProxy}` : " (no credential proxy)"}`;
  const healthChecked = task.containers.filter((c) => c.healthCheck).map((c) => c.name ?? "");
  report.data.plan = { count: args.count, concurrency: args.concurrency, images, network: run.network, seccompProfile: SECCOMP_PROFILE };

  if (ctx.args.dryRun) {
    // A workspace that is never created: its settings are what every one would get.
    const sample = run.workspace().settings();
    report.outcome = "dry-run";
    report.summary.push(
      `Would start ${args.count} workspaces (${imageText}), ${args.concurrency} at a time, on a new internal network ${run.network}, wait until each is RUNNING${healthChecked.length ? ` with ${healthChecked.join(", ")} HEALTHY` : ""} (timeout ${args.startTimeout} s), hold ${args.hold} s, then remove them all.`,
      `Containers, volumes and the network would carry the label ${runLabel(runId)}.`,
    );
    hardeningTable(report, sample, SECCOMP_PROFILE);
    report.data.settings = settingsData(sample, SECCOMP_PROFILE);
    return report;
  }

  ctx.scope.setCleanupHint(ctx.cleanupHint(runId));
  ctx.progress.log(`run ${runId}: preparing the engine (ulimits, network ${run.network})`);
  const target = new DockerWorkspaceTarget(run, ctx.clock, engineName);
  const tracker = new TaskTracker(target, ctx.clock, { healthContainers: healthChecked, startTimeoutMs: args.startTimeout * 1000, pollIntervalMs: args.pollInterval * 1000 });
  // Set by afterStop, which runs whenever runLoad returns.
  let closed!: Awaited<ReturnType<LocalRun["close"]>>;
  let memory = new Map<string, number | undefined>();
  const { launch, liveLaunch, stop } = await runLoad(ctx, target, tracker, {
    runId,
    count: args.count,
    batchSize: 1,
    concurrency: args.concurrency,
    hold: args.hold,
    holdPollInterval: args.holdPollInterval,
    stopConcurrency: args.stopConcurrency,
    words: { launched: "started", stopping: "removing", stopped: "workspaces" },
    startLine: `run ${runId}: starting ${args.count} workspaces (${imageText}), ${args.concurrency} at a time`,
  }, {
    open: () => run.open(),
    measure: async () => {
      memory = await target.memory(tracker.all().filter((t) => t.phase === "ready").map((t) => t.id));
    },
    afterStop: async () => {
      closed = await run.close();
    },
  });

  const results = tracker.results();
  const start = launch ?? liveLaunch;
  const running = summarize(results.runningMs);
  const ready = summarize(results.readyMs);
  const memoryMiB = [...memory.values()].filter((v): v is number => v !== undefined).map((v) => v / MIB);
  const mem = summarize(memoryMiB);
  const notLaunched = start?.notLaunched ?? 0;
  const failureRate = args.count > 0 ? ((notLaunched + results.failed) / args.count) * 100 : 0;
  const limitMiB = task.containers.reduce((sum, c) => sum + (c.memory ?? 0), 0);
  const left = closed.left;

  report.summary.push(
    `Started ${start?.launched ?? 0} of ${args.count} workspaces (${imageText}) on engine ${engineName}, ${args.concurrency} at a time, with the task definition's settings under ${SECCOMP_PROFILE} on the internal network ${run.network}; ${notLaunched} not started.`,
    `Ready (RUNNING + HEALTHY): ${results.ready}; failed after start: ${results.failed}; still starting at the end: ${results.starting}.`,
    `Time to RUNNING p50 ${formatSeconds(running?.p50)}, p95 ${formatSeconds(running?.p95)}, p99 ${formatSeconds(running?.p99)}; time to HEALTHY p50 ${formatSeconds(ready?.p50)}, p95 ${formatSeconds(ready?.p95)}, p99 ${formatSeconds(ready?.p99)}.`,
    mem
      ? `Memory per ready workspace (every container, as docker stats counts it): p50 ${mem.p50.toFixed(1)} MiB, p95 ${mem.p95.toFixed(1)} MiB, max ${mem.max.toFixed(1)} MiB (limits ${limitMiB} MiB).`
      : "Memory per workspace: no ready workspace to measure.",
    `Removed ${stop?.stopped ?? 0} workspaces (${stop?.alreadyGone ?? 0} already gone, ${stop?.foundByRunId ?? 0} more found by label) and the run's network; left behind: ${left.containers.length} containers, ${left.volumes.length} volumes, ${left.networks.length} networks.`,
  );
  if (start?.stoppedEarly) report.notes.push(`starting stopped early: ${start.stoppedEarly}`);
  const major = dockerMajor(ctx.engine?.version ?? "");
  const floor = healthyFloorSeconds(task.containers, major);
  if (floor > 0) {
    const newer = major >= START_INTERVAL_SINCE_MAJOR;
    const other = healthyFloorSeconds(task.containers, newer ? START_INTERVAL_SINCE_MAJOR - 1 : START_INTERVAL_SINCE_MAJOR);
    const chained = task.containers.some((c) => (c.dependsOn ?? []).some((d) => d.condition === "HEALTHY"));
    report.notes.push(`no workspace can be HEALTHY sooner than ${floor} s after its start on this engine, however fast its containers start: the task definition's health checks${chained ? " with dependsOn HEALTHY" : ""}, ` +
      `and Docker ${major} runs a container's first check ${newer ? "5 s after its start during its start period" : "one interval after its start"} (${newer ? "before Docker 25: one interval after it" : "from Docker 25 on: 5 s after it during the start period"}, which makes ${other} s)`);
  }
  if (closed.swept > 0) report.notes.push(`${closed.swept} containers or volumes of the run were only found by the final sweep (by label) and removed`);

  report.table("Start times (seconds)", ["measure", "count", "p50", "p90", "p95", "p99", "max"], [
    timeRow("start → RUNNING (every container started)", running),
    timeRow("start → HEALTHY (every health check passed)", ready),
  ]);
  report.table("Failures by reason", ["stage", "reason", "count"], [
    ...Object.entries(start?.reasons ?? {}).map(([r, n]) => ["start", r, n]),
    ...Object.entries(results.failuresByReason).map(([r, n]) => ["after start", r, n]),
    ...Object.entries(results.stoppedAfterReady).map(([r, n]) => ["during hold", r, n]),
  ]);
  if (mem) {
    report.table("Memory per workspace (MiB, once ready)", ["count", "p50", "p95", "max", "mean", "limit (all containers)"], [
      [mem.count, mem.p50.toFixed(1), mem.p95.toFixed(1), mem.max.toFixed(1), mem.mean.toFixed(1), limitMiB],
    ]);
  }
  // A workspace created now would get exactly what the run's workspaces got.
  const sample = run.workspace().settings();
  hardeningTable(report, sample, SECCOMP_PROFILE);
  fidelityNotes(report, sample, task.notes);

  const readyOrRunning = healthChecked.length > 0 ? ready : running;
  checkMax(report, "p50 time to start", ms(args.maxP50Start), readyOrRunning?.p50, secs);
  checkMax(report, "p95 time to start", ms(args.maxP95Start), readyOrRunning?.p95, secs);
  checkMax(report, "p99 time to start", ms(args.maxP99Start), readyOrRunning?.p99, secs);
  checkMax(report, "p95 time to RUNNING", ms(args.maxP95Running), running?.p95, secs);
  checkMax(report, "failure rate", args.maxFailureRate, failureRate, (v) => `${v.toFixed(1)} %`);
  checkMax(report, "memory per workspace (max)", args.maxMemoryPerWorkspace, mem?.max, (v) => `${v.toFixed(1)} MiB`);
  if (!ctx.signal.aborted) checkAnyReady(report, results.ready, args.count);
  cleanupChecks(report, left);

  report.data.launch = start;
  report.data.tracker = { ...results, runningMs: undefined, readyMs: undefined, runningSummary: running, readySummary: ready };
  report.data.memoryMiB = { summary: mem, perWorkspace: Object.fromEntries([...memory].map(([id, v]) => [id, v === undefined ? null : +(v / MIB).toFixed(2)])) };
  report.data.stop = stop;
  report.data.leftovers = left;
  report.data.settings = settingsData(sample, SECCOMP_PROFILE);
  if (leftoverCount(left) > 0 || (stop?.failed.length ?? 0) > 0 || closed.problems.length > 0) {
    report.exitCode = EXIT.cleanupIncomplete;
    report.outcome = "error";
    report.notes.push(`cleanup incomplete (${[...closed.problems, ...(stop?.failed ?? []).map((f) => `${f.id}: ${f.error}`)].join("; ") || "see the checks"}); run: ${ctx.cleanupHint(runId)}`);
  }
  return report;
}

/** Docker 25 added a start interval: while in the start period, checks come every 5 s by default (ECS sets none). */
const START_INTERVAL_SINCE_MAJOR = 25;
const DEFAULT_START_INTERVAL_S = 5;

/** When Docker runs a container's first health check, in seconds after its start. */
export function firstCheckAfterSeconds(c: ContainerDefinition, dockerMajor: number): number {
  const interval = c.healthCheck?.interval ?? 30;
  const inStartPeriod = (c.healthCheck?.startPeriod ?? 0) > 0;
  return dockerMajor >= START_INTERVAL_SINCE_MAJOR && inStartPeriod ? DEFAULT_START_INTERVAL_S : interval;
}

/**
 * The earliest a task can be HEALTHY on an engine of this Docker major version: along each chain
 * of HEALTHY dependencies, every container is checked first some time after its start.
 */
export function healthyFloorSeconds(containers: readonly ContainerDefinition[], dockerMajor: number): number {
  const byName = new Map(containers.map((c) => [c.name ?? "", c]));
  const floor = (c: ContainerDefinition, seen: Set<string>): number => {
    if (seen.has(c.name ?? "")) return 0;
    const after = Math.max(0, ...(c.dependsOn ?? []).filter((d) => d.condition === "HEALTHY").map((d) => {
      const dep = byName.get(d.containerName ?? "");
      return dep ? floor(dep, new Set([...seen, c.name ?? ""])) : 0;
    }));
    return after + (c.healthCheck ? firstCheckAfterSeconds(c, dockerMajor) : 0);
  };
  return Math.max(0, ...containers.map((c) => floor(c, new Set())));
}

export function dockerMajor(version: string): number {
  return Number(/^(\d+)/.exec(version)?.[1] ?? 0);
}

export function cleanupChecks(report: ReportBuilder, left: Leftovers): void {
  report.check("cleanup", "containers left", "0", String(left.containers.length), left.containers.length === 0);
  report.check("cleanup", "volumes left", "0", String(left.volumes.length), left.volumes.length === 0);
  report.check("cleanup", "networks left", "0", String(left.networks.length), left.networks.length === 0);
}

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds * 1000);
const secs = (v: number) => `${(v / 1000).toFixed(2)} s`;
