// The AWS SDK v3 clients, created on first use with one shared credential chain (so --profile
// works the same for every client), the region of the stack, and the SDK's own retry in adaptive
// mode (client-side rate limiting after throttles). A middleware inside the retry loop counts
// every attempt and every throttled attempt, so reports show throttling the SDK absorbed too.
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { FisClient } from "@aws-sdk/client-fis";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53ResolverClient } from "@aws-sdk/client-route53resolver";
import { STSClient } from "@aws-sdk/client-sts";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { isThrottling, type ApiStats } from "./api";

export interface AwsSettings {
  readonly region: string;
  readonly profile?: string;
  /** SDK attempts per call (first try + retries). */
  readonly maxAttempts?: number;
  /** Fixed credentials instead of the default chain (tests: never look for real ones). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

type ClientCtor<C> = new (config: any) => C;

/**
 * A TCP connection to an AWS endpoint that is not up after this long will not come up: without it
 * a blackholed endpoint keeps a command waiting for the kernel's own timeout (about two minutes).
 */
const CONNECT_TIMEOUT_MS = 10_000;

interface Instrumentable {
  middlewareStack: { addRelativeTo(middleware: any, options: any): void };
}

export class AwsClients {
  private readonly cache = new Map<unknown, unknown>();
  private readonly credentials: ReturnType<typeof defaultProvider> | NonNullable<AwsSettings["credentials"]>;

  constructor(
    readonly settings: AwsSettings,
    private readonly stats: ApiStats,
  ) {
    this.credentials = settings.credentials ?? defaultProvider(settings.profile ? { profile: settings.profile } : {});
  }

  get ecs(): ECSClient { return this.client(ECSClient); }
  get ec2(): EC2Client { return this.client(EC2Client); }
  get autoScaling(): AutoScalingClient { return this.client(AutoScalingClient); }
  get cloudWatch(): CloudWatchClient { return this.client(CloudWatchClient); }
  get logs(): CloudWatchLogsClient { return this.client(CloudWatchLogsClient); }
  get ecr(): ECRClient { return this.client(ECRClient); }
  get elbv2(): ElasticLoadBalancingV2Client { return this.client(ElasticLoadBalancingV2Client); }
  get elastiCache(): ElastiCacheClient { return this.client(ElastiCacheClient); }
  get fis(): FisClient { return this.client(FisClient); }
  get rds(): RDSClient { return this.client(RDSClient); }
  get resolver(): Route53ResolverClient { return this.client(Route53ResolverClient); }
  get sts(): STSClient { return this.client(STSClient); }

  private client<C>(ctor: ClientCtor<C>): C {
    let client = this.cache.get(ctor) as C | undefined;
    if (!client) {
      client = new ctor({
        region: this.settings.region,
        credentials: this.credentials,
        retryMode: "adaptive",
        maxAttempts: this.settings.maxAttempts ?? 5,
        requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
      });
      instrument(client as unknown as Instrumentable, this.stats);
      this.cache.set(ctor, client);
    }
    return client;
  }
}

interface RequestUrl {
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number;
}

/** Notes on a failed call's error where it was sent, so a message can name the endpoint (errors.ts endpointOf). */
function recordEndpoint(err: unknown, request: RequestUrl | undefined): void {
  if (!err || typeof err !== "object" || !request?.hostname || "$endpoint" in err) return;
  const endpoint = `${request.protocol ?? "https:"}//${request.hostname}${request.port ? `:${request.port}` : ""}`;
  Object.defineProperty(err, "$endpoint", { value: endpoint, enumerable: false });
}

/** Counts each attempt inside the SDK's retry loop (after retryMiddleware, so once per attempt). */
function instrument(client: Instrumentable, stats: ApiStats): void {
  client.middlewareStack.addRelativeTo(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const op = (context.commandName ?? "unknown").replace(/Command$/, "");
      stats.count(stats.sdkAttempts, op);
      try {
        return await next(args);
      } catch (err) {
        if (isThrottling(err)) stats.count(stats.sdkThrottled, op);
        recordEndpoint(err, (args as { request?: RequestUrl }).request);
        throw err;
      }
    },
    { relation: "after", toMiddleware: "retryMiddleware", name: "opsAttemptCounter", override: true },
  );
}
