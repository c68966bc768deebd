// The `ops` command line: the parser, built from one command module per command (commands/), and
// runOps(), which parses, builds the context, runs the command, prints/writes the report, publishes
// metrics and maps every outcome to an exit code. A command's implementation, the AWS SDK and the
// Docker client load only once a command runs, so `--help` loads yargs and the command modules alone.
// Everything the process provides (streams, env, clock, signals, exit) comes in through OpsDeps so
// tests drive the real CLI in-process.
import yargs, { type Argv } from "yargs";
import { cleanupCommand } from "./commands/cleanup";
import { DRILL_NAMES, drillSubcommands } from "./commands/drill";
import { egressReportCommand } from "./commands/egressReport";
import { loadHttpCommand } from "./commands/loadHttp";
import { loadWorkspacesCommand } from "./commands/loadWorkspaces";
import { localImageCommand } from "./commands/localImage";
import { type CommandCall, type OpsCommand, type Runner, commonOptions, drillOptions } from "./commands/options";
import { securityCommand } from "./commands/security";
import { verifyCommand } from "./commands/verify";
import { volumesListCommand, volumesPruneCommand, volumesSnapshotCommand } from "./commands/volumes";
import type { CommonArgs, OpsContext, OpsDeps } from "./context";
import { AbortedError, EXIT, PreconditionError, UsageError, endpointOf, errorMessage, errorName, isCredentialError, networkCause } from "./errors";
import { type Report, REPORT_SCHEMA, type ReportBuilder, failedChecks, renderText, writeReport } from "./report";
import { signalScope } from "./signals";

const EPILOG = `Commands:
  load workspaces   launch N workspace tasks as the backend does; start and volume attach percentiles, failures, density; stops them all, deletes their volumes
  load http         HTTP load on the backend through the ALB; latency percentiles, errors
  drill <name>      failure drills: ${DRILL_NAMES} (fis TEMPLATE; terminate-instance --verify-restore)
  security          in-task probe + static audit of the live stack; matrix report
  egress report     names the DNS Firewall's catch-all rule matched and requests the egress proxy denied (--since), by name and source, with the config line that allows each
  verify            go/no-go for a freshly deployed stack: capacity providers, both pools' agents, one workspace HEALTHY with its volume, the in-task probe, an empty egress report
  cleanup           remove what a killed run left: tasks, DRAINING instances, FIS experiments, volumes, snapshots (--run-id ID)
  volumes           retained workspace volumes: list | snapshot | prune --older-than D (snapshot, then delete)
  local image       build the local workspace images on the Docker engine from this machine's files (no registry)

Every command reads the stack outputs (--stack NAME via \`pulumi stack output --json\`, or --outputs FILE).
With --target docker, load workspaces, security and cleanup run on the local Docker engine instead (DOCKER_HOST,
or the default socket) with the workspace task definition's settings; no stack, no AWS. Try it first:
  npm run ops -- local image && npm run ops -- load workspaces --target docker --count 10
Anything that changes, stops or loads a stack named prod (or prod-*) needs --confirm-prod; --dry-run changes nothing.

Exit codes: 0 passed; 1 a threshold, SLO or check failed; 2 bad arguments, missing outputs or credentials,
an AWS endpoint it cannot use, prod guard, missing probe, no Docker engine or local image; 3 could not run (not in steady state, precondition, AWS error); 4 cleanup or
rollback incomplete (see the report; run \`ops cleanup --run-id ID\`); 130/143 interrupted by SIGINT/SIGTERM
after cleaning up.

Metrics: namespace = output metricsNamespace (default RemoteClaude), dimensions Stack and Drill; see docs/drills.md.`;

/** Adds one command module, its handler given the command line and the selector. */
function mount(y: Argv, command: OpsCommand, call: CommandCall): Argv {
  return y.command(command.command, command.describe, command.builder, (a) => command.handler(a as Record<string, unknown>, call));
}

/** Builds the parser; `select` receives the command to run (handlers only select, never run); `local`: on the local Docker engine. */
export function buildParser(argv: string[], select: CommandCall["select"]): Argv {
  const call: CommandCall = { argv, select };
  const y = commonOptions(yargs(argv))
    .scriptName("ops")
    .usage("$0 <command> [options]\n\nLoad, security and failure drills against a deployed Remote Claude stack, or the local Docker engine (--target docker).")
    .command("load", "load drills: workspaces | http", (load) => mount(mount(load, loadWorkspacesCommand, call), loadHttpCommand, call)
      .demandCommand(1, "name a load drill: workspaces or http"))
    .command("drill", `failure drills: ${DRILL_NAMES}`, (d) => drillSubcommands().reduce((withDrills, drill) => mount(withDrills, drill, call), drillOptions(d))
      .demandCommand(1, "name a drill"))
    .command(securityCommand.command, securityCommand.describe, securityCommand.builder, (a) => securityCommand.handler(a as Record<string, unknown>, call))
    .command("egress", "the egress controls' logs: report", (e) => mount(e, egressReportCommand, call)
      .demandCommand(1, "name an egress command: report"))
    .command(verifyCommand.command, verifyCommand.describe, verifyCommand.builder, (a) => verifyCommand.handler(a as Record<string, unknown>, call))
    .command(cleanupCommand.command, cleanupCommand.describe, cleanupCommand.builder, (a) => cleanupCommand.handler(a as Record<string, unknown>, call))
    .command("local", "the local Docker engine: image", (l) => mount(l, localImageCommand, call)
      .demandCommand(1, "name a local command: image"))
    .command("volumes", "retained workspace volumes: list | snapshot | prune", (v) => mount(mount(mount(v, volumesListCommand, call), volumesSnapshotCommand, call), volumesPruneCommand, call)
      .demandCommand(1, "name a volumes command: list, snapshot or prune"))
    .demandCommand(1, "name a command (see --help)")
    .strict()
    .epilog(EPILOG)
    .wrap(Math.min(120, yargs().terminalWidth()))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err instanceof UsageError ? err : new UsageError(msg || errorMessage(err));
    })
    .help();
  return y;
}

