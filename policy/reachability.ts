// Reachable by construction: every AWS call a role is allowed to make must be able to leave the place
// the role runs. For each role the graph places (instances through their instance profile and launch
// template or Image Builder configuration, tasks through their service, the ECS agent through the
// hosts its task definitions are placed on, Lambda functions attached to the VPC), each allowed
// action's endpoint (lib/awsCalls.ts) needs an interface endpoint with private DNS, its names on the
// DNS Firewall's allow list, and a flow on 443 from the caller's security group to the endpoint's
// (or, for S3, the gateway on the caller's route tables, the prefix list flow and the bucket in the
// gateway's policy); or else a route out of the VPC, 443 anywhere and an allowed name (dns-firewall
// mode). Roles AWS uses on its own side (FIS, ECS infrastructure roles, flow logs, a Lambda outside
// the VPC) need none of this and are said to.
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { AWS_SIDE_PRINCIPALS, callRoute, type CallTarget } from "../lib/awsCalls";
import { gatewayBuckets, type InterfaceEndpointService, interfaceEndpointServices } from "../lib/awsServices";
import { contains, mustParseCidr, parseCidr } from "../lib/cidr";
import { POOL_ATTRIBUTE } from "../lib/names";
import { asList, conditionKeys, referenced, refersTo, statementsOf, wildcardMatch } from "./util";

const T = {
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policy: "aws:iam/policy:Policy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  profile: "aws:iam/instanceProfile:InstanceProfile",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  imageInfra: "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  service: "aws:ecs/service:Service",
  lambda: "aws:lambda/function:Function",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  subnet: "aws:ec2/subnet:Subnet",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  route: "aws:ec2/route:Route",
  firewallRule: "aws:route53/resolverFirewallRule:ResolverFirewallRule",
} as const;

const HTTPS = 443;

/** Where a role's calls start: the security groups and subnets of its caller. */
interface Place {
  readonly what: string;
  readonly groups: readonly PolicyResource[];
  readonly subnets: readonly PolicyResource[];
}

/** One allowed action of one role, and how (or whether) it gets out. */
interface Reach {
  readonly role: string;
  readonly from: string;
  readonly action: string;
  /** How the call leaves: an endpoint, the S3 gateway, the internet, or no call of its own. */
  readonly via: string;
  readonly problems: readonly string[];
}

const of = (resources: readonly PolicyResource[], type: string) => resources.filter((r) => r.type === type);
const ofType = (list: readonly PolicyResource[], type: string) => list.filter((r) => r.type === type);
const unique = <R extends PolicyResource>(list: R[]) => [...new Map(list.map((r) => [r.urn, r])).values()];

/** The service principals a role's trust policy lets assume it. */
function trustedServices(role: PolicyResource): string[] {
  // Read outside the try: an unknown value during preview must reach the engine (the policy then runs at update).
  const trust = role.props.assumeRolePolicy;
  const statements = (() => {
    try {
      return statementsOf(trust);
    } catch {
      return [];
    }
  })();
  return statements.filter((s) => s.Effect === "Allow").flatMap((s) => asList<string>((s as { Principal?: { Service?: string | string[] } }).Principal?.Service));
}

/** Every statement of every identity policy the role carries. */
function roleStatements(resources: readonly PolicyResource[], role: PolicyResource) {
  const documents = [
    ...asList<{ policy?: unknown }>(role.props.inlinePolicies).map((p) => p.policy),
    ...of(resources, T.rolePolicy).filter((p) => refersTo(p, "role", role)).map((p) => p.props.policy),
    ...of(resources, T.attachment).filter((a) => refersTo(a, "role", role)).flatMap((a) => ofType(referenced(a, "policyArn"), T.policy)).map((p) => p.props.policy),
  ];
  return documents.filter((d) => d !== undefined).flatMap((d) => {
    try {
      return statementsOf(d);
    } catch {
      return [];
    }
  });
}

/** A launch template's hosts: its security groups and the subnets of the Auto Scaling groups that launch it. */
function hostPlace(resources: readonly PolicyResource[], lt: PolicyResource, what: string): Place {
  const groups = [...referenced(lt, "vpcSecurityGroupIds"), ...referenced(lt, "networkInterfaces")].filter((r) => r.type === T.securityGroup);
  const asgs = of(resources, T.asg).filter((g) => refersTo(g, "launchTemplate", lt) || refersTo(g, "mixedInstancesPolicy", lt));
  return { what, groups: unique(groups), subnets: unique(asgs.flatMap((g) => referenced(g, "vpcZoneIdentifiers"))) };
}

