// The stack's CloudWatch dashboard body, built from the same alarm specs as the alarms: an alarm
// status row, then one graph per alarm with its threshold drawn in, then traffic and capacity.
import type { AlarmSpec } from "../lib/alarmSpecs";

export interface DashboardInputs {
  readonly region: string;
  readonly accountId: string;
  readonly alarms: readonly AlarmSpec[];
  readonly albArnSuffix: string;
  readonly clusterName: string;
  readonly serviceName: string;
}

type Widget = Record<string, unknown>;
const WIDTH = 8;
const HEIGHT = 6;

/** A metric row in CloudWatch's dashboard syntax: [namespace, name, dim, value, …, {options}]. */
function metricRow(ref: AlarmSpec["metrics"][string], options: Record<string, unknown>): unknown[] {
  return [ref.namespace, ref.metricName, ...Object.entries(ref.dimensions).flat(), { stat: ref.stat, ...options }];
}

function alarmGraph(alarm: AlarmSpec, region: string): Widget {
  const ids = Object.keys(alarm.metrics);
  const metrics: unknown[][] = ids.map((id) => metricRow(alarm.metrics[id], { id, visible: alarm.expression === undefined }));
  if (alarm.expression) metrics.push([{ expression: alarm.expression, id: "e1", label: alarm.key }]);
  return {
    type: "metric",
    width: WIDTH,
    height: HEIGHT,
    properties: {
      title: alarm.key,
      region,
      period: alarm.periodSeconds,
      view: "timeSeries",
      metrics,
      annotations: { horizontal: [{ label: "alarm threshold", value: alarm.threshold }] },
    },
  };
}

export function dashboardBody(i: DashboardInputs): string {
  const alarmArn = (name: string) => `arn:aws:cloudwatch:${i.region}:${i.accountId}:alarm:${name}`;
  const widgets: Widget[] = [
    {
      type: "alarm",
      width: 24,
      height: 3,
      properties: { title: "Alarms", alarms: i.alarms.map((a) => alarmArn(a.name)), sortBy: "stateUpdatedTimestamp" },
    },
    ...i.alarms.map((a) => alarmGraph(a, i.region)),
    {
      type: "metric",
      width: 12,
      height: HEIGHT,
      properties: {
        title: "ALB requests and latency",
        region: i.region,
        period: 60,
        view: "timeSeries",
        metrics: [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", i.albArnSuffix, { stat: "Sum" }],
          ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", i.albArnSuffix, { stat: "p99", yAxis: "right" }],
        ],
      },
    },
    {
      type: "metric",
      width: 12,
      height: HEIGHT,
      properties: {
        title: "Backend service CPU and memory",
        region: i.region,
        period: 60,
        view: "timeSeries",
        metrics: [
          ["AWS/ECS", "CPUUtilization", "ClusterName", i.clusterName, "ServiceName", i.serviceName, { stat: "Average" }],
          ["AWS/ECS", "MemoryUtilization", "ClusterName", i.clusterName, "ServiceName", i.serviceName, { stat: "Average" }],
        ],
      },
    },
  ];
  return JSON.stringify({ widgets });
}