function finish(builder: ReportBuilder, ctx: OpsContext, startedAt: number): Report {
  const finishedAt = ctx.clock.now();
  const failed = failedChecks(builder.checks).length > 0;
  let outcome = builder.outcome ?? (failed ? "fail" : "pass");
  let exitCode = builder.exitCode ?? (failed ? EXIT.failed : EXIT.ok);
  if (outcome === "dry-run" && failed) outcome = "fail";
  const signal = ctx.scope.received();
  if (signal && exitCode !== EXIT.cleanupIncomplete) {
    outcome = "interrupted";
    exitCode = signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
  }
  return {
    schema: REPORT_SCHEMA,
    command: builder.command,
    title: builder.title,
    stack: ctx.stack,
    region: ctx.region,
    ...(builder.runId ? { runId: builder.runId } : {}),
    ...(builder.target ? { target: builder.target } : {}),
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationSeconds: (finishedAt - startedAt) / 1000,
    dryRun: ctx.args.dryRun,
    outcome,
    exitCode,
    summary: builder.summary,
    tables: builder.tables,
    checks: builder.checks,
    notes: builder.notes,
    data: builder.data,
  };
}

async function publish(ctx: OpsContext, builder: ReportBuilder, report: Report): Promise<void> {
  if (!ctx.args.metrics || ctx.args.dryRun || !builder.publishesMetrics) return;
  const drill = builder.command.replace(/\s+/g, "-");
  const samples = [...builder.metrics, { name: "DrillPassed", unit: "Count" as const, values: [report.outcome === "pass" ? 1 : 0] }];
  const { metricDatums, publishMetrics } = await import("./metrics");
  const datums = metricDatums(samples, { Stack: ctx.stack, Drill: drill }, new Date(ctx.clock.now()));
  try {
    const calls = await publishMetrics(ctx.api, ctx.aws, ctx.metricsNamespace, datums);
    report.notes.push(`published ${datums.length} metric data in ${calls} PutMetricData calls to ${ctx.metricsNamespace} (Stack=${ctx.stack}, Drill=${drill})`);
  } catch (err) {
    report.notes.push(`metrics not published: ${errorName(err)}: ${errorMessage(err)}`);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || isCredentialError(err)) return EXIT.usage;
  if (err instanceof AbortedError) return EXIT.interrupted;
  return EXIT.error;
}

function oneLine(err: unknown): string {
  if (err instanceof UsageError || err instanceof PreconditionError) return err.message;
  if (isCredentialError(err)) return `no usable AWS credentials (${errorMessage(err)}): configure them or pass --profile`;
  const network = networkCause(err);
  if (network) return `AWS at ${endpointOf(err) ?? "its endpoint"} did not answer: ${network}`;
  return `${errorName(err)}: ${errorMessage(err)}`;
}

export async function runOps(argv: string[], deps: OpsDeps): Promise<number> {
  let selected: { name: string; run: Runner; local?: boolean } | undefined;
  let common: CommonArgs;
  try {
    const parsed = await buildParser(argv, (name, run, local) => {
      selected = { name, run, local };
    }).parseAsync();
    common = parsed as unknown as CommonArgs;
  } catch (err) {
    deps.stderr.write(`ops: ${oneLine(err)} (see ops --help)\n`);
    return EXIT.usage;
  }
  if (!selected) return EXIT.ok; // --help or --version

  const scope = signalScope(deps.signals, { warn: (line) => deps.stderr.write(`\nops: ${line}\n`), forceExit: deps.forceExit });
  try {
    const ctx = selected.local
      ? (await import("./docker/context")).createLocalContext(common, deps, scope)
      : (await import("./context")).createContext(common, deps, scope);
    const startedAt = ctx.clock.now();
    const builder = await selected.run(ctx);
    const report = finish(builder, ctx, startedAt);
    await publish(ctx, builder, report);
    if (common.report) {
      const files = writeReport(common.report, report);
      if (!common.json) ctx.progress.log(`report: ${files.json} and ${files.markdown}`);
    }
    deps.stdout.write(common.json ? JSON.stringify(report, null, 2) + "\n" : renderText(report));
    return report.exitCode;
  } catch (err) {
    const code = scope.received() && !(err instanceof UsageError) ? (scope.received() === "SIGTERM" ? EXIT.terminated : EXIT.interrupted) : exitCodeFor(err);
    deps.stderr.write(`ops: ${selected.name}: ${oneLine(err)}\n`);
    return code;
  } finally {
    scope.dispose();
  }
}
