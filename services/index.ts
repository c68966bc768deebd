// The services layer of the platform, in two steps platform.ts calls:
//   1. buildDataLayer, before the DNS Firewall (whose allow list names the data stores): the
//      secrets, RDS PostgreSQL and Redis, under the platform key platform.ts made first;
//   2. buildServiceLayer, after the cluster: images, the workspace task definition, the ALB,
//      the alarms, the backend service and the FIS templates, and in egressMode proxy the egress
//      proxy service. It returns the ServiceOutputs.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { PROJECT_ROOT } from "../config/services";
import { DEPLOYMENT_ROLLBACK_ALARMS, IMPACT_ALARMS } from "../lib/alarmSpecs";
import { ChaosTemplates } from "../components/chaos";
import type { EcsCluster } from "../components/cluster";
import { Database, DB_NAME, DB_PORT, dbIdentifier } from "../components/database";
import { Registry } from "../components/ecr";
import type { PlatformKey } from "../components/kms";
import type { Network } from "../components/network";
import { Observability } from "../components/observability";
import { Redis, REDIS_PORT } from "../components/redis";
import { PlatformSecrets } from "../components/secrets";
import type { SecurityGroups } from "../components/securityGroups";
import { type PlatformNames, type Pool, POOLS } from "../lib/names";
import type { OutputInputs, ServiceOutputs, StorageOutputs } from "../stackOutputs";
import { BACKEND_PORT, BackendService } from "./backend";
import { BackendLoadBalancer } from "./loadBalancer";
import { WorkspaceTask } from "./workspace";
// Workspace storage.
import { RetainedVolumesMonitor } from "../components/retainedVolumesMonitor";
import { WorkspaceStorage } from "../components/workspaceStorage";
import { WORKSPACE_VOLUME } from "../lib/workspaceContainers";
// Egress proxy.
import { interfaceEndpointServices } from "../lib/awsServices";
import type { EgressOutputs } from "../stackOutputs";
import { EGRESS_PROXY_METRICS } from "../lib/egressProxyDecisionLog";
import type { EgressProxyLoadBalancer } from "./egressProxy/loadBalancer";
import { EgressProxyService } from "./egressProxy/service";

export interface LayerContext {
  readonly cfg: StackConfig;
  readonly prefix: string;
  readonly names: PlatformNames;
  readonly accountId: string;
  readonly zones: readonly string[];
  readonly network: Network;
  readonly securityGroups: SecurityGroups;
  /** The platform key, made before anything it encrypts (the VPC's flow logs are among the first). */
  readonly key: PlatformKey;
  readonly tags: Readonly<Record<string, string>>;
}

export interface DataLayer {
  readonly key: PlatformKey;
  readonly secrets: PlatformSecrets;
  readonly database: Database;
  readonly redis: Redis;
  /** Names the backend resolves: the DNS Firewall must allow them. */
  readonly endpointNames: pulumi.Output<string>[];
}

export function buildDataLayer(ctx: LayerContext): DataLayer {
  const { cfg, prefix, tags, key } = ctx;
  const secrets = new PlatformSecrets("secrets", { prefix, kmsKeyArn: key.arn, proxyCredential: cfg.proxyCredential, isProd: cfg.isProd, tags });
  const database = new Database("database", {
    prefix,
    subnetIds: ctx.network.isolatedSubnetIds,
    securityGroupId: ctx.securityGroups.ids.database,
    kmsKeyArn: key.arn,
    instanceClass: cfg.dbInstanceClass,
    engineVersion: cfg.dbEngineVersion,
    allocatedStorageGiB: cfg.dbAllocatedStorageGiB,
    maxAllocatedStorageGiB: cfg.dbMaxAllocatedStorageGiB,
    backupRetentionDays: cfg.dbBackupRetentionDays,
    isProd: cfg.isProd,
    tags,
  });
  const redis = new Redis("redis", {
    prefix,
    subnetIds: ctx.network.isolatedSubnetIds,
    availabilityZones: ctx.zones,
    securityGroupId: ctx.securityGroups.ids.redis,
    kmsKeyArn: key.arn,
    authToken: secrets.redisAuthToken,
    nodeType: cfg.redisNodeType,
    engineVersion: cfg.redisEngineVersion,
    snapshotRetentionDays: cfg.redisSnapshotRetentionDays,
    isProd: cfg.isProd,
    tags,
  });
  return { key, secrets, database, redis, endpointNames: [database.address, redis.primaryEndpoint] };
}

