// The stack's CloudWatch alarms as plain specs (names, metrics, thresholds), so the alarm
// resources, the dashboard, the deployment rollback, the FIS stop conditions and the tests all
// read one list. Names are fixed (<prefix>-<key>): the ops tool and the drills look them up.
import { WORKSPACE_LAUNCH_FAILURES } from "./metrics";

export type AlarmKey =
  | "backend-5xx"
  | "backend-unhealthy-targets"
  | "backend-running-below-desired"
  | "cluster-cpu-reservation"
  | "cluster-memory-reservation"
  | "workspace-launch-failures"
  | "rds-cpu"
  | "rds-free-storage"
  | "redis-engine-cpu"
  | "redis-memory"
  // Egress proxy, egressMode proxy only.
  | "egress-proxy-running-below-desired"
  | "egress-proxy-unhealthy-targets"
  | "egress-proxy-denied-requests"
  | "egress-proxy-non-public-destinations";

/**
 * S is the type of values only known once resources exist (ARN suffixes, identifiers): plain
 * strings for the dashboard and the tests, pulumi.Input<string> for the alarm resources.
 */
interface MetricRef<S = string> {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, S>>;
  readonly stat: "Sum" | "Average" | "Maximum" | "Minimum";
}

export interface AlarmSpec<S = string> {
  readonly key: AlarmKey;
  readonly name: string;
  readonly description: string;
  /** Metrics by id; with `expression`, the alarm is on the expression over them. */
  readonly metrics: Readonly<Record<string, MetricRef<S>>>;
  readonly expression?: string;
  readonly comparison: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold" | "LessThanThreshold";
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "notBreaching" | "breaching" | "missing";
}

export interface AlarmInputs<S = string> {
  readonly prefix: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly albArnSuffix: S;
  /** Every target group the backend may serve from (blue, and green with blue/green). */
  readonly targetGroupArnSuffixes: readonly S[];
  readonly dbIdentifier: string;
  readonly dbAllocatedStorageGiB: number;
  readonly redisMemberIds: readonly string[];
  readonly metricsNamespace: string;
  readonly backend5xxThreshold: number;
  readonly workspaceLaunchFailureThreshold: number;
  /** egressMode proxy: the proxy service, its NLB and its decision-log metrics. */
  readonly egressProxy?: EgressProxyAlarmInputs<S>;
}

interface EgressProxyAlarmInputs<S = string> {
  readonly serviceName: string;
  readonly loadBalancerArnSuffix: S;
  readonly targetGroupArnSuffix: S;
  /** Namespace of the decision-log metrics (lib/egressProxyDecisionLog.ts). */
  readonly metricsNamespace: string;
  readonly deniedMetricName: string;
  readonly deniedThreshold: number;
  /** The refusals of allowed names that resolved to an address that is not public. */
  readonly nonPublicDestinationsMetricName: string;
}

/**
 * Refused non-public destinations in 5 minutes that raise the alarm: one. No workspace has any
 * business inside the VPC or on link-local addresses through the egress proxy, so each refusal is
 * a workspace trying to reach inside or an allowed name whose records point inside; both need a look.
 */
const NON_PUBLIC_DESTINATION_ALARM_THRESHOLD = 1;

const alarmName = (prefix: string, key: AlarmKey) => `${prefix}-${key}`;

/** Alarms that mean users are hurt: deployments roll back on the first, FIS stops on all. */
export const DEPLOYMENT_ROLLBACK_ALARMS: readonly AlarmKey[] = ["backend-5xx"];
export const IMPACT_ALARMS: readonly AlarmKey[] = [
  "backend-5xx",
  "backend-unhealthy-targets",
  "backend-running-below-desired",
  "workspace-launch-failures",
];

const GiB = 1024 ** 3;

