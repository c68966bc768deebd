// `ops security --target docker`: the in-task probe (probe/workspace_probe.py, unchanged, in the
// same command override as on ECS) in a local workspace with the task definition's settings, and
// the same matrix. Its targets are what a local engine has: another workspace of the run (started
// first, as the peer that must be unreachable), a public IP and an outside name (the internal
// network must reach neither), and the proxy's credential (generated for the run: the agent must
// not see it). What exists only on AWS (IMDS, the ECS credentials endpoint, the DNS Firewall's
// allow list, the data stores) is reported as not applicable, never as passed; the static audit
// reads AWS resources and is not applicable either.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { CONTAINERS } from "../../../lib/names";
import { hostKeys } from "../../../config/hosts";
import type { PtraceChoice } from "../../../host/seccomp";
import type { ProbeConfig, ProbeContext } from "../../../probe/verdict";
import { PreconditionError, UsageError } from "../errors";
import { ReportBuilder } from "../report";
import { type SecurityArgs, finishSecurity } from "../security/command";
import { WORKSPACE_AGENT_PORT } from "../security/probeConfig";
import { PROBE_PATH, probeOverrides, readProbe } from "../security/probeScript";
import { addProbeChecks, findVerdict } from "../security/verdict";
import type { LocalContext } from "./context";
import { cleanupChecks } from "./loadWorkspaces";
import { DockerProbeRunner, aborted } from "./probeRunner";
import { LocalRun, SECCOMP_PROFILE, readSeccompProfile } from "./run";
import { type ImageArgs, fidelityNotes, hardeningTable, resolveTask } from "./settings";
import type { LocalWorkspace } from "./runtime/localWorkspace";

const NO_ROUTE = "the run's internal network has no route out";

/** Probe checks whose target exists only on AWS, and why (see addProbeChecks). */
export function localNotApplicable(args: { readonly allowedDomain?: string }): Record<string, string> {
  return {
    "imds-v1-get": `unreachable locally: there is no instance metadata service on a local engine (${NO_ROUTE})`,
    "imds-v2-token": `unreachable locally: there is no instance metadata service on a local engine (${NO_ROUTE})`,
    "ecs-credentials": "unreachable locally: no ECS agent serves task credentials on a local engine (and the workspace task has no task role)",
    ...(args.allowedDomain ? {} : { "dns-allowed-domain": `not applicable locally: there is no DNS Firewall allow list (${NO_ROUTE}; --allowed-domain tries a name anyway)` }),
    "tcp-postgres": "not applicable locally: no PostgreSQL on a local engine",
    "tcp-redis": "not applicable locally: no Redis on a local engine",
    "proxy-allowed-name": `not applicable locally: there is no egress proxy on a local engine (${NO_ROUTE})`,
    "proxy-denied-name": `not applicable locally: there is no egress proxy on a local engine (${NO_ROUTE})`,
  };
}

/**
 * Local workspaces sit on an internal network with no route out, so they are judged by the strict
 * (proxy) mode's expectations: a public IP or a DNS-over-HTTPS resolver must be unreachable.
 */
export const LOCAL_EGRESS_MODE = "proxy";
/** Local workspaces run under the profile of the default ptrace choice (SECCOMP_PROFILE). */
export const LOCAL_PROBE_CONTEXT: ProbeContext = { egressMode: LOCAL_EGRESS_MODE, seccompPtrace: hostKeys.seccompPtrace.default as PtraceChoice };

/** The health check command of a container, as an exec command line. */
function healthCommand(def: ContainerDefinition | undefined): string[] | undefined {
  const cmd = def?.healthCheck?.command;
  if (!cmd?.length) return undefined;
  return cmd[0] === "CMD-SHELL" ? ["/bin/sh", "-c", cmd.slice(1).join(" ")] : cmd[0] === "CMD" ? cmd.slice(1) : cmd;
}

export async function dockerSecurity(ctx: LocalContext, args: SecurityArgs & ImageArgs): Promise<ReportBuilder> {
  if (args.only === "audit") {
    throw new UsageError("--only audit reads the stack's AWS resources; with --target docker there is only the in-task probe (drop --only, or use --target ecs)");
  }
  const source = readProbe(ctx.deps.projectDir);
  const engine = await ctx.connect();
  try {
    return await probe(ctx, args, source, engine.name);
  } finally {
    ctx.close();
  }
}

