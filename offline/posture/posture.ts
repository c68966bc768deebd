// The security layers in force in a stack, read from its graph (not from a list kept by hand):
// each row says what the planned resources actually carry, so a change that drops a layer shows
// here even where no policy of the pack covers it.
import type { StackConfig } from "../../config";
import { EGRESS_PROXY_CONTAINER, SQUID_CONFIG_ENV } from "../../lib/egressProxyContainer";
import { NON_PUBLIC_DESTINATION_PAGE } from "../../lib/squidConfig";
import type { CapturedResource, StackGraph } from "../graph";
import {
  BASE_PROFILE, effectiveRules, FAMILY_NAMES, PTRACE_CHOICES, type PtraceChoice, renderSeccompProfile, type SeccompProfile, type SeccompRule,
  SOCKET_FAMILY_LIMIT, socketFamilyAllowed,
} from "../../host/seccomp";
import { agentTaskCgroupsOn, agentTaskPidsLimit, ECS_AGENT_MIN_VERSION_FOR_PIDS_LIMIT, PID_MAX_LIMIT } from "../../lib/taskLimits";
import { hostHardening, type HostHardening } from "../hostBundle";
import { containerDefinitions, workspaceTaskDefinition } from "../workloads";
import { interfaceEndpointServices } from "../../lib/awsServices";
import { AWS_OWNED_BY_ENDPOINT, perimeterGaps } from "../../lib/dataPerimeter";
import { DNS_ALERT_ACKNOWLEDGED_TAG } from "../../lib/egress";

/** "warning": the layer is there but deliberately weakened for now (e.g. the DNS Firewall in ALERT). */
type Verdict = "in force" | "baseline" | "warning" | "partial" | "missing" | "mismatch";

export interface PostureRow {
  readonly layer: string;
  readonly verdict: Verdict;
  readonly detail: string;
  /** Ids of the resources the row was read from. */
  readonly evidence: readonly string[];
}

type EgressMode = "dns-firewall" | "proxy";

const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

/** "in force" when every item holds, "missing" when none does, else "partial". */
function allOrSome(held: number, of: number): Verdict {
  if (of > 0 && held === of) return "in force";
  return held === 0 ? "missing" : "partial";
}

const count = (held: number, of: number) => `${held}/${of}`;

interface Host {
  readonly lt: CapturedResource;
  readonly hardening?: HostHardening;
}

function hosts(graph: StackGraph): Host[] {
  return graph.ofType("aws:ec2/launchTemplate:LaunchTemplate").map((lt) => ({ lt, hardening: hostHardening(lt) }));
}

function imdsRow(graph: StackGraph): PostureRow {
  const hs = hosts(graph);
  const v2 = hs.filter(({ lt }) => lt.inputs.metadataOptions?.httpTokens === "required" && lt.inputs.metadataOptions?.httpPutResponseHopLimit === 1).length;
  const block = hs.filter(({ hardening }) => hardening?.ecsConfig.ECS_AWSVPC_BLOCK_IMDS === "true").length;
  const rules = hs.filter(({ hardening }) => {
    const v4 = hardening?.bundle["imds-block.rules"] ?? "";
    return /-d 169\.254\.169\.254\/32 -j (REJECT|DROP)/.test(v4);
  }).length;
  const rules6 = hs.filter(({ hardening }) => (hardening?.bundle["imds-block6.rules"] ?? "").includes("fd00:ec2::254")).length;
  const n = hs.length;
  const everywhere = Math.min(v2, block, rules);
  return {
    layer: "IMDS",
    verdict: everywhere === n && n > 0 ? "in force" : v2 + block + rules === 0 ? "missing" : "partial",
    detail: `IMDSv2 required with hop limit 1 on ${count(v2, n)} launch templates; ECS_AWSVPC_BLOCK_IMDS=true in ${count(block, n)} user data; ` +
      `iptables rules rejecting 169.254.169.254 from containers in ${count(rules, n)} host bundles (IPv6 fd00:ec2::254 in ${count(rules6, n)})`,
    evidence: hs.map((h) => h.lt.id),
  };
}

interface HostProfile {
  readonly path: string;
  readonly noNewPrivileges: boolean;
  readonly profile: SeccompProfile;
}

