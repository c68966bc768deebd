// The allowed network flows of the platform, as one table. The security groups component turns
// each flow into rules, the tests check that the graph holds exactly these flows, and the security
// drill compares a live stack's rules against the same table.
import { EGRESS_PROXY_PORT } from "./squidConfig";
import type { EgressMode } from "./egress";

export const SECURITY_GROUPS = {
  alb: "Application Load Balancer: HTTPS/HTTP from the configured client CIDRs",
  backend: "Backend service tasks: 8000 from the ALB only",
  workspace: "Workspace tasks: 9000 from the backend only; out only to allowed destinations",
  // Egress proxy: empty, and so closed, in egressMode dns-firewall.
  egressProxyLb: "Egress proxy load balancer (internal NLB): the proxy port from workspaces only",
  egressProxy: "Egress proxy tasks (Squid): the proxy port from its load balancer only; out 443 and DNS",
  backendHosts: "Container instances of the backend pool: no inbound",
  workspaceHosts: "Container instances of the workspace pool: no inbound",
  endpoints: "VPC interface endpoints: 443 from the platform's own groups",
  database: "RDS PostgreSQL: 5432 from the backend only",
  redis: "ElastiCache Redis: 6379 from the backend only",
} as const;

export type GroupName = keyof typeof SECURITY_GROUPS;
export const GROUP_NAMES = Object.keys(SECURITY_GROUPS) as GroupName[];

export type Peer =
  | { readonly kind: "group"; readonly group: GroupName }
  | { readonly kind: "cidr"; readonly cidr: string; readonly label: string }
  | { readonly kind: "prefixList"; readonly prefixList: "s3" };

export interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  readonly protocol: "tcp" | "udp";
  readonly port: number;
  readonly purpose: string;
}

interface FlowContext {
  readonly albIngressCidrs: readonly string[];
  readonly resolverIp: string;
  /** Which workspace egress flows exist (lib/egress.ts). */
  readonly egressMode: EgressMode;
}

const group = (name: GroupName): Peer => ({ kind: "group", group: name });
const S3: Peer = { kind: "prefixList", prefixList: "s3" };

/**
 * Every flow the platform allows. A group→group flow becomes an egress rule on the source and an
 * ingress rule on the destination; a CIDR→group flow an ingress rule; a group→CIDR or group→prefix
 * list flow an egress rule. Anything not listed is denied.
 */
export function allowedFlows(ctx: FlowContext): Flow[] {
  const tcp = (from: Peer, to: Peer, port: number, purpose: string): Flow => ({ from, to, protocol: "tcp", port, purpose });
  const resolver: Peer = { kind: "cidr", cidr: `${ctx.resolverIp}/32`, label: "VPC resolver" };
  return [
    ...ctx.albIngressCidrs.flatMap((cidr) => {
      const clients: Peer = { kind: "cidr", cidr, label: "clients" };
      return [
        tcp(clients, group("alb"), 443, "HTTPS listener"),
        tcp(clients, group("alb"), 80, "HTTP listener, redirects to HTTPS"),
      ];
    }),
    tcp(group("alb"), group("backend"), 8000, "ALB to backend tasks"),
    tcp(group("backend"), group("workspace"), 9000, "backend to workspace agents"),
    tcp(group("backend"), group("database"), 5432, "backend to PostgreSQL"),
    tcp(group("backend"), group("redis"), 6379, "backend to Redis"),
    tcp(group("backend"), group("endpoints"), 443, "backend to AWS APIs (RunTask, metrics) through endpoints"),
    tcp(group("backendHosts"), group("endpoints"), 443, "ECS agent, ECR, logs, SSM through endpoints"),
    tcp(group("backendHosts"), S3, 443, "ECR image layers through the S3 gateway endpoint"),
    tcp(group("workspaceHosts"), group("endpoints"), 443, "ECS agent, ECR, logs, SSM through endpoints"),
    tcp(group("workspaceHosts"), S3, 443, "ECR image layers through the S3 gateway endpoint"),
    tcp(group("workspace"), group("endpoints"), 443, "Bedrock runtime through its endpoint"),
    { from: group("workspace"), to: resolver, protocol: "udp", port: 53, purpose: "DNS to the VPC resolver (DNS Firewall)" },
    tcp(group("workspace"), resolver, 53, "DNS over TCP to the VPC resolver"),
    ...egressFlows(ctx.egressMode, resolver),
  ];
}

const ANYWHERE: Peer = { kind: "cidr", cidr: "0.0.0.0/0", label: "allow-listed names" };

/** How a workspace reaches the internet, per egress mode (docs/egress.md). */
function egressFlows(mode: EgressMode, resolver: Peer): Flow[] {
  const tcp = (from: Peer, to: Peer, port: number, purpose: string): Flow => ({ from, to, protocol: "tcp", port, purpose });
  if (mode === "dns-firewall") {
    return [tcp(group("workspace"), ANYWHERE, 443, "HTTPS to names the DNS Firewall allows (an IP literal bypasses it: see egress modes)")];
  }
  return [
    tcp(group("workspace"), group("egressProxyLb"), EGRESS_PROXY_PORT, "workspaces to the egress proxy (HTTPS_PROXY)"),
    tcp(group("egressProxyLb"), group("egressProxy"), EGRESS_PROXY_PORT, "the NLB to the proxy tasks (traffic and health checks)"),
    tcp(group("egressProxy"), ANYWHERE, 443, "the proxy to allow-listed names (Squid checks the name; raw IPs refused)"),
    { from: group("egressProxy"), to: resolver, protocol: "udp", port: 53, purpose: "the proxy resolves names itself (DNS Firewall applies)" },
    tcp(group("egressProxy"), resolver, 53, "DNS over TCP to the VPC resolver"),
  ];
}

function describePeer(peer: Peer): string {
  switch (peer.kind) {
    case "group":
      return `sg:${peer.group}`;
    case "cidr":
      return `${peer.cidr} (${peer.label})`;
    case "prefixList":
      return `pl:${peer.prefixList}`;
  }
}

export function describeFlow(flow: Flow): string {
  return `${describePeer(flow.from)} -> ${describePeer(flow.to)} ${flow.protocol}/${flow.port}`;
}
