// The `ops` command line: yargs definitions of every command and option, and runOps(), which
// parses, builds the context, runs the command, prints/writes the report, publishes metrics and
// maps every outcome to an exit code. Everything the process provides (streams, env, clock,
// signals, exit) comes in through OpsDeps so tests drive the real CLI in-process.
import yargs, { type Argv } from "yargs";
import { POOLS, type Pool } from "../../lib/names";
import { cleanup } from "./cleanup";
import { type CommonArgs, type OpsContext, type OpsDeps, createContext } from "./context";
import { DRILLS } from "./drills";
import type { DrillArgs } from "./drills/drill";
import { runDrill } from "./drills/runDrill";
import { AbortedError, EXIT, PreconditionError, UsageError, errorMessage, errorName, isCredentialError } from "./errors";
import { loadHttp } from "./load/http";
import { LOAD_DEFAULTS, type LoadWorkspacesArgs, loadWorkspaces } from "./load/workspaces";
import { metricDatums, publishMetrics } from "./metrics";
import { ECS_API_LIMITS } from "./rateLimiter";
import { type Report, REPORT_SCHEMA, type ReportBuilder, failedChecks, renderText, writeReport } from "./report";
import { SEVERITIES } from "./security/audit/audit";
import { security } from "./security/command";
import { isRunId } from "./runId";
import { signalScope } from "./signals";

type Runner = (ctx: OpsContext) => Promise<ReportBuilder>;

const EPILOG = `Commands:
  load workspaces   launch N workspace tasks as the backend does; start-time percentiles, failures, density; stops them all
  load http         HTTP load on the backend through the ALB; latency percentiles, errors
  drill <name>      failure drills: ${DRILLS.map((d) => d.name).join(", ")} (fis TEMPLATE)
  security          in-task probe + static audit of the live stack; matrix report
  cleanup           stop what a killed run left: tasks, DRAINING instances, FIS experiments (--run-id ID)

Every command reads the stack outputs (--stack NAME via \`pulumi stack output --json\`, or --outputs FILE).
Anything that changes, stops or loads a stack named prod (or prod-*) needs --confirm-prod; --dry-run changes nothing.

Exit codes: 0 passed; 1 a threshold, SLO or check failed; 2 bad arguments, missing outputs or credentials,
prod guard, missing probe; 3 could not run (not in steady state, precondition, AWS error); 4 cleanup or
rollback incomplete (see the report; run \`ops cleanup --run-id ID\`); 130/143 interrupted by SIGINT/SIGTERM
after cleaning up.

Metrics: namespace = output metricsNamespace (default RemoteClaude), dimensions Stack and Drill; see docs/drills.md.`;

function commonOptions(y: Argv): Argv<CommonArgs> {
  return y
    .option("stack", { type: "string", describe: "stack name: reads `pulumi stack output --json --stack NAME`", group: "Stack:" })
    .option("outputs", { type: "string", describe: "JSON file of the stack outputs (same format), when there is no Pulumi CLI", group: "Stack:" })
    .option("region", { type: "string", describe: "AWS region (default: the stack's region output)", group: "AWS:" })
    .option("profile", { type: "string", describe: "AWS shared-config profile", group: "AWS:" })
    .option("json", { type: "boolean", default: false, describe: "print the report as JSON on stdout; no progress output", group: "Output:" })
    .option("report", { type: "string", describe: "write the JSON report to FILE and a Markdown summary beside it (.md)", group: "Output:" })
    .option("dry-run", { type: "boolean", default: false, describe: "print what would be done; change nothing", group: "Safety:" })
    .option("confirm-prod", { type: "boolean", default: false, describe: "allow changing, stopping or loading a production stack", group: "Safety:" })
    .option("metrics", { type: "boolean", default: true, describe: "publish results as CloudWatch metrics (--no-metrics to skip)", group: "Output:" }) as unknown as Argv<CommonArgs>;
}

