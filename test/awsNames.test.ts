// The AWS names the DNS Firewall allows, held against where they come from. Judges from outside
// the project: botocore's endpoint rules (each API host, per region) and its ECS model (the
// DiscoverPollEndpoint answer the agent dials), and the clients' own source at the commits
// lib/awsServices.ts cites (those citations are held against their record and the repositories
// in test/citations.test.ts).
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { CREATED_AFTER } from "../components/endpoints";
import {
  BEDROCK_RUNTIME_REGIONS,
  ECS_AGENT_NAMES,
  interfaceEndpointServices,
  NAME_AUDIT,
  platformAwsDomains,
  REFUSED_NAMES,
} from "../lib/awsServices";
import type { StackGraph } from "../offline/graph";
import { hostHardening } from "../offline/hostBundle";
import { docText, endpointHosts, requireBotocore, serviceModel } from "./helpers/botocore";
import { buildStack, STACKS } from "./helpers/stacks";

const ACCOUNT = "123456789012";
// The stacks' region, us-east-1 (ec2.internal, the old S3 global endpoint), a Bedrock-less region.
const REGIONS = ["ap-northeast-1", "us-east-1", "eu-west-1", "af-south-1"];

const audited = (region: string) => NAME_AUDIT.filter((n) => !n.onlyIn || n.onlyIn(region)).map((n) => n.host(region, ACCOUNT));

