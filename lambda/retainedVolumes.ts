// The retained-volumes monitor's Lambda handler. Every 15 minutes (EventBridge schedule) it counts
// this stack's detached workspace volumes and their GiB, publishes both as CloudWatch metrics (the
// retained-volumes alarm reads them), and stamps each newly detached volume with the time it was
// first seen detached, so `ops volumes prune --older-than` can age volumes by how long they have
// been kept rather than by when they were created.
//
// Self-contained on purpose: components/retainedVolumesMonitor.ts transpiles this one file into the
// function's code, and the Lambda Node.js runtime provides the two SDK clients it imports. Names
// (tags, namespace, metrics) arrive in the environment, from lib/launchContract.ts and lib/metrics.ts.
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTagsCommand, EC2Client, paginateDescribeVolumes } from "@aws-sdk/client-ec2";

export interface RetainedVolumesSettings {
  /** Tag key and value of this stack's workspace volumes. */
  readonly stackTagKey: string;
  readonly stack: string;
  /** Tag set on a volume the first time it is seen detached (ISO 8601). */
  readonly retainedSinceTagKey: string;
  readonly namespace: string;
  readonly countMetric: string;
  readonly sizeMetric: string;
  /** Metric dimension holding the stack name. */
  readonly dimension: string;
}

interface RetainedVolumesResult {
  readonly count: number;
  readonly totalGiB: number;
  /** Volumes stamped with the retained-since tag in this run. */
  readonly stamped: number;
  /** The longest-retained volume's retained-since time, if any. */
  readonly oldestRetainedSince?: string;
}

export const ENV = {
  stackTagKey: "STACK_TAG_KEY",
  stack: "STACK",
  retainedSinceTagKey: "RETAINED_SINCE_TAG_KEY",
  namespace: "METRICS_NAMESPACE",
  countMetric: "COUNT_METRIC",
  sizeMetric: "SIZE_METRIC",
  dimension: "METRIC_DIMENSION",
} as const;

/** CreateTags takes many resources per call; keep the calls small enough to retry cheaply. */
const TAG_BATCH = 100;

export function settingsFromEnvironment(env: Readonly<Record<string, string | undefined>>): RetainedVolumesSettings {
  const missing = Object.values(ENV).filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`retained-volumes monitor: missing environment ${missing.join(", ")}`);
  return {
    stackTagKey: env[ENV.stackTagKey] as string,
    stack: env[ENV.stack] as string,
    retainedSinceTagKey: env[ENV.retainedSinceTagKey] as string,
    namespace: env[ENV.namespace] as string,
    countMetric: env[ENV.countMetric] as string,
    sizeMetric: env[ENV.sizeMetric] as string,
    dimension: env[ENV.dimension] as string,
  };
}

export async function measureRetainedVolumes(
  clients: { readonly ec2: EC2Client; readonly cloudWatch: CloudWatchClient },
  s: RetainedVolumesSettings,
  now: Date,
): Promise<RetainedVolumesResult> {
  let count = 0;
  let totalGiB = 0;
  let oldest: string | undefined;
  const unstamped: string[] = [];
  const pages = paginateDescribeVolumes({ client: clients.ec2, pageSize: 500 }, {
    Filters: [
      { Name: `tag:${s.stackTagKey}`, Values: [s.stack] },
      // "available" = attached to nothing: kept after its task stopped (or its host died).
      { Name: "status", Values: ["available"] },
    ],
  });
  for await (const page of pages) {
    for (const v of page.Volumes ?? []) {
      count++;
      totalGiB += v.Size ?? 0;
      const since = v.Tags?.find((t) => t.Key === s.retainedSinceTagKey)?.Value;
      if (since === undefined) {
        if (v.VolumeId) unstamped.push(v.VolumeId);
      } else if (oldest === undefined || since < oldest) {
        oldest = since;
      }
    }
  }
  const stampedAt = now.toISOString();
  for (let i = 0; i < unstamped.length; i += TAG_BATCH) {
    await clients.ec2.send(new CreateTagsCommand({ Resources: unstamped.slice(i, i + TAG_BATCH), Tags: [{ Key: s.retainedSinceTagKey, Value: stampedAt }] }));
  }
  if (unstamped.length > 0 && (oldest === undefined || stampedAt < oldest)) oldest = stampedAt;
  const dimensions = [{ Name: s.dimension, Value: s.stack }];
  await clients.cloudWatch.send(new PutMetricDataCommand({
    Namespace: s.namespace,
    MetricData: [
      { MetricName: s.countMetric, Unit: "Count", Value: count, Dimensions: dimensions, Timestamp: now },
      { MetricName: s.sizeMetric, Unit: "Gigabytes", Value: totalGiB, Dimensions: dimensions, Timestamp: now },
    ],
  }));
  return { count, totalGiB, stamped: unstamped.length, ...(oldest ? { oldestRetainedSince: oldest } : {}) };
}

/** The Lambda entry point (index.handler): the runtime's region and credentials, the SDK's adaptive retry. */
export async function handler(): Promise<RetainedVolumesResult> {
  const settings = settingsFromEnvironment(process.env);
  const config = { retryMode: "adaptive", maxAttempts: 5 } as const;
  return measureRetainedVolumes({ ec2: new EC2Client(config), cloudWatch: new CloudWatchClient(config) }, settings, new Date());
}