function hostProfiles(graph: StackGraph): { hosts: Host[]; profiles: (HostProfile | undefined)[] } {
  const hs = hosts(graph);
  const profiles = hs.map(({ hardening }) => {
    try {
      const daemon = JSON.parse(hardening?.bundle["daemon.json"] ?? "null");
      const profile = JSON.parse(hardening?.bundle["seccomp.json"] ?? "null") as SeccompProfile | null;
      if (!daemon?.["seccomp-profile"] || !profile?.syscalls) return undefined;
      return { path: String(daemon["seccomp-profile"]), noNewPrivileges: daemon["no-new-privileges"] === true, profile };
    } catch {
      return undefined;
    }
  });
  return { hosts: hs, profiles };
}

const familyName = (f: number) => FAMILY_NAMES[f] ?? `family ${f}`;
const families = (profile: SeccompProfile, caps: readonly string[], allowed: boolean) =>
  Array.from({ length: SOCKET_FAMILY_LIMIT }, (_, f) => f).filter((f) => f > 0 && socketFamilyAllowed(profile, f, caps) === allowed);

/** Which of the project's renderings a host's profile is, if any. */
function renderingOf(profile: SeccompProfile): PtraceChoice | undefined {
  const text = JSON.stringify(profile);
  return PTRACE_CHOICES.find((c) => JSON.stringify(renderSeccompProfile(c)) === text);
}

function seccompRow(graph: StackGraph): PostureRow {
  const { hosts: hs, profiles } = hostProfiles(graph);
  const found = profiles.filter((p) => p !== undefined);
  const p = found[0];
  const holding = (fn: (profile: SeccompProfile) => boolean) => found.filter((x) => fn(x.profile)).length;
  const denyByDefault = holding((x) => x.defaultAction !== "SCMP_ACT_ALLOW");
  const workspaceFamilies = (x: SeccompProfile) => families(x, [], true);
  // A workspace holds no capability; the ECS agent holds CAP_SYS_ADMIN and CAP_NET_ADMIN.
  const agentCaps = ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"];
  const familiesClosed = holding((x) => [38, 40].every((f) => !socketFamilyAllowed(x, f) && !socketFamilyAllowed(x, f, agentCaps)));
  const rendered = found.filter((x) => renderingOf(x.profile) !== undefined).length;
  const held = Math.min(denyByDefault, familiesClosed);
  const names = (rules: SeccompRule[], action: (a: string) => boolean) => rules.filter((r) => action(r.action)).reduce((n, r) => n + r.names.length, 0);
  return {
    layer: "seccomp",
    verdict: allOrSome(held, hs.length),
    detail: p
      ? `Docker daemon default profile ${p.path} on ${count(found.length, hs.length)} hosts' bundles: default ${p.profile.defaultAction}, ${names(p.profile.syscalls, (a) => a === "SCMP_ACT_ALLOW")} syscalls allowed, ` +
        `${names(p.profile.syscalls, (a) => a !== "SCMP_ACT_ALLOW")} denied outright; ` +
        `${rendered === found.length ? `today's Docker default (moby ${BASE_PROFILE.release}, ${BASE_PROFILE.date}) plus the project's rules` : `${found.length - rendered} profiles NOT rendered by host/seccomp.ts`}; ` +
        `socket families for containers without CAP_NET_ADMIN: ${workspaceFamilies(p.profile).map(familyName).join(", ")}; AF_ALG and AF_VSOCK refused on ${count(familiesClosed, hs.length)} hosts, for the ECS agent too; ` +
        `daemon no-new-privileges ${found.every((x) => x.noNewPrivileges) ? "on" : "OFF on some"} (ECS cannot set seccomp per container)`
      : "no daemon seccomp profile in any launch template's user data",
    evidence: hs.map((h) => h.lt.id),
  };
}

