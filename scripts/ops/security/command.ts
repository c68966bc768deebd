// `ops security`: the in-task probe and the static audit, one matrix report (check, expected,
// observed, pass/fail). Any failed row → exit code 1. The audit only reads; the probe launches one
// workspace task (prod guard) and stops it on Ctrl-C or timeout.
import { parseStackConfig } from "../../../config";
import type { EgressMode } from "../../../lib/egress";
import type { StackOutputs } from "../../../stackOutputs";
import { readStackFiles } from "../../../offline/stackFiles";
import type { OpsContext } from "../context";
import { readCatchAllAction } from "../egress/command";
import { EXIT, PreconditionError, UsageError, errorMessage, errorName } from "../errors";
import { EcsWorkspaceTarget } from "../load/ecsTarget";
import { deleteVolumesSafely } from "../load/workspaces";
import { LAUNCH_OUTPUTS, launchTargetFromOutputs } from "../launchTarget";
import { ECS_API_LIMITS, TokenBucket } from "../rateLimiter";
import { ReportBuilder, failedChecks } from "../report";
import { startedByFor } from "../runId";
import type { Audit, AuditArgs, Severity } from "./audit/audit";
import { dnsFirewallAudit } from "./audit/dnsFirewall";
import { ecrScanAudit } from "./audit/ecrScans";
import { launchTemplateAudit } from "./audit/launchTemplates";
import { securityGroupAudit } from "./audit/securityGroups";
import { taskDefinitionAudit } from "./audit/taskDefinitions";
import { catchAllKnownGaps } from "./dnsRollout";
import { type ProbeTargetArgs, gatherProbeConfig } from "./probeConfig";
import { EcsProbeRunner, type ProbeRun, type ProbeRunner } from "./probeRunner";
import { PROBE_PATH, type ProbeOverrides, probeOverrides, readProbe } from "./probeScript";
import { addProbeChecks, findVerdict } from "./verdict";

export const AUDITS: readonly Audit[] = [securityGroupAudit, taskDefinitionAudit, launchTemplateAudit, dnsFirewallAudit, ecrScanAudit];

export interface SecurityArgs extends ProbeTargetArgs {
  readonly only?: "probe" | "audit";
  readonly probeTimeout: number;
  readonly logWait: number;
  readonly python: string;
  readonly failSeverity: Severity;
  readonly albIngressCidrs?: readonly string[];
}

/** The ALB client CIDRs: from the flag, else from the stack's config file in this repository. */
function albIngressCidrs(ctx: OpsContext, args: SecurityArgs): string[] {
  if (args.albIngressCidrs?.length) return [...args.albIngressCidrs];
  try {
    const files = readStackFiles(ctx.deps.projectDir, ctx.stack);
    return [...parseStackConfig({ stack: ctx.stack, values: files.config }).albIngressCidrs];
  } catch (err) {
    throw new UsageError(`cannot read albIngressCidrs from Pulumi.${ctx.stack}.yaml (${errorMessage(err)}): pass --alb-ingress-cidrs`);
  }
}

export async function security(ctx: OpsContext, args: SecurityArgs): Promise<ReportBuilder> {
  const probe = args.only !== "audit";
  const audit = args.only !== "probe";
  const report = new ReportBuilder("security", "Security drill: in-task probe and static audit");
  // Everything that can be refused without AWS is checked first.
  const source = probe ? readProbe(ctx.deps.projectDir) : "";
  const out = probe ? ctx.require([...LAUNCH_OUTPUTS, "workspaceLogGroupName", "egressMode", "seccompPtrace", "dnsFirewallRuleGroupId", "dnsFirewallCatchAllDomainListId"]) : undefined;
  const auditArgs: AuditArgs | undefined = audit ? { albIngressCidrs: albIngressCidrs(ctx, args), failSeverity: args.failSeverity } : undefined;
  if (probe) ctx.guard("security launches a probe task in the workspace pool");
  await ctx.verifyCredentials();

  if (auditArgs) {
    for (const a of AUDITS) {
      ctx.progress.log(`audit: ${a.name}`);
      try {
        await a.run(ctx, auditArgs, report);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        report.check(`audit:${a.name}`, "could be checked", "readable through the AWS APIs", `${errorName(err)}: ${errorMessage(err)}`, false);
      }
    }
  }

  if (probe && out && ctx.signal.aborted) {
    report.notes.push("interrupted before the probe was launched");
  } else if (probe && out) {
    const runId = ctx.newRunId("security");
    report.runId = runId;
    const gathered = await gatherProbeConfig(ctx, args);
    report.notes.push(...gathered.notes);
    const overrides = probeOverrides(source, gathered.config, args.python);
    report.data.probeConfig = gathered.config;
    report.data.probeOverridesChars = overrides.size;
    if (ctx.args.dryRun) {
      report.summary.push(
        `Would run ${PROBE_PATH} (${source.length} characters, ${overrides.size} characters of RunTask overrides) as a one-off workspace task, startedBy ${startedByFor(runId)}.`,
        `Probe config: ${JSON.stringify(gathered.config)}`,
      );
    } else {
      const target = new EcsWorkspaceTarget({
        ecs: ctx.aws.ecs,
        api: ctx.api,
        cluster: out.clusterName,
        // The probe runs exactly like a workspace: its own volume too, deleted after it stopped.
        launch: launchTargetFromOutputs(out),
        volumes: ctx.volumes(),
        volumeTimeoutSeconds: args.probeTimeout,
        runStopBucket: new TokenBucket(10, 5, ctx.clock),
        describeBucket: new TokenBucket(ECS_API_LIMITS.describe.burst, 5, ctx.clock),
        kind: "security",
      });
      let run;
      try {
        run = await runProbeTask(report, new EcsProbeRunner(ctx, { target, cluster: out.clusterName, logGroup: out.workspaceLogGroupName, timeoutSeconds: args.probeTimeout, logWaitSeconds: args.logWait }), overrides, runId);
      } finally {
        // Workspace storage: the probe's volume is kept when it stops, like any workspace's.
        const volumes = await deleteVolumesSafely(target, runId);
        const left = volumes.leftBehind.length + volumes.failed.length;
        report.data.probeVolumes = volumes;
        if (volumes.found > 0 || left > 0) report.check("cleanup", "probe volume deleted", "0 left", `${left} left${left ? `: ${[...volumes.leftBehind.map((v) => `${v.id} ${v.state}`), ...volumes.failed.map((f) => `${f.id} ${f.error}`)].join("; ")}` : ""}`, left === 0);
        if (left > 0) {
          report.exitCode = EXIT.cleanupIncomplete;
          report.outcome = "error";
          report.notes.push(`the probe's volume is left; run: ${ctx.cleanupHint(runId)}`);
        }
      }
      if (!run) return finishSecurity(ctx, report);
      // The deployed catch-all rule's action decides whether a name off the list may resolve: in
      // ALERT (the staged rollout) it is a known gap; unread, the probe's check stays strict.
      const action = await readCatchAllAction(ctx, report.notes);
      addProbeVerdict(ctx, report, run, out, catchAllKnownGaps(ctx.stack, action));
    }
  }

  return finishSecurity(ctx, report);
}