async function probe(ctx: LocalContext, args: SecurityArgs & ImageArgs, source: string, engineName: string): Promise<ReportBuilder> {
  const { task, images } = await resolveTask(ctx, args);
  const runId = ctx.newRunId("security");
  const run = new LocalRun(ctx.docker, { runId, kind: "security", task, seccompProfile: readSeccompProfile(ctx.deps.projectDir) });
  const report = new ReportBuilder("security", "Security drill: in-task probe in a local workspace");
  report.runId = runId;
  report.target = ctx.reportTarget;
  report.publishesMetrics = false;
  report.check("audit", "static AWS audit", "security groups, task definitions, launch templates, DNS Firewall, ECR scans",
    "not applicable to the docker target: the audit reads a stack's AWS resources (run it with --target ecs)", "n/a");

  const credentialProxy = task.containers.find((c) => c.name === CONTAINERS.credentialProxy);
  const secretEnvNames = (credentialProxy?.secrets ?? []).map((s) => s.name ?? "").filter(Boolean);
  const config = (peer?: string): ProbeConfig => ({
    blockedDomain: args.blockedDomain,
    ...(args.allowedDomain ? { allowedDomain: args.allowedDomain } : {}),
    publicIp: args.publicIp,
    // The same public DoH resolver the ECS drill tries: the internal network must not reach it.
    dohResolver: { host: args.dohResolver, port: 443, name: args.dohName },
    ...(peer ? { peerWorkspace: { host: peer, port: WORKSPACE_AGENT_PORT } } : {}),
    ...(secretEnvNames.length > 0 ? { secretEnvNames } : {}),
    // The run's own credential is the marker: found in the agent's files or environment, it leaked.
    secretMarkers: [...(credentialProxy ? [run.credential] : []), ...args.secretMarker],
    timeoutMs: args.probeNetworkTimeout * 1000,
  });
  // Checked now (size limit), with a placeholder peer, so a probe too large fails before anything starts.
  probeOverrides(source, config("255.255.255.255"), args.python);

  if (ctx.args.dryRun) {
    report.outcome = "dry-run";
    report.summary.push(
      `Would start ${args.peerWorkspace === "auto" ? "a peer workspace and " : ""}a probe workspace (${images.agent}${images.credentialProxy ? ` + ${images.credentialProxy}` : ""}) on a new internal network ${run.network}, and run ${PROBE_PATH} as the probe workspace's ${CONTAINERS.workspaceAgent}.`,
      `Probe config: ${JSON.stringify({ ...config("<peer>"), secretMarkers: ["<generated credential>", ...args.secretMarker] })}`,
    );
    hardeningTable(report, run.workspace().settings(), SECCOMP_PROFILE);
    return finishSecurity(ctx, report);
  }

  ctx.scope.setCleanupHint(ctx.cleanupHint(runId));
  let peer: LocalWorkspace | undefined;
  let closed: Awaited<ReturnType<LocalRun["close"]>>;
  try {
    await run.open();
    // The peer's address is known as soon as its first container runs; the probe's agent waits
    // (holdUntil) until the peer's agent really listens, so "blocked" means the network refused.
    let peerAddress: string | undefined = args.peerWorkspace === "auto" || args.peerWorkspace === "none" ? undefined : args.peerWorkspace;
    let peerReady: Promise<string | undefined> | undefined;
    if (args.peerWorkspace === "auto") {
      peer = run.workspace();
      ctx.progress.log(`peer workspace ${peer.id}: starting`);
      await peer.create();
      await peer.start();
      peerAddress = (await peer.inspect()).get(peer.containers[0].name)?.NetworkSettings.Networks[run.network]?.IPAddress || undefined;
      peerReady = peerListening(ctx, peer);
    }
    if (!ctx.signal.aborted) {
      const overrides = probeOverrides(source, config(peerAddress), args.python);
      report.data.probeConfig = { ...config(peerAddress), secretMarkers: ["<generated credential>", ...args.secretMarker] };
      const runner = new DockerProbeRunner(ctx, run, args.probeTimeout, peerReady);
      let result;
      try {
        result = await runner.run(overrides);
      } catch (err) {
        if (!(err instanceof PreconditionError)) throw err;
        report.check("probe", "probe workspace", "started on the local engine", err.message, false);
      }
      if (result) {
        report.data.probeTask = { ...result, lines: undefined, logLines: result.lines.length };
        report.summary.push(`Probe workspace ${result.taskId} exited ${result.exitCode ?? "?"}${result.stoppedByUs ? " (stopped by the drill)" : ""}; output: ${result.logStream}.`);
        if (!ctx.signal.aborted) {
          const { verdict, problem } = findVerdict(result.lines);
          if (verdict) {
            const counts = addProbeChecks(report, verdict, LOCAL_PROBE_CONTEXT, localNotApplicable(args));
            report.summary.push(`Probe ran as uid ${verdict.uid} at ${verdict.startedAt}: ${verdict.checks.length} checks reported, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.notApplicable} not applicable locally.`);
            const notListening = peerReady ? await peerReady : undefined;
            if (notListening) untested(report, "tcp-peer-workspace", `not tested: ${notListening}`);
          } else {
            report.check("probe", "verdict", "one verdict line in the output", `${problem} (${result.lines.length} lines)`, false);
          }
        }
      }
    }
  } finally {
    if (peer) await peer.remove();
    closed = await run.close();
  }
  report.summary.unshift(`Probe in a local workspace on engine ${engineName} with the task definition's settings under ${SECCOMP_PROFILE}, on the internal network ${run.network}${peer ? `, next to a peer workspace ${peer.id}` : ""}.`);
  const sample = run.workspace().settings();
  hardeningTable(report, sample, SECCOMP_PROFILE);
  fidelityNotes(report, sample, task.notes);
  cleanupChecks(report, closed.left);
  return finishSecurity(ctx, report);
}

/** A probe row whose target was not there after all: skipped, with why (never a pass). */
function untested(report: ReportBuilder, id: string, why: string): void {
  const i = report.checks.findIndex((c) => c.group.startsWith("probe:") && c.name === id);
  if (i >= 0) report.checks.splice(i, 1, { ...report.checks[i], observed: why, result: "skip" });
}

/**
 * Resolves once the peer's agent answers its own health check (run in the agent with exec every
 * 250 ms, rather than waiting for Docker's first scheduled check): undefined when it does, else
 * why not.
 */
async function peerListening(ctx: LocalContext, peer: LocalWorkspace): Promise<string | undefined> {
  await Promise.race([peer.settled(), aborted(ctx.signal)]);
  if (peer.failure) return `the peer workspace did not start (${peer.failure})`;
  const agent = peer.containers.find((c) => c.name === CONTAINERS.workspaceAgent) ?? peer.containers[peer.containers.length - 1];
  const check = healthCommand(agent.def);
  if (!check) return undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !ctx.signal.aborted) {
    if (await ctx.docker.exec(agent.id as string, check).catch(() => -1) === 0) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
  return "the peer workspace's agent did not answer its health check within 60 s";
}