function ptraceRow(graph: StackGraph, config?: StackConfig): PostureRow {
  const { hosts: hs, profiles } = hostProfiles(graph);
  const allowed = profiles.filter((x) => x !== undefined && effectiveRules(x.profile).get("ptrace") === "allow").length;
  const denied = profiles.filter((x) => x !== undefined && typeof effectiveRules(x.profile).get("ptrace") === "number").length;
  const choice: PtraceChoice | "mixed" = allowed === hs.length ? "allowed" : denied === hs.length ? "denied" : "mixed";
  const configured = config?.seccompPtrace;
  const workspace = workspaceTaskDefinition(graph);
  const pidMode = workspace?.inputs.pidMode;
  // With a task-wide PID namespace the agent could trace the credential proxy (same uid) and read its credential.
  const sharedPids = pidMode !== undefined && pidMode !== null;
  const mismatch = (configured !== undefined && configured !== choice) || choice === "mixed";
  const explain = choice === "allowed"
    ? "Docker's default; strace, gdb, lldb, delve, py-spy and AddressSanitizer's leak check work, on the container's own processes only: no CAP_SYS_PTRACE, no-new-privileges"
    : choice === "denied"
      ? "ptrace and process_vm_readv/writev answer ENOSYS; strace, gdb, lldb, delve, rr, py-spy and AddressSanitizer's leak check fail in workspaces"
      : `allowed on ${allowed}, denied on ${denied} of ${hs.length} hosts`;
  return {
    layer: "ptrace",
    verdict: mismatch ? "mismatch" : choice === "allowed" && sharedPids ? "missing" : choice === "allowed" ? "baseline" : "in force",
    detail: `${choice} on ${count(choice === "denied" ? denied : allowed, hs.length)} hosts' profiles: ${explain}; ` +
      `workspace task PID namespace: ${sharedPids ? `pidMode ${pidMode} — SHARED with the credential proxy` : "one per container (no pidMode): the credential proxy is out of reach"}; ` +
      `config seccompPtrace: ${configured ? `${configured}${mismatch ? " — DOES NOT MATCH the graph" : ""}` : "unknown (no config given)"}`,
    evidence: [...hs.map((h) => h.lt.id), ...(workspace ? [workspace.id] : [])],
  };
}

function containersRow(graph: StackGraph): PostureRow {
  const hs = hosts(graph);
  const noPrivileged = hs.filter(({ hardening }) => hardening?.ecsConfig.ECS_DISABLE_PRIVILEGED === "true").length;
  const defs = graph.ofType("aws:ecs/taskDefinition:TaskDefinition");
  const containers = defs.flatMap((d) => containerDefinitions(d).map((c) => ({ td: d, c })));
  const privileged = containers.filter(({ c }) => c.privileged === true).map(({ c }) => String(c.name));
  const workspace = workspaceTaskDefinition(graph);
  const ws = workspace ? containerDefinitions(workspace) : [];
  const hardened = ws.filter((c) =>
    (c.linuxParameters?.capabilities?.drop ?? []).includes("ALL") &&
    (c.linuxParameters?.capabilities?.add ?? []).length === 0 &&
    c.readonlyRootFilesystem === true &&
    (c.dockerSecurityOptions ?? []).includes("no-new-privileges") &&
    c.user !== undefined && !/^0(:|$)|^root/.test(String(c.user))).length;
  const verdict = privileged.length > 0 ? "missing" : allOrSome(Math.min(noPrivileged === hs.length ? ws.length : 0, hardened), ws.length);
  return {
    layer: "Containers",
    verdict,
    detail: `ECS_DISABLE_PRIVILEGED=true on ${count(noPrivileged, hs.length)} hosts; privileged containers: ${privileged.length ? privileged.join(", ") : "none"} in ${defs.length} task definitions; ` +
      `workspace containers with all capabilities dropped, read-only root, no-new-privileges and a non-root user: ${count(hardened, ws.length)}` +
      (workspace ? `; ${workspaceResources(workspace, ws)}` : ""),
    evidence: [...hs.map((h) => h.lt.id), ...defs.map((d) => d.id)],
  };
}

