// Security group rules against the allowed-flow table (lib/flows.ts): every live rule of
// the stack's groups must be a flow of the table and every flow of the table must be there.
import { DescribeManagedPrefixListsCommand, paginateDescribeSecurityGroupRules, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { type Flow, type GroupName, type Peer, allowedFlows } from "../../../../lib/flows";
import { mustParseCidr, nthAddress } from "../../../../lib/cidr";
import type { Audit } from "./audit";

interface RuleKey {
  readonly group: string;
  readonly direction: "in" | "out";
  readonly text: string;
}

function peerText(peer: Peer): string {
  switch (peer.kind) {
    case "group":
      return `sg:${peer.group}`;
    case "cidr":
      return peer.cidr;
    case "prefixList":
      return `pl:${peer.prefixList}`;
  }
}

/** The rules the table implies, as "<group> <in|out> <proto>/<port> <peer>". */
function expectedRules(flows: readonly Flow[]): RuleKey[] {
  const rules: RuleKey[] = [];
  for (const f of flows) {
    const port = `${f.protocol}/${f.port}`;
    if (f.from.kind === "group") rules.push({ group: f.from.group, direction: "out", text: `${f.from.group} out ${port} ${peerText(f.to)}` });
    if (f.to.kind === "group") rules.push({ group: f.to.group, direction: "in", text: `${f.to.group} in ${port} ${peerText(f.from)}` });
  }
  return rules;
}

function liveRuleKey(rule: SecurityGroupRule, roleOf: ReadonlyMap<string, string>, s3PrefixList: string | undefined): RuleKey {
  const group = roleOf.get(rule.GroupId ?? "") ?? rule.GroupId ?? "?";
  const direction = rule.IsEgress ? "out" : "in";
  const proto = rule.IpProtocol === "-1" ? "all" : rule.IpProtocol;
  const port = rule.IpProtocol === "-1" ? "all" : rule.FromPort === rule.ToPort ? String(rule.FromPort) : `${rule.FromPort}-${rule.ToPort}`;
  const ref = rule.ReferencedGroupInfo?.GroupId;
  const peer = ref ? `sg:${roleOf.get(ref) ?? ref}`
    : rule.PrefixListId ? (rule.PrefixListId === s3PrefixList ? "pl:s3" : `pl:${rule.PrefixListId}`)
    : rule.CidrIpv4 ?? rule.CidrIpv6 ?? "?";
  return { group, direction, text: `${group} ${direction} ${proto}/${port} ${peer}` };
}

export const securityGroupAudit: Audit = {
  name: "security groups",
  async run(ctx, args, report) {
    const out = ctx.require(["securityGroupIds", "vpcCidr", "egressMode"]);
    const roleOf = new Map(Object.entries(out.securityGroupIds).map(([role, id]) => [id, role]));
    const pl = await ctx.api.call("DescribeManagedPrefixLists", () => ctx.aws.ec2.send(new DescribeManagedPrefixListsCommand({
      Filters: [{ Name: "prefix-list-name", Values: [`com.amazonaws.${ctx.region}.s3`] }],
    })));
    const s3 = pl.PrefixLists?.[0]?.PrefixListId;
    const live: RuleKey[] = [];
    const pages = paginateDescribeSecurityGroupRules({ client: ctx.aws.ec2 }, { Filters: [{ Name: "group-id", Values: Object.values(out.securityGroupIds) }] });
    for await (const page of ctx.api.pages("DescribeSecurityGroupRules", pages)) {
      live.push(...(page.SecurityGroupRules ?? []).map((r) => liveRuleKey(r, roleOf, s3)));
    }
    const flows = allowedFlows({ albIngressCidrs: args.albIngressCidrs, resolverIp: nthAddress(mustParseCidr(out.vpcCidr), 2), egressMode: out.egressMode });
    const expected = expectedRules(flows);
    const liveTexts = new Set(live.map((r) => r.text));
    const expectedTexts = new Set(expected.map((r) => r.text));
    for (const role of Object.keys(out.securityGroupIds) as GroupName[]) {
      const unexpected = live.filter((r) => r.group === role && !expectedTexts.has(r.text)).map((r) => r.text.slice(role.length + 1));
      const missing = expected.filter((r) => r.group === role && !liveTexts.has(r.text)).map((r) => r.text.slice(role.length + 1));
      const count = expected.filter((r) => r.group === role).length;
      const observed = unexpected.length + missing.length === 0
        ? `${live.filter((r) => r.group === role).length} rules, all in the table`
        : [unexpected.length ? `not allowed: ${unexpected.join(", ")}` : "", missing.length ? `missing: ${missing.join(", ")}` : ""].filter(Boolean).join("; ");
      report.check("audit:security-groups", `${role} (${out.securityGroupIds[role]})`, `exactly the ${count} rules of the flow table`, observed, unexpected.length + missing.length === 0);
    }
  },
};
