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
import { AbortedError, EXIT, PreconditionError, UsageError, endpointOf, errorMessage, errorName, isCredentialError, networkCause } from "./errors";
import { loadHttp } from "./load/http";
import { LOAD_DEFAULTS, type LoadWorkspacesArgs, loadWorkspaces } from "./load/workspaces";
import { metricDatums, publishMetrics } from "./metrics";
import { ECS_API_LIMITS } from "./rateLimiter";
import { type Report, REPORT_SCHEMA, type ReportBuilder, failedChecks, renderText, writeReport } from "./report";
import { SEVERITIES } from "./security/audit/audit";
import { security } from "./security/command";
import { PROBE_BLOCKED_DOMAIN } from "./security/probeConfig";
import { QUERY_TIMEOUT_DEFAULT_SECONDS, QUERY_TIMEOUT_MAX_SECONDS } from "./egress/insights";
import { isRunId } from "./runId";
// Workspace storage.
import { volumesList, volumesPrune, volumesSnapshot } from "./volumes/command";
import { signalScope } from "./signals";
// The local Docker engine as a target.
import { type LocalContext, createLocalContext } from "./docker/context";
import { dockerCleanup } from "./docker/cleanup";
import { LOCAL_IMAGE_DEFAULTS, localImage } from "./docker/image";
import { loadDockerWorkspaces } from "./docker/loadWorkspaces";
import { dockerSecurity } from "./docker/security";

type Runner = (ctx: OpsContext) => Promise<ReportBuilder>;

