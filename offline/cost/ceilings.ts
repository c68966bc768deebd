// The stack's ceilings: how many workspaces it can hold at once under each AWS limit, which binds
// first, how long a burst of workspace launches takes within the RunTask limits, and what a
// target concurrency (capacityTargetWorkspaces) would take. Read from the planned graph, with the
// quotas from the stack config (lib/awsLimits.ts defaults).
//
// Where the addresses go in this program: a workspace task's interface is created in the subnet
// RunTask names, the workspace subnets (lib/launchContract.ts), which ECS allows in another subnet
// of the host's AZ (containers-roadmap#49; trunking needs only the same VPC). The hosts' primary
// interfaces, and the trunk interface ECS adds to each, are in the private subnets (the Auto
// Scaling groups' subnets), as are the interface endpoints, the egress proxy's NLB and tasks, and
// the backend tasks. So the workspace subnets hold workspace tasks only.
import { type Burst, burstLaunch, DEFAULT_QUOTAS, ECS_API_LIMITS, LIMITS_DATE, prefixFor, usableAddresses } from "../../lib/awsLimits";
import { mustParseCidr } from "../../lib/cidr";
import { instanceTypeInfo } from "../../lib/instanceCatalog";
import { MAX_TASKS_PER_RUNTASK } from "../../lib/launchContract";
import type { StackGraph } from "../graph";
import type { CapacityModel } from "./capacity";
import { hostPools } from "./pools";

/** Interfaces per container instance: its primary one and the trunk ECS attaches (ENI trunking). */
const INTERFACES_PER_HOST = 2;

export interface Quotas {
  readonly containerInstancesPerCluster: number;
  readonly networkInterfacesPerRegion: number;
  readonly tasksProvisioningPerCluster: number;
}

export const DEFAULT_QUOTA_VALUES: Quotas = {
  containerInstancesPerCluster: DEFAULT_QUOTAS.containerInstancesPerCluster.value,
  networkInterfacesPerRegion: DEFAULT_QUOTAS.networkInterfacesPerRegion.value,
  tasksProvisioningPerCluster: DEFAULT_QUOTAS.tasksProvisioningPerCluster.value,
};

type LimitName = "pool maximum" | "workspace subnets" | "private subnets" | "container instances" | "network interfaces";

interface Ceiling {
  readonly limit: LimitName;
  /** Concurrent workspaces the stack holds under this limit alone. */
  readonly workspaces: number;
  readonly detail: string;
  /** The config key that moves it. */
  readonly key: string;
}

/** Interfaces the stack uses besides the workspace hosts and tasks, by what uses them. */
interface FixedInterfaces {
  readonly items: readonly { readonly what: string; readonly count: number; readonly estimate?: boolean }[];
  readonly total: number;
}

interface Sizing {
  readonly workspaces: number;
  readonly instances: number;
  /** Stacks (cells) the container-instance quota alone needs. */
  readonly cells: number;
  readonly tasksPerAz: number;
  readonly workspacePrefixNeeded: number;
  readonly workspacePrefix: number;
  readonly networkInterfaces: number;
  /** vCPUs of every host at that size: the EC2 On-Demand vCPU quota must allow them. */
  readonly onDemandVcpus: number;
  readonly burst: Burst;
  readonly hourly?: number;
  /** Quotas above this account's values, with the figure to ask for. */
  readonly raise: readonly { readonly quota: string; readonly key: string; readonly need: number; readonly have: number }[];
}

export interface Ceilings {
  readonly asOf: string;
  readonly azCount: number;
  readonly perInstance: number;
  readonly instanceType: string;
  readonly quotas: Quotas;
  readonly rows: readonly Ceiling[];
  readonly binding: Ceiling;
  readonly fixedInterfaces: FixedInterfaces;
  readonly burst: Burst;
  readonly target: Sizing;
}

