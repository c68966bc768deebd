import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { allowedFlows, describeFlow, type Flow, GROUP_NAMES } from "../lib/flows";
import type { CapturedResource, StackGraph } from "../offline/graph";
import { STAGING_EGRESS_PROXY } from "./helpers/egress";
import { buildStack, stackConfig, STACKS } from "./helpers/stacks";

interface Rule {
  group: string;
  direction: "in" | "out";
  peer: string;
  protocol: string;
  port: number;
}

function groupName(g: StackGraph, id: string): string {
  const sg = g.ofType(aws.ec2.SecurityGroup).find((s) => s.physicalId === id);
  if (!sg) throw new Error(`rule refers to unknown security group ${id}`);
  return sg.inputs.tags.Role;
}

function ruleOf(g: StackGraph, r: CapturedResource, direction: "in" | "out"): Rule {
  const i = r.inputs;
  expect(i.fromPort, r.name).to.equal(i.toPort);
  const peers = [i.referencedSecurityGroupId, i.cidrIpv4, i.cidrIpv6, i.prefixListId].filter((p) => p !== undefined);
  expect(peers, `${r.name} has exactly one peer`).to.have.length(1);
  const peer = i.referencedSecurityGroupId
    ? `sg:${groupName(g, i.referencedSecurityGroupId)}`
    : i.prefixListId
      ? `pl:${i.prefixListId === g.one(aws.ec2.VpcEndpoint, "network-s3").state.prefixListId ? "s3" : i.prefixListId}`
      : String(i.cidrIpv4 ?? i.cidrIpv6);
  return { group: groupName(g, i.securityGroupId), direction, peer, protocol: i.ipProtocol, port: i.fromPort };
}

/** Every rule in the graph, read back from the rule resources. */
function rulesInGraph(g: StackGraph): string[] {
  return [
    ...g.ofType(aws.vpc.SecurityGroupIngressRule).map((r) => ruleOf(g, r, "in")),
    ...g.ofType(aws.vpc.SecurityGroupEgressRule).map((r) => ruleOf(g, r, "out")),
  ].map((r) => `${r.group} ${r.direction} ${r.peer} ${r.protocol}/${r.port}`).sort();
}

/** The rules a flow table implies: both halves of a group-to-group flow. */
function rulesOfFlows(flows: Flow[]): string[] {
  const peer = (p: Flow["from"]) => (p.kind === "group" ? `sg:${p.group}` : p.kind === "prefixList" ? `pl:${p.prefixList}` : p.cidr);
  const rules: string[] = [];
  for (const f of flows) {
    if (f.from.kind === "group") rules.push(`${f.from.group} out ${peer(f.to)} ${f.protocol}/${f.port}`);
    if (f.to.kind === "group") rules.push(`${f.to.group} in ${peer(f.from)} ${f.protocol}/${f.port}`);
  }
  return rules.sort();
}