function processesRow(graph: StackGraph): PostureRow {
  const hs = hosts(graph);
  const limits = hs.map(({ hardening }) => {
    const c = hardening?.ecsConfig ?? {};
    // The agent ignores values outside 1..4194304, and puts pids.max on the task cgroup only with task limits on.
    return agentTaskCgroupsOn(c.ECS_ENABLE_TASK_CPU_MEM_LIMIT) ? agentTaskPidsLimit(c.ECS_TASK_PIDS_LIMIT) : undefined;
  });
  const set = limits.filter((n) => n !== undefined);
  const workspace = workspaceTaskDefinition(graph);
  const ws = workspace ? containerDefinitions(workspace) : [];
  const nprocOf = (c: Record<string, any>) => (c.ulimits ?? []).find((u: { name: string }) => u.name === "nproc")?.hardLimit as number | undefined;
  // A per-uid limit below the kernel's PID ceiling can bind, and every workspace is the same uid.
  const coupling = ws.filter((c) => nprocOf(c) !== undefined && nprocOf(c)! < PID_MAX_LIMIT);
  const values = [...new Set(set)];
  return {
    layer: "Processes",
    verdict: coupling.length > 0 ? (set.length ? "partial" : "missing") : allOrSome(set.length, hs.length),
    detail: `ECS_TASK_PIDS_LIMIT=${values.length ? values.join("/") : "unset"} on ${count(set.length, hs.length)} hosts (pids.max of every task's cgroup, threads included; ECS agent >= ${ECS_AGENT_MIN_VERSION_FOR_PIDS_LIMIT}, task CPU/memory limits on); ` +
      `workspace containers' nproc ulimit: ${ws.map((c) => `${c.name} ${nprocOf(c) ?? "unset"}`).join(", ") || "no workspace task"} ` +
      (coupling.length
        ? `— BELOW ${PID_MAX_LIMIT}: nproc counts uid 1000's processes across the host, so one workspace at its limit stops every other from forking`
        : `(per uid across the host; unset or at the kernel's PID ceiling it never binds, so no workspace can starve another)`),
    evidence: [...hs.map((h) => h.lt.id), ...(workspace ? [workspace.id] : [])],
  };
}

/**
 * What bounds one workspace's use of its host: memory by hard limits; CPU by a task-level cap, or
 * only by weight (CPU shares), in which case a workspace bursts into idle cores and, under
 * contention, the kernel divides CPU by weight (docs/isolation.md, noisy neighbours).
 */
function workspaceResources(td: CapturedResource, ws: Record<string, any>[]): string {
  const unlimited = ws.filter((c) => !(Number(c.memory) > 0)).map((c) => String(c.name));
  const memory = unlimited.length === 0 ? `memory hard limits on ${ws.length}/${ws.length} containers` : `NO hard memory limit on ${unlimited.join(", ")}`;
  const cpu = td.inputs.cpu !== undefined
    ? `CPU capped at ${td.inputs.cpu} units per task (task-level cpu)`
    : `CPU by weight, no cap (shares ${ws.map((c) => `${c.name} ${Number(c.cpu ?? 0)}`).join(", ")}; no task-level cpu)`;
  return `workspace task: ${memory}, ${cpu}`;
}

function groupRole(sg: CapturedResource | undefined): string {
  if (!sg) return "?";
  return String(sg.inputs.tags?.Role ?? sg.inputs.name ?? sg.name);
}

function ruleTarget(graph: StackGraph, rule: CapturedResource): string {
  const i = rule.inputs;
  if (i.referencedSecurityGroupId) return `sg:${groupRole(graph.byPhysicalId(String(i.referencedSecurityGroupId)))}`;
  if (i.prefixListId) return "prefix list";
  return String(i.cidrIpv4 ?? i.cidrIpv6);
}

function port(rule: CapturedResource): string {
  const i = rule.inputs;
  return `${i.ipProtocol}/${i.fromPort === i.toPort ? i.fromPort : `${i.fromPort}-${i.toPort}`}`;
}

