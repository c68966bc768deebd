// The workloads and what they run on: the images, the workspace storage, the egress proxy service
// (egressMode proxy), the workspace task definition, the ALB and the backend service, with the
// alarms the backend's deployments roll back on built before it (platform/operations.ts).
import * as path from "node:path";
import { PROJECT_ROOT } from "../config/services";
import type { ChaosTemplates } from "../components/chaos";
import { type Database, DB_NAME, DB_PORT } from "../components/database";
import { Registry } from "../components/ecr";
import type { Observability } from "../components/observability";
import type { RetainedVolumesMonitor } from "../components/retainedVolumesMonitor";
import { type Redis, REDIS_PORT } from "../components/redis";
import { WorkspaceStorage } from "../components/workspaceStorage";
import { DEPLOYMENT_ROLLBACK_ALARMS } from "../lib/alarmSpecs";
import { interfaceEndpointServices } from "../lib/awsServices";
import { WORKSPACE_VOLUME } from "../lib/workspaceContainers";
import { BACKEND_PORT, BackendService } from "../services/backend";
import { EgressProxyService } from "../services/egressProxy/service";
import { BackendLoadBalancer } from "../services/loadBalancer";
import { WorkspaceTask } from "../services/workspace";
import type { PlatformContext } from "./context";
import type { DataStep } from "./data";
import { buildChaos, buildObservability, buildRetainedVolumes, type WorkloadBase } from "./operations";

export interface WorkloadsStep {
  readonly registry: Registry;
  readonly storage: WorkspaceStorage;
  readonly egressProxy?: EgressProxyService;
  readonly workspace: WorkspaceTask;
  readonly alb: BackendLoadBalancer;
  readonly observability: Observability;
  readonly backend: BackendService;
  readonly retainedVolumes: RetainedVolumesMonitor;
  readonly chaos: ChaosTemplates;
}

export function buildWorkloads(ctx: PlatformContext, base: WorkloadBase): WorkloadsStep {
  const registry = buildImages(ctx, base);
  const storage = buildWorkspaceStorage(ctx);
  const egressProxy = buildEgressProxyService(ctx, base, registry);
  const workspace = buildWorkspaceTask(ctx, base, registry);
  const alb = buildBackendLoadBalancer(ctx, base);
  const observability = buildObservability(ctx, base, alb, egressProxy);
  const backend = buildBackendService(ctx, base, { registry, storage, workspace, alb, observability });
  const retainedVolumes = buildRetainedVolumes(ctx, base, observability);
  const chaos = buildChaos(ctx, base, observability, backend);
  return { registry, storage, egressProxy, workspace, alb, observability, backend, retainedVolumes, chaos };
}

/** The ECR repositories, and the images built from a config build context. */
function buildImages(ctx: PlatformContext, base: WorkloadBase): Registry {
  const { cfg } = ctx;
  const context = (dir: string | undefined) => (dir === undefined ? undefined : path.resolve(PROJECT_ROOT, dir));
  return new Registry("ecr", {
    prefix: ctx.prefix,
    kmsKeyArn: base.net.key.arn,
    isProd: cfg.isProd,
    images: {
      backend: { ref: cfg.backendImage, buildContext: context(cfg.backendBuildContext) },
      workspace: { ref: cfg.workspaceImage, buildContext: context(cfg.workspaceBuildContext) },
      credentialProxy: { ref: cfg.credentialProxyImage, buildContext: context(cfg.credentialProxyBuildContext) },
      ...(base.controls.egressProxyLoadBalancer && cfg.egressProxyImage
        ? { egressProxy: { ref: cfg.egressProxyImage, buildContext: context(cfg.egressProxyBuildContext) } }
        : {}),
    },
    tags: ctx.tags,
  });
}

/** The workspace volumes' key and the ECS infrastructure role every RunTask names. */
function buildWorkspaceStorage(ctx: PlatformContext): WorkspaceStorage {
  const { cfg } = ctx;
  return new WorkspaceStorage("workspace-storage", {
    prefix: ctx.prefix,
    stack: cfg.stack,
    region: cfg.region,
    accountId: ctx.accountId,
    clusterName: ctx.names.cluster,
    workspaceAutoScalingGroup: ctx.names.autoScalingGroup.workspace,
    volumeName: WORKSPACE_VOLUME,
    sizeGiB: cfg.workspaceVolumeGiB,
    iops: cfg.workspaceVolumeIops,
    throughputMiBps: cfg.workspaceVolumeThroughputMiBps,
    filesystem: cfg.workspaceVolumeFilesystem,
    isProd: cfg.isProd,
    tags: ctx.tags,
  });
}