const EPILOG = `Commands:
  load workspaces   launch N workspace tasks as the backend does; start and volume attach percentiles, failures, density; stops them all, deletes their volumes
  load http         HTTP load on the backend through the ALB; latency percentiles, errors
  drill <name>      failure drills: ${DRILLS.map((d) => d.name).join(", ")} (fis TEMPLATE; terminate-instance --verify-restore)
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
    .option("az", { type: "string", describe: "availability zone (az-outage; default: the one with most instances)" })
    .option("verify-restore", { type: "boolean", default: false, describe: "terminate-instance --pool workspace: the host's workspace volumes must survive and a workspace resumed from a snapshot of one must come up HEALTHY" })
    .option("restore-timeout", seconds("seconds each restore step may take (canary start, detach, snapshot, resumed start)", 600));
}

/** The in-task probe's options: `security` and `verify` run the same probe. */
function probeOptions(y: Argv): Argv {
  return y
    .option("probe-timeout", seconds("seconds to wait for the probe task to stop", 600))
    .option("log-wait", seconds("seconds to wait for the verdict to reach CloudWatch Logs", 60))
    .option("python", { type: "string", default: "python3", describe: "interpreter in the workspace image" })
    .option("blocked-domain", { type: "string", default: PROBE_BLOCKED_DOMAIN, describe: "a name the DNS Firewall must block" })
    .option("allowed-domain", { type: "string", describe: "a name it must allow (default: from the firewall's allow list)" })
    .option("public-ip", { type: "string", default: "1.1.1.1", describe: "a public IP tried on TCP 443 (blocked in proxy mode; a known gap in dns-firewall mode)" })
    .option("doh-resolver", { type: "string", default: "1.1.1.1", describe: "a public DNS-over-HTTPS resolver's IP, queried on 443 (blocked in proxy mode; a known gap in dns-firewall mode)" })
    .option("doh-name", { type: "string", default: "cloudflare-dns.com", describe: "the DoH resolver's server name (TLS SNI and Host)" })
    .option("peer-workspace", { type: "string", default: "auto", describe: "another workspace to try on :9000: auto, none, or an IPv4 address" })
    .option("secret-marker", { type: "string", array: true, default: [], describe: "text that would reveal the proxy's credential in files (repeatable)" })
    .option("probe-network-timeout", seconds("seconds per network attempt inside the probe", 3));
}

const queryTimeoutOption = () => seconds(`seconds to wait for each Logs Insights query (Insights itself stops a query after ${QUERY_TIMEOUT_MAX_SECONDS} s)`, QUERY_TIMEOUT_DEFAULT_SECONDS);

function toDrillArgs(a: Record<string, unknown>): DrillArgs {
  positive("slo", a.slo, { min: 1 });
  positive("timeout", a.timeout, { min: 1 });
  positive("poll-interval", a.pollInterval, { min: 1 });
  positive("stable-checks", a.stableChecks, { integer: true, min: 1, max: 100 });
  positive("restore-timeout", a.restoreTimeout, { min: 1 });
  if (a.verifyRestore && a.pool !== "workspace") throw new UsageError("--verify-restore needs --pool workspace: workspace volumes live on workspace hosts");
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
    verifyRestore: a.verifyRestore as boolean,
    restoreTimeout: a.restoreTimeout as number,
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
  positive("volume-timeout", a.volumeTimeout, { min: 1 });
  if (a.runId !== undefined && !isRunId(String(a.runId))) throw new UsageError(`--run-id must be 3-32 letters, digits and dashes starting with a lower-case letter, got ${String(a.runId)}`);
  return a as unknown as LoadWorkspacesArgs;
}

// --- the local Docker target: its options, and options that mean something on one target only.
const TARGETS = ["ecs", "docker"] as const;
type Target = (typeof TARGETS)[number];
const DOCKER_GROUP = "Local Docker target (--target docker):";

function targetOptions(y: Argv, images: boolean): Argv {
  const withTarget = y.option("target", { choices: TARGETS as unknown as string[], default: "ecs", describe: "ecs: the stack's cluster; docker: the local Docker engine (DOCKER_HOST), no stack, no AWS" });
  return images
    ? withTarget
      .option("image", { type: "string", describe: "workspace agent image on the engine (default: remote-claude-workspace:local, from `ops local image`)", group: DOCKER_GROUP })
      .option("proxy-image", { type: "string", describe: "credential proxy image (default: remote-claude-credential-proxy:local; none: run the agent alone)", group: DOCKER_GROUP })
    : withTarget;
}

/** Options given on the command line that the chosen target has no use for: refused, never ignored. */
function refuseOtherTargetFlags(argv: readonly string[], target: Target, only: Readonly<Record<Target, readonly string[]>>): void {
  const given = (flag: string) => {
    const camel = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    return argv.some((a) => [flag, camel].some((f) => a === `--${f}` || a.startsWith(`--${f}=`) || a === `--no-${f}`));
  };
  for (const other of TARGETS.filter((t) => t !== target)) {
    const wrong = only[other].filter(given);
    if (wrong.length > 0) throw new UsageError(`${wrong.map((f) => `--${f}`).join(", ")} ${wrong.length === 1 ? "applies" : "apply"} only to --target ${other}`);
  }
}

/** Builds the parser; `select` receives the command to run (handlers only select, never run); `local`: on the local Docker engine. */
export function buildParser(argv: string[], select: (name: string, run: Runner, local?: boolean) => void): Argv {
  const y = commonOptions(yargs(argv))
    .scriptName("ops")
    .usage("$0 <command> [options]\n\nLoad, security and failure drills against a deployed Remote Claude stack, or the local Docker engine (--target docker).")
    .command("load", "load drills: workspaces | http", (load) => load
      .command("workspaces", "launch N workspace tasks exactly as the backend does, measure, stop them all", (w) => targetOptions(w, true)
        .option("count", { type: "number", demandOption: true, describe: "workspaces to launch (1-10000)" })
        .option("batch-size", { type: "number", default: LOAD_DEFAULTS.batchSize, describe: "tasks per RunTask call (ECS allows at most 10)" })
        .option("concurrency", { type: "number", default: LOAD_DEFAULTS.concurrency, describe: "RunTask calls in flight (--target docker: workspaces being created at once)" })
        .option("rate", { type: "number", default: LOAD_DEFAULTS.rate, describe: `RunTask+StopTask calls per second (ECS bucket: ${ECS_API_LIMITS.runStop.perSecond}/s, shared with the backend)` })
        .option("burst", { type: "number", default: LOAD_DEFAULTS.burst, describe: `token bucket burst (ECS: ${ECS_API_LIMITS.runStop.burst})` })
        .option("describe-rate", { type: "number", default: LOAD_DEFAULTS.describeRate, describe: `DescribeTasks+ListTasks calls per second (ECS: ${ECS_API_LIMITS.describe.perSecond}/s)` })
        .option("poll-interval", seconds("seconds between DescribeTasks rounds (resolution of time-to-HEALTHY)", LOAD_DEFAULTS.pollInterval))
        .option("start-timeout", seconds("a task not ready after this many seconds counts as failed", LOAD_DEFAULTS.startTimeout))
        .option("hold", seconds("keep the ready workspaces running this many seconds before stopping them", 0))
        .option("hold-poll-interval", seconds("seconds between checks for tasks that die while holding", LOAD_DEFAULTS.holdPollInterval))
        .option("stop-concurrency", { type: "number", default: LOAD_DEFAULTS.stopConcurrency, describe: "StopTask calls in flight" })
        .option("volume-timeout", seconds("seconds to wait for the run's volumes to detach after their tasks stop, before deleting them", LOAD_DEFAULTS.volumeTimeout))
        .option("run-id", { type: "string", describe: "run id to tag tasks with (default: generated, printed)" })
        .option("max-p50-start", optionalSeconds("fail if p50 time to start (HEALTHY, or RUNNING without health checks) exceeds this, seconds"))
        .option("max-p95-start", optionalSeconds("fail if p95 time to start exceeds this, seconds"))
        .option("max-p99-start", optionalSeconds("fail if p99 time to start exceeds this, seconds"))
        .option("max-p95-running", optionalSeconds("fail if p95 time to RUNNING exceeds this, seconds"))
        .option("max-failure-rate", { type: "number", describe: "fail if more than this percent of tasks failed to launch or start" })
        .option("min-tasks-per-instance", { type: "number", describe: "fail unless some instance held at least this many drill tasks (density)" })
        .option("max-memory-per-workspace", { type: "number", describe: "fail if a workspace uses more memory than this, MiB", group: DOCKER_GROUP })
        .example("$0 load workspaces --stack staging --count 200 --max-p95-start 10", "200 workspaces, fail if p95 start > 10 s")
        .example("$0 load workspaces --target docker --count 10 --concurrency 10", "10 workspaces on the local Docker engine, all started at once"),
      (a) => {
        const args = toLoadWorkspacesArgs(a as Record<string, unknown>);
        const target = a.target as Target;
        refuseOtherTargetFlags(argv, target, {
          ecs: ["batch-size", "rate", "burst", "describe-rate", "min-tasks-per-instance"],
          docker: ["image", "proxy-image", "max-memory-per-workspace"],
        });
        positive("max-memory-per-workspace", a.maxMemoryPerWorkspace, { min: 1 });
        if (target === "docker") select("load workspaces", (ctx) => loadDockerWorkspaces(ctx as LocalContext, args as never), true);
        else select("load workspaces", (ctx) => loadWorkspaces(ctx, args));
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
          if (args.verifyRestore && spec.name !== "terminate-instance") throw new UsageError(`--verify-restore belongs to terminate-instance, not ${spec.name}`);
          select(`drill ${spec.name}`, (ctx) => runDrill(ctx, spec, args));
        });
      }
      return withDrills.demandCommand(1, "name a drill");
    })
    .command("security", "in-task probe and static audit; matrix report", (s) => probeOptions(targetOptions(s, true)
      .option("only", { choices: ["probe", "audit"], describe: "run only one part" }))
      .option("fail-severity", { choices: SEVERITIES as unknown as string[], default: "HIGH", describe: "ECR findings of this severity or worse fail" })
      .option("alb-ingress-cidrs", { type: "string", array: true, describe: "client CIDRs of the ALB (default: Pulumi.<stack>.yaml)" })
      .example("$0 security --target docker", "the probe in a local workspace; IMDS and the audit are reported as not applicable"),
    (a) => {
      const target = a.target as Target;
      refuseOtherTargetFlags(argv, target, { ecs: ["log-wait", "fail-severity", "alb-ingress-cidrs"], docker: ["image", "proxy-image"] });
      positive("probe-timeout", a.probeTimeout, { min: 1 });
      positive("log-wait", a.logWait, { min: 0 });
      if (target === "docker") select("security", (ctx) => dockerSecurity(ctx as LocalContext, a as never), true);
      else select("security", (ctx) => security(ctx, a as never));
    })
    .command("egress", "the egress controls' logs: report", (e) => e
      .command("report", "names the DNS Firewall's catch-all rule matched and requests the egress proxy denied, by name and by source, with the config line that allows each", (r) => r
        .option("since", { type: "string", default: "24h", describe: "window up to now: minutes, hours or days (90m, 1h, 24h, 7d)" })
        .option("query-timeout", queryTimeoutOption())
        .option("fail-on-findings", { type: "boolean", default: false, describe: "any name or request off the allow list fails the run (exit 1): a gate before the catch-all goes to BLOCK" })
        .option("probe-name", { type: "string", array: true, default: [PROBE_BLOCKED_DOMAIN], describe: "a name the security probe tries on purpose (its --blocked-domain): listed apart, not a finding (repeatable)" })
        .example("$0 egress report --stack staging --since 24h", "what the allow list lacked in the last day")
        .example("$0 egress report --stack staging --since 7d --fail-on-findings", "exit 1 unless the last week was clean"),
      (a) => {
        positive("query-timeout", a.queryTimeout, { min: 1, max: QUERY_TIMEOUT_MAX_SECONDS });
        const args = { since: a.since as string, queryTimeout: a.queryTimeout as number, failOnFindings: a.failOnFindings as boolean, probeName: a.probeName as string[] };
        select("egress report", async (ctx) => (await import("./egress/command")).egressReport(ctx, args));
      })
      .demandCommand(1, "name an egress command: report"))
    .command("verify", "go/no-go for a freshly deployed stack: capacity providers, both pools' agents, one workspace HEALTHY with its volume, the in-task probe, an empty egress report; cleans up", (v) => probeOptions(v)
      .option("start-timeout", seconds("seconds the workspace may take to turn HEALTHY (an empty pool launches an instance first)", 600))
      .option("egress-since", { type: "string", default: "1h", describe: "the egress report's window, ending when verify starts" })
      .option("query-timeout", queryTimeoutOption())
      .option("volume-timeout", seconds("seconds to wait for the run's volumes to detach before deleting them", LOAD_DEFAULTS.volumeTimeout))
      .option("run-id", { type: "string", describe: "run id to tag tasks and volumes with (default: generated, printed)" })
      .example("$0 verify --stack staging", "after the first pulumi up: GO (exit 0) or NO-GO (exit 1)"),
    (a) => {
      positive("start-timeout", a.startTimeout, { min: 1 });
      positive("query-timeout", a.queryTimeout, { min: 1, max: QUERY_TIMEOUT_MAX_SECONDS });
      positive("volume-timeout", a.volumeTimeout, { min: 1 });
      positive("probe-timeout", a.probeTimeout, { min: 1 });
      select("verify", async (ctx) => (await import("./verify/command")).verify(ctx, a as never));
    })
    .command("cleanup", "find and remove what a killed run left (tasks, DRAINING instances, FIS experiments, volumes, snapshots; with --target docker: containers, volumes, networks)", (c) => targetOptions(c, false)
      .option("run-id", { type: "string", describe: "the run id a drill printed" })
      .option("all", { type: "boolean", default: false, describe: "every drill run's leftovers" })
      .option("volume-timeout", seconds("seconds to wait for a run's volumes to detach before deleting them", LOAD_DEFAULTS.volumeTimeout)),
    (a) => {
      const args = { runId: a.runId as string | undefined, all: a.all as boolean };
      if (a.target === "docker") {
        refuseOtherTargetFlags(argv, "docker", { ecs: ["volume-timeout"], docker: [] });
        select("cleanup", (ctx) => dockerCleanup(ctx as LocalContext, args), true);
      } else {
        positive("volume-timeout", a.volumeTimeout, { min: 1 });
        select("cleanup", (ctx) => cleanup(ctx, { ...args, volumeTimeout: a.volumeTimeout as number }));
      }
    })
    .command("local", "the local Docker engine: image", (l) => l
      .command("image", "build the local workspace images from a root filesystem assembled on this machine (no registry)", (i) => i
        .option("tag", { type: "string", default: LOCAL_IMAGE_DEFAULTS.tag, describe: "tag of the workspace agent image" })
        .option("proxy-tag", { type: "string", default: LOCAL_IMAGE_DEFAULTS.proxyTag, describe: "tag of the credential proxy image" }),
      (a) => select("local image", (ctx) => localImage(ctx as LocalContext, { tag: a.tag as string, proxyTag: a.proxyTag as string }), true))
      .demandCommand(1, "name a local command: image"))
    .command("volumes", "retained workspace volumes: list | snapshot | prune", (v) => v
      .command("list", "this stack's workspace volumes by tag: workspace, state, size, age, how long kept", (l) => l
        .option("state", { choices: ["available", "in-use", "all"], default: "all", describe: "available = retained (detached)" })
        .option("workspace-id", { type: "string", describe: "only this workspace's volumes" })
        .option("run-id", { type: "string", describe: "only volumes a drill run created" })
        .option("older-than", { type: "string", describe: "only detached volumes kept longer than this (days, or 7d / 36h)" }),
      (a) => select("volumes list", (ctx) => volumesList(ctx, { state: a.state as never, workspaceId: a.workspaceId as string | undefined, runId: a.runId as string | undefined, olderThan: a.olderThan as string | undefined })))
      .command("snapshot", "snapshot workspace volumes (tagged so a workspace can be resumed from them)", (sn) => sn
        .option("volume-id", { type: "string", array: true, default: [], describe: "volume to snapshot (repeatable)" })
        .option("workspace-id", { type: "string", describe: "every detached volume of this workspace" })
        .option("older-than", { type: "string", describe: "every detached volume kept longer than this (days, or 7d / 36h)" })
        .option("include-attached", { type: "boolean", default: false, describe: "also snapshot attached volumes (crash-consistent)" })
        .option("snapshot-timeout", seconds("seconds to wait for the snapshots to complete", 3600)),
      (a) => {
        positive("snapshot-timeout", a.snapshotTimeout, { min: 1 });
        select("volumes snapshot", (ctx) => volumesSnapshot(ctx, { volumeId: a.volumeId as string[], workspaceId: a.workspaceId as string | undefined, olderThan: a.olderThan as string | undefined, includeAttached: a.includeAttached as boolean, snapshotTimeout: a.snapshotTimeout as number }));
      })
      .command("prune", "snapshot every detached volume kept longer than --older-than, then delete it once its snapshot completed (a dry run on prod without --confirm-prod)", (pr) => pr
        .option("older-than", { type: "string", demandOption: true, describe: "days (or 7d / 36h) a detached volume has been kept" })
        .option("workspace-id", { type: "string", describe: "only this workspace's volumes" })
        .option("snapshot-timeout", seconds("seconds to wait for each round's snapshots to complete", 3600))
        .option("batch", { type: "number", default: 20, describe: "volumes snapshotted (then deleted) per round" })
        .example("$0 volumes prune --stack staging --older-than 14", "snapshot and delete volumes detached for more than 14 days"),
      (a) => {
        positive("snapshot-timeout", a.snapshotTimeout, { min: 1 });
        positive("batch", a.batch, { integer: true, min: 1, max: 200 });
        select("volumes prune", (ctx) => volumesPrune(ctx, { olderThan: a.olderThan as string, workspaceId: a.workspaceId as string | undefined, snapshotTimeout: a.snapshotTimeout as number, batch: a.batch as number }));
      })
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
    const ctx = selected.local ? createLocalContext(common, deps, scope) : createContext(common, deps, scope);
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
