// The whole platform for one stack, from a validated config. Components in dependency order;
// the stack outputs are the contract with the ops tool (stackOutputs.ts).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, fullKey, type StackConfig } from "./config";
import { DnsFirewall } from "./components/dnsFirewall";
import { Endpoints } from "./components/endpoints";
import { allowedFlows } from "./lib/flows";
import { PlatformKey } from "./components/kms";
import { Network } from "./components/network";
import { SecurityGroups } from "./components/securityGroups";
import { platformAwsDomains } from "./lib/awsServices";
import { planSubnets } from "./lib/subnetLayout";
import { EcsCluster } from "./components/cluster";
import { platformNames } from "./lib/names";
import type { OutputInputs, StackOutputs } from "./stackOutputs";
import { Hosts } from "./components/hosts";
import { parseCertificateArn } from "./config/services";
import { buildDataLayer, buildServiceLayer } from "./services";
// Egress modes.
import { EgressProxyLoadBalancer } from "./services/egressProxy/loadBalancer";
import { vpcReverseZone } from "./lib/egress";

/** Region facts the program needs as plain values before it creates anything. */
async function lookUpRegion(cfg: StackConfig): Promise<{ zones: string[]; accountId: string }> {
  const [zones, identity] = await Promise.all([
    aws.getAvailabilityZones({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }),
    aws.getCallerIdentity({}),
  ]);
  const names = [...zones.names].sort();
  if (names.length < cfg.azCount) {
    throw new ConfigError(cfg.stack, [{
      key: fullKey("azCount"),
      value: String(cfg.azCount),
      expected: `at most ${names.length}: ${cfg.region} has ${names.length} available zones (${names.join(", ")})`,
    }]);
  }
  certificateAccountCheck(cfg, identity.accountId);
  return { zones: names.slice(0, cfg.azCount), accountId: identity.accountId };
}

/** An ALB can only use an ACM certificate of its own account: catches a stack file's placeholder. */
function certificateAccountCheck(cfg: StackConfig, accountId: string) {
  const cert = cfg.certificateArn ? parseCertificateArn(cfg.certificateArn) : undefined;
  if (cert && cert.accountId !== accountId) {
    throw new ConfigError(cfg.stack, [{
      key: fullKey("certificateArn"),
      value: JSON.stringify(cfg.certificateArn),
      expected: `a certificate of the account the stack deploys to (${accountId}); this one belongs to ${cert.accountId}` +
        (cert.accountId === "123456789012" ? ", the placeholder account of the stack file: put your ACM certificate's ARN there" : ""),
    }]);
  }
}

