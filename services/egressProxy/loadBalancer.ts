// The egress proxy's internal address: an internal NLB in the private subnets, across AZs, with
// its own security group (workspaces in, the proxy tasks out), forwarding TCP on the proxy port
// to the proxy tasks with a PROXY protocol v2 header, so Squid logs every decision with the
// workspace's own address. Built before the DNS Firewall, whose allow list must name it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EGRESS_PROXY_PORT } from "../../lib/squidConfig";

export interface EgressProxyLoadBalancerArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The stack's VPC. */
  readonly vpcId: pulumi.Input<string>;
  /** The private subnets the internal NLB sits in. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** Seconds a deregistering proxy task keeps its open tunnels (git clones, package downloads). */
const EGRESS_PROXY_DEREGISTRATION_SECONDS = 120;
/**
 * Seconds a tunnel may stay silent before the NLB drops it (its default is 350): long enough for
 * an MCP server's event stream or a slow build step between bytes, like the ALB's idle timeout.
 */
const EGRESS_PROXY_IDLE_TIMEOUT_SECONDS = 3600;

export class EgressProxyLoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly listener: aws.lb.Listener;
  /** The NLB's DNS name: the DNS Firewall allows it, the workspaces' HTTPS_PROXY names it. */
  readonly dnsName: pulumi.Output<string>;
  /** http://<dnsName>:3128, what the workspace containers get as HTTPS_PROXY. */
  readonly url: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;

  constructor(name: string, args: EgressProxyLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:egress:EgressProxyLoadBalancer", name, {}, opts);
    const parent = { parent: this };
    const lbName = `${args.prefix}-egress`.slice(0, 32);

    this.loadBalancer = new aws.lb.LoadBalancer(`${name}-nlb`, {
      name: lbName,
      loadBalancerType: "network",
      internal: true,
      ipAddressType: "ipv4",
      subnets: args.subnetIds,
      securityGroups: [args.securityGroupId],
      // A workspace keeps its proxy when its AZ has no healthy proxy task.
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: args.isProd,
      tags: { ...args.tags, Name: lbName, Role: "egress-proxy" },
    }, parent);

    this.targetGroup = new aws.lb.TargetGroup(`${name}-targets`, {
      name: lbName,
      vpcId: args.vpcId,
      targetType: "ip",
      protocol: "TCP",
      port: EGRESS_PROXY_PORT,
      // The NLB's own address reaches Squid, with the client's in the PROXY v2 header; the proxy
      // tasks' security group then admits the NLB's group only.
      preserveClientIp: "false",
      proxyProtocolV2: true,
      deregistrationDelay: EGRESS_PROXY_DEREGISTRATION_SECONDS,
      healthCheck: {
        enabled: true,
        protocol: "TCP",
        port: "traffic-port",
        interval: 10,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
      tags: { ...args.tags, Name: lbName },
    }, parent);

    this.listener = new aws.lb.Listener(`${name}-listener`, {
      loadBalancerArn: this.loadBalancer.arn,
      port: EGRESS_PROXY_PORT,
      protocol: "TCP",
      tcpIdleTimeoutSeconds: EGRESS_PROXY_IDLE_TIMEOUT_SECONDS,
      defaultActions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      tags: args.tags,
    }, parent);

    this.dnsName = this.loadBalancer.dnsName;
    this.url = pulumi.interpolate`http://${this.loadBalancer.dnsName}:${EGRESS_PROXY_PORT}`;
    this.arnSuffix = this.loadBalancer.arnSuffix;
    this.registerOutputs({ dnsName: this.dnsName, url: this.url });
  }
}