/** Host pools that run on Spot (config backendSpot, workspaceSpot) and so get a spot-interruption drill. */
export function spotPools(cfg: StackConfig): Pool[] {
  return POOLS.filter((pool) => cfg[`${pool}Spot`]);
}

export interface ServiceLayerOptions {
  /**
   * Resources the backend service waits for: the cluster's capacity provider attachment
   * (aws.ecs.ClusterCapacityProviders) of the host pools, which the hosts component creates.
   */
  readonly capacityReady?: pulumi.Resource[];
  /** egressMode proxy: the proxy's internal NLB (built before the DNS Firewall, which allows its name). */
  readonly egressProxyLoadBalancer?: EgressProxyLoadBalancer;
}

export function buildServiceLayer(
  ctx: LayerContext,
  data: DataLayer,
  cluster: EcsCluster,
  options: ServiceLayerOptions = {},
): OutputInputs<ServiceOutputs & StorageOutputs & Pick<EgressOutputs, "egressProxy">> {
  const { cfg, prefix, names, tags } = ctx;
  const context = (dir: string | undefined) => (dir === undefined ? undefined : path.resolve(PROJECT_ROOT, dir));

  const registry = new Registry("ecr", {
    prefix,
    kmsKeyArn: data.key.arn,
    isProd: cfg.isProd,
    images: {
      backend: { ref: cfg.backendImage, buildContext: context(cfg.backendBuildContext) },
      workspace: { ref: cfg.workspaceImage, buildContext: context(cfg.workspaceBuildContext) },
      credentialProxy: { ref: cfg.credentialProxyImage, buildContext: context(cfg.credentialProxyBuildContext) },
      ...(options.egressProxyLoadBalancer && cfg.egressProxyImage
        ? { egressProxy: { ref: cfg.egressProxyImage, buildContext: context(cfg.egressProxyBuildContext) } }
        : {}),
    },
    tags,
  });

  // Workspace storage: the volume key and the ECS infrastructure role every RunTask names.
  const storage = new WorkspaceStorage("workspace-storage", {
    prefix,
    stack: cfg.stack,
    region: cfg.region,
    accountId: ctx.accountId,
    clusterName: names.cluster,
    workspaceAutoScalingGroup: names.autoScalingGroup.workspace,
    volumeName: WORKSPACE_VOLUME,
    sizeGiB: cfg.workspaceVolumeGiB,
    iops: cfg.workspaceVolumeIops,
    throughputMiBps: cfg.workspaceVolumeThroughputMiBps,
    filesystem: cfg.workspaceVolumeFilesystem,
    isProd: cfg.isProd,
    tags,
  });
  // Egress proxy: Squid on the backend pool behind the internal NLB, running the allow list.
  const egressLb = options.egressProxyLoadBalancer;
  const egressProxy = egressLb && registry.imageUris.egressProxy && registry.repositories.egressProxy
    ? new EgressProxyService("egress-proxy", {
      prefix,
      region: cfg.region,
      accountId: ctx.accountId,
      clusterArn: cluster.arn,
      capacityProvider: names.capacityProvider.backend,
      image: registry.imageUris.egressProxy,
      repositoryArn: registry.repositories.egressProxy.arn,
      cpu: cfg.egressProxyCpu,
      memoryMiB: cfg.egressProxyMemoryMiB,
      desiredCount: cfg.egressProxyCount,
      allowList: cfg.dnsAllowedDomains,
      subnetIds: ctx.network.privateSubnetIds,
      subnetCidrs: ctx.network.privateSubnetCidrs,
      securityGroupId: ctx.securityGroups.ids.egressProxy,
      loadBalancer: egressLb,
      logRetentionDays: cfg.logRetentionDays,
      kmsKeyArn: data.key.arn,
      metricsNamespace: names.metricsNamespace,
      capacityReady: options.capacityReady,
      tags,
    })
    : undefined;

  const workspace = new WorkspaceTask("workspace", {
    prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    family: names.taskFamily.workspace,
    logGroupName: names.logGroup.workspace,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: data.key.arn,
    agentImage: registry.imageUris.workspace,
    proxyImage: registry.imageUris.credentialProxy,
    repositoryArns: [registry.repositories.workspace.arn, registry.repositories.credentialProxy.arn],
    proxySecretArn: data.secrets.proxyCredential.arn,
    agentCpu: cfg.workspaceAgentCpu,
    agentMemoryMiB: cfg.workspaceAgentMemoryMiB,
    cpuHardLimit: cfg.workspaceCpuHardLimit,
    tmpfsMiB: cfg.workspaceTmpfsMiB,
    // Egress proxy: HTTPS_PROXY, and NO_PROXY for the VPC endpoints' names.
    egressProxy: egressLb
      ? { url: egressLb.url, directNames: interfaceEndpointServices(cfg.region).flatMap((s) => s.names(cfg.region)) }
      : undefined,
    tags,
  });

  const blueGreen = cfg.backendDeploymentStrategy === "blueGreen";
  const alb = new BackendLoadBalancer("alb", {
    prefix,
    vpcId: ctx.network.vpcId,
    subnetIds: ctx.network.publicSubnetIds,
    securityGroupId: ctx.securityGroups.ids.alb,
    certificateArn: cfg.certificateArn,
    idleTimeoutSeconds: cfg.albIdleTimeoutSeconds,
    healthCheckPath: cfg.backendHealthCheckPath,
    port: BACKEND_PORT,
    blueGreen,
    isProd: cfg.isProd,
    tags,
  });
  const targetGroups = alb.green ? [alb.blue, alb.green] : [alb.blue];

  // Alarms before the service: its deployments roll back on them.
  const observability = new Observability("observability", {
    prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    kmsKeyArn: data.key.arn,
    alarmEmail: cfg.alarmEmail,
    clusterName: names.cluster,
    serviceName: names.backendService,
    albArnSuffix: alb.arnSuffix,
    targetGroupArnSuffixes: targetGroups.map((tg) => tg.arnSuffix),
    dbIdentifier: dbIdentifier(prefix),
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
    tags,
  }, { dependsOn: [data.database, data.redis] });

  const backend = new BackendService("backend", {
    prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    image: registry.imageUris.backend,
    repositoryArn: registry.repositories.backend.arn,
    cpu: cfg.backendCpu,
    memoryMiB: cfg.backendMemoryMiB,
    healthCheckPath: cfg.backendHealthCheckPath,
    healthCheckGracePeriodSeconds: cfg.backendHealthCheckGraceSeconds,
    desiredCount: cfg.backendDesiredCount,
    minCount: cfg.backendMinCount,
    maxCount: cfg.backendMaxCount,
    cpuTargetPercent: cfg.backendCpuTargetPercent,
    requestsPerTaskTarget: cfg.backendRequestsPerTaskTarget,
    strategy: cfg.backendDeploymentStrategy,
    family: names.taskFamily.backend,
    serviceName: names.backendService,
    capacityProvider: names.capacityProvider.backend,
    clusterName: names.cluster,
    clusterArn: cluster.arn,
    subnetIds: ctx.network.privateSubnetIds,
    securityGroupId: ctx.securityGroups.ids.backend,
    logGroupName: names.logGroup.backend,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: data.key.arn,
    loadBalancer: alb,
    workspace: {
      family: names.taskFamily.workspace,
      executionRoleArn: workspace.executionRole.arn,
      // The workspace tier: no internet route in egressMode proxy.
      subnetIds: ctx.network.workspaceSubnetIds,
      securityGroupId: ctx.securityGroups.ids.workspace,
      capacityProvider: names.capacityProvider.workspace,
      volume: {
        volumeName: storage.settings.volumeName,
        sizeGiB: storage.settings.sizeGiB,
        iops: storage.settings.iops,
        throughputMiBps: storage.settings.throughputMiBps,
        filesystem: storage.settings.filesystem,
        stack: storage.settings.stackTag,
        kmsKeyArn: storage.keyArn,
        infrastructureRoleArn: storage.roleArn,
      },
    },
    database: { host: data.database.address, port: DB_PORT, name: DB_NAME, masterSecretArn: data.database.masterSecretArn },
    redis: { host: data.redis.primaryEndpoint, port: REDIS_PORT, authSecretArn: data.secrets.redisAuth.arn },
    metricsNamespace: names.metricsNamespace,
    deploymentAlarmNames: DEPLOYMENT_ROLLBACK_ALARMS.map((key) => observability.alarms[key].name),
    capacityReady: options.capacityReady,
    tags,
  });

  const retainedVolumes = new RetainedVolumesMonitor("retained-volumes", {
    prefix,
    stack: cfg.stack,
    region: cfg.region,
    accountId: ctx.accountId,
    metricsNamespace: names.metricsNamespace,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: data.key.arn,
    alarmTopicArn: observability.topic.arn,
    countThreshold: cfg.retainedVolumesAlarmCount,
    gibThreshold: cfg.retainedVolumesAlarmGiB,
    tags,
  });

  const chaos = new ChaosTemplates("chaos", {
    prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    clusterName: names.cluster,
    clusterArn: cluster.arn,
    backendServiceName: names.backendService,
    autoScalingGroups: names.autoScalingGroup,
    spotPools: spotPools(cfg),
    azCount: cfg.azCount,
    database: { arn: data.database.arn, multiAz: cfg.isProd },
    redis: {
      arn: data.redis.arn,
      replicationGroupId: data.redis.replicationGroupId,
      multiAz: data.redis.multiAz,
      availabilityZone: data.redis.primaryAvailabilityZone,
    },
    stopAlarmArns: IMPACT_ALARMS.map((key) => observability.alarms[key].arn),
    tags,
  }, { dependsOn: [backend] });

  return {
    backendServiceName: backend.service.name,
    backendTaskDefinitionFamily: names.taskFamily.backend,
    workspaceTaskDefinitionFamily: workspace.family,
    workspaceTaskDefinitionArn: workspace.taskDefinition.arn,
    workspaceExecutionRoleArn: workspace.executionRole.arn,
    albDnsName: alb.dnsName,
    albArnSuffix: alb.arnSuffix,
    backendTargetGroupArn: alb.blue.arn,
    backendTargetGroupArnSuffix: alb.blue.arnSuffix,
    backendTargetGroupArns: pulumi.all(targetGroups.map((tg) => tg.arn)),
    backendLogGroupName: backend.logGroup.name,
    workspaceLogGroupName: workspace.logGroup.name,
    ecrRepositoryUrls: pulumi.all(registry.repositoryUrls) as pulumi.Output<ServiceOutputs["ecrRepositoryUrls"]>,
    dbInstanceIdentifier: data.database.identifier,
    redisReplicationGroupId: data.redis.replicationGroupId,
    proxySecretArn: data.secrets.proxyCredential.arn,
    alarmTopicArn: observability.topic.arn,
    alarmNames: [...observability.alarmNames],
    dashboardName: observability.dashboard.dashboardName,
    fisTemplateIds: pulumi.all(Object.fromEntries(Object.entries(chaos.templates).map(([drill, t]) => [drill, t.id]))),
    metricsNamespace: names.metricsNamespace,
    // Workspace storage.
    workspaceVolumeRoleArn: storage.roleArn,
    workspaceVolumeKeyArn: storage.keyArn,
    workspaceVolumeSettings: storage.settings,
    retainedVolumesAlarmName: retainedVolumes.alarm.name,
    egressProxy: egressProxy && egressLb
      ? pulumi.all({ url: egressLb.url, serviceName: egressProxy.serviceName, logGroupName: egressProxy.logGroup.name, metricsNamespace: egressProxy.metricsNamespace })
      : {},
  };
}