const seconds = (describe: string, value: number) => ({ type: "number" as const, default: value, describe });
const optionalSeconds = (describe: string) => ({ type: "number" as const, describe });

function positive(name: string, v: unknown, { integer = false, min = 0, max = Infinity } = {}): void {
  if (v === undefined) return;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${String(v)}`);
  }
}

function drillOptions(y: Argv): Argv {
  return y
    .option("slo", seconds("time-to-recover objective, seconds", 300))
    .option("timeout", seconds("stop observing (and roll back) after this many seconds", 900))
    .option("poll-interval", seconds("seconds between steady-state checks", 10))
    .option("stable-checks", { type: "number", default: 2, describe: "consecutive good checks that count as recovered" })
    .option("pool", { choices: POOLS as unknown as string[], default: "backend", describe: "host pool (drain-instance, terminate-instance)" })
    .option("instance", { type: "string", describe: "EC2 instance id or container instance to use (default: the busiest)" })
    .option("task", { type: "string", describe: "backend task id to stop (kill-backend-task; default: the first)" })
    .option("az", { type: "string", describe: "availability zone (az-outage; default: the one with most instances)" });
}

function toDrillArgs(a: Record<string, unknown>): DrillArgs {
  positive("slo", a.slo, { min: 1 });
  positive("timeout", a.timeout, { min: 1 });
  positive("poll-interval", a.pollInterval, { min: 1 });
  positive("stable-checks", a.stableChecks, { integer: true, min: 1, max: 100 });
  return {
    slo: a.slo as number,
    timeout: a.timeout as number,
    pollInterval: a.pollInterval as number,
    stableChecks: a.stableChecks as number,
    pool: a.pool as Pool,
    instance: a.instance as string | undefined,
    task: a.task as string | undefined,
    az: a.az as string | undefined,
    template: a.template as string | undefined,
  };
}

function toLoadWorkspacesArgs(a: Record<string, unknown>): LoadWorkspacesArgs {
  positive("count", a.count, { integer: true, min: 1, max: 10_000 });
  positive("batch-size", a.batchSize, { integer: true, min: 1, max: 10 });
  positive("concurrency", a.concurrency, { integer: true, min: 1, max: 50 });
  positive("rate", a.rate, { min: 0.1, max: ECS_API_LIMITS.runStop.perSecond });
  positive("burst", a.burst, { integer: true, min: 1, max: ECS_API_LIMITS.runStop.burst });
  positive("describe-rate", a.describeRate, { min: 0.1, max: ECS_API_LIMITS.describe.perSecond });
  positive("poll-interval", a.pollInterval, { min: 0.1 });
  positive("start-timeout", a.startTimeout, { min: 1 });
  positive("hold", a.hold, { min: 0 });
  positive("hold-poll-interval", a.holdPollInterval, { min: 1 });
  positive("stop-concurrency", a.stopConcurrency, { integer: true, min: 1, max: 50 });
  positive("max-failure-rate", a.maxFailureRate, { min: 0, max: 100 });
  if (a.runId !== undefined && !isRunId(String(a.runId))) throw new UsageError(`--run-id must be 3-32 letters, digits and dashes starting with a lower-case letter, got ${String(a.runId)}`);
  return a as unknown as LoadWorkspacesArgs;
}

/** Builds the parser; `select` receives the command to run (handlers only select, never run). */
export function buildParser(argv: string[], select: (name: string, run: Runner) => void): Argv {
  const y = commonOptions(yargs(argv))
    .scriptName("ops")
    .usage("$0 <command> [options]\n\nLoad, security and failure drills against a deployed Remote Claude stack.")
    .command("load", "load drills: workspaces | http", (load) => load
      .command("workspaces", "launch N workspace tasks exactly as the backend does, measure, stop them all", (w) => w
        .option("count", { type: "number", demandOption: true, describe: "workspaces to launch (1-10000)" })
        .option("batch-size", { type: "number", default: LOAD_DEFAULTS.batchSize, describe: "tasks per RunTask call (ECS allows at most 10)" })
        .option("concurrency", { type: "number", default: LOAD_DEFAULTS.concurrency, describe: "RunTask calls in flight" })
        .option("rate", { type: "number", default: LOAD_DEFAULTS.rate, describe: `RunTask+StopTask calls per second (ECS bucket: ${ECS_API_LIMITS.runStop.perSecond}/s, shared with the backend)` })
        .option("burst", { type: "number", default: LOAD_DEFAULTS.burst, describe: `token bucket burst (ECS: ${ECS_API_LIMITS.runStop.burst})` })
        .option("describe-rate", { type: "number", default: LOAD_DEFAULTS.describeRate, describe: `DescribeTasks+ListTasks calls per second (ECS: ${ECS_API_LIMITS.describe.perSecond}/s)` })
        .option("poll-interval", seconds("seconds between DescribeTasks rounds (resolution of time-to-HEALTHY)", LOAD_DEFAULTS.pollInterval))
        .option("start-timeout", seconds("a task not ready after this many seconds counts as failed", LOAD_DEFAULTS.startTimeout))
        .option("hold", seconds("keep the ready workspaces running this many seconds before stopping them", 0))
        .option("hold-poll-interval", seconds("seconds between checks for tasks that die while holding", LOAD_DEFAULTS.holdPollInterval))
        .option("stop-concurrency", { type: "number", default: LOAD_DEFAULTS.stopConcurrency, describe: "StopTask calls in flight" })
        .option("run-id", { type: "string", describe: "run id to tag tasks with (default: generated, printed)" })
        .option("max-p50-start", optionalSeconds("fail if p50 time to start (HEALTHY, or RUNNING without health checks) exceeds this, seconds"))
        .option("max-p95-start", optionalSeconds("fail if p95 time to start exceeds this, seconds"))
        .option("max-p99-start", optionalSeconds("fail if p99 time to start exceeds this, seconds"))
        .option("max-p95-running", optionalSeconds("fail if p95 time to RUNNING exceeds this, seconds"))
        .option("max-failure-rate", { type: "number", describe: "fail if more than this percent of tasks failed to launch or start" })
        .option("min-tasks-per-instance", { type: "number", describe: "fail unless some instance held at least this many drill tasks (density)" })
        .example("$0 load workspaces --stack staging --count 200 --max-p95-start 10", "200 workspaces, fail if p95 start > 10 s"),
      (a) => {
        const args = toLoadWorkspacesArgs(a as Record<string, unknown>);
        select("load workspaces", (ctx) => loadWorkspaces(ctx, args));
      })
      .command("http", "HTTP load on the backend through the ALB (autocannon)", (h) => h
        .option("url", { type: "string", describe: "target URL (default: https://<albDnsName><path>)" })
        .option("path", { type: "string", default: "/health", describe: "path on the ALB" })
        .option("method", { type: "string", default: "GET" })
        .option("header", { type: "string", array: true, default: [], describe: "extra header 'Name: value' (repeatable)" })
        .option("duration", seconds("seconds of load", 30))
        .option("connections", { type: "number", default: 10, describe: "concurrent connections" })
        .option("rate", { type: "number", default: 0, describe: "overall requests per second (0 = unlimited)" })
        .option("timeout", seconds("per-request timeout, seconds", 10))
        .option("max-p50-latency", { type: "number", describe: "fail if p50 latency exceeds this, ms" })
        .option("max-p99-latency", { type: "number", describe: "fail if p99 latency exceeds this, ms" })
        .option("max-error-rate", { type: "number", describe: "fail if more than this percent of requests failed (>= 400 or errors)" })
        .option("min-rps", { type: "number", describe: "fail if fewer requests per second were served" }),
      (a) => {
        positive("duration", a.duration, { min: 1, max: 3600 });
        positive("connections", a.connections, { integer: true, min: 1, max: 10_000 });
        positive("rate", a.rate, { min: 0 });
        positive("timeout", a.timeout, { min: 1 });
        select("load http", (ctx) => loadHttp(ctx, a as never));
      })
      .demandCommand(1, "name a load drill: workspaces or http"))
    .command("drill", `failure drills: ${DRILLS.map((d) => d.name).join(", ")}`, (d) => {
      let withDrills = drillOptions(d);
      for (const spec of DRILLS) {
        const usage = spec.name === "fis" ? "fis <template>" : spec.name;
        withDrills = withDrills.command(usage, spec.describe, (x) => (spec.name === "fis" ? x.positional("template", { type: "string", describe: "key of output fisTemplateIds (or the template id)" }) : x), (a) => {
          const args = toDrillArgs(a as Record<string, unknown>);
          select(`drill ${spec.name}`, (ctx) => runDrill(ctx, spec, args));
        });
      }
      return withDrills.demandCommand(1, "name a drill");
    })
    .command("security", "in-task probe and static audit; matrix report", (s) => s
      .option("only", { choices: ["probe", "audit"], describe: "run only one part" })
      .option("probe-timeout", seconds("seconds to wait for the probe task to stop", 600))
      .option("log-wait", seconds("seconds to wait for the verdict to reach CloudWatch Logs", 60))
      .option("python", { type: "string", default: "python3", describe: "interpreter in the workspace image" })
      .option("blocked-domain", { type: "string", default: "example.com", describe: "a name the DNS Firewall must block" })
      .option("allowed-domain", { type: "string", describe: "a name it must allow (default: from the firewall's allow list)" })
      .option("public-ip", { type: "string", default: "1.1.1.1", describe: "a public IP tried on TCP 443 (blocked in proxy mode; a known gap in dns-firewall mode)" })
      .option("doh-resolver", { type: "string", default: "1.1.1.1", describe: "a public DNS-over-HTTPS resolver's IP, queried on 443 (blocked in proxy mode; a known gap in dns-firewall mode)" })
      .option("doh-name", { type: "string", default: "cloudflare-dns.com", describe: "the DoH resolver's server name (TLS SNI and Host)" })
      .option("peer-workspace", { type: "string", default: "auto", describe: "another workspace to try on :9000: auto, none, or an IPv4 address" })
      .option("secret-marker", { type: "string", array: true, default: [], describe: "text that would reveal the proxy's credential in files (repeatable)" })
      .option("probe-network-timeout", seconds("seconds per network attempt inside the probe", 3))
      .option("fail-severity", { choices: SEVERITIES as unknown as string[], default: "HIGH", describe: "ECR findings of this severity or worse fail" })
      .option("alb-ingress-cidrs", { type: "string", array: true, describe: "client CIDRs of the ALB (default: Pulumi.<stack>.yaml)" }),
    (a) => select("security", (ctx) => security(ctx, a as never)))
    .command("cleanup", "find and remove what a killed run left (tasks, DRAINING instances, FIS experiments)", (c) => c
      .option("run-id", { type: "string", describe: "the run id a drill printed" })
      .option("all", { type: "boolean", default: false, describe: "every drill run's leftovers" }),
    (a) => select("cleanup", (ctx) => cleanup(ctx, { runId: a.runId as string | undefined, all: a.all as boolean })))
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
  return `${errorName(err)}: ${errorMessage(err)}`;
}

export async function runOps(argv: string[], deps: OpsDeps): Promise<number> {
  let selected: { name: string; run: Runner } | undefined;
  let common: CommonArgs;
  try {
    const parsed = await buildParser(argv, (name, run) => {
      selected = { name, run };
    }).parseAsync();
    common = parsed as unknown as CommonArgs;
  } catch (err) {
    deps.stderr.write(`ops: ${oneLine(err)} (see ops --help)\n`);
    return EXIT.usage;
  }
  if (!selected) return EXIT.ok; // --help or --version

  const scope = signalScope(deps.signals, { warn: (line) => deps.stderr.write(`\nops: ${line}\n`), forceExit: deps.forceExit });
  try {
    const ctx = createContext(common, deps, scope);
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