for (const stack of STACKS) {
  describe(`security groups (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });

    it("holds exactly the flows of the table: any extra or missing rule fails", () => {
      const cfg = stackConfig(stack);
      const resolverIp = stack === "prod" ? "10.30.0.2" : "10.20.0.2";
      const flows = allowedFlows({ albIngressCidrs: cfg.albIngressCidrs, resolverIp, egressMode: cfg.egressMode });
      expect(rulesInGraph(g)).to.deep.equal(rulesOfFlows(flows));
    });

    it("matches the flows written out by hand", () => {
      const resolver = stack === "prod" ? "10.30.0.2/32" : "10.20.0.2/32";
      // Staging runs egressMode dns-firewall (443 anywhere), prod proxy (only the proxy's NLB).
      const egress = stack === "prod"
        ? [
          "egressProxy in sg:egressProxyLb tcp/3128",
          "egressProxy out 0.0.0.0/0 tcp/443",
          `egressProxy out ${resolver} tcp/53`,
          `egressProxy out ${resolver} udp/53`,
          "egressProxyLb in sg:workspace tcp/3128",
          "egressProxyLb out sg:egressProxy tcp/3128",
          "workspace out sg:egressProxyLb tcp/3128",
        ]
        : ["workspace out 0.0.0.0/0 tcp/443"];
      expect(rulesInGraph(g)).to.deep.equal([
        ...egress,
        "alb in 0.0.0.0/0 tcp/443",
        "alb in 0.0.0.0/0 tcp/80",
        "alb out sg:backend tcp/8000",
        "backend in sg:alb tcp/8000",
        "backend out sg:database tcp/5432",
        "backend out sg:endpoints tcp/443",
        "backend out sg:redis tcp/6379",
        "backend out sg:workspace tcp/9000",
        "backendHosts out pl:s3 tcp/443",
        "backendHosts out sg:endpoints tcp/443",
        "database in sg:backend tcp/5432",
        "endpoints in sg:backend tcp/443",
        "endpoints in sg:backendHosts tcp/443",
        "endpoints in sg:workspace tcp/443",
        "endpoints in sg:workspaceHosts tcp/443",
        "redis in sg:backend tcp/6379",
        "workspace in sg:backend tcp/9000",
        `workspace out ${resolver} tcp/53`,
        `workspace out ${resolver} udp/53`,
        "workspace out sg:endpoints tcp/443",
        "workspaceHosts out pl:s3 tcp/443",
        "workspaceHosts out sg:endpoints tcp/443",
      ].sort());
    });

    it("creates one group per role, with no inline rules", () => {
      const groups = g.ofType(aws.ec2.SecurityGroup);
      expect(groups.map((s) => s.inputs.tags.Role).sort()).to.deep.equal([...GROUP_NAMES].sort());
      for (const sg of groups) {
        expect(sg.inputs.ingress, sg.name).to.equal(undefined);
        expect(sg.inputs.egress, sg.name).to.equal(undefined);
        expect(sg.inputs.revokeRulesOnDelete, sg.name).to.equal(true);
      }
    });

    it("admits 0.0.0.0/0 only to the ALB listener ports", () => {
      const open = g.ofType(aws.vpc.SecurityGroupIngressRule).filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0");
      expect(open.map((r) => `${groupName(g, r.inputs.securityGroupId)}:${r.inputs.fromPort}`).sort()).to.deep.equal(["alb:443", "alb:80"]);
    });

    it("admits workspaces, PostgreSQL and Redis traffic from the backend only", () => {
      const ingressTo = (group: string) =>
        g.ofType(aws.vpc.SecurityGroupIngressRule).filter((r) => groupName(g, r.inputs.securityGroupId) === group).map((r) => ruleOf(g, r, "in"));
      expect(ingressTo("workspace")).to.deep.equal([{ group: "workspace", direction: "in", peer: "sg:backend", protocol: "tcp", port: 9000 }]);
      expect(ingressTo("database")).to.deep.equal([{ group: "database", direction: "in", peer: "sg:backend", protocol: "tcp", port: 5432 }]);
      expect(ingressTo("redis")).to.deep.equal([{ group: "redis", direction: "in", peer: "sg:backend", protocol: "tcp", port: 6379 }]);
      expect(ingressTo("backendHosts")).to.deep.equal([]);
      expect(ingressTo("workspaceHosts")).to.deep.equal([]);
      // The egress proxy: its NLB from workspaces only, its tasks from the NLB only (prod: proxy mode).
      expect(ingressTo("egressProxyLb")).to.deep.equal(stack === "prod" ? [{ group: "egressProxyLb", direction: "in", peer: "sg:workspace", protocol: "tcp", port: 3128 }] : []);
      expect(ingressTo("egressProxy")).to.deep.equal(stack === "prod" ? [{ group: "egressProxy", direction: "in", peer: "sg:egressProxyLb", protocol: "tcp", port: 3128 }] : []);
    });

    it("takes the ALB's client CIDRs from config", async () => {
      const restricted = await buildStack(stack, { albIngressCidrs: ["203.0.113.0/24", "198.51.100.0/24"] });
      const albIngress = restricted.ofType(aws.vpc.SecurityGroupIngressRule)
        .filter((r) => groupName(restricted, r.inputs.securityGroupId) === "alb")
        .map((r) => `${r.inputs.cidrIpv4}:${r.inputs.fromPort}`).sort();
      expect(albIngress).to.deep.equal(["198.51.100.0/24:443", "198.51.100.0/24:80", "203.0.113.0/24:443", "203.0.113.0/24:80"]);
    });
  });
}

describe("flow table", () => {
  it("describes flows readably", () => {
    const flows = allowedFlows({ albIngressCidrs: ["0.0.0.0/0"], resolverIp: "10.0.0.2", egressMode: "proxy" });
    expect(flows.map(describeFlow)).to.include("sg:backend -> sg:workspace tcp/9000");
    expect(flows.map(describeFlow)).to.include("sg:workspace -> 10.0.0.2/32 (VPC resolver) udp/53");
    expect(flows.map(describeFlow)).to.include("sg:workspace -> sg:egressProxyLb tcp/3128");
  });

  it("differs between the egress modes only in how a workspace leaves the VPC", () => {
    const ctx = { albIngressCidrs: ["0.0.0.0/0"], resolverIp: "10.0.0.2" };
    const egressProxyMode = allowedFlows({ ...ctx, egressMode: "proxy" }).map(describeFlow);
    const dnsFirewall = allowedFlows({ ...ctx, egressMode: "dns-firewall" }).map(describeFlow);
    expect(dnsFirewall.filter((f) => !egressProxyMode.includes(f))).to.deep.equal(["sg:workspace -> 0.0.0.0/0 (allow-listed names) tcp/443"]);
    expect(egressProxyMode.filter((f) => !dnsFirewall.includes(f))).to.deep.equal([
      "sg:workspace -> sg:egressProxyLb tcp/3128",
      "sg:egressProxyLb -> sg:egressProxy tcp/3128",
      "sg:egressProxy -> 0.0.0.0/0 (allow-listed names) tcp/443",
      "sg:egressProxy -> 10.0.0.2/32 (VPC resolver) udp/53",
      "sg:egressProxy -> 10.0.0.2/32 (VPC resolver) tcp/53",
    ]);
    // In proxy mode nothing but the proxy tasks may send to 0.0.0.0/0.
    const toAnywhere = allowedFlows({ ...ctx, egressMode: "proxy" }).filter((f) => f.to.kind === "cidr" && f.to.cidr === "0.0.0.0/0");
    expect(toAnywhere.map((f) => f.from)).to.deep.equal([{ kind: "group", group: "egressProxy" }]);
  });
});

describe("security groups in both egress modes on one stack (staging)", () => {
  for (const [mode, overrides] of [["dns-firewall", {}], ["proxy", STAGING_EGRESS_PROXY]] as const) {
    it(`holds exactly the ${mode} flow table`, async () => {
      const g = await buildStack("staging", overrides);
      const cfg = stackConfig("staging", overrides);
      expect(cfg.egressMode).to.equal(mode);
      const flows = allowedFlows({ albIngressCidrs: cfg.albIngressCidrs, resolverIp: "10.20.0.2", egressMode: mode });
      expect(rulesInGraph(g)).to.deep.equal(rulesOfFlows(flows));
      const workspaceOut = rulesInGraph(g).filter((r) => r.startsWith("workspace out "));
      expect(workspaceOut).to.deep.equal(mode === "proxy"
        ? ["workspace out 10.20.0.2/32 tcp/53", "workspace out 10.20.0.2/32 udp/53", "workspace out sg:egressProxyLb tcp/3128", "workspace out sg:endpoints tcp/443"]
        : ["workspace out 0.0.0.0/0 tcp/443", "workspace out 10.20.0.2/32 tcp/53", "workspace out 10.20.0.2/32 udp/53", "workspace out sg:endpoints tcp/443"]);
    });
  }
});