function sgRow(graph: StackGraph): PostureRow {
  const groups = graph.ofType("aws:ec2/securityGroup:SecurityGroup");
  const ingress = graph.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
  const egress = graph.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
  const inline = groups.filter((g) => (g.inputs.ingress ?? []).length > 0 || (g.inputs.egress ?? []).length > 0);
  const roleOf = (r: CapturedResource) => groupRole(graph.byPhysicalId(String(r.inputs.securityGroupId)));
  const open = ingress.filter((r) => ANYWHERE.has(String(r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6)));
  const openElsewhere = open.filter((r) => roleOf(r) !== "alb");
  const openOut = egress.filter((r) => ANYWHERE.has(String(r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6)));
  const defaultSg = graph.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup");
  const emptied = defaultSg.length > 0 && defaultSg.every((d) => (d.inputs.ingress ?? []).length === 0 && (d.inputs.egress ?? []).length === 0);
  return {
    layer: "Security groups",
    verdict: openElsewhere.length > 0 || inline.length > 0 ? "missing" : emptied ? "in force" : "partial",
    detail: `${groups.length} groups, ${ingress.length} ingress and ${egress.length} egress rules (one per allowed flow, no inline rules${inline.length ? `: INLINE RULES in ${inline.map(groupRole).join(", ")}` : ""}); ` +
      `0.0.0.0/0 ingress: ${open.length ? [...new Set(open.map((r) => `${roleOf(r)} ${port(r)}`))].join(", ") : "none"}` +
      `${openElsewhere.length ? ` — BESIDES THE ALB: ${openElsewhere.map((r) => `${roleOf(r)} ${port(r)}`).join(", ")}` : " (the ALB only)"}; ` +
      `egress to 0.0.0.0/0: ${openOut.length ? openOut.map((r) => `${roleOf(r)} ${port(r)}`).join(", ") : "none"}; default security group ${emptied ? "emptied" : "NOT emptied"}`,
    evidence: [...groups, ...ingress, ...egress].map((r) => r.id),
  };
}

function dnsFirewallRow(graph: StackGraph): PostureRow {
  const associations = graph.ofType("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation");
  const configs = graph.ofType("aws:route53/resolverFirewallConfig:ResolverFirewallConfig");
  const rules = graph.ofType("aws:route53/resolverFirewallRule:ResolverFirewallRule");
  const listOf = (r: CapturedResource) => graph.byPhysicalId(String(r.inputs.firewallDomainListId));
  const domains = (r: CapturedResource): string[] => listOf(r)?.inputs.domains ?? [];
  const lastPriority = Math.max(...rules.map((r) => Number(r.inputs.priority)));
  const catchAll = rules.find((r) => ["BLOCK", "ALERT"].includes(r.inputs.action) && domains(r).includes("*"));
  const catchAllLast = catchAll !== undefined && Number(catchAll.inputs.priority) === lastPriority;
  const alerting = catchAllLast && catchAll.inputs.action === "ALERT";
  const acknowledged = graph.ofType("aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup")
    .some((g) => g.inputs.tags?.[DNS_ALERT_ACKNOWLEDGED_TAG] === "true");
  const allowed = rules.filter((r) => r.inputs.action === "ALLOW").reduce((n, r) => n + domains(r).length, 0);
  const failClosed = configs.length > 0 && configs.every((c) => c.inputs.firewallFailOpen === "DISABLED");
  const logged = graph.ofType("aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation").length > 0;
  const held = [associations.length > 0, failClosed, catchAllLast].filter(Boolean).length;
  const last = !catchAllLast
    ? "NO final catch-all rule for *"
    : alerting
      ? `ALERT * last (priority ${catchAll.inputs.priority}): names off the allow list RESOLVE and are only logged` +
        ` (dnsFirewallCatchAllAction ALERT${acknowledged ? ", acknowledged for production" : ""}; set BLOCK once \`ops egress report\` is clean)`
      : `BLOCK * last (priority ${catchAll.inputs.priority}, ${catchAll.inputs.blockResponse ?? "?"})`;
  const verdict = allOrSome(held, 3);
  return {
    layer: "DNS Firewall",
    verdict: verdict === "in force" && alerting ? "warning" : verdict,
    detail: associations.length === 0
      ? "no rule group associated with the VPC"
      : `rule group associated with the VPC (mutation protection ${associations[0].inputs.mutationProtection ?? "?"}); fail-open ${failClosed ? "DISABLED (fail-closed)" : "NOT disabled"}; ` +
        `ALLOW ${allowed} names, then ${last}; queries ${logged ? "logged" : "NOT logged"}`,
    evidence: [...associations, ...configs, ...rules].map((r) => r.id),
  };
}

