// The host pools: AMI, launch templates, Auto Scaling groups and capacity providers on the cluster.
// The AMI build and the pools wait for the endpoints and the DNS Firewall every host goes through.
import { Hosts } from "../components/hosts";
import type { HostOutputs, OutputInputs } from "../stackOutputs";
import type { PlatformContext } from "./context";
import type { NetworkControlsStep, NetworkStep } from "./foundation";

export function buildHosts(ctx: PlatformContext, net: NetworkStep, controls: NetworkControlsStep): Hosts {
  const { cfg, names } = ctx;
  const ids = net.securityGroups.ids;
  return new Hosts("hosts", {
    prefix: ctx.prefix,
    region: cfg.region,
    accountId: ctx.accountId,
    clusterName: controls.cluster.name,
    clusterPhysicalName: names.cluster,
    privateSubnetIds: net.network.privateSubnetIds,
    pinnedAmiId: cfg.amiId,
    rootVolumeGiB: cfg.hostRootVolumeGiB,
    stopTimeoutSeconds: cfg.containerStopTimeoutSeconds,
    reservedMemoryMiB: cfg.hostReservedMemoryMiB,
    seccompPtrace: cfg.seccompPtrace,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: net.key.arn,
    pools: {
      backend: {
        instanceTypes: cfg.backendInstanceTypes,
        minSize: cfg.backendMinSize,
        maxSize: cfg.backendMaxSize,
        spot: cfg.backendSpot,
        warmPoolSize: 0,
        targetCapacity: cfg.backendTargetCapacity,
        securityGroupId: ids.backendHosts,
        autoScalingGroupName: names.autoScalingGroup.backend,
        capacityProviderName: names.capacityProvider.backend,
      },
      workspace: {
        instanceTypes: cfg.workspaceInstanceTypes,
        minSize: cfg.workspaceMinSize,
        maxSize: cfg.workspaceMaxSize,
        spot: cfg.workspaceSpot,
        warmPoolSize: cfg.workspaceWarmPoolSize,
        targetCapacity: cfg.workspaceTargetCapacity,
        securityGroupId: ids.workspaceHosts,
        autoScalingGroupName: names.autoScalingGroup.workspace,
        capacityProviderName: names.capacityProvider.workspace,
      },
    },
    networkReady: [controls.endpoints, controls.dnsFirewall],
    tags: ctx.tags,
  });
}

export function hostOutputs(ctx: PlatformContext, hosts: Hosts): OutputInputs<HostOutputs> {
  const { pools } = hosts;
  return {
    amiId: hosts.image.amiId,
    backendCapacityProvider: pools.backend.capacityProvider.name,
    workspaceCapacityProvider: pools.workspace.capacityProvider.name,
    backendAutoScalingGroup: pools.backend.autoScalingGroup.name,
    workspaceAutoScalingGroup: pools.workspace.autoScalingGroup.name,
    backendLaunchTemplateId: pools.backend.launchTemplate.id,
    workspaceLaunchTemplateId: pools.workspace.launchTemplate.id,
    seccompPtrace: ctx.cfg.seccompPtrace,
  };
}
