// The foundation of the platform: the platform key, the network and its security groups, then
// the VPC endpoints, the egress proxy's load balancer, the DNS Firewall and the ECS cluster.
// Two steps, because the DNS Firewall's allow list names the data stores built between them.
import * as pulumi from "@pulumi/pulumi";
import { EcsCluster } from "../components/cluster";
import { DnsFirewall } from "../components/dnsFirewall";
import { Endpoints } from "../components/endpoints";
import { PlatformKey } from "../components/kms";
import { Network } from "../components/network";
import { SecurityGroups } from "../components/securityGroups";
import { platformAwsDomains } from "../lib/awsServices";
import { vpcReverseZone } from "../lib/egress";
import { allowedFlows } from "../lib/flows";
import { planSubnets } from "../lib/subnetLayout";
import { EgressProxyLoadBalancer } from "../services/egressProxy/loadBalancer";
import type { FoundationOutputs, OutputInputs } from "../stackOutputs";
import type { PlatformContext } from "./context";

export interface NetworkStep {
  /** The platform key, made before anything it encrypts (the VPC's flow logs are among the first). */
  readonly key: PlatformKey;
  readonly network: Network;
  readonly securityGroups: SecurityGroups;
}

export interface NetworkControlsStep {
  readonly endpoints: Endpoints;
  /** egressMode proxy only: built before the DNS Firewall, which allows its name. */
  readonly egressProxyLoadBalancer?: EgressProxyLoadBalancer;
  readonly dnsFirewall: DnsFirewall;
  readonly cluster: EcsCluster;
}

/** The platform key first: every log group is encrypted with it, the VPC's flow logs among the first. */
export function buildNetwork(ctx: PlatformContext): NetworkStep {
  const { cfg, prefix, accountId, tags } = ctx;
  const key = new PlatformKey("kms", { prefix, region: cfg.region, accountId, isProd: cfg.isProd, tags });
  const network = new Network("network", {
    prefix,
    region: cfg.region,
    accountId,
    kmsKeyArn: key.arn,
    vpcCidr: cfg.vpcCidr,
    availabilityZones: ctx.zones,
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
  return { key, network, securityGroups };
}

/**
 * The endpoints, the DNS Firewall and the cluster. `dataEndpointNames` are the data stores' names
 * the backend resolves: the DNS Firewall allows them, and in egressMode proxy the egress proxy's
 * NLB (which workspaces resolve) and the VPC's reverse zone (in which the proxy looks up its clients).
 */
export function buildNetworkControls(ctx: PlatformContext, net: NetworkStep, dataEndpointNames: pulumi.Output<string>[]): NetworkControlsStep {
  const { cfg, prefix, accountId, tags } = ctx;
  const { network, securityGroups } = net;
  const endpoints = new Endpoints("endpoints", {
    prefix,
    region: cfg.region,
    accountId,
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    securityGroupId: securityGroups.ids.endpoints,
    tags,
  });
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
      ...dataEndpointNames,
      ...(egressProxyLoadBalancer ? [egressProxyLoadBalancer.dnsName, vpcReverseZone(cfg.vpcCidr)] : []),
    ],
    blockResponse: cfg.dnsBlockResponse,
    catchAllAction: cfg.dnsFirewallCatchAllAction,
    alertAcknowledged: cfg.dnsFirewallAlertAcknowledged,
    logRetentionDays: cfg.logRetentionDays,
    kmsKeyArn: net.key.arn,
    tags,
  });
  const cluster = new EcsCluster("ecs", { name: ctx.names.cluster, tags });
  return { endpoints, egressProxyLoadBalancer, dnsFirewall, cluster };
}

export function foundationOutputs(ctx: PlatformContext, net: NetworkStep, controls: NetworkControlsStep): OutputInputs<FoundationOutputs> {
  const { cfg } = ctx;
  const { network, securityGroups } = net;
  const { dnsFirewall, cluster } = controls;
  return {
    stack: cfg.stack,
    region: cfg.region,
    accountId: ctx.accountId,
    vpcId: network.vpcId,
    vpcCidr: cfg.vpcCidr,
    availabilityZones: [...ctx.zones],
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
  };
}