/** Runs the probe task; a probe that could not start is one failed row (the rest of the report stays). */
export async function runProbeTask(report: ReportBuilder, runner: ProbeRunner, overrides: ProbeOverrides, runId: string): Promise<ProbeRun | undefined> {
  try {
    return await runner.run(overrides, runId);
  } catch (err) {
    if (!(err instanceof PreconditionError)) throw err;
    report.check("probe", "probe task", "started in the workspace pool", err.message, false);
    return undefined;
  }
}

/** The probe's verdict as rows of the matrix, judged against the stack's egress mode. */
export function addProbeVerdict(ctx: OpsContext, report: ReportBuilder, run: ProbeRun, out: { readonly workspaceLogGroupName: string; readonly egressMode: EgressMode; readonly seccompPtrace: StackOutputs["seccompPtrace"] }, knownGaps: Readonly<Record<string, string>> = {}): void {
  report.data.probeTask = { ...run, lines: undefined, logLines: run.lines.length };
  report.summary.push(`Probe task ${run.taskId} exited ${run.exitCode ?? "?"}${run.stopReason ? ` (${run.stopReason})` : ""}; log stream ${out.workspaceLogGroupName}:${run.logStream}.`);
  if (ctx.signal.aborted) return;
  const { verdict, problem } = findVerdict(run.lines);
  if (verdict) {
    // Expectations follow the stack's egress mode and ptrace choice (PROBE_CHECKS, lib/egress.ts).
    const before = report.checks.length;
    const { failed, skipped, gaps } = addProbeChecks(report, verdict, { egressMode: out.egressMode, seccompPtrace: out.seccompPtrace }, {}, knownGaps);
    const rollout = report.checks.slice(before).filter((c) => c.result === "gap" && knownGaps[c.name]).length;
    const modeGaps = gaps - rollout;
    report.summary.push(`Probe ran as uid ${verdict.uid} at ${verdict.startedAt} (egress mode ${out.egressMode}, ptrace ${out.seccompPtrace}): ${verdict.checks.length} checks reported, ${failed} failed, ${skipped} skipped` +
      `${modeGaps ? `, ${modeGaps} known gap${modeGaps > 1 ? "s" : ""} of ${out.egressMode} mode (docs/egress.md)` : ""}${rollout ? `, ${rollout} open while the DNS Firewall's catch-all is in ALERT` : ""}.`);
  } else {
    report.check("probe", "verdict", "one verdict line in the log", `${problem} (${run.lines.length} log lines${run.stoppedByUs ? "; the task was stopped by the drill" : ""})`, false);
  }
}

export function finishSecurity(ctx: OpsContext, report: ReportBuilder): ReportBuilder {
  const failed = failedChecks(report.checks).length;
  const count = (result: string) => report.checks.filter((c) => c.result === result).length;
  const na = count("n/a");
  const gaps = count("gap");
  report.summary.push(`${report.checks.length} checks: ${count("pass")} passed, ${failed} failed, ${count("skip")} skipped${na ? `, ${na} not applicable` : ""}${gaps ? `, ${gaps} known gaps` : ""}.`);
  report.metrics.push({ name: "SecurityChecksFailed", unit: "Count", values: [failed] });
  report.metrics.push({ name: "SecurityChecksPassed", unit: "Count", values: [report.checks.filter((c) => c.result === "pass").length] });
  if (ctx.args.dryRun) report.outcome = "dry-run";
  return report;
}