/** Egress mode from the workspace security group's rules: anything to 0.0.0.0/0 is the DNS-filtered baseline. */
export function derivedEgressMode(graph: StackGraph): { mode: EgressMode; destinations: string[] } | undefined {
  const workspaceSg = graph.ofType("aws:ec2/securityGroup:SecurityGroup").find((g) => groupRole(g) === "workspace");
  if (!workspaceSg) return undefined;
  const rules = graph.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    .filter((r) => r.inputs.securityGroupId === workspaceSg.physicalId);
  const toInternet = rules.some((r) => ANYWHERE.has(String(r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6)));
  return { mode: toInternet ? "dns-firewall" : "proxy", destinations: rules.map((r) => `${ruleTarget(graph, r)} ${port(r)}`) };
}

/** Where the workspace subnets (the backend's RunTask subnets) send 0.0.0.0/0. */
function workspaceDefaultRoutes(graph: StackGraph): string[] {
  const backend = graph.ofType("aws:ecs/taskDefinition:TaskDefinition").flatMap((d) => containerDefinitions(d));
  const env = backend.flatMap((c) => c.environment ?? []).find((e: { name: string }) => e.name === "WORKSPACE_SUBNETS");
  const subnets = env ? String(env.value).split(",").filter(Boolean) : [];
  const tables = graph.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation")
    .filter((a) => subnets.includes(String(a.inputs.subnetId)))
    .map((a) => String(a.inputs.routeTableId));
  const routes = graph.ofType("aws:ec2/route:Route").filter((r) => tables.includes(String(r.inputs.routeTableId)) && r.inputs.destinationCidrBlock === "0.0.0.0/0");
  return [...new Set(routes.map((r) => (r.inputs.natGatewayId ? "a NAT gateway" : r.inputs.gatewayId ? "an internet gateway" : r.inputs.vpcEndpointId ? "a VPC endpoint" : "another target")))];
}

function egressRow(graph: StackGraph, config?: StackConfig): PostureRow {
  const derived = derivedEgressMode(graph);
  const configured = config?.egressMode;
  if (!derived) return { layer: "Egress mode", verdict: "missing", detail: "no workspace security group in this stack", evidence: [] };
  const routes = workspaceDefaultRoutes(graph);
  const mismatch = configured !== undefined && configured !== derived.mode;
  const explain = derived.mode === "dns-firewall"
    ? "the seeds' baseline: HTTPS to any address whose name the DNS Firewall resolves; an IP literal bypasses it"
    : "no route to the internet from the workspace group: only the listed destinations (proxy, endpoints, resolver)";
  return {
    layer: "Egress mode",
    verdict: mismatch ? "mismatch" : derived.mode === "proxy" ? "in force" : "baseline",
    detail: `${derived.mode} (from the graph: ${explain}); workspace egress: ${derived.destinations.join(", ")}; ` +
      `workspace subnets route 0.0.0.0/0 to ${routes.length ? routes.join(" / ") : "nothing (no default route)"}; ` +
      `config egressMode: ${configured ? `${configured}${mismatch ? " — DOES NOT MATCH the graph" : ""}` : "unknown (no config given)"}`,
    evidence: [],
  };
}

/**
 * The ranges the egress proxy must refuse an allowed name's address in, whatever else it lists:
 * the task itself, the VPC, AWS's link-local services (IMDS, ECS credentials) and their IPv6 forms.
 */
export const MUST_REFUSE_RANGES = [
  "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
  "::1/128", "fc00::/7", "fe80::/10",
] as const;
/** The egress proxy's rule refusing an allowed name that leads to a listed address. */
const NON_PUBLIC_RULE = "http_access deny allowed_names non_public_destination";

