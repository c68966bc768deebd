// What every command gets: parsed common arguments, the stack outputs, AWS clients for the
// stack's region, the API caller with its counters, the clock, the abort signal wired to SIGINT /
// SIGTERM, progress output, and the checks every command starts with (outputs, prod guard,
// credentials) in that order, cheapest first.
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ApiCaller, ApiStats } from "./api";
import { AwsClients, type AwsSettings } from "./aws";
import type { Clock } from "./clock";
import { UsageError, endpointOf, errorMessage, errorName, isCredentialError, networkCause } from "./errors";
import { DEFAULT_METRICS_NAMESPACE } from "./metrics";
import { type LoadedOutputs, type OutputName, type OutputsDeps, loadOutputs, requireOutputs } from "./outputs";
import { assertMayChange } from "./prodGuard";
import { Progress, type OutputStream } from "./progress";
import { newRunId } from "./runId";
import type { SignalScope, SignalSource } from "./signals";
import type { StackOutputs } from "../../stackOutputs";
// Workspace storage.
import { EC2_MUTATING_SHARE, TokenBucket } from "./rateLimiter";
import { VolumeStore } from "./volumes/store";
import { type WaiterDelays, type WaiterTiming, waiterTiming } from "./waiters";

export interface OpsDeps {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Repository root: the probe and the stack files are read from here. */
  readonly projectDir: string;
  readonly clock: Clock;
  readonly signals: SignalSource;
  readonly forceExit: (code: number) => void;
  readonly runPulumi?: OutputsDeps["runPulumi"];
  readonly makeAws?: (settings: AwsSettings, stats: ApiStats) => AwsClients;
  /** SDK waiter delays in seconds; tests shrink them (and cap the volume waiters' total wait, maxWaitCap). */
  readonly waiterDelays?: WaiterDelays;
  readonly randomId?: () => string;
}

export interface CommonArgs {
  readonly stack?: string;
  readonly outputs?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json: boolean;
  readonly report?: string;
  readonly dryRun: boolean;
  readonly confirmProd: boolean;
  readonly metrics: boolean;
}

export interface Identity {
  readonly account: string;
  readonly arn: string;
}

export class OpsContext {
  readonly stack: string;
  readonly region: string;
  readonly aws: AwsClients;
  readonly api: ApiCaller;
  readonly stats = new ApiStats();
  readonly progress: Progress;
  identity: Identity | undefined;

