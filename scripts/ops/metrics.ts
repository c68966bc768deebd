// Drill results as CloudWatch metrics, in the stack's metrics namespace (output metricsNamespace,
// "RemoteClaude" by default) with dimensions Stack and Drill. Time samples are published as raw
// values (Values/Counts), so CloudWatch computes any percentile over any period.
import { PutMetricDataCommand, type MetricDatum, type StandardUnit } from "@aws-sdk/client-cloudwatch";
import type { ApiCaller } from "./api";
import type { AwsClients } from "./aws";
import { chunk } from "./concurrency";

export const DEFAULT_METRICS_NAMESPACE = "RemoteClaude";
/** PutMetricData: at most 150 distinct values per datum; 20 datums per call stays inside every quota. */
const MAX_VALUES_PER_DATUM = 150;
const MAX_DATUMS_PER_CALL = 20;

export interface MetricSample {
  readonly name: string;
  readonly unit: StandardUnit;
  /** Raw samples (e.g. start times); or one value. */
  readonly values: readonly number[];
  /** Extra dimensions besides Stack and Drill (e.g. Reason). */
  readonly dimensions?: Readonly<Record<string, string>>;
}

export function metricDatums(samples: readonly MetricSample[], base: Readonly<Record<string, string>>, timestamp: Date): MetricDatum[] {
  const datums: MetricDatum[] = [];
  for (const sample of samples) {
    if (sample.values.length === 0) continue;
    const dims = Object.entries({ ...base, ...sample.dimensions }).map(([Name, Value]) => ({ Name, Value }));
    const counts = new Map<number, number>();
    for (const v of sample.values) {
      const rounded = Math.round(v * 1000) / 1000;
      counts.set(rounded, (counts.get(rounded) ?? 0) + 1);
    }
    for (const part of chunk([...counts.entries()], MAX_VALUES_PER_DATUM)) {
      datums.push({
        MetricName: sample.name,
        Dimensions: dims,
        Timestamp: timestamp,
        Unit: sample.unit,
        Values: part.map(([v]) => v),
        Counts: part.map(([, c]) => c),
      });
    }
  }
  return datums;
}

export async function publishMetrics(api: ApiCaller, aws: AwsClients, namespace: string, datums: readonly MetricDatum[]): Promise<number> {
  let calls = 0;
  for (const part of chunk(datums, MAX_DATUMS_PER_CALL)) {
    await api.call("PutMetricData", () => aws.cloudWatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: part })));
    calls++;
  }
  return calls;
}
