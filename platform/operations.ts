// Operating the platform: the alarms and dashboard (before the backend service, whose deployments
// roll back on them), the retained workspace volumes monitor, and the FIS experiment templates
// of the failure drills (after the backend service they stop tasks of).
import { ChaosTemplates } from "../components/chaos";
import type { BackendLoadBalancer } from "../services/loadBalancer";
import { dbIdentifier } from "../components/database";
import { Observability } from "../components/observability";
import { RetainedVolumesMonitor } from "../components/retainedVolumesMonitor";
import type { StackConfig } from "../config";
import { IMPACT_ALARMS } from "../lib/alarmSpecs";
import { EGRESS_PROXY_METRICS } from "../lib/egressProxyDecisionLog";
import { type Pool, POOLS } from "../lib/names";
import type { BackendService } from "../services/backend";
import type { EgressProxyService } from "../services/egressProxy/service";
import type { Hosts } from "../components/hosts";
import type { PlatformContext } from "./context";
import type { DataStep } from "./data";
import type { NetworkControlsStep, NetworkStep } from "./foundation";

/** What the workloads and their operation are built on: every step before them. */
export interface WorkloadBase {
  readonly net: NetworkStep;
  readonly controls: NetworkControlsStep;
  readonly data: DataStep;
  readonly hosts: Hosts;
}

/** The target groups the backend serves from: blue, and green with blue/green deployments. */
export function targetGroupsOf(alb: BackendLoadBalancer) {
  return alb.green ? [alb.blue, alb.green] : [alb.blue];
}

/** Host pools that run on Spot (config backendSpot, workspaceSpot) and so get a spot-interruption drill. */
export function spotPools(cfg: StackConfig): Pool[] {
  return POOLS.filter((pool) => cfg[`${pool}Spot`]);
}

export function buildObservability(ctx: PlatformContext, base: WorkloadBase, alb: BackendLoadBalancer, egressProxy: EgressProxyService | undefined): Observability {
  const { cfg, names } = ctx;
  const { data } = base;
  const egressLb = base.controls.egressProxyLoadBalancer;
  return new Observability("observability", {
    prefix: ctx.prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    kmsKeyArn: base.net.key.arn,
    alarmEmail: cfg.alarmEmail,
    clusterName: names.cluster,
    serviceName: names.backendService,
    albArnSuffix: alb.arnSuffix,
    targetGroupArnSuffixes: targetGroupsOf(alb).map((tg) => tg.arnSuffix),
    dbIdentifier: dbIdentifier(ctx.prefix),
    dbAllocatedStorageGiB: cfg.dbAllocatedStorageGiB,
    redisMemberIds: data.redis.memberIds,
    metricsNamespace: names.metricsNamespace,
    backend5xxThreshold: cfg.backend5xxThreshold,
    workspaceLaunchFailureThreshold: cfg.workspaceLaunchFailureThreshold,
    egressProxy: egressProxy && egressLb
      ? {
        serviceName: egressProxy.serviceName,
        loadBalancerArnSuffix: egressLb.arnSuffix,
        targetGroupArnSuffix: egressLb.targetGroup.arnSuffix,
        metricsNamespace: egressProxy.metricsNamespace,
        deniedMetricName: EGRESS_PROXY_METRICS.denied,
        deniedThreshold: cfg.egressDeniedThreshold,
        nonPublicDestinationsMetricName: EGRESS_PROXY_METRICS.nonPublicDestinations,
      }
      : undefined,
    tags: ctx.tags,
  }, { dependsOn: [data.database, data.redis] });
}

/** Detached workspace volumes cost money while nobody resumes them: counted, and alarmed on. */
export function buildRetainedVolumes(ctx: PlatformContext, base: WorkloadBase, observability: Observability): RetainedVolumesMonitor {
  const { cfg } = ctx;
  return new RetainedVolumesMonitor("retained-volumes", {
    prefix: ctx.prefix,
    stack: cfg.stack,
    region: cfg.region,
    accountId: ctx.accountId,
    metricsNamespace: ctx.names.metricsNamespace,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: base.net.key.arn,
    alarmTopicArn: observability.topic.arn,
    countThreshold: cfg.retainedVolumesAlarmCount,
    gibThreshold: cfg.retainedVolumesAlarmGiB,
    tags: ctx.tags,
  });
}

/** The failure drills' FIS templates, stopped by the impact alarms. */
export function buildChaos(ctx: PlatformContext, base: WorkloadBase, observability: Observability, backend: BackendService): ChaosTemplates {
  const { cfg, names } = ctx;
  const { redis, database } = base.data;
  return new ChaosTemplates("chaos", {
    prefix: ctx.prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    clusterName: names.cluster,
    clusterArn: base.controls.cluster.arn,
    backendServiceName: names.backendService,
    autoScalingGroups: names.autoScalingGroup,
    spotPools: spotPools(cfg),
    azCount: cfg.azCount,
    database: { arn: database.arn, multiAz: cfg.isProd },
    redis: {
      arn: redis.arn,
      replicationGroupId: redis.replicationGroupId,
      multiAz: redis.multiAz,
      availabilityZone: redis.primaryAvailabilityZone,
    },
    stopAlarmArns: IMPACT_ALARMS.map((key) => observability.alarms[key].arn),
    tags: ctx.tags,
  }, { dependsOn: [backend] });
}