describe("AWS names of the DNS allow list", () => {
  it("allows exactly the audited names, each with who resolves it and a source", () => {
    for (const region of REGIONS) {
      expect(platformAwsDomains(region, ACCOUNT), region).to.deep.equal([...new Set(audited(region))].sort());
    }
    for (const n of NAME_AUDIT) {
      expect(n.resolvedBy, n.host("ap-northeast-1", ACCOUNT)).to.have.length.greaterThan(5);
      expect(n.source, n.host("ap-northeast-1", ACCOUNT)).to.have.length.greaterThan(10);
    }
    // Bedrock runtime only where the region has it.
    expect(platformAwsDomains("af-south-1", ACCOUNT)).to.not.include("bedrock-runtime.af-south-1.amazonaws.com");
    expect(BEDROCK_RUNTIME_REGIONS.has("ap-northeast-1")).to.equal(true);
  });

  it("names every API host exactly as botocore's endpoint rules resolve it, in every region tried", function () {
    const b = requireBotocore(this);
    const withService = (region: string) => NAME_AUDIT.filter((n) => n.botocoreService && (!n.onlyIn || n.onlyIn(region)));
    const hosts = endpointHosts(b, Object.fromEntries(REGIONS.map((region) => [region, withService(region).map((n) => n.botocoreService!)])));
    for (const region of REGIONS) {
      expect(withService(region), region).to.not.deep.equal([]);
      for (const n of withService(region)) expect(n.host(region, ACCOUNT), `${n.botocoreService} in ${region}`).to.equal(hosts[region][n.botocoreService!]);
    }
  });

  it("has no wildcard over an AWS name: every AWS name is exact", () => {
    for (const region of REGIONS) {
      for (const name of platformAwsDomains(region, ACCOUNT)) {
        if (name.startsWith("*.")) expect(name, name).to.match(/\.(compute|ec2)\.internal$/);
      }
    }
  });

  it("leaves out the names nothing here needs, each with the reason", () => {
    for (const region of REGIONS) {
      const allowed = platformAwsDomains(region, ACCOUNT);
      for (const r of REFUSED_NAMES) expect(allowed, r.why).to.not.include(r.host(region));
    }
  });

  it("the agent's ACS and TCS names are the un-numbered names the interface endpoints answer", () => {
    const byId = Object.fromEntries(interfaceEndpointServices("ap-northeast-1").map((s) => [s.id, s.names("ap-northeast-1")]));
    expect(byId["ecs-agent"]).to.deep.equal([ECS_AGENT_NAMES.acs("ap-northeast-1")]).and.deep.equal(["ecs-a.ap-northeast-1.amazonaws.com"]);
    expect(byId["ecs-telemetry"]).to.deep.equal([ECS_AGENT_NAMES.tcs("ap-northeast-1")]).and.deep.equal(["ecs-t.ap-northeast-1.amazonaws.com"]);
  });

  it("the agent dials what DiscoverPollEndpoint answers: the strings of ECS's own response shape (botocore's ECS model)", function () {
    const model = serviceModel(requireBotocore(this), "ecs");
    const op = model.operations.DiscoverPollEndpoint;
    expect(op, "DiscoverPollEndpoint").to.not.equal(undefined);
    const response = model.shapes[op.output.shape];
    expect(Object.keys(response.members)).to.include.members(["endpoint", "telemetryEndpoint"]);
    expect(docText(response.members.endpoint.documentation)).to.match(/endpoint for the Amazon ECS agent to poll/);
    expect(docText(response.members.telemetryEndpoint.documentation)).to.match(/telemetry endpoint for the Amazon ECS agent/);
    expect(model.shapes[response.members.endpoint.shape].type).to.equal("string");
  });

  for (const stack of STACKS) {
    describe(`${stack}: what makes the agent use the endpoints' names`, () => {
      let g: StackGraph;
      before(async () => {
        g = await buildStack(stack);
      });

      it("puts every audited name, and none of the refused ones, on the DNS Firewall's allow list", () => {
        const list = g.one(aws.route53.ResolverFirewallDomainList, "dns-firewall-allow").inputs.domains as string[];
        for (const r of REFUSED_NAMES) expect(list, r.host("ap-northeast-1")).to.not.include(r.host("ap-northeast-1"));
        for (const name of audited("ap-northeast-1")) expect(list, name).to.include(name);
      });

      it("creates the ecs endpoint after ecs-agent and ecs-telemetry", () => {
        const endpoint = (id: string) => g.one(aws.ec2.VpcEndpoint, `endpoints-${id}`);
        expect(CREATED_AFTER).to.deep.equal({ ecs: ["ecs-agent", "ecs-telemetry"] });
        expect(endpoint("ecs").options.dependsOn).to.have.members([endpoint("ecs-agent").id, endpoint("ecs-telemetry").id]);
        for (const e of g.ofType(aws.ec2.VpcEndpoint)) expect(e.inputs.privateDnsEnabled ?? e.inputs.vpcEndpointType === "Gateway", e.name).to.equal(true);
      });

      it("boots no host before the endpoints and the DNS Firewall exist (an agent keeps a public answer for 12 hours)", () => {
        // A component in dependsOn stands for all its children.
        const interfaceEndpoints = g.ofType(aws.ec2.VpcEndpoint).filter((e) => e.inputs.vpcEndpointType === "Interface").map((e) => e.id);
        expect(interfaceEndpoints).to.include(g.one(aws.ec2.VpcEndpoint, "endpoints-ecs-agent").id);
        const firewall = [g.one(aws.route53.ResolverFirewallRuleGroupAssociation).id, ...g.ofType(aws.route53.ResolverFirewallRule).map((r) => r.id)];
        for (const asg of g.ofType(aws.autoscaling.Group)) expect(asg.options.dependsOn, asg.name).to.include.members([...interfaceEndpoints, ...firewall]);
      });

      it("configures no agent feature that would need another name: no Service Connect, no EC2 tag lookup, no self-update, no backend override", () => {
        for (const s of g.ofType(aws.ecs.Service)) expect(s.inputs, s.name).to.not.have.property("serviceConnectConfiguration");
        for (const lt of g.ofType(aws.ec2.LaunchTemplate)) {
          const ecsConfig = hostHardening(lt)?.ecsConfig ?? {};
          expect(ecsConfig, lt.name).to.have.property("ECS_CLUSTER");
          for (const key of ["ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM", "ECS_UPDATES_ENABLED", "ECS_BACKEND_HOST"]) expect(ecsConfig, `${lt.name} ${key}`).to.not.have.property(key);
        }
      });
    });
  }
});
