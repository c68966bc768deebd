import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { platformAwsDomains } from "../lib/awsServices";
import type { StackGraph } from "../offline/graph";
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
        `ec2messages.${region}.amazonaws.com`,
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
      const proxyLb = stack === "prod" ? [g.one(aws.lb.LoadBalancer, "egress-proxy-lb-nlb").state.dnsName, "*.30.10.in-addr.arpa"] : [];
      expect(proxyLb.slice(0, 1).every((name) => name.startsWith("internal-"))).to.equal(true);
      expect(allowed).to.deep.equal([...new Set([...stackConfig(stack).dnsAllowedDomains, ...platformAwsDomains(region, "123456789012"), ...dataEndpoints, ...proxyLb])].sort());
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
