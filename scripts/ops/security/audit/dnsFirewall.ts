// The DNS Firewall as deployed: the rule group associated with the stack's VPC (complete,
// mutation protection on), fail-open disabled on the VPC, and a BLOCK rule evaluated last.
import { GetFirewallConfigCommand, GetFirewallRuleGroupAssociationCommand, ListFirewallRulesCommand } from "@aws-sdk/client-route53resolver";
import type { Audit } from "./audit";

export const dnsFirewallAudit: Audit = {
  name: "DNS Firewall",
  async run(ctx, _args, report) {
    const out = ctx.require(["dnsFirewallAssociationId", "dnsFirewallRuleGroupId", "vpcId"]);
    const group = "audit:dns-firewall";
    const a = (await ctx.api.call("GetFirewallRuleGroupAssociation", () =>
      ctx.aws.resolver.send(new GetFirewallRuleGroupAssociationCommand({ FirewallRuleGroupAssociationId: out.dnsFirewallAssociationId })))).FirewallRuleGroupAssociation;
    report.check(group, "association", `rule group ${out.dnsFirewallRuleGroupId} on ${out.vpcId}, COMPLETE`,
      `rule group ${a?.FirewallRuleGroupId} on ${a?.VpcId}, ${a?.Status}`,
      a?.FirewallRuleGroupId === out.dnsFirewallRuleGroupId && a?.VpcId === out.vpcId && a?.Status === "COMPLETE");
    report.check(group, "association mutation protection", "ENABLED", a?.MutationProtection ?? "unset", a?.MutationProtection === "ENABLED");
    const config = (await ctx.api.call("GetFirewallConfig", () => ctx.aws.resolver.send(new GetFirewallConfigCommand({ ResourceId: out.vpcId })))).FirewallConfig;
    report.check(group, "fail-open", "DISABLED (fail closed)", config?.FirewallFailOpen ?? "unset", config?.FirewallFailOpen === "DISABLED");
    const rules = (await ctx.api.call("ListFirewallRules", () => ctx.aws.resolver.send(new ListFirewallRulesCommand({ FirewallRuleGroupId: out.dnsFirewallRuleGroupId })))).FirewallRules ?? [];
    const last = [...rules].sort((x, y) => (y.Priority ?? 0) - (x.Priority ?? 0))[0];
    report.check(group, "last rule", "BLOCK (everything not allowed)", last ? `${last.Action} ${last.Name ?? ""} (priority ${last.Priority})` : "no rules", last?.Action === "BLOCK");
  },
};