/** Whether the egress proxy looks where an allowed name leads, read from the squid.conf its task carries. */
function egressDestinationsRow(graph: StackGraph): PostureRow {
  const defs = graph.ofType("aws:ecs/taskDefinition:TaskDefinition");
  const task = defs.find((d) => containerDefinitions(d).some((c) => c.name === EGRESS_PROXY_CONTAINER));
  if (!task) {
    return {
      layer: "Egress destinations",
      verdict: "baseline",
      detail: "no egress proxy (dns-firewall mode): nothing checks where an allowed name leads, and TCP 443 reaches any address, those in the VPC included",
      evidence: [],
    };
  }
  const container = containerDefinitions(task).find((c) => c.name === EGRESS_PROXY_CONTAINER)!;
  const conf = String((container.environment ?? []).find((e: { name: string }) => e.name === SQUID_CONFIG_ENV)?.value ?? "");
  const lines = conf.split("\n");
  const ranges = lines.filter((l) => l.startsWith("acl non_public_destination dst ")).flatMap((l) => l.split(" ").slice(3));
  const rule = lines.indexOf(NON_PUBLIC_RULE);
  const firstAllow = lines.findIndex((l) => l.startsWith("http_access allow"));
  const checked = rule >= 0 && (firstAllow < 0 || rule < firstAllow);
  const missing = MUST_REFUSE_RANGES.filter((r) => !ranges.includes(r));
  const filters = graph.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter").filter((f) => String(f.inputs.pattern).includes(NON_PUBLIC_DESTINATION_PAGE));
  const v6 = ranges.filter((r) => r.includes(":")).length;
  return {
    layer: "Egress destinations",
    verdict: !checked ? "missing" : missing.length > 0 ? "partial" : "in force",
    detail: !checked
      ? `egress proxy ${task.inputs.family}: NO rule refusing allowed names that resolve to private, loopback or link-local addresses`
      : `egress proxy ${task.inputs.family} resolves each allowed name and refuses it (403, ${NON_PUBLIC_DESTINATION_PAGE}) if any address is in ` +
        `${ranges.length} non-public ranges (${ranges.length - v6} IPv4, ${v6} IPv6)` +
        `${missing.length ? `; MISSING ${missing.join(", ")}` : ": loopback, RFC 1918, CGNAT, link-local (IMDS, ECS credentials), ULA (fd00:ec2::254), IPv6 link-local, …"}; ` +
        `refusals ${filters.length > 0 ? `counted (metric filter ${filters.map((f) => f.inputs.metricTransformation?.name).join(", ")})` : "NOT counted by a metric filter"}`,
    evidence: [task.id, ...filters.map((f) => f.id)],
  };
}

function taskRoleRow(graph: StackGraph): PostureRow {
  const defs = graph.ofType("aws:ecs/taskDefinition:TaskDefinition");
  const workspace = workspaceTaskDefinition(graph);
  const roleName = (arn: unknown) => String(arn).split("/").pop();
  const others = defs.filter((d) => d !== workspace).map((d) => `${d.inputs.family}: ${d.inputs.taskRoleArn ? `task role ${roleName(d.inputs.taskRoleArn)}` : "no task role"}`);
  const ok = workspace !== undefined && !workspace.inputs.taskRoleArn;
  return {
    layer: "Task roles",
    verdict: workspace === undefined ? "missing" : ok ? "in force" : "missing",
    detail: workspace
      ? `workspace ${workspace.inputs.family}: ${ok ? "no task role (no AWS credentials at 169.254.170.2)" : `TASK ROLE ${roleName(workspace.inputs.taskRoleArn)}`}` +
        (others.length ? `; ${others.join("; ")}` : "")
      : "no workspace task definition",
    evidence: defs.map((d) => d.id),
  };
}