export async function buildPlatform(cfg: StackConfig): Promise<OutputInputs<StackOutputs>> {
  const { zones, accountId } = await lookUpRegion(cfg);
  const prefix = `${cfg.project}-${cfg.stack}`;
  const names = platformNames(prefix);
  const tags = cfg.tags;

  // The platform key first: every log group the stack creates is encrypted with it, and the VPC's
  // flow logs, the DNS query logs and the AMI build logs come before the services layer.
  const key = new PlatformKey("kms", { prefix, region: cfg.region, accountId, isProd: cfg.isProd, tags });

  const network = new Network("network", {
    prefix,
    region: cfg.region,
    accountId,
    kmsKeyArn: key.arn,
    vpcCidr: cfg.vpcCidr,
    availabilityZones: zones,
    subnets: planSubnets(cfg.vpcCidr, cfg.azCount, {
      public: cfg.publicSubnetCidrs,
      private: cfg.privateSubnetCidrs,
      isolated: cfg.isolatedSubnetCidrs,
      workspace: cfg.workspaceSubnetCidrs,
    }),
    natGateways: cfg.natGateways,
    egressMode: cfg.egressMode,
    logRetentionDays: cfg.logRetentionDays,
    tags,
  });

  const securityGroups = new SecurityGroups("sg", {
    prefix,
    vpcId: network.vpcId,
    flows: allowedFlows({ albIngressCidrs: cfg.albIngressCidrs, resolverIp: network.resolverIp, egressMode: cfg.egressMode }),
    s3PrefixListId: network.s3PrefixListId,
    tags,
  });

  // Services layer, part 1: key, secrets and data stores (the DNS Firewall allows their endpoints).
  const layer = { cfg, prefix, names, accountId, zones, network, securityGroups, key, tags };
  const data = buildDataLayer(layer);

  const endpoints = new Endpoints("endpoints", {
    prefix,
    region: cfg.region,
    accountId,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    securityGroupId: securityGroups.ids.endpoints,
    tags,
  });

  // Egress: in proxy mode, the egress proxy's internal NLB, which workspaces resolve by
  // name: the DNS Firewall below must allow it (and the VPC's reverse zone, in which the proxy
  // looks up its clients). The proxy service itself joins the services layer.
  const egressProxyLoadBalancer = cfg.egressMode === "proxy"
    ? new EgressProxyLoadBalancer("egress-proxy-lb", {
      prefix,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      securityGroupId: securityGroups.ids.egressProxyLb,
      isProd: cfg.isProd,
      tags,
    })
    : undefined;

  const dnsFirewall = new DnsFirewall("dns-firewall", {
    prefix,
    vpcId: network.vpcId,
    allowedDomains: [
      ...cfg.dnsAllowedDomains,
      ...platformAwsDomains(cfg.region, accountId),
      ...data.endpointNames,
      ...(egressProxyLoadBalancer ? [egressProxyLoadBalancer.dnsName, vpcReverseZone(cfg.vpcCidr)] : []),
    ],
    blockResponse: cfg.dnsBlockResponse,
    catchAllAction: cfg.dnsFirewallCatchAllAction,
    alertAcknowledged: cfg.dnsFirewallAlertAcknowledged,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: key.arn,
    tags,
  });

  const cluster = new EcsCluster("ecs", { name: names.cluster, tags });

  // Host pools: AMI, launch templates, ASGs, capacity providers on the cluster. The AMI build and
  // the host pools wait for the endpoints and the DNS Firewall every host goes through.
  const hosts = new Hosts("hosts", {
    prefix,
    region: cfg.region,
    accountId,
    clusterName: cluster.name,
    clusterPhysicalName: names.cluster,
    privateSubnetIds: network.privateSubnetIds,
    pinnedAmiId: cfg.amiId,
    rootVolumeGiB: cfg.hostRootVolumeGiB,
    stopTimeoutSeconds: cfg.containerStopTimeoutSeconds,
    reservedMemoryMiB: cfg.hostReservedMemoryMiB,
    seccompPtrace: cfg.seccompPtrace,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: key.arn,
    pools: {
      backend: {
        instanceTypes: cfg.backendInstanceTypes,
        minSize: cfg.backendMinSize,
        maxSize: cfg.backendMaxSize,
        spot: cfg.backendSpot,
        warmPoolSize: 0,
        targetCapacity: cfg.backendTargetCapacity,
        securityGroupId: securityGroups.ids.backendHosts,
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
        securityGroupId: securityGroups.ids.workspaceHosts,
        autoScalingGroupName: names.autoScalingGroup.workspace,
        capacityProviderName: names.capacityProvider.workspace,
      },
    },
    networkReady: [endpoints, dnsFirewall],
    tags,
  });

  // Services layer, part 2: images, workspace, ALB, alarms, backend, FIS. The backend service
  // waits for the capacity providers to be attached to the cluster.
  const services = buildServiceLayer(layer, data, cluster, { capacityReady: [hosts.capacityReady], egressProxyLoadBalancer });

  return {
    stack: cfg.stack,
    region: cfg.region,
    accountId,
    vpcId: network.vpcId,
    vpcCidr: cfg.vpcCidr,
    availabilityZones: zones,
    publicSubnetIds: pulumi.all(network.publicSubnetIds),
    privateSubnetIds: pulumi.all(network.privateSubnetIds),
    isolatedSubnetIds: pulumi.all(network.isolatedSubnetIds),
    securityGroupIds: pulumi.all(securityGroups.ids),
    dnsFirewallRuleGroupId: dnsFirewall.ruleGroup.id,
    dnsFirewallAssociationId: dnsFirewall.association.id,
    dnsFirewallCatchAllDomainListId: dnsFirewall.catchAllDomainList.id,
    flowLogGroupName: network.flowLogGroup.name,
    dnsQueryLogGroupName: dnsFirewall.queryLogGroup.name,
    clusterName: cluster.name,
    clusterArn: cluster.arn,
    amiId: hosts.image.amiId,
    backendCapacityProvider: hosts.pools.backend.capacityProvider.name,
    workspaceCapacityProvider: hosts.pools.workspace.capacityProvider.name,
    backendAutoScalingGroup: hosts.pools.backend.autoScalingGroup.name,
    workspaceAutoScalingGroup: hosts.pools.workspace.autoScalingGroup.name,
    backendLaunchTemplateId: hosts.pools.backend.launchTemplate.id,
    workspaceLaunchTemplateId: hosts.pools.workspace.launchTemplate.id,
    seccompPtrace: cfg.seccompPtrace,
    ...services,
    egressMode: cfg.egressMode,
    workspaceSubnetIds: pulumi.all(network.workspaceSubnetIds),
  };
}
