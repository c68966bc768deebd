import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { typeToken } from "../offline/graph";
import { EGRESS_MODE_FACTS } from "../lib/egress";
import { PLAN_SECTIONS, planJson, planText, shortType } from "../offline/plan";
import { projectWithStack } from "./helpers/projectDir";
import { buildStack, STACKS } from "./helpers/stacks";
import { tsNodeArgs } from "./helpers/tsProcess";

const root = path.resolve(__dirname, "..");

function runPlan(...args: string[]) {
  return spawnSync(process.execPath, tsNodeArgs(path.join(root, "scripts/plan.ts"), ...args), {
    cwd: root,
    encoding: "utf8",
    env: process.env,
  });
}

describe("offline plan", () => {
  for (const stack of STACKS) {
    it(`prints ${stack}'s resources grouped by component, the outputs and a summary`, async () => {
      const g = await buildStack(stack);
      const text = planText(g);
      expect(text).to.include(`Offline plan of stack "${stack}"`);
      for (const component of ["network (remote-claude:network:Network)", "sg (remote-claude:network:SecurityGroups)", "dns-firewall (remote-claude:network:DnsFirewall)", "endpoints (remote-claude:network:Endpoints)"]) {
        expect(text).to.include(`${component}: `);
      }
      expect(text).to.match(/ec2\.Vpc\s+network-vpc\s+10\.(20|30)\.0\.0\/16, DNS hostnames on/);
      expect(text).to.match(/route53\.ResolverFirewallRule\s+dns-firewall-block-all\s+priority 1000: BLOCK \(NXDOMAIN\)/);
      expect(text).to.include("Stack outputs:");
      expect(text).to.include(`  vpcId: "${g.outputs.vpcId}"`);
      const azs = stack === "prod" ? 3 : 2;
      const components = g.resources.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack").length;
      expect(components).to.be.greaterThanOrEqual(5);
      expect(text).to.include(`Summary: stack ${stack} plans ${g.customResources.length} AWS resources in ${components} components in ap-northeast-1 across ${azs} AZs; config valid.`);
    });
  }

  it("says which egress mode is in force, what the graph shows for it, and what it blocks and leaves open", async () => {
    const [staging, prod] = await Promise.all([buildStack("staging"), buildStack("prod")]);
    const section = (g: typeof prod) => {
      const text = planText(g, PLAN_SECTIONS.map((build) => build(g)));
      return text.slice(text.indexOf("\nEgress:\n"), text.indexOf("\nSummary:"));
    };
    expect(section(staging)).to.include(`  mode dns-firewall (config egressMode): ${EGRESS_MODE_FACTS["dns-firewall"].summary}`);
    expect(section(staging)).to.match(/workspace subnets' routes out of the VPC: network-workspace-0: 0\.0\.0\.0\/0 -> network-nat-0; network-workspace-1: 0\.0\.0\.0\/0 -> network-nat-0\n/);
    expect(section(staging)).to.include("workspace security group egress: 0.0.0.0/0 tcp/443, 10.20.0.2/32 tcp/53, 10.20.0.2/32 udp/53, sg:sg-endpoints tcp/443");
    expect(section(staging)).to.include("    - TCP 443 to ANY IP address: an IP literal needs no DNS lookup, so the allow list does not apply (known gap)");
    expect(section(prod)).to.include(`  mode proxy (config egressMode): ${EGRESS_MODE_FACTS.proxy.summary}`);
    expect(section(prod)).to.include("  workspace subnets' routes out of the VPC: none\n");
    expect(section(prod)).to.include("workspace security group egress: 10.30.0.2/32 tcp/53, 10.30.0.2/32 udp/53, sg:sg-egressProxyLb tcp/3128, sg:sg-endpoints tcp/443");
    expect(section(prod)).to.match(/egress proxy: 2 Squid tasks \(remote-claude-prod-egress-proxy\) on remote-claude-prod-backend, workspaces reach it as http:\/\/internal-remote-claude-prod-egress-[0-9a-f]+\.elb\.ap-northeast-1\.amazonaws\.com:3128/);
    for (const line of [...EGRESS_MODE_FACTS.proxy.blocks, ...EGRESS_MODE_FACTS.proxy.allows]) expect(section(prod)).to.include(`    - ${line}\n`);
    const json = planJson(prod, PLAN_SECTIONS.map((build) => build(prod)));
    expect(json.sections?.Egress).to.deep.include({ mode: "proxy", routesOut: [], egressProxyService: "remote-claude-prod-egress-proxy" });
  });

  it("lists every resource with its full inputs and options in JSON", async () => {
    const g = await buildStack("staging");
    const json = JSON.parse(JSON.stringify(planJson(g)));
    expect(json.stack).to.equal("staging");
    expect(json.resources).to.have.length(g.resources.length);
    const vpc = json.resources.find((r: any) => r.type === "aws:ec2/vpc:Vpc");
    expect(vpc).to.deep.include({ name: "network-vpc", parent: "remote-claude:network:Network::network" });
    expect(vpc.inputs.cidrBlock).to.equal("10.20.0.0/16");
    expect(vpc.options).to.include({ protect: false });
    expect(json.outputs.vpcId).to.equal(g.outputs.vpcId);
  });

  it("shortens type tokens", () => {
    expect(shortType(typeToken(aws.ec2.SecurityGroup))).to.equal("ec2.SecurityGroup");
    expect(shortType("remote-claude:network:Network")).to.equal("remote-claude:network:Network");
  });

  describe("command line", () => {
    it("prints the JSON plan of a stack", () => {
      const result = runPlan("--stack", "prod", "--json");
      expect(result.status, result.stderr).to.equal(0);
      const json = JSON.parse(result.stdout);
      expect(json.stack).to.equal("prod");
      expect(json.resources.filter((r: any) => r.type === "aws:ec2/natGateway:NatGateway")).to.have.length(3);
    });

    it("prints every config problem and exits non-zero when config is invalid", () => {
      const dir = projectWithStack("broken", [
        "aws:region: ap-northeast-1",
        "remote-claude:azCount: 12",
        "remote-claude:dnsAllowedDomains: []",
        "remote-claude:backendImage: 1.0.0",
        "remote-claude:workspaceImage: 1.0.0",
        "remote-claude:credentialProxyImage: 1.0.0",
      ]);
      const result = runPlan("--stack", "broken", "--project-dir", dir);
      expect(result.status).to.equal(1);
      expect(result.stdout).to.equal("");
      // egressMode defaults to proxy, which needs the proxy's image: a stack file must opt out or name it.
      expect(result.stderr).to.include('Stack "broken" has 3 config problems; nothing was created:');
      expect(result.stderr).to.include("remote-claude:egressProxyImage = (unset): expected an image tag or digest of the egress proxy");
      expect(result.stderr).to.include("remote-claude:azCount = 12: expected an integer from 2 to 4");
      expect(result.stderr).to.include("remote-claude:dnsAllowedDomains = []: expected a list of domain names, at least 1");
    });

    it("names the stacks it knows when the stack file is missing", () => {
      const result = runPlan("--stack", "qa");
      expect(result.status).to.equal(1);
      expect(result.stderr).to.match(/no stack "qa": .*Pulumi\.qa\.yaml does not exist \(stacks here: prod, staging\)/);
    });
  });
});