/** Where the role runs, as far as the graph tells: places in the VPC, or AWS's side, or nowhere known. */
export function placesOf(resources: readonly PolicyResource[], role: PolicyResource): { places: Place[]; awsSide: string[]; unplaced: string[] } {
  const places: Place[] = [];
  const awsSide: string[] = [];
  const unplaced: string[] = [];
  for (const service of trustedServices(role)) {
    if (AWS_SIDE_PRINCIPALS[service]) {
      awsSide.push(`${service}: ${AWS_SIDE_PRINCIPALS[service]}`);
    } else if (service === "ec2.amazonaws.com") {
      for (const profile of of(resources, T.profile).filter((p) => refersTo(p, "role", role))) {
        for (const lt of of(resources, T.launchTemplate).filter((l) => refersTo(l, "iamInstanceProfile", profile))) {
          places.push(hostPlace(resources, lt, `instances of launch template ${lt.name}`));
        }
        for (const infra of of(resources, T.imageInfra).filter((i) => refersTo(i, "instanceProfileName", profile))) {
          places.push({ what: `Image Builder instances of ${infra.name}`, groups: referenced(infra, "securityGroupIds"), subnets: referenced(infra, "subnetId") });
        }
      }
    } else if (service === "ecs-tasks.amazonaws.com") {
      for (const td of of(resources, T.taskDefinition).filter((t) => refersTo(t, "taskRoleArn", role))) {
        const services = of(resources, T.service).filter((s) => refersTo(s, "taskDefinition", td));
        if (services.length === 0) unplaced.push(`tasks of ${td.name} have no ECS service in the stack: their network is not in the graph`);
        for (const s of services) {
          const network = referenced(s, "networkConfiguration");
          places.push({ what: `tasks of service ${s.name}`, groups: ofType(network, T.securityGroup), subnets: ofType(network, T.subnet) });
        }
      }
      // An execution role is used by the ECS agent on whichever host runs the task: the pool the task
      // definition is placed on, or every host of the stack.
      for (const td of of(resources, T.taskDefinition).filter((t) => refersTo(t, "executionRoleArn", role))) {
        const pool = asList<{ expression?: string }>(td.props.placementConstraints)
          .map((c) => new RegExp(`attribute:${POOL_ATTRIBUTE.replace(/\./g, "\\.")}\\s*==\\s*(\\S+)`).exec(c.expression ?? "")?.[1]).find(Boolean);
        const hosts = of(resources, T.launchTemplate).filter((lt) => pool === undefined || lt.props.tags?.[POOL_ATTRIBUTE] === pool);
        if (hosts.length === 0) unplaced.push(`no host runs tasks of ${td.name} (pool ${pool ?? "any"})`);
        for (const lt of hosts) places.push(hostPlace(resources, lt, `the ECS agent on ${lt.name} for ${td.name}`));
      }
    } else if (service === "lambda.amazonaws.com") {
      for (const fn of of(resources, T.lambda).filter((f) => refersTo(f, "role", role))) {
        const inVpc = referenced(fn, "vpcConfig");
        if (inVpc.length === 0) awsSide.push(`lambda.amazonaws.com: function ${fn.name} is not attached to the VPC and calls AWS's public endpoints`);
        else places.push({ what: `function ${fn.name}`, groups: ofType(inVpc, T.securityGroup), subnets: ofType(inVpc, T.subnet) });
      }
    } else {
      unplaced.push(`trusts ${service}, which this policy cannot place`);
    }
  }
  if (places.length === 0 && awsSide.length === 0 && unplaced.length === 0) unplaced.push("nothing in the stack uses it");
  return { places, awsSide, unplaced };
}

/** A DNS Firewall domain ("*.example.com" covers subdomains) allows `name`. */
function domainAllows(domain: string, name: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, "");
  const n = name.toLowerCase().replace(/\.$/, "");
  return d === "*" || d === n || (d.startsWith("*.") && n.endsWith(d.slice(1)));
}