  constructor(
    readonly args: CommonArgs,
    readonly deps: OpsDeps,
    readonly loaded: LoadedOutputs,
    readonly scope: SignalScope,
  ) {
    this.stack = loaded.stack;
    const region = args.region ?? loaded.outputs.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError(`no region: the outputs have no "region"; pass --region`);
    if (args.region && loaded.outputs.region && args.region !== loaded.outputs.region) {
      throw new UsageError(`--region ${args.region} is not the stack's region ${loaded.outputs.region}`);
    }
    this.region = region;
    this.api = new ApiCaller(deps.clock, this.stats);
    const settings: AwsSettings = { region, profile: args.profile };
    this.aws = deps.makeAws ? deps.makeAws(settings, this.stats) : new AwsClients(settings, this.stats);
    this.progress = new Progress(deps.stderr, args.json, () => deps.clock.now());
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  get signal(): AbortSignal {
    return this.scope.signal;
  }

  get outputs(): Partial<StackOutputs> {
    return this.loaded.outputs;
  }

  get metricsNamespace(): string {
    return this.loaded.outputs.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  }

  require<K extends OutputName>(paths: readonly (K | `${K}.${string}`)[]): Pick<StackOutputs, K> {
    return requireOutputs(this.loaded, paths);
  }

  /** The prod guard for an action that changes, stops or loads something. */
  guard(action: string): void {
    assertMayChange(this.stack, this.args, action);
  }

  newRunId(kind: string): string {
    return newRunId(kind, this.clock.now(), this.deps.randomId);
  }

  /** Shell command that cleans up after a run (printed when a run is killed or cleanup fails). */
  cleanupHint(runId: string): string {
    const source = this.args.outputs ? `--outputs ${this.args.outputs}` : `--stack ${this.stack}`;
    return `npm run ops -- cleanup --run-id ${runId} ${source}`;
  }

  /** Where the AWS calls go, for messages: AWS_ENDPOINT_URL when set (and said so), else STS's regional endpoint. */
  endpointText(recorded?: string): string {
    const fromEnv = this.deps.env.AWS_ENDPOINT_URL;
    const url = recorded ?? fromEnv ?? `https://sts.${this.region}.amazonaws.com`;
    return fromEnv ? `${url} (AWS_ENDPOINT_URL)` : url;
  }

  /**
   * GetCallerIdentity, the first AWS call of every command: no credentials, an endpoint that does
   * not answer, or one that answers but not as AWS does → exit 2 now, one line naming the endpoint
   * and the cause, rather than half-way through a drill (or a report that passes on nothing).
   */
  async verifyCredentials(): Promise<Identity> {
    let id;
    try {
      id = await this.api.call("GetCallerIdentity", () => this.aws.sts.send(new GetCallerIdentityCommand({})));
    } catch (err) {
      if (isCredentialError(err)) {
        throw new UsageError(`no usable AWS credentials (${errorMessage(err)}): configure them (aws configure / aws sso login, AWS_PROFILE) or pass --profile`);
      }
      const where = this.endpointText(endpointOf(err));
      const network = networkCause(err);
      if (network) throw new UsageError(`cannot reach AWS at ${where}: ${network}; check AWS_ENDPOINT_URL, the network or the proxy settings`);
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new UsageError(`AWS at ${where} refused GetCallerIdentity${status ? ` with HTTP ${status}` : ""} (${errorName(err)}: ${errorMessage(err)}); check AWS_ENDPOINT_URL and the region`);
    }
    // Any web server answers 200 to a POST: an answer without an account is not AWS STS.
    if (!/^\d{12}$/.test(id.Account ?? "")) {
      throw new UsageError(`${this.endpointText()} answered GetCallerIdentity without an AWS account: it is not AWS STS; check AWS_ENDPOINT_URL`);
    }
    this.identity = { account: id.Account ?? "", arn: id.Arn ?? "" };
    const expected = this.loaded.outputs.accountId;
    if (expected && this.identity.account && this.identity.account !== expected) {
      throw new UsageError(`the credentials are for account ${this.identity.account}, but stack "${this.stack}" is in account ${expected}`);
    }
    return this.identity;
  }

  // --- Workspace storage ---
  private volumeStore: VolumeStore | undefined;

  /** This stack's workspace volumes (EC2), one store per run so its EC2 bucket is shared. */
  volumes(): VolumeStore {
    this.volumeStore ??= new VolumeStore({
      ec2: this.aws.ec2,
      api: this.api,
      stack: this.loaded.outputs.workspaceVolumeSettings?.stackTag ?? this.stack,
      mutateBucket: new TokenBucket(EC2_MUTATING_SHARE.burst, EC2_MUTATING_SHARE.perSecond, this.clock),
      waiterDelays: this.deps.waiterDelays,
    });
    return this.volumeStore;
  }
  // --- end workspace storage

  waiterConfig<C>(client: C, maxWaitSeconds: number): WaiterTiming & { client: C; abortSignal: AbortSignal } {
    // Tests shrink the delays; the cap on their waits belongs to the volume waiters only.
    const delays = this.deps.waiterDelays ? { minDelay: this.deps.waiterDelays.minDelay, maxDelay: this.deps.waiterDelays.maxDelay } : undefined;
    return { client, ...waiterTiming(maxWaitSeconds, delays), abortSignal: this.signal };
  }
}

/** AWS_ENDPOINT_URL, when set, must be an http(s) URL: the SDK sends a bare "host:port" somewhere else. */
export function checkEndpointSetting(env: NodeJS.ProcessEnv): void {
  const value = env.AWS_ENDPOINT_URL;
  if (value === undefined || value === "") return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new UsageError(`AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:5000, got ${JSON.stringify(value)}: fix it or unset it to use AWS`);
  }
}

export function createContext(args: CommonArgs, deps: OpsDeps, scope: SignalScope): OpsContext {
  checkEndpointSetting(deps.env);
  const loaded = loadOutputs({ stack: args.stack, outputs: args.outputs }, { env: deps.env, cwd: deps.cwd, runPulumi: deps.runPulumi });
  return new OpsContext(args, deps, loaded, scope);
}
