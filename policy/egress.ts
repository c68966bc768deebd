// Egress invariants. In egressMode proxy (the VPC's EgressMode tag, and always in
// production), a workspace has no way out of the VPC but the egress proxy: its subnets have no
// route to a NAT or internet gateway, and its security group reaches only the proxy's load
// balancer, the VPC endpoints and the VPC resolver. In dns-firewall mode outside production
// neither applies (n/a): that mode's gap is documented, not hidden (docs/egress.md).
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { mustParseCidr, nthAddress } from "../lib/cidr";
import { asList, isProdStack, referenced, refersTo, stackOfUrn } from "./util";

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  routeTable: "aws:ec2/routeTable:RouteTable",
  route: "aws:ec2/route:Route",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  vpcEndpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
} as const;

/** Route targets that lead out of the VPC (a NAT instance is a network interface). */
const OUTBOUND_TARGETS = ["natGatewayId", "gatewayId", "egressOnlyGatewayId", "carrierGatewayId", "transitGatewayId", "networkInterfaceId"] as const;

/** VPCs the egress policies govern: egressMode proxy, and every VPC of a production stack. */
function egressProxyModeVpcs(args: StackValidationArgs, report: ReportViolation): PolicyResource[] {
  const vpcs = args.resources.filter((r) => r.type === T.vpc);
  const governed = vpcs.filter((v) => v.props.tags?.EgressMode === "proxy" || isProdStack(stackOfUrn(v.urn)));
  if (governed.length === 0) args.notApplicable("no VPC in egressMode proxy (dns-firewall mode outside production)");
  for (const vpc of governed) {
    if (vpc.props.tags?.EgressMode !== "proxy") {
      report(`VPC ${vpc.name} belongs to production stack "${stackOfUrn(vpc.urn)}" but runs egressMode ${vpc.props.tags?.EgressMode ?? "(no EgressMode tag)"}: production must use proxy.`, vpc.urn);
    }
  }
  return governed;
}

const of = (args: StackValidationArgs, type: string) => args.resources.filter((r) => r.type === type);

export const workspaceSubnetsNoInternetRoute: StackValidationPolicy = {
  name: "workspace-subnets-no-internet-route",
  description: "In egressMode proxy (always in production), workspace subnets (Tier=workspace) have their own route tables with no route to a NAT gateway, an internet gateway or any other way out of the VPC.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    for (const vpc of egressProxyModeVpcs(args, report)) {
      const subnets = of(args, T.subnet).filter((s) => s.props.tags?.Tier === "workspace" && refersTo(s, "vpcId", vpc));
      if (subnets.length === 0) {
        report(`VPC ${vpc.name} has no workspace subnets (Tier=workspace): in proxy mode workspaces need subnets without a route out.`, vpc.urn);
      }
      for (const subnet of subnets) {
        const tables = of(args, T.association).filter((a) => refersTo(a, "subnetId", subnet)).flatMap((a) => referenced(a, "routeTableId"));
        if (tables.length === 0) {
          report(`Workspace subnet ${subnet.name} has no route table of its own: the VPC's main route table (and whatever routes it holds) applies.`, subnet.urn);
        }
        for (const table of tables) {
          const routes = [
            ...of(args, T.route).filter((r) => refersTo(r, "routeTableId", table)).map((r) => ({ name: r.name, props: r.props, urn: r.urn })),
            ...asList<Record<string, any>>(table.props.routes).map((props) => ({ name: `${table.name} (inline route)`, props, urn: table.urn })),
          ];
          for (const route of routes) {
            const target = OUTBOUND_TARGETS.find((key) => route.props[key]);
            if (target) {
              const destination = route.props.destinationCidrBlock ?? route.props.cidrBlock ?? route.props.destinationIpv6CidrBlock ?? route.props.ipv6CidrBlock ?? route.props.destinationPrefixListId;
              report(`${route.name} routes ${destination} from workspace subnet ${subnet.name} to ${target} ${route.props[target]}: in proxy mode workspaces leave the VPC only through the egress proxy.`, route.urn);
            }
          }
        }
      }
    }
  },
};

interface EgressFacts {
  readonly name: string;
  readonly urn: string;
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: string[];
  readonly groups: PolicyResource[];
  /** Peers the policy cannot resolve to a resource (prefix lists, inline group ids). */
  readonly other: string[];
}