interface Network {
  readonly region: string;
  /** Undefined when the stack has no DNS Firewall: every name resolves. */
  readonly allowed?: readonly string[];
}

function networkOf(resources: readonly PolicyResource[]): Network | undefined {
  const serviceNames = of(resources, T.endpoint).map((e) => String(e.props.serviceName ?? ""));
  const fromEndpoint = serviceNames.map((n) => n.split(".")[2]).find(Boolean);
  const fromSubnet = of(resources, T.subnet).map((s) => String(s.props.availabilityZone ?? "").replace(/[a-z]$/, "")).find(Boolean);
  const region = fromEndpoint ?? fromSubnet;
  if (!region) return undefined;
  const allowRules = of(resources, T.firewallRule).filter((r) => r.props.action === "ALLOW");
  if (of(resources, T.firewallRule).length === 0) return { region };
  return { region, allowed: allowRules.flatMap((r) => referenced(r, "firewallDomainListId")).flatMap((l) => asList<string>(l.props.domains)) };
}

const nameAllowed = (net: Network, name: string) => net.allowed === undefined || net.allowed.some((d) => domainAllows(d, name));

const tcpCovers = (protocol: unknown, from: unknown, to: unknown, port: number) => {
  const p = String(protocol);
  if (p === "-1") return true;
  return (p === "tcp" || p === "6") && Number(from) <= port && port <= Number(to);
};

/** Whether `group` may send TCP `port` to what `target` says: another group, a prefix list, or an address. */
function egressTo(resources: readonly PolicyResource[], group: PolicyResource, port: number, target: { group?: PolicyResource; prefixList?: string; address?: string }): boolean {
  return of(resources, T.egressRule).filter((r) => refersTo(r, "securityGroupId", group) && tcpCovers(r.props.ipProtocol, r.props.fromPort, r.props.toPort, port)).some((r) => {
    if (target.group && refersTo(r, "referencedSecurityGroupId", target.group)) return true;
    if (target.prefixList && r.props.prefixListId === target.prefixList) return true;
    const cidr = r.props.cidrIpv4 ? parseCidr(String(r.props.cidrIpv4)) : undefined;
    const address = target.address ? parseCidr(target.address) : undefined;
    return cidr !== undefined && typeof cidr !== "string" && address !== undefined && typeof address !== "string" && contains(cidr, address);
  });
}

/** Whether `group` admits TCP `port` from `source` (a group, or any address of its subnets). */
function ingressFrom(resources: readonly PolicyResource[], group: PolicyResource, port: number, source: PolicyResource, subnets: readonly PolicyResource[]): boolean {
  return of(resources, T.ingressRule).filter((r) => refersTo(r, "securityGroupId", group) && tcpCovers(r.props.ipProtocol, r.props.fromPort, r.props.toPort, port)).some((r) => {
    if (refersTo(r, "referencedSecurityGroupId", source)) return true;
    const cidr = r.props.cidrIpv4 ? parseCidr(String(r.props.cidrIpv4)) : undefined;
    return cidr !== undefined && typeof cidr !== "string" && subnets.length > 0 &&
      subnets.every((s) => s.props.cidrBlock && contains(cidr, mustParseCidr(String(s.props.cidrBlock))));
  });
}

function routeTablesOf(resources: readonly PolicyResource[], subnet: PolicyResource): PolicyResource[] {
  return of(resources, T.association).filter((a) => refersTo(a, "subnetId", subnet)).flatMap((a) => referenced(a, "routeTableId"));
}

/** A route out of the VPC (NAT or internet gateway) from every subnet of the place. */
function routesOut(resources: readonly PolicyResource[], place: Place): boolean {
  return place.subnets.length > 0 && place.subnets.every((s) => routeTablesOf(resources, s).some((table) => of(resources, T.route).some((r) =>
    refersTo(r, "routeTableId", table) && (r.props.destinationCidrBlock === "0.0.0.0/0") && (r.props.natGatewayId || r.props.gatewayId))));
}

/** The internet path of dns-firewall mode: a route out, 443 anywhere, and the name allowed. */
function overInternet(resources: readonly PolicyResource[], net: Network, place: Place, host: string): string | undefined {
  const anywhere = place.groups.some((g) => egressTo(resources, g, HTTPS, { address: "0.0.0.0/0" }));
  if (anywhere && routesOut(resources, place) && nameAllowed(net, host)) return `the internet (route out, 443 anywhere, ${host} allowed)`;
  return undefined;
}

