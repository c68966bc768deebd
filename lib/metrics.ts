// The platform's own CloudWatch metrics: what the backend and the ops tool publish and what the
// alarms and the dashboard read. One module, so a publisher and its alarm cannot drift apart.
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";

/**
 * WorkspaceLaunchFailures, in platformNames().metricsNamespace ("RemoteClaude"): one count per
 * workspace that failed to start. Published by the backend (and by the ops tool's load drill) when
 * RunTask returns a failure (RESOURCE:MEMORY, RESOURCE:ENI, AGENT, …), when RunTask itself errors,
 * or when a started task stops before it is RUNNING and HEALTHY. Unit Count; one dimension,
 * ClusterName = the stack's ECS cluster name. Publish 0 is not needed: the alarm treats missing
 * data as "not breaching".
 */
export const WORKSPACE_LAUNCH_FAILURES = {
  metricName: "WorkspaceLaunchFailures",
  unit: "Count",
  dimension: "ClusterName",
} as const;

/** The datum to publish for `count` failed workspace launches on `clusterName`. */
export function workspaceLaunchFailureDatum(clusterName: string, count: number, timestamp: Date = new Date()): MetricDatum {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  return {
    MetricName: WORKSPACE_LAUNCH_FAILURES.metricName,
    Unit: WORKSPACE_LAUNCH_FAILURES.unit,
    Dimensions: [{ Name: WORKSPACE_LAUNCH_FAILURES.dimension, Value: clusterName }],
    Value: count,
    Timestamp: timestamp,
  };
}

/**
 * Retained workspace volumes, in platformNames().metricsNamespace: what a stack keeps on EBS after
 * its workspaces stopped. Published every 15 minutes by the stack's retained-volumes monitor (a
 * scheduled Lambda, components/retainedVolumesMonitor.ts) from DescribeVolumes over the volumes
 * tagged remote-claude:stack = <stack> in state "available" (detached). One dimension, Stack = the
 * stack name. RetainedWorkspaceVolumes: unit Count; RetainedWorkspaceVolumeGiB: unit Gigabytes
 * (the sum of their sizes, what EBS bills by).
 */
export const RETAINED_VOLUMES = {
  countMetric: "RetainedWorkspaceVolumes",
  sizeMetric: "RetainedWorkspaceVolumeGiB",
  countUnit: "Count",
  sizeUnit: "Gigabytes",
  dimension: "Stack",
} as const;