const fmt = (v: number) => v.toLocaleString("en-US");
const usd = (v: number, digits = 2) => `$${v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;

/** The subnets of a tier (network-<tier>-<i>), by AZ index. */
function tierSubnets(graph: StackGraph, tier: string): number[] {
  return graph.ofType("aws:ec2/subnet:Subnet")
    .filter((s) => new RegExp(`-${tier}-\\d+$`).test(s.name))
    .map((s) => mustParseCidr(String(s.inputs.cidrBlock)).prefix);
}

/** Desired count of an ECS service, or the maximum of its Application Auto Scaling target. */
function serviceTasks(graph: StackGraph, nameEnd: string): number {
  const service = graph.ofType("aws:ecs/service:Service").find((s) => s.name.endsWith(nameEnd));
  if (!service) return 0;
  const target = graph.ofType("aws:appautoscaling/target:Target").find((t) => String(t.inputs.resourceId ?? "").endsWith(`/${service.inputs.name}`));
  return Number(target?.inputs.maxCapacity ?? service.inputs.desiredCount ?? 0);
}

interface PrivateUse {
  readonly perAz: number;
  readonly items: string;
}

/** Interfaces in the busiest AZ's private subnet other than the running workspace hosts'. */
function privateSubnetUse(graph: StackGraph, azCount: number, backendHosts: number, warmHosts: number): PrivateUse {
  const perAz = (total: number) => Math.ceil(total / azCount);
  const endpoints = graph.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").filter((e) => e.inputs.vpcEndpointType === "Interface").length;
  const nlbs = graph.ofType("aws:lb/loadBalancer:LoadBalancer").filter((lb) => lb.inputs.internal === true).length;
  const egressProxy = perAz(serviceTasks(graph, "egress-proxy-service"));
  const backend = perAz(serviceTasks(graph, "backend-service"));
  const hosts = perAz(backendHosts) * INTERFACES_PER_HOST;
  const builder = graph.ofType("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration").length;
  const parts = [
    [endpoints, "interface endpoints"], [nlbs, "egress proxy NLB"], [egressProxy, "egress proxy task(s)"], [backend, "backend tasks"],
    [hosts, "backend host interfaces"], [perAz(warmHosts), "stopped warm-pool host(s)"], [builder, "AMI build instance"],
  ] as const;
  return {
    perAz: parts.reduce((s, [count]) => s + count, 0),
    items: parts.filter(([count]) => count > 0).map(([count, what]) => `${count} ${what}`).join(", "),
  };
}

/** Interfaces in the Region besides the workspace pool's: AWS creates one per endpoint subnet, NAT gateway, load balancer node, database and cache node, host and awsvpc task. */
export function fixedInterfaces(graph: StackGraph, backendHosts: number, warmHosts: number): FixedInterfaces {
  const count = (type: string) => graph.ofType(type);
  const endpoints = count("aws:ec2/vpcEndpoint:VpcEndpoint").filter((e) => e.inputs.vpcEndpointType === "Interface")
    .reduce((s, e) => s + (Array.isArray(e.inputs.subnetIds) ? e.inputs.subnetIds.length : 0), 0);
  const lbs = count("aws:lb/loadBalancer:LoadBalancer").reduce((s, lb) => s + (Array.isArray(lb.inputs.subnets) ? lb.inputs.subnets.length : 0), 0);
  const rds = count("aws:rds/instance:Instance").reduce((s, db) => s + (db.inputs.multiAz ? 2 : 1), 0);
  const redis = count("aws:elasticache/replicationGroup:ReplicationGroup").reduce((s, g) => s + Number(g.inputs.numCacheClusters ?? 1), 0);
  const items = [
    { what: "interface endpoint subnets", count: endpoints },
    { what: "NAT gateways", count: count("aws:ec2/natGateway:NatGateway").length },
    // A load balancer has at least one node per subnet and adds nodes as it scales.
    { what: "load balancer nodes (at least)", count: lbs, estimate: true },
    { what: "RDS instances (a Multi-AZ standby too)", count: rds },
    { what: "Redis nodes", count: redis },
    { what: "backend hosts (primary + trunk)", count: backendHosts * INTERFACES_PER_HOST },
    // A stopped warm-pool instance keeps its primary interface; it gets a trunk only once it registers.
    { what: "stopped warm-pool hosts", count: warmHosts },
    { what: "backend tasks at their maximum", count: serviceTasks(graph, "backend-service") },
    { what: "egress proxy tasks", count: serviceTasks(graph, "egress-proxy-service") },
    { what: "AMI build instance", count: count("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration").length },
  ].filter((i) => i.count > 0);
  return { items, total: items.reduce((s, i) => s + i.count, 0) };
}

/** Most workspaces whose tasks and hosts fit in `interfaces`: n + 2 x ceil(n / perInstance). */
export function workspacesWithinInterfaces(interfaces: number, perInstance: number): number {
  if (perInstance <= 0 || interfaces <= 0) return 0;
  let n = Math.floor((interfaces * perInstance) / (perInstance + INTERFACES_PER_HOST));
  while (n > 0 && n + INTERFACES_PER_HOST * Math.ceil(n / perInstance) > interfaces) n--;
  return n;
}

export function stackCeilings(graph: StackGraph, capacity: CapacityModel, quotas: Quotas, targetWorkspaces: number): Ceilings | undefined {
  const first = capacity.byType[0];
  if (!first) return undefined;
  const w = first.density.workspaces;
  const workspacePrefixes = tierSubnets(graph, "workspace");
  const privatePrefixes = tierSubnets(graph, "private");
  const azCount = workspacePrefixes.length;
  if (azCount === 0) return undefined;
  const pools = hostPools(graph);
  const backend = pools.find((p) => p.pool === "backend");
  const backendHosts = backend?.maxSize ?? 0;
  // At the pool's maximum the warm pool keeps its minimum (warmPoolSize with every instance running).
  const warmHosts = pools.find((p) => p.pool === capacity.pool)?.warmPool?.minSize ?? 0;
  const poolMax = capacity.instances.max;

  const workspaceFree = Math.min(...workspacePrefixes.map(usableAddresses));
  const smallestWorkspace = Math.max(...workspacePrefixes);
  const privateUse = privateSubnetUse(graph, azCount, backendHosts, warmHosts);
  const privateFree = privatePrefixes.length > 0 ? Math.min(...privatePrefixes.map(usableAddresses)) : 0;
  const hostsPerAzInPrivate = Math.max(0, Math.floor((privateFree - privateUse.perAz) / INTERFACES_PER_HOST));
  const fixed = fixedInterfaces(graph, backendHosts, warmHosts);
  const clusterHosts = Math.max(0, quotas.containerInstancesPerCluster - backendHosts);

  const rows: Ceiling[] = [
    { limit: "pool maximum", workspaces: poolMax * w, key: "workspaceMaxSize", detail: `${fmt(poolMax)} instances (workspaceMaxSize) x ${w} per ${first.instanceType}` },
    {
      limit: "workspace subnets",
      workspaces: azCount * workspaceFree,
      key: "workspaceSubnetCidrs",
      detail: `${azCount} x /${smallestWorkspace}: ${fmt(workspaceFree)} addresses each (AWS reserves 5), one per workspace task; nothing else uses them`,
    },
    {
      limit: "private subnets",
      workspaces: azCount * hostsPerAzInPrivate * w,
      key: "privateSubnetCidrs",
      detail: `${azCount} x ${fmt(hostsPerAzInPrivate)} hosts (2 addresses each: primary and trunk interface) after ${privateUse.items} per AZ`,
    },
    {
      limit: "container instances",
      workspaces: clusterHosts * w,
      key: "quotaContainerInstancesPerCluster",
      detail: `(${fmt(quotas.containerInstancesPerCluster)} per cluster − ${backendHosts} backend hosts) x ${w}`,
    },
    {
      limit: "network interfaces",
      workspaces: workspacesWithinInterfaces(quotas.networkInterfacesPerRegion - fixed.total, w),
      key: "quotaNetworkInterfacesPerRegion",
      detail: `${fmt(quotas.networkInterfacesPerRegion)} per Region − ${fmt(fixed.total)} for the rest of the stack; each workspace takes 1, each host 2 per ${w} workspaces (shared with the whole account in the Region)`,
    },
  ];
  const binding = rows.reduce((a, b) => (b.workspaces < a.workspaces ? b : a));

  const instances = Math.ceil(targetWorkspaces / w);
  const tasksPerAz = Math.ceil(instances / azCount) * w;
  const networkInterfaces = fixed.total + targetWorkspaces + instances * INTERFACES_PER_HOST;
  const raise = [
    ...(networkInterfaces > quotas.networkInterfacesPerRegion
      ? [{ quota: DEFAULT_QUOTAS.networkInterfacesPerRegion.name, key: "quotaNetworkInterfacesPerRegion", need: networkInterfaces, have: quotas.networkInterfacesPerRegion }]
      : []),
  ];
  return {
    asOf: LIMITS_DATE,
    azCount,
    perInstance: w,
    instanceType: first.instanceType,
    quotas,
    rows,
    binding,
    fixedInterfaces: fixed,
    burst: burstLaunch(binding.workspaces, w),
    target: {
      workspaces: targetWorkspaces,
      instances,
      cells: clusterHosts > 0 ? Math.ceil(instances / clusterHosts) : Number.POSITIVE_INFINITY,
      tasksPerAz,
      workspacePrefixNeeded: prefixFor(tasksPerAz),
      workspacePrefix: smallestWorkspace,
      networkInterfaces,
      onDemandVcpus: instances * first.shape.vcpu + backendHosts * (instanceTypeInfo(backend?.instanceTypes[0] ?? "")?.vcpu ?? 0),
      burst: burstLaunch(targetWorkspaces, w),
      hourly: first.instanceHourly !== undefined ? instances * first.instanceHourly : undefined,
      raise,
    },
  };
}

const seconds = (s: number) => `${s.toLocaleString("en-US", { maximumFractionDigits: 1 })} s`;

function burstText(b: Burst): string {
  return `${fmt(b.workspaces)} workspaces = ${fmt(b.runTaskCalls)} RunTask calls of ${MAX_TASKS_PER_RUNTASK}: ` +
    (b.seconds === 0 ? `within the burst of ${ECS_API_LIMITS.runStop.burst} calls` : `${seconds(b.seconds)} after the burst of ${ECS_API_LIMITS.runStop.burst} calls, at ${ECS_API_LIMITS.runStop.perSecond} calls/s`) +
    `, on ${fmt(b.hosts)} running hosts`;
}

/** The ceilings as the plan's text lines: the table, then the burst and the target sizing (ceilingNotes). */
export function ceilingLines(c: Ceilings | undefined, hoursPerMonth: number): string[] {
  if (!c) return [];
  const width = Math.max(...c.rows.map((r) => r.limit.length));
  const num = Math.max(...c.rows.map((r) => fmt(r.workspaces).length));
  return [
    `ceilings: concurrent workspaces under each limit (AWS's default quotas as of ${c.asOf} unless a quota* key sets the account's; lib/awsLimits.ts):`,
    ...c.rows.map((r) => `  ${r.limit.padEnd(width)}  ${fmt(r.workspaces).padStart(num)}  ${r.detail}${r === c.binding ? "  ← binds first" : ""}`),
    `  first to bind: ${c.binding.limit}, ${fmt(c.binding.workspaces)} workspaces (${c.binding.key})`,
    ...ceilingNotes(c, hoursPerMonth),
  ];
}

/** The burst-launch time of the stack's ceiling, and what capacityTargetWorkspaces would take. */
export function ceilingNotes(c: Ceilings, hoursPerMonth: number): string[] {
  const t = c.target;
  return [
    `burst launch within the RunTask limits (the bucket StopTask and UpdateContainerInstancesState share; the backend's other calls slow it): ${burstText(c.burst)}; ` +
      `tasks beyond the running hosts' free slots wait in PROVISIONING for new hosts, at most ${fmt(c.quotas.tasksProvisioningPerCluster)} per cluster (quotaTasksProvisioningPerCluster)`,
    `for ${fmt(t.workspaces)} concurrent workspaces (capacityTargetWorkspaces): ${fmt(t.instances)} ${c.instanceType} instances (workspaceMaxSize ≥ ${fmt(t.instances)}` +
      (t.cells > 1 ? `; beyond one cluster's ${fmt(c.quotas.containerInstancesPerCluster)} container instances: at least ${t.cells} cells, docs/scale.md` : "") + `); ` +
      `${fmt(t.tasksPerAz)} workspace tasks per AZ need /${t.workspacePrefixNeeded} workspace subnets (this stack: /${t.workspacePrefix}${t.workspacePrefixNeeded < t.workspacePrefix ? ", too small" : ""}); ` +
      `${fmt(t.networkInterfaces)} network interfaces; ${fmt(t.onDemandVcpus)} On-Demand vCPUs with the backend hosts; ${burstText(t.burst)}` +
      (t.hourly !== undefined ? `; the instances cost ${usd(t.hourly)}/hour, ${usd(t.hourly * hoursPerMonth, 0)}/month` : ""),
    `quotas to raise for ${fmt(t.workspaces)}: ` +
      [...t.raise.map((r) => `${r.quota} to ≥ ${fmt(r.need)} (now ${fmt(r.have)}; then set ${r.key})`),
        `EC2 'Running On-Demand Standard instances' (L-1216C47A) to ≥ ${fmt(t.onDemandVcpus)} vCPUs where the account's is lower (its default differs by account)`].join("; "),
  ];
}