export function alarmSpecs<S = string>(i: AlarmInputs<S>): AlarmSpec<S | string>[] {
  type Ref = MetricRef<S | string>;
  const spec = (key: AlarmKey, rest: Omit<AlarmSpec<S | string>, "key" | "name">): AlarmSpec<S | string> => ({ key, name: alarmName(i.prefix, key), ...rest });
  const alb = (metricName: string, stat: Ref["stat"], targetGroup?: S): Ref => ({
    namespace: "AWS/ApplicationELB",
    metricName,
    dimensions: targetGroup ? { TargetGroup: targetGroup, LoadBalancer: i.albArnSuffix } : { LoadBalancer: i.albArnSuffix },
    stat,
  });
  const service = (metricName: string): Ref => ({
    namespace: "ECS/ContainerInsights",
    metricName,
    dimensions: { ClusterName: i.clusterName, ServiceName: i.serviceName },
    stat: "Average",
  });
  const cluster = (metricName: string): Ref => ({ namespace: "AWS/ECS", metricName, dimensions: { ClusterName: i.clusterName }, stat: "Maximum" });
  const redis = (metricName: string) =>
    Object.fromEntries(i.redisMemberIds.map((id, n) => [`m${n + 1}`, { namespace: "AWS/ElastiCache", metricName, dimensions: { CacheClusterId: id }, stat: "Maximum" } as Ref]));
  const maxOf = (ids: string[]) => (ids.length === 1 ? ids[0] : `MAX([${ids.join(", ")}])`);
  const unhealthy = Object.fromEntries(i.targetGroupArnSuffixes.map((tg, n) => [`tg${n + 1}`, alb("UnHealthyHostCount", "Maximum", tg)]));

  return [
    ...coreAlarms(),
    ...(i.egressProxy ? egressProxyAlarms(i.egressProxy) : []),
  ];

  function egressProxyAlarms(e: EgressProxyAlarmInputs<S>): AlarmSpec<S | string>[] {
    const ecs = (metricName: string): Ref => ({
      namespace: "ECS/ContainerInsights",
      metricName,
      dimensions: { ClusterName: i.clusterName, ServiceName: e.serviceName },
      stat: "Average",
    });
    return [
      spec("egress-proxy-running-below-desired", {
        description: "The egress proxy has run fewer tasks than desired for 5 minutes: workspaces may have lost their way out.",
        metrics: { desired: ecs("DesiredTaskCount"), running: ecs("RunningTaskCount") },
        expression: "desired - running",
        comparison: "GreaterThanThreshold",
        threshold: 0,
        periodSeconds: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: "notBreaching",
      }),
      spec("egress-proxy-unhealthy-targets", {
        description: "An egress proxy task has failed the NLB's health check for 3 minutes.",
        metrics: { m: { namespace: "AWS/NetworkELB", metricName: "UnHealthyHostCount", dimensions: { TargetGroup: e.targetGroupArnSuffix, LoadBalancer: e.loadBalancerArnSuffix }, stat: "Maximum" } },
        comparison: "GreaterThanThreshold",
        threshold: 0,
        periodSeconds: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "notBreaching",
      }),
      spec("egress-proxy-denied-requests", {
        description: `The egress proxy denied ${e.deniedThreshold} or more requests in 5 minutes (names off the allow list, IP literals, other ports, plain HTTP): read its decision log.`,
        metrics: { m: { namespace: e.metricsNamespace, metricName: e.deniedMetricName, dimensions: {}, stat: "Sum" } },
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: e.deniedThreshold,
        periodSeconds: 300,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
      }),
      spec("egress-proxy-non-public-destinations", {
        description: "The egress proxy refused an allowed name that resolved to an address that is not public (private, loopback, link-local: IMDS, ECS credentials) " +
          "in the last 5 minutes: a workspace trying to reach inside, or a name whose records point inside. Read the decision log's ERR_NON_PUBLIC_DESTINATION lines.",
        metrics: { m: { namespace: e.metricsNamespace, metricName: e.nonPublicDestinationsMetricName, dimensions: {}, stat: "Sum" } },
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: NON_PUBLIC_DESTINATION_ALARM_THRESHOLD,
        periodSeconds: 300,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
      }),
    ];
  }

  function coreAlarms(): AlarmSpec<S | string>[] {
  return [
    spec("backend-5xx", {
      description: `5xx answers of the ALB and the backend reach ${i.backend5xxThreshold} in 5 minutes. Rolls back a backend deployment; stops FIS experiments.`,
      metrics: { target: alb("HTTPCode_Target_5XX_Count", "Sum"), elb: alb("HTTPCode_ELB_5XX_Count", "Sum") },
      expression: "FILL(target, 0) + FILL(elb, 0)",
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: i.backend5xxThreshold,
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    }),
    spec("backend-unhealthy-targets", {
      description: "A backend target has failed its ALB health check for 3 minutes.",
      metrics: unhealthy,
      expression: Object.keys(unhealthy).map((id) => `FILL(${id}, 0)`).join(" + "),
      comparison: "GreaterThanThreshold",
      threshold: 0,
      periodSeconds: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    }),
    spec("backend-running-below-desired", {
      description: "The backend service has run fewer tasks than desired for 10 minutes (Container Insights).",
      metrics: { desired: service("DesiredTaskCount"), running: service("RunningTaskCount") },
      expression: "desired - running",
      comparison: "GreaterThanThreshold",
      threshold: 0,
      periodSeconds: 60,
      evaluationPeriods: 10,
      datapointsToAlarm: 10,
      treatMissingData: "notBreaching",
    }),
    spec("cluster-cpu-reservation", {
      description: "The cluster's CPU is 95% reserved for 15 minutes: the host pools cannot grow (max size or capacity).",
      metrics: { m: cluster("CPUReservation") },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 95,
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    }),
    spec("cluster-memory-reservation", {
      description: "The cluster's memory is 95% reserved for 15 minutes: workspaces will soon fail to place.",
      metrics: { m: cluster("MemoryReservation") },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 95,
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    }),
    spec("workspace-launch-failures", {
      description: `${i.workspaceLaunchFailureThreshold} or more workspaces failed to start in 5 minutes (${i.metricsNamespace}/${WORKSPACE_LAUNCH_FAILURES.metricName}, published by the backend and the ops tool).`,
      metrics: {
        m: {
          namespace: i.metricsNamespace,
          metricName: WORKSPACE_LAUNCH_FAILURES.metricName,
          dimensions: { [WORKSPACE_LAUNCH_FAILURES.dimension]: i.clusterName },
          stat: "Sum",
        },
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: i.workspaceLaunchFailureThreshold,
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    }),
    spec("rds-cpu", {
      description: "The database's CPU has averaged over 80% for 15 minutes.",
      metrics: { m: { namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: { DBInstanceIdentifier: i.dbIdentifier }, stat: "Average" } },
      comparison: "GreaterThanThreshold",
      threshold: 80,
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    }),
    spec("rds-free-storage", {
      description: "The database has less than 10% of its allocated storage free (autoscaling storage is stuck or at its ceiling).",
      metrics: { m: { namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: { DBInstanceIdentifier: i.dbIdentifier }, stat: "Minimum" } },
      comparison: "LessThanThreshold",
      threshold: Math.round(i.dbAllocatedStorageGiB * 0.1 * GiB),
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No data from a database is itself bad news.
      treatMissingData: "breaching",
    }),
    spec("redis-engine-cpu", {
      description: "A Redis node's engine CPU has been over 80% for 15 minutes.",
      metrics: redis("EngineCPUUtilization"),
      expression: i.redisMemberIds.length > 1 ? maxOf(i.redisMemberIds.map((_, n) => `m${n + 1}`)) : undefined,
      comparison: "GreaterThanThreshold",
      threshold: 80,
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    }),
    spec("redis-memory", {
      description: "A Redis node uses over 85% of its memory (evictions next).",
      metrics: redis("DatabaseMemoryUsagePercentage"),
      expression: i.redisMemberIds.length > 1 ? maxOf(i.redisMemberIds.map((_, n) => `m${n + 1}`)) : undefined,
      comparison: "GreaterThanThreshold",
      threshold: 85,
      periodSeconds: 300,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: "notBreaching",
    }),
  ];
  }
}