function encryptionRow(graph: StackGraph): PostureRow {
  const checks: { what: string; held: number; of: number }[] = [];
  const add = (what: string, rs: CapturedResource[], ok: (r: CapturedResource) => boolean) => {
    if (rs.length > 0) checks.push({ what, held: rs.filter(ok).length, of: rs.length });
  };
  add("RDS storage (KMS)", graph.ofType("aws:rds/instance:Instance"), (r) => r.inputs.storageEncrypted === true && !!r.inputs.kmsKeyId);
  add("Redis at rest (KMS) and TLS required", graph.ofType("aws:elasticache/replicationGroup:ReplicationGroup"),
    (r) => r.inputs.atRestEncryptionEnabled === true && r.inputs.transitEncryptionEnabled === true && r.inputs.transitEncryptionMode !== "preferred");
  add("host root volumes", graph.ofType("aws:ec2/launchTemplate:LaunchTemplate"),
    (r) => (r.inputs.blockDeviceMappings ?? []).every((b: { ebs?: { encrypted?: unknown } }) => String(b.ebs?.encrypted) === "true"));
  add("AMI recipe volumes", graph.ofType("aws:imagebuilder/imageRecipe:ImageRecipe"),
    (r) => (r.inputs.blockDeviceMappings ?? []).every((b: { ebs?: { encrypted?: unknown } }) => String(b.ebs?.encrypted) === "true"));
  add("secrets (KMS)", graph.ofType("aws:secretsmanager/secret:Secret"), (r) => !!r.inputs.kmsKeyId);
  add("ECR repositories (KMS)", graph.ofType("aws:ecr/repository:Repository"), (r) => r.inputs.encryptionConfigurations?.[0]?.encryptionType === "KMS");
  add("SNS topics (KMS)", graph.ofType("aws:sns/topic:Topic"), (r) => !!r.inputs.kmsMasterKeyId);
  const volumes = graph.ofType("aws:ebs/volume:Volume");
  add("EBS volumes", volumes, (r) => r.inputs.encrypted === true || r.inputs.encrypted === "true");
  add("log groups (KMS)", graph.ofType("aws:cloudwatch/logGroup:LogGroup"), (r) => !!r.inputs.kmsKeyId);
  const required = checks.reduce((ok, c) => ok && c.held === c.of, true);
  return {
    layer: "Encryption",
    verdict: checks.length === 0 ? "missing" : required ? "in force" : "partial",
    detail: checks.map((c) => `${c.what} ${count(c.held, c.of)}`).join("; "),
    evidence: [],
  };
}

function endpointPerimeterRow(graph: StackGraph): PostureRow {
  const endpoints = graph.ofType("aws:ec2/vpcEndpoint:VpcEndpoint");
  const judged = endpoints.map((e) => {
    let document: unknown;
    try {
      document = typeof e.inputs.policy === "string" ? JSON.parse(e.inputs.policy) : e.inputs.policy;
    } catch {
      document = { Statement: [{ Effect: "Allow", Sid: "unparsable" }] };
    }
    const [, , region, ...rest] = String(e.inputs.serviceName).split(".");
    const entry = interfaceEndpointServices(region).find((x) => x.service === rest.join("."));
    return { e, service: rest.join("."), awsOwned: entry !== undefined && AWS_OWNED_BY_ENDPOINT[entry.id] !== undefined, ...perimeterGaps(document as never) };
  });
  const interfaces = judged.filter((j) => j.e.inputs.vpcEndpointType === "Interface");
  const gateways = judged.filter((j) => j.e.inputs.vpcEndpointType !== "Interface");
  const held = judged.filter((j) => j.gaps.length === 0);
  const accounts = [...new Set(judged.flatMap((j) => j.accounts))];
  const awsOwned = interfaces.filter((j) => j.gaps.length === 0 && j.awsOwned).map((j) => j.service);
  const open = judged.filter((j) => j.gaps.length > 0).map((j) => `${j.service} (${j.gaps[0]})`);
  return {
    layer: "Endpoint perimeter",
    verdict: allOrSome(held.length, endpoints.length),
    detail: `${count(interfaces.filter((j) => j.gaps.length === 0).length, interfaces.length)} interface endpoints serve only ` +
      `${accounts.length === 1 ? `account ${accounts[0]}'s` : "this account's"} principals on its resources` +
      (awsOwned.length ? ` and named AWS-owned resources (${awsOwned.join(", ")})` : "") +
      `; ${count(gateways.filter((j) => j.gaps.length === 0).length, gateways.length)} gateway endpoints only the buckets they name, read only` +
      (open.length ? `; OPEN to other accounts: ${open.join("; ")}` : ""),
    evidence: endpoints.map((e) => e.id),
  };
}

/** Every posture row of a stack, in the order the plan prints them. */
export function postureRows(graph: StackGraph, config?: StackConfig): PostureRow[] {
  return [
    imdsRow(graph),
    seccompRow(graph),
    ptraceRow(graph, config),
    containersRow(graph),
    processesRow(graph),
    sgRow(graph),
    dnsFirewallRow(graph),
    egressRow(graph, config),
    egressDestinationsRow(graph),
    taskRoleRow(graph),
    endpointPerimeterRow(graph),
    encryptionRow(graph),
  ];
}
