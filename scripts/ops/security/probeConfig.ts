// PROBE_CONFIG for a real stack, from its outputs and a few read-only lookups: the PostgreSQL and
// Redis endpoints, another running workspace's address, a name the DNS Firewall allows (from its
// allow list), the names of the proxy's secrets. Never a secret's value: the probe looks for
// names and markers only, so nothing secret lands in RunTask overrides or CloudTrail.
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { DescribeReplicationGroupsCommand } from "@aws-sdk/client-elasticache";
import { DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { ListFirewallDomainsCommand, ListFirewallRulesCommand } from "@aws-sdk/client-route53resolver";
import { CONTAINERS } from "../../../lib/names";
import type { Endpoint, ProbeConfig } from "../../../probe/verdict";
import type { OpsContext } from "../context";
import { errorMessage, errorName } from "../errors";

export interface ProbeTargetArgs {
  readonly blockedDomain: string;
  readonly allowedDomain?: string;
  readonly publicIp: string;
  /** A public DNS-over-HTTPS resolver's IP and server name (egress modes). */
  readonly dohResolver: string;
  readonly dohName: string;
  /** "auto" (a running workspace, if any), "none", or an IPv4 address. */
  readonly peerWorkspace: string;
  readonly secretMarker: readonly string[];
  readonly probeNetworkTimeout: number;
}

export const WORKSPACE_AGENT_PORT = 9000;


interface GatheredConfig {
  readonly config: ProbeConfig;
  /** Lookups that failed or found nothing: the matching checks are skipped by the probe. */
  readonly notes: string[];
}

export async function gatherProbeConfig(ctx: OpsContext, args: ProbeTargetArgs): Promise<GatheredConfig> {
  const notes: string[] = [];
  const o = ctx.outputs;
  const attempt = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T | undefined> => {
    try {
      const value = await fn();
      if (value === undefined) notes.push(`${what}: not found, its probe check is skipped`);
      return value;
    } catch (err) {
      notes.push(`${what}: ${errorName(err)}: ${errorMessage(err)}; its probe check is skipped`);
      return undefined;
    }
  };

  const postgres = o.dbInstanceIdentifier ? await attempt("PostgreSQL endpoint", async (): Promise<Endpoint | undefined> => {
    const r = await ctx.api.call("DescribeDBInstances", () => ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: o.dbInstanceIdentifier })));
    const e = r.DBInstances?.[0]?.Endpoint;
    return e?.Address ? { host: e.Address, port: e.Port ?? 5432 } : undefined;
  }) : undefined;

  const redis = o.redisReplicationGroupId ? await attempt("Redis endpoint", async (): Promise<Endpoint | undefined> => {
    const r = await ctx.api.call("DescribeReplicationGroups", () => ctx.aws.elastiCache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: o.redisReplicationGroupId })));
    const g = r.ReplicationGroups?.[0];
    const e = g?.NodeGroups?.[0]?.PrimaryEndpoint ?? g?.ConfigurationEndpoint;
    return e?.Address ? { host: e.Address, port: e.Port ?? 6379 } : undefined;
  }) : undefined;

  let peerWorkspace: Endpoint | undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(args.peerWorkspace)) peerWorkspace = { host: args.peerWorkspace, port: WORKSPACE_AGENT_PORT };
  else if (args.peerWorkspace === "auto") peerWorkspace = await attempt("another running workspace", () => runningWorkspaceAddress(ctx));

  const allowedDomain = args.allowedDomain ?? await attempt("a name on the DNS Firewall allow list", () => allowListedName(ctx));
  const secretEnvNames = await attempt("the credential proxy's secret names", async () => {
    if (!o.workspaceTaskDefinitionArn) return undefined;
    const r = await ctx.api.call("DescribeTaskDefinition", () => ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: o.workspaceTaskDefinitionArn })));
    const credentialProxy = r.taskDefinition?.containerDefinitions?.find((c) => c.name === CONTAINERS.credentialProxy);
    const names = (credentialProxy?.secrets ?? []).map((s) => s.name ?? "").filter(Boolean);
    return names.length > 0 ? names : undefined;
  });

  const config: ProbeConfig = {
    blockedDomain: args.blockedDomain,
    ...(allowedDomain ? { allowedDomain } : {}),
    publicIp: args.publicIp,
    dohResolver: { host: args.dohResolver, port: 443, name: args.dohName },
    ...(postgres ? { postgres } : {}),
    ...(redis ? { redis } : {}),
    ...(peerWorkspace ? { peerWorkspace } : {}),
    ...(secretEnvNames ? { secretEnvNames } : {}),
    ...(args.secretMarker.length > 0 ? { secretMarkers: [...args.secretMarker] } : {}),
    timeoutMs: args.probeNetworkTimeout * 1000,
  };
  return { config, notes };
}

async function runningWorkspaceAddress(ctx: OpsContext): Promise<Endpoint | undefined> {
  const { clusterName, workspaceTaskDefinitionFamily } = ctx.outputs;
  if (!clusterName || !workspaceTaskDefinitionFamily) return undefined;
  const listed = await ctx.api.call("ListTasks", () => ctx.aws.ecs.send(new ListTasksCommand({ cluster: clusterName, family: workspaceTaskDefinitionFamily, desiredStatus: "RUNNING", maxResults: 10 })));
  if (!listed.taskArns?.length) return undefined;
  const described = await ctx.api.call("DescribeTasks", () => ctx.aws.ecs.send(new DescribeTasksCommand({ cluster: clusterName, tasks: listed.taskArns })));
  for (const task of described.tasks ?? []) {
    if (task.lastStatus !== "RUNNING") continue;
    const ip = task.attachments?.flatMap((a) => a.details ?? []).find((d) => d.name === "privateIPv4Address")?.value;
    if (ip) return { host: ip, port: WORKSPACE_AGENT_PORT };
  }
  return undefined;
}

async function allowListedName(ctx: OpsContext): Promise<string | undefined> {
  const group = ctx.outputs.dnsFirewallRuleGroupId;
  if (!group) return undefined;
  const rules = await ctx.api.call("ListFirewallRules", () => ctx.aws.resolver.send(new ListFirewallRulesCommand({ FirewallRuleGroupId: group })));
  const allow = (rules.FirewallRules ?? []).filter((r) => r.Action === "ALLOW").sort((a, b) => (a.Priority ?? 0) - (b.Priority ?? 0));
  for (const rule of allow) {
    const domains = await ctx.api.call("ListFirewallDomains", () => ctx.aws.resolver.send(new ListFirewallDomainsCommand({ FirewallDomainListId: rule.FirewallDomainListId })));
    // A concrete name the platform itself does not need (AWS names resolve anyway inside the VPC).
    const names = (domains.Domains ?? []).map((d) => d.replace(/\.$/, "")).filter((d) => !d.includes("*") && !d.endsWith("amazonaws.com"));
    if (names.length > 0) return names.sort()[0];
  }
  return undefined;
}
