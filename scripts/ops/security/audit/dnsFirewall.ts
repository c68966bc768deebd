// The DNS Firewall as deployed: the rule group associated with the stack's VPC (complete,
// mutation protection on), fail-open disabled on the VPC, and the catch-all rule evaluated last.
// The catch-all's action is read from the deployed rule: BLOCK passes; ALERT is the staged
// rollout (a known gap, as the plan's posture warns), failing only where the policy
// dns-firewall-blocks-in-production fails it: a production stack without the written acknowledgement.
import { GetFirewallConfigCommand, GetFirewallRuleGroupAssociationCommand, GetFirewallRuleGroupCommand, ListFirewallRulesCommand, ListTagsForResourceCommand } from "@aws-sdk/client-route53resolver";
import { isProdStack } from "../../../../config";
import { DNS_ALERT_ACKNOWLEDGED_TAG } from "../../../../lib/egress";
import type { OpsContext } from "../../context";
import { alertGapText, blockCatchAllCommand } from "../dnsRollout";
import type { Audit } from "./audit";

/** Whether the rule group carries the production acknowledgement of ALERT (the tag config dnsFirewallAlertAcknowledged writes). */
async function alertAcknowledged(ctx: OpsContext, ruleGroupId: string): Promise<boolean> {
  const group = (await ctx.api.call("GetFirewallRuleGroup", () => ctx.aws.resolver.send(new GetFirewallRuleGroupCommand({ FirewallRuleGroupId: ruleGroupId })))).FirewallRuleGroup;
  if (!group?.Arn) return false;
  const tags = (await ctx.api.call("ListTagsForResource", () => ctx.aws.resolver.send(new ListTagsForResourceCommand({ ResourceArn: group.Arn })))).Tags ?? [];
  return tags.some((t) => t.Key === DNS_ALERT_ACKNOWLEDGED_TAG && t.Value === "true");
}

export const dnsFirewallAudit: Audit = {
  name: "DNS Firewall",
  async run(ctx, _args, report) {
    const out = ctx.require(["dnsFirewallAssociationId", "dnsFirewallRuleGroupId", "dnsFirewallCatchAllDomainListId", "vpcId"]);
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
    const catchAll = rules.find((r) => r.FirewallDomainListId === out.dnsFirewallCatchAllDomainListId);
    const describe = (r: typeof last) => `${r.Action} ${r.Name ?? ""} (list ${r.FirewallDomainListId}, priority ${r.Priority})`;
    report.check(group, "last rule", `the catch-all rule (list ${out.dnsFirewallCatchAllDomainListId}, "*"), after every other rule`,
      last ? describe(last) : "no rules", last !== undefined && last === catchAll);
    const expected = "BLOCK (ALERT while the allow list is being corrected: a known gap)";
    if (!catchAll) {
      report.check(group, "catch-all action", expected, `no rule uses the catch-all list ${out.dnsFirewallCatchAllDomainListId}`, false);
    } else if (catchAll.Action === "ALERT") {
      // Production may observe only with the acknowledgement the policy pack and config demand.
      if (isProdStack(ctx.stack) && !(await alertAcknowledged(ctx, out.dnsFirewallRuleGroupId))) {
        report.check(group, "catch-all action", `${expected}; in production ALERT only with the ${DNS_ALERT_ACKNOWLEDGED_TAG} tag (policy dns-firewall-blocks-in-production)`,
          `ALERT without the ${DNS_ALERT_ACKNOWLEDGED_TAG} tag: every name off the allow list resolves; \`${blockCatchAllCommand(ctx.stack)}\``, false);
      } else {
        report.check(group, "catch-all action", expected, `ALERT: ${alertGapText(ctx.stack)}`, "gap");
      }
    } else {
      report.check(group, "catch-all action", expected, catchAll.Action ?? "unset", catchAll.Action === "BLOCK");
    }
  },
};
