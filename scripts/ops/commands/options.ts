// What the ops commands share on the command line: the common options, option groups (drill,
// probe, target), number checks and the shape of a command module. Light on purpose: every
// command's --help loads this and nothing of the drills themselves.
import type { Argv } from "yargs";
import { POOLS, type Pool } from "../../../lib/names";
import type { CommonArgs, OpsContext } from "../context";
import type { DrillArgs } from "../drills/drill";
import { QUERY_TIMEOUT_DEFAULT_SECONDS, QUERY_TIMEOUT_MAX_SECONDS } from "../egress/queryTimeouts";
import { UsageError } from "../errors";
import type { LoadWorkspacesArgs } from "../load/workspaces";
import { ECS_API_LIMITS } from "../rateLimiter";
import type { ReportBuilder } from "../report";
import { isRunId } from "../runId";
import { PROBE_BLOCKED_DOMAIN } from "../security/probeDefaults";

/** Runs a selected command; its implementation is imported inside, when it runs. */
export type Runner = (ctx: OpsContext) => Promise<ReportBuilder>;

/** What a command's handler gets besides its parsed options. */
export interface CommandCall {
  /** The command line as given (to refuse options of the other target). */
  readonly argv: readonly string[];
  /** Selects the command to run; `local`: on the local Docker engine. Handlers only select, never run. */
  select(name: string, run: Runner, local?: boolean): void;
}

/** One `ops` command: yargs's command module, with the handler given the CommandCall. */
export interface OpsCommand {
  readonly command: string;
  readonly describe: string;
  readonly builder: (y: Argv) => Argv;
  readonly handler: (a: Record<string, unknown>, call: CommandCall) => void;
}

export function commonOptions(y: Argv): Argv<CommonArgs> {
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

export const seconds = (describe: string, value: number) => ({ type: "number" as const, default: value, describe });
export const optionalSeconds = (describe: string) => ({ type: "number" as const, describe });

export function positive(name: string, v: unknown, { integer = false, min = 0, max = Infinity } = {}): void {
  if (v === undefined) return;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got ${String(v)}`);
  }
}

export function drillOptions(y: Argv): Argv {
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
export function probeOptions(y: Argv): Argv {
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
    .option("secret-marker", { type: "string", array: true, default: [], describe: "text that would reveal the credential proxy's secret in files (repeatable)" })
    .option("probe-network-timeout", seconds("seconds per network attempt inside the probe", 3));
}

export const queryTimeoutOption = () => seconds(`seconds to wait for each Logs Insights query (Insights itself stops a query after ${QUERY_TIMEOUT_MAX_SECONDS} s)`, QUERY_TIMEOUT_DEFAULT_SECONDS);

export function toDrillArgs(a: Record<string, unknown>): DrillArgs {
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

export function toLoadWorkspacesArgs(a: Record<string, unknown>): LoadWorkspacesArgs {
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

/** Where a command runs: the stack's ECS cluster, or the local Docker engine. */
const TARGETS = ["ecs", "docker"] as const;
export type Target = (typeof TARGETS)[number];
export const DOCKER_GROUP = "Local Docker target (--target docker):";

export function targetOptions(y: Argv, images: boolean): Argv {
  const withTarget = y.option("target", { choices: TARGETS as unknown as string[], default: "ecs", describe: "ecs: the stack's cluster; docker: the local Docker engine (DOCKER_HOST), no stack, no AWS" });
  return images
    ? withTarget
      .option("image", { type: "string", describe: "workspace agent image on the engine (default: remote-claude-workspace:local, from `ops local image`)", group: DOCKER_GROUP })
      .option("credential-proxy-image", { type: "string", describe: "credential proxy image (default: remote-claude-credential-proxy:local; none: run the agent alone)", group: DOCKER_GROUP })
    : withTarget;
}

/** Options given on the command line that the chosen target has no use for: refused, never ignored. */
export function refuseOtherTargetFlags(argv: readonly string[], target: Target, only: Readonly<Record<Target, readonly string[]>>): void {
  const given = (flag: string) => {
    const camel = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    return argv.some((a) => [flag, camel].some((f) => a === `--${f}` || a.startsWith(`--${f}=`) || a === `--no-${f}`));
  };
  for (const other of TARGETS.filter((t) => t !== target)) {
    const wrong = only[other].filter(given);
    if (wrong.length > 0) throw new UsageError(`${wrong.map((f) => `--${f}`).join(", ")} ${wrong.length === 1 ? "applies" : "apply"} only to --target ${other}`);
  }
}
