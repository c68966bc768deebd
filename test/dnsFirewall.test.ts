import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { platformAwsDomains } from "../lib/awsServices";
import { DNS_ALERT_ACKNOWLEDGED_TAG } from "../lib/egress";
import type { StackGraph } from "../offline/graph";
import { docText, requireBotocore, serviceModel } from "./helpers/botocore";
import { resolveId } from "./helpers/graph";
import { buildStack, stackConfig, STACKS } from "./helpers/stacks";

for (const stack of STACKS) {
  describe(`DNS Firewall (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });

    const rules = () => g.ofType(aws.route53.ResolverFirewallRule).sort((a, b) => a.inputs.priority - b.inputs.priority);
    const domainsOf = (listId: string) => resolveId(g, listId).inputs.domains as string[];

    it("allows the allow list first and blocks everything else last, in one rule group", () => {
      const [allow, block] = rules();
      expect(rules()).to.have.length(2);
      expect(allow.inputs.action).to.equal("ALLOW");
      expect(block.inputs.action).to.equal("BLOCK");
      expect(allow.inputs.priority).to.be.lessThan(block.inputs.priority);
      expect(block.inputs.blockResponse).to.equal("NXDOMAIN");
      expect(domainsOf(block.inputs.firewallDomainListId)).to.deep.equal(["*"]);
      const group = g.one(aws.route53.ResolverFirewallRuleGroup);
      for (const rule of rules()) expect(rule.inputs.firewallRuleGroupId).to.equal(group.physicalId);
    });

    it("associates the rule group with the VPC, protected against detachment", () => {
      const association = g.one(aws.route53.ResolverFirewallRuleGroupAssociation);
      expect(association.inputs.vpcId).to.equal(g.one(aws.ec2.Vpc).physicalId);
      expect(association.inputs.firewallRuleGroupId).to.equal(g.one(aws.route53.ResolverFirewallRuleGroup).physicalId);
      expect(association.inputs.mutationProtection).to.equal("ENABLED");
      expect(association.inputs.priority).to.be.within(101, 9900);
    });

    it("fails closed", () => {
      const config = g.one(aws.route53.ResolverFirewallConfig);
      expect(config.inputs.resourceId).to.equal(g.one(aws.ec2.Vpc).physicalId);
      expect(config.inputs.firewallFailOpen).to.equal("DISABLED");
    });

    it("logs every query of the VPC to CloudWatch Logs with the configured retention", () => {
      const logConfig = g.one(aws.route53.ResolverQueryLogConfig);
      const group = resolveId(g, logConfig.inputs.destinationArn);
      expect(group.type).to.equal("aws:cloudwatch/logGroup:LogGroup");
      expect(group.inputs.retentionInDays).to.equal(stackConfig(stack).logRetentionDays);
      expect(group.inputs.kmsKeyId).to.equal(g.one(aws.kms.Key, "kms-key").state.arn);
      const association = g.one(aws.route53.ResolverQueryLogConfigAssociation);
      expect(association.inputs.resolverQueryLogConfigId).to.equal(logConfig.physicalId);
      expect(association.inputs.resourceId).to.equal(g.one(aws.ec2.Vpc).physicalId);
    });

    it("allows every name the platform needs, enumerated for the region", () => {
      const allowed = domainsOf(rules()[0].inputs.firewallDomainListId);
      const region = "ap-northeast-1";
      for (const name of [
        `ecs.${region}.amazonaws.com`,
        `ecs-a.${region}.amazonaws.com`,
        `ecs-t.${region}.amazonaws.com`,
        `api.ecr.${region}.amazonaws.com`,
        `123456789012.dkr.ecr.${region}.amazonaws.com`,
        `prod-${region}-starport-layer-bucket.s3.${region}.amazonaws.com`,
        `logs.${region}.amazonaws.com`,
        `monitoring.${region}.amazonaws.com`,
        `secretsmanager.${region}.amazonaws.com`,
        `ssm.${region}.amazonaws.com`,
        `ssmmessages.${region}.amazonaws.com`,
        `bedrock-runtime.${region}.amazonaws.com`,
        `ec2.${region}.amazonaws.com`,
        ...stackConfig(stack).dnsAllowedDomains,
      ]) {
        expect(allowed, name).to.include(name);
      }
      // The data stores' endpoints (the backend resolves them) are allowed too.
      const dataEndpoints = [g.one(aws.rds.Instance).state.address, g.one(aws.elasticache.ReplicationGroup).state.primaryEndpointAddress];
      expect(allowed).to.include.members(dataEndpoints);
      // In egressMode proxy (prod) workspaces resolve the egress proxy's internal NLB by name.
      // and the proxy looks up its clients' names in the VPC's reverse zone (answered inside the VPC).
      const egressProxyLb = stack === "prod" ? [g.one(aws.lb.LoadBalancer, "egress-proxy-lb-nlb").state.dnsName, "*.30.10.in-addr.arpa"] : [];
      expect(egressProxyLb.slice(0, 1).every((name) => name.startsWith("internal-"))).to.equal(true);
      expect(allowed).to.deep.equal([...new Set([...stackConfig(stack).dnsAllowedDomains, ...platformAwsDomains(region, "123456789012"), ...dataEndpoints, ...egressProxyLb])].sort());
    });

    it("never allows a blanket wildcard over AWS names", () => {
      const allowed = domainsOf(rules()[0].inputs.firewallDomainListId);
      for (const name of allowed) {
        if (name.startsWith("*.")) expect(name, name).to.not.match(/amazonaws\.com$/);
      }
      expect(allowed).to.not.include("*");
    });

    it("trusts CNAME targets only of names the allow rule already admits", () => {
      expect(rules()[0].inputs.firewallDomainRedirectionAction).to.equal("TRUST_REDIRECTION_DOMAIN");
    });
  });
}

describe("DNS Firewall block response", () => {
  it("follows config", async () => {
    const g = await buildStack("staging", { dnsBlockResponse: "NODATA" });
    const block = g.ofType(aws.route53.ResolverFirewallRule).find((r) => r.inputs.action === "BLOCK");
    expect(block?.inputs.blockResponse).to.equal("NODATA");
  });

  it("uses ec2.internal for instance names in us-east-1", () => {
    expect(platformAwsDomains("us-east-1", "1")).to.include("*.ec2.internal");
    expect(platformAwsDomains("eu-west-1", "1")).to.include("*.eu-west-1.compute.internal");
  });
});

// The staged rollout (dnsFirewallCatchAllAction): ALERT first, the list fixed from the query logs,
// then BLOCK. The judge of what a rule may carry is Route 53 Resolver's API model (botocore).
describe("DNS Firewall catch-all in ALERT (staged rollout)", () => {
  const catchAll = (g: StackGraph) => g.one(aws.route53.ResolverFirewallRule, "dns-firewall-block-all");
  const allow = (g: StackGraph) => g.one(aws.route53.ResolverFirewallRule, "dns-firewall-allow");

  it("logs instead of blocking, keeps the allow rules, and is the same resource as in BLOCK (an update, not a replacement)", async () => {
    const blocking = await buildStack("staging");
    const alerting = await buildStack("staging", { dnsFirewallCatchAllAction: "ALERT" });
    expect(catchAll(alerting).inputs).to.include({ action: "ALERT", priority: 1000, name: "catch-all" });
    expect(catchAll(alerting).inputs).to.not.have.property("blockResponse");
    expect(catchAll(blocking).inputs).to.include({ action: "BLOCK", blockResponse: "NXDOMAIN", name: "catch-all" });
    const { action: _a, blockResponse: _b, ...rest } = catchAll(blocking).inputs;
    const { action: _c, ...alertRest } = catchAll(alerting).inputs;
    expect(alertRest).to.deep.equal(rest);
    expect(catchAll(alerting).parent).to.equal(catchAll(blocking).parent);
    expect(allow(alerting).inputs).to.deep.equal(allow(blocking).inputs);
    // Only production's acknowledged ALERT carries the acknowledgement tag.
    expect(alerting.one(aws.route53.ResolverFirewallRuleGroup).inputs.tags).to.not.have.property(DNS_ALERT_ACKNOWLEDGED_TAG);
    const prodAlert = await buildStack("prod", { dnsFirewallCatchAllAction: "ALERT", dnsFirewallAlertAcknowledged: true });
    expect(prodAlert.one(aws.route53.ResolverFirewallRuleGroup).inputs.tags).to.include({ [DNS_ALERT_ACKNOWLEDGED_TAG]: "true" });
    expect((await buildStack("prod")).one(aws.route53.ResolverFirewallRuleGroup).inputs.tags).to.not.have.property(DNS_ALERT_ACKNOWLEDGED_TAG);
  });

  it("sends only what CreateFirewallRule accepts: the action in its enum, a block response with BLOCK only (botocore's model)", async function () {
    const model = serviceModel(requireBotocore(this), "route53resolver");
    const request = model.shapes.CreateFirewallRuleRequest;
    const enumOf = (member: string) => model.shapes[request.members[member].shape].enum as string[];
    // The model's own words: the block response belongs to BLOCK and is required there.
    const blockResponseDoc = docText(request.members.BlockResponse.documentation);
    expect(blockResponseDoc).to.match(/used with the rule action setting BLOCK/);
    expect(blockResponseDoc).to.match(/required if the rule action setting is BLOCK/);
    expect(docText(request.members.Action.documentation)).to.match(/ALERT - Permit the request and send metrics and logs/);
    const rules = [
      ...(await buildStack("staging")).ofType(aws.route53.ResolverFirewallRule),
      ...(await buildStack("staging", { dnsFirewallCatchAllAction: "ALERT" })).ofType(aws.route53.ResolverFirewallRule),
    ];
    const memberOf = { action: "Action", blockResponse: "BlockResponse", priority: "Priority", name: "Name", firewallRuleGroupId: "FirewallRuleGroupId", firewallDomainListId: "FirewallDomainListId", firewallDomainRedirectionAction: "FirewallDomainRedirectionAction" } as const;
    for (const rule of rules) {
      for (const key of Object.keys(rule.inputs)) expect(memberOf, `${rule.name}.${key} is a CreateFirewallRule member`).to.have.property(key);
      for (const required of request.required as string[]) {
        if (required === "CreatorRequestId") continue; // the provider generates it
        const key = Object.entries(memberOf).find(([, m]) => m === required)?.[0];
        expect(rule.inputs, `${rule.name} sets ${required}`).to.have.property(key!);
      }
      expect(enumOf("Action"), rule.name).to.include(rule.inputs.action);
      if (rule.inputs.action === "BLOCK") expect(enumOf("BlockResponse"), rule.name).to.include(rule.inputs.blockResponse);
      else expect(rule.inputs, `${rule.name} (${rule.inputs.action})`).to.not.have.property("blockResponse");
      if (rule.inputs.firewallDomainRedirectionAction) expect(enumOf("FirewallDomainRedirectionAction")).to.include(rule.inputs.firewallDomainRedirectionAction);
    }
  });
});