/** Whether some Allow statement of an S3 gateway's policy lets s3:GetObject reach `objectArn`. */
function gatewayAllows(gateway: PolicyResource, objectArn: string): boolean {
  const policy = gateway.props.policy;
  if (policy === undefined) return true;
  const statements = (() => {
    try {
      return statementsOf(policy);
    } catch {
      return [];
    }
  })();
  return statements.some((s) => s.Effect === "Allow" && asList(s.Action).some((a) => wildcardMatch(a, "s3:GetObject")) &&
    asList(s.Resource).some((r) => wildcardMatch(r, objectArn)));
}

function reachEndpoint(resources: readonly PolicyResource[], net: Network, place: Place, entry: InterfaceEndpointService): { via: string; problems: string[] } {
  const serviceName = `com.amazonaws.${net.region}.${entry.service}`;
  const names = entry.names(net.region);
  const endpoints = of(resources, T.endpoint).filter((e) => e.props.serviceName === serviceName && e.props.vpcEndpointType === "Interface");
  if (endpoints.length === 0) {
    const hosts = names.length > 0 ? names : [serviceName];
    const internet = hosts.map((h) => overInternet(resources, net, place, h));
    if (internet.every(Boolean)) return { via: internet[0] as string, problems: [] };
    return { via: "nothing", problems: [`no interface endpoint ${serviceName}, and no route out, 443 anywhere and allowed name either`] };
  }
  const problems: string[] = [];
  const ep = endpoints[0];
  if (ep.props.privateDnsEnabled !== true) problems.push(`endpoint ${ep.name} has no private DNS: ${names.join(", ") || entry.service} would not resolve to it`);
  const hosts = names.length > 0 ? names : [`*.dkr.ecr.${net.region}.amazonaws.com`];
  for (const host of names) if (!nameAllowed(net, host)) problems.push(`${host} is not on the DNS Firewall allow list`);
  if (names.length === 0 && net.allowed !== undefined && !net.allowed.some((d) => d.toLowerCase().endsWith(`.dkr.ecr.${net.region}.amazonaws.com`))) {
    problems.push(`no registry name (<account>.dkr.ecr.${net.region}.amazonaws.com) is on the DNS Firewall allow list`);
  }
  const endpointGroups = ofType(referenced(ep, "securityGroupIds"), T.securityGroup);
  const flows = place.groups.some((g) => endpointGroups.some((eg) => egressTo(resources, g, HTTPS, { group: eg }) && ingressFrom(resources, eg, HTTPS, g, place.subnets)));
  if (!flows) problems.push(`no flow on ${HTTPS} from ${place.groups.map((g) => g.name).join(", ") || "the caller"} to the endpoint's group ${endpointGroups.map((g) => g.name).join(", ")}`);
  return { via: `endpoint ${entry.id} (${hosts.join(", ")})`, problems };
}

function reachS3(resources: readonly PolicyResource[], net: Network, place: Place, bucket: string): { via: string; problems: string[] } {
  const host = gatewayBuckets(net.region).find((b) => b.bucket === bucket)?.host ?? `${bucket}.s3.${net.region}.amazonaws.com`;
  const gateways = of(resources, T.endpoint).filter((e) => e.props.serviceName === `com.amazonaws.${net.region}.s3` && e.props.vpcEndpointType === "Gateway");
  const problems: string[] = [];
  const gateway = gateways.find((gw) => place.subnets.every((s) => routeTablesOf(resources, s).some((t) => refersTo(gw, "routeTableIds", t))));
  if (!gateway) {
    const internet = overInternet(resources, net, place, host);
    return internet ? { via: internet, problems } : { via: "nothing", problems: [`no S3 gateway endpoint on the route tables of ${place.what}, and no way out either`] };
  }
  if (!gatewayAllows(gateway, `arn:aws:s3:::${bucket}/object`)) problems.push(`the S3 gateway's policy does not allow s3:GetObject on ${bucket}`);
  if (!nameAllowed(net, host)) problems.push(`${host} is not on the DNS Firewall allow list`);
  const prefixList = gateway.props.prefixListId as string | undefined;
  if (!place.groups.some((g) => egressTo(resources, g, HTTPS, { prefixList, address: "0.0.0.0/0" }))) problems.push(`no flow on ${HTTPS} from ${place.groups.map((g) => g.name).join(", ")} to the S3 prefix list`);
  return { via: `S3 gateway (${host})`, problems };
}