/** egressMode proxy: Squid on the backend pool behind the internal NLB, running the allow list. */
function buildEgressProxyService(ctx: PlatformContext, base: WorkloadBase, registry: Registry): EgressProxyService | undefined {
  const { cfg, names } = ctx;
  const { net } = base;
  const loadBalancer = base.controls.egressProxyLoadBalancer;
  if (!loadBalancer || !registry.imageUris.egressProxy || !registry.repositories.egressProxy) return undefined;
  return new EgressProxyService("egress-proxy", {
    prefix: ctx.prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    clusterArn: base.controls.cluster.arn,
    capacityProvider: names.capacityProvider.backend,
    image: registry.imageUris.egressProxy,
    repositoryArn: registry.repositories.egressProxy.arn,
    cpu: cfg.egressProxyCpu,
    memoryMiB: cfg.egressProxyMemoryMiB,
    desiredCount: cfg.egressProxyCount,
    allowList: cfg.dnsAllowedDomains,
    subnetIds: net.network.privateSubnetIds,
    subnetCidrs: net.network.privateSubnetCidrs,
    securityGroupId: net.securityGroups.ids.egressProxy,
    loadBalancer,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: net.key.arn,
    metricsNamespace: names.metricsNamespace,
    capacityReady: [base.hosts.capacityReady],
    tags: ctx.tags,
  });
}

/** The workspace task definition: the agent and its credential proxy, and in egressMode proxy their HTTPS_PROXY. */
function buildWorkspaceTask(ctx: PlatformContext, base: WorkloadBase, registry: Registry): WorkspaceTask {
  const { cfg, names } = ctx;
  const egressLb = base.controls.egressProxyLoadBalancer;
  return new WorkspaceTask("workspace", {
    prefix: ctx.prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    family: names.taskFamily.workspace,
    logGroupName: names.logGroup.workspace,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: base.net.key.arn,
    agentImage: registry.imageUris.workspace,
    credentialProxyImage: registry.imageUris.credentialProxy,
    repositoryArns: [registry.repositories.workspace.arn, registry.repositories.credentialProxy.arn],
    credentialProxySecretArn: base.data.secrets.credentialProxySecret.arn,
    agentCpu: cfg.workspaceAgentCpu,
    agentMemoryMiB: cfg.workspaceAgentMemoryMiB,
    cpuHardLimit: cfg.workspaceCpuHardLimit,
    tmpfsMiB: cfg.workspaceTmpfsMiB,
    // NO_PROXY for the VPC endpoints' names: they are reached directly.
    egressProxy: egressLb
      ? { url: egressLb.url, directNames: interfaceEndpointServices(cfg.region).flatMap((s) => s.names(cfg.region)) }
      : undefined,
    tags: ctx.tags,
  });
}

function buildBackendLoadBalancer(ctx: PlatformContext, base: WorkloadBase): BackendLoadBalancer {
  const { cfg } = ctx;
  return new BackendLoadBalancer("alb", {
    prefix: ctx.prefix,
    vpcId: base.net.network.vpcId,
    subnetIds: base.net.network.publicSubnetIds,
    securityGroupId: base.net.securityGroups.ids.alb,
    certificateArn: cfg.certificateArn,
    idleTimeoutSeconds: cfg.albIdleTimeoutSeconds,
    healthCheckPath: cfg.backendHealthCheckPath,
    port: BACKEND_PORT,
    blueGreen: cfg.backendDeploymentStrategy === "blueGreen",
    isProd: cfg.isProd,
    tags: ctx.tags,
  });
}

interface BackendInputs {
  readonly registry: Registry;
  readonly storage: WorkspaceStorage;
  readonly workspace: WorkspaceTask;
  readonly alb: BackendLoadBalancer;
  readonly observability: Observability;
}

/** The backend service; it launches workspaces, so it carries their launch contract. */
function buildBackendService(ctx: PlatformContext, base: WorkloadBase, inputs: BackendInputs): BackendService {
  const { cfg, names } = ctx;
  const { net, data } = base;
  const { registry, storage, workspace, observability } = inputs;
  return new BackendService("backend", {
    prefix: ctx.prefix,
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
    clusterArn: base.controls.cluster.arn,
    subnetIds: net.network.privateSubnetIds,
    securityGroupId: net.securityGroups.ids.backend,
    logGroupName: names.logGroup.backend,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: net.key.arn,
    loadBalancer: inputs.alb,
    workspace: {
      family: names.taskFamily.workspace,
      executionRoleArn: workspace.executionRole.arn,
      // The workspace tier: no internet route in egressMode proxy.
      subnetIds: net.network.workspaceSubnetIds,
      securityGroupId: net.securityGroups.ids.workspace,
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
    database: databaseEndpoint(data.database),
    redis: redisEndpoint(data),
    metricsNamespace: names.metricsNamespace,
    deploymentAlarmNames: DEPLOYMENT_ROLLBACK_ALARMS.map((key) => observability.alarms[key].name),
    capacityReady: [base.hosts.capacityReady],
    tags: ctx.tags,
  });
}

function databaseEndpoint(database: Database) {
  return { host: database.address, port: DB_PORT, name: DB_NAME, masterSecretArn: database.masterSecretArn };
}

function redisEndpoint(data: { redis: Redis; secrets: DataStep["secrets"] }) {
  return { host: data.redis.primaryEndpoint, port: REDIS_PORT, authSecretArn: data.secrets.redisAuth.arn };
}
