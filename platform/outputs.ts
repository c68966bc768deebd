// The workloads' part of the stack outputs (stackOutputs.ts): the services, the workspace storage
// and egress, in the order of their groups there.
import * as pulumi from "@pulumi/pulumi";
import type { EgressOutputs, OutputInputs, ServiceOutputs, StorageOutputs } from "../stackOutputs";
import type { PlatformContext } from "./context";
import type { DataStep } from "./data";
import type { NetworkControlsStep, NetworkStep } from "./foundation";
import { targetGroupsOf } from "./operations";
import type { WorkloadsStep } from "./workloads";

export function serviceOutputs(ctx: PlatformContext, data: DataStep, w: WorkloadsStep): OutputInputs<ServiceOutputs> {
  const { names } = ctx;
  const targetGroups = targetGroupsOf(w.alb);
  return {
    backendServiceName: w.backend.service.name,
    backendTaskDefinitionFamily: names.taskFamily.backend,
    workspaceTaskDefinitionFamily: w.workspace.family,
    workspaceTaskDefinitionArn: w.workspace.taskDefinition.arn,
    workspaceExecutionRoleArn: w.workspace.executionRole.arn,
    albDnsName: w.alb.dnsName,
    albArnSuffix: w.alb.arnSuffix,
    backendTargetGroupArn: w.alb.blue.arn,
    backendTargetGroupArnSuffix: w.alb.blue.arnSuffix,
    backendTargetGroupArns: pulumi.all(targetGroups.map((tg) => tg.arn)),
    backendLogGroupName: w.backend.logGroup.name,
    workspaceLogGroupName: w.workspace.logGroup.name,
    ecrRepositoryUrls: pulumi.all(w.registry.repositoryUrls) as pulumi.Output<ServiceOutputs["ecrRepositoryUrls"]>,
    dbInstanceIdentifier: data.database.identifier,
    redisReplicationGroupId: data.redis.replicationGroupId,
    credentialProxySecretArn: data.secrets.credentialProxySecret.arn,
    alarmTopicArn: w.observability.topic.arn,
    alarmNames: [...w.observability.alarmNames],
    dashboardName: w.observability.dashboard.dashboardName,
    fisTemplateIds: pulumi.all(Object.fromEntries(Object.entries(w.chaos.templates).map(([drill, t]) => [drill, t.id]))),
    metricsNamespace: names.metricsNamespace,
  };
}

export function storageOutputs(w: WorkloadsStep): OutputInputs<StorageOutputs> {
  return {
    workspaceVolumeRoleArn: w.storage.roleArn,
    workspaceVolumeKeyArn: w.storage.keyArn,
    workspaceVolumeSettings: w.storage.settings,
    retainedVolumesAlarmName: w.retainedVolumes.alarm.name,
  };
}

export function egressOutputs(ctx: PlatformContext, net: NetworkStep, controls: NetworkControlsStep, w: WorkloadsStep): OutputInputs<EgressOutputs> {
  const { egressProxy } = w;
  const egressLb = controls.egressProxyLoadBalancer;
  return {
    egressProxy: egressProxy && egressLb
      ? pulumi.all({ url: egressLb.url, serviceName: egressProxy.serviceName, logGroupName: egressProxy.logGroup.name, metricsNamespace: egressProxy.metricsNamespace })
      : {},
    egressMode: ctx.cfg.egressMode,
    workspaceSubnetIds: pulumi.all(net.network.workspaceSubnetIds),
  };
}