/** S3 buckets a statement names ("arn:aws:s3:::bucket/…"). */
const bucketsOf = (resources: readonly string[]) => [...new Set(resources.filter((r) => r.startsWith("arn:aws:s3:::")).map((r) => r.slice("arn:aws:s3:::".length).split("/")[0]))];

/** Every role's every allowed action, where it starts and how it leaves, with what is missing. */
export function reachability(resources: readonly PolicyResource[]): { reaches: Reach[]; unplaced: { role: string; reason: string }[]; awsSide: { role: string; reason: string }[] } {
  const net = networkOf(resources);
  const endpointsById = new Map(net ? interfaceEndpointServices(net.region).map((s) => [s.id, s]) : []);
  const reaches: Reach[] = [];
  const unplaced: { role: string; reason: string }[] = [];
  const awsSide: { role: string; reason: string }[] = [];
  for (const role of of(resources, T.role)) {
    const where = placesOf(resources, role);
    where.unplaced.forEach((reason) => unplaced.push({ role: role.name, reason }));
    where.awsSide.forEach((reason) => awsSide.push({ role: role.name, reason }));
    if (!net) continue;
    for (const statement of roleStatements(resources, role).filter((s) => s.Effect === "Allow")) {
      for (const action of asList(statement.Action)) {
        const route = callRoute(action, conditionKeys(statement));
        for (const place of where.places) {
          if (route.kind === "authorization") {
            reaches.push({ role: role.name, from: place.what, action, via: `no call of its own: authorised within ${route.by}`, problems: [] });
            continue;
          }
          if (route.kind === "unknown") {
            reaches.push({ role: role.name, from: place.what, action, via: "nothing", problems: [`lib/awsCalls.ts knows no endpoint for ${action}`] });
            continue;
          }
          for (const target of route.targets) reaches.push({ role: role.name, from: place.what, action, ...reachTarget(resources, net, place, target, asList(statement.Resource), endpointsById) });
        }
      }
    }
  }
  return { reaches, unplaced, awsSide };
}

function reachTarget(resources: readonly PolicyResource[], net: Network, place: Place, target: CallTarget, statementResources: string[], endpoints: Map<string, InterfaceEndpointService>) {
  if (target.kind === "endpoint") {
    const entry = endpoints.get(target.endpoint);
    if (!entry) return { via: "nothing", problems: [`lib/awsServices.ts has no interface endpoint ${target.endpoint}`] };
    return reachEndpoint(resources, net, place, entry);
  }
  const buckets = target.bucket ? [target.bucket(net.region)] : bucketsOf(statementResources);
  if (buckets.length === 0) return { via: "nothing", problems: ["an S3 call on no named bucket: the policy cannot tell which"] };
  const results = buckets.map((b) => reachS3(resources, net, place, b));
  return { via: results.map((r) => r.via).join("; "), problems: results.flatMap((r) => r.problems) };
}

export const awsCallsReachable: StackValidationPolicy = {
  name: "aws-calls-reachable",
  description: "Every AWS call a role may make can leave the place the role runs: an interface endpoint with private DNS (or the S3 gateway), the name on the DNS Firewall's allow list and a flow from the caller's security group, or a route out and an allowed name. Roles AWS uses on its own side are exempt.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const roles = of(args.resources, T.role);
    if (roles.length === 0) args.notApplicable("the stack has no IAM role");
    const { reaches, unplaced } = reachability(args.resources);
    const urnOf = (name: string) => roles.find((r) => r.name === name)?.urn;
    for (const u of unplaced) report(`role ${u.role}: ${u.reason}; the policy cannot tell where its calls start.`, urnOf(u.role));
    for (const r of reaches) {
      for (const problem of r.problems) report(`role ${r.role} may call ${r.action} from ${r.from}, but ${problem}.`, urnOf(r.role));
    }
  },
};