function egressRulesOf(args: StackValidationArgs, group: PolicyResource): EgressFacts[] {
  const facts: EgressFacts[] = [];
  for (const r of of(args, T.egressRule).filter((r) => refersTo(r, "securityGroupId", group))) {
    const p = r.props;
    facts.push({
      name: r.name, urn: r.urn, protocol: String(p.ipProtocol), fromPort: p.fromPort, toPort: p.toPort,
      cidrs: [p.cidrIpv4, p.cidrIpv6].filter(Boolean), groups: referenced(r, "referencedSecurityGroupId"),
      other: [p.prefixListId ? `prefix list ${p.prefixListId}` : ""].filter(Boolean),
    });
  }
  for (const r of of(args, T.sgRule).filter((r) => r.props.type === "egress" && refersTo(r, "securityGroupId", group))) {
    const p = r.props;
    facts.push({
      name: r.name, urn: r.urn, protocol: String(p.protocol), fromPort: p.fromPort, toPort: p.toPort,
      cidrs: [...asList<string>(p.cidrBlocks), ...asList<string>(p.ipv6CidrBlocks)], groups: referenced(r, "sourceSecurityGroupId"),
      other: [...asList<string>(p.prefixListIds).map((id) => `prefix list ${id}`), ...(p.self ? ["self"] : [])],
    });
  }
  for (const inline of asList<Record<string, any>>(group.props.egress)) {
    facts.push({
      name: `${group.name} (inline egress)`, urn: group.urn, protocol: String(inline.protocol), fromPort: inline.fromPort, toPort: inline.toPort,
      cidrs: [...asList<string>(inline.cidrBlocks), ...asList<string>(inline.ipv6CidrBlocks)], groups: [],
      other: [...asList<string>(inline.securityGroups).map((id) => `group ${id}`), ...asList<string>(inline.prefixListIds).map((id) => `prefix list ${id}`), ...(inline.self ? ["self"] : [])],
    });
  }
  return facts;
}

export const workspaceEgressProxyEndpointsResolverOnly: StackValidationPolicy = {
  name: "workspace-egress-proxy-endpoints-resolver-only",
  description: "In egressMode proxy (always in production), the workspace security group (Role=workspace) allows egress only to an internal NLB's group on its listener port (the egress proxy), to the VPC interface endpoints' group on 443 and to the VPC resolver on 53.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    for (const vpc of egressProxyModeVpcs(args, report)) {
      const groups = of(args, T.securityGroup).filter((g) => g.props.tags?.Role === "workspace" && refersTo(g, "vpcId", vpc));
      if (groups.length === 0) report(`VPC ${vpc.name} has no workspace security group (Role=workspace) to check.`, vpc.urn);
      const resolver = `${nthAddress(mustParseCidr(String(vpc.props.cidrBlock)), 2)}/32`;
      const endpointGroups = new Set(of(args, T.vpcEndpoint).filter((e) => e.props.vpcEndpointType === "Interface").flatMap((e) => referenced(e, "securityGroupIds")).map((g) => g.urn));
      // Internal NLBs' groups, with the ports their listeners serve.
      const egressProxyPorts = new Map<string, Set<number>>();
      for (const lb of of(args, T.loadBalancer).filter((l) => l.props.loadBalancerType === "network" && l.props.internal === true)) {
        const ports = of(args, T.listener).filter((l) => refersTo(l, "loadBalancerArn", lb)).map((l) => Number(l.props.port));
        for (const g of referenced(lb, "securityGroups")) egressProxyPorts.set(g.urn, new Set([...(egressProxyPorts.get(g.urn) ?? []), ...ports]));
      }
      for (const group of groups) {
        for (const rule of egressRulesOf(args, group)) {
          const where = `${rule.protocol}/${rule.fromPort}${rule.toPort !== rule.fromPort ? `-${rule.toPort}` : ""}`;
          const onePort = (rule.protocol === "tcp" || rule.protocol === "udp" || rule.protocol === "6" || rule.protocol === "17") && rule.fromPort === rule.toPort;
          const problems: string[] = [];
          if (!onePort) problems.push(`${where} is not a single TCP or UDP port`);
          for (const cidr of rule.cidrs) {
            if (!(cidr === resolver && Number(rule.fromPort) === 53)) problems.push(`${cidr} ${where} is not the VPC resolver (${resolver}) on 53`);
          }
          for (const peer of rule.groups) {
            const port = Number(rule.fromPort);
            const endpoint = endpointGroups.has(peer.urn) && port === 443 && rule.protocol === "tcp";
            const toEgressProxy = egressProxyPorts.get(peer.urn)?.has(port) === true && rule.protocol === "tcp";
            if (!endpoint && !toEgressProxy) problems.push(`group ${peer.name} ${where} is neither the VPC endpoints' group on 443 nor an internal NLB's group on its listener port`);
          }
          for (const other of rule.other) problems.push(`${other} ${where} is not allowed`);
          if (rule.cidrs.length + rule.groups.length + rule.other.length === 0) problems.push(`${where} to a peer the policy cannot identify`);
          for (const problem of problems) {
            report(`${rule.name}: the workspace group ${group.name} sends ${problem}; in proxy mode a workspace reaches only the egress proxy, the VPC endpoints and the resolver.`, rule.urn);
          }
        }
      }
    }
  },
};
