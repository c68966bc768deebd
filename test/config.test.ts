import { expect } from "chai";
import { ConfigError } from "../config";
import { runOffline } from "../offline/engine";
import { configErrorOf, stackConfig, stackConfigValues } from "./helpers/stacks";

/** The one problem line about `key`, asserting the error holds exactly one for it. */
function problemFor(err: ConfigError, key: string) {
  const found = err.problems.filter((p) => p.key === key);
  expect(found, `problems for ${key} in:\n${err.message}`).to.have.length(1);
  return found[0];
}

describe("stack config", () => {
  it("parses both stack files into typed values", () => {
    const staging = stackConfig("staging");
    expect(staging.region).to.equal("ap-northeast-1");
    expect(staging.azCount).to.equal(2);
    expect(staging.natGateways).to.equal("single");
    expect(staging.isProd).to.equal(false);
    expect(staging.dnsAllowedDomains).to.include("github.com");
    const prod = stackConfig("prod");
    expect(prod.azCount).to.equal(3);
    expect(prod.natGateways).to.equal("perAz");
    expect(prod.isProd).to.equal(true);
    expect(prod.tags).to.deep.equal({ Project: "remote-claude", Stack: "prod", ManagedBy: "pulumi" });
  });

  it("fills unset keys from the schema defaults", () => {
    const cfg = stackConfig("staging", { dnsBlockResponse: undefined, albIngressCidrs: undefined });
    expect(cfg.dnsBlockResponse).to.equal("NXDOMAIN");
    expect(cfg.albIngressCidrs).to.deep.equal(["0.0.0.0/0"]);
  });

  describe("rejects bad values, naming the key, the value, what is allowed and the fix", () => {
    const cases: { title: string; overrides: Record<string, unknown>; key: string; value: string; expected: RegExp }[] = [
      { title: "wrong type", overrides: { azCount: "two" }, key: "remote-claude:azCount", value: '"two"', expected: /an integer from 2 to 4/ },
      { title: "out-of-range count", overrides: { azCount: 7 }, key: "remote-claude:azCount", value: "7", expected: /an integer from 2 to 4/ },
      { title: "malformed CIDR", overrides: { vpcCidr: "10.0.0.0/33" }, key: "remote-claude:vpcCidr", value: '"10.0.0.0/33"', expected: /prefix length above 32/ },
      { title: "0.0.0.0/0 as the VPC", overrides: { vpcCidr: "0.0.0.0/0" }, key: "remote-claude:vpcCidr", value: '"0.0.0.0/0"', expected: /not inside a private range/ },
      { title: "CIDR with host bits", overrides: { vpcCidr: "10.20.0.1/16" }, key: "remote-claude:vpcCidr", value: '"10.20.0.1/16"', expected: /host bits set \(the network address is 10\.20\.0\.0\/16\)/ },
      { title: "VPC too small", overrides: { vpcCidr: "10.20.0.0/24" }, key: "remote-claude:vpcCidr", value: '"10.20.0.0/24"', expected: /must be a \/16, \/17 or \/18/ },
      {
        title: "overlapping subnets",
        overrides: { privateSubnetCidrs: ["10.20.0.0/19", "10.20.16.0/20"] },
        key: "remote-claude:privateSubnetCidrs",
        value: '["10.20.0.0/19","10.20.16.0/20"]',
        expected: /10\.20\.16\.0\/20 overlaps 10\.20\.0\.0\/19 of privateSubnetCidrs/,
      },
      {
        title: "a listed tier colliding with a carved one",
        overrides: { isolatedSubnetCidrs: ["10.20.128.0/24", "10.20.145.0/24"] },
        key: "remote-claude:isolatedSubnetCidrs",
        value: '["10.20.128.0/24","10.20.145.0/24"]',
        expected: /10\.20\.128\.0\/24 overlaps 10\.20\.128\.0\/24 of publicSubnetCidrs/,
      },
      {
        title: "subnet outside the VPC",
        overrides: { publicSubnetCidrs: ["10.99.0.0/24", "10.20.200.0/24"] },
        key: "remote-claude:publicSubnetCidrs",
        value: '["10.99.0.0/24","10.20.200.0/24"]',
        expected: /inside vpcCidr 10\.20\.0\.0\/16; 10\.99\.0\.0\/24 is outside it/,
      },
      {
        title: "one subnet per AZ",
        overrides: { publicSubnetCidrs: ["10.20.200.0/24"] },
        key: "remote-claude:publicSubnetCidrs",
        value: '["10.20.200.0/24"]',
        expected: /exactly azCount \(2\) CIDRs/,
      },
      {
        title: "instance family without ENI trunking",
        overrides: { workspaceInstanceTypes: ["t3.large"] },
        key: "remote-claude:workspaceInstanceTypes",
        value: '["t3.large"]',
        expected: /family t3, which has no ENI trunking support/,
      },
      {
        title: "size without ENI trunking in a supported family",
        overrides: { backendInstanceTypes: ["c6i.metal"] },
        key: "remote-claude:backendInstanceTypes",
        value: '["c6i.metal"]',
        expected: /not a size of c6i that supports ENI trunking/,
      },
      { title: "empty allow list", overrides: { dnsAllowedDomains: [] }, key: "remote-claude:dnsAllowedDomains", value: "[]", expected: /a list of domain names, at least 1/ },
      {
        title: "blanket AWS wildcard in the allow list",
        overrides: { dnsAllowedDomains: ["github.com", "*.amazonaws.com"] },
        key: "remote-claude:dnsAllowedDomains",
        value: '["github.com","*.amazonaws.com"]',
        expected: /"\*\.amazonaws\.com" is an AWS service name/,
      },
      {
        title: "top-level-domain wildcard",
        overrides: { dnsAllowedDomains: ["*.com"] },
        key: "remote-claude:dnsAllowedDomains",
        value: '["*.com"]',
        expected: /wildcard over a whole top-level domain/,
      },
      { title: "unknown enum value", overrides: { natGateways: "two" }, key: "remote-claude:natGateways", value: '"two"', expected: /one of "single", "perAz"/ },
      {
        title: "malformed ingress CIDR",
        overrides: { albIngressCidrs: ["office"] },
        key: "remote-claude:albIngressCidrs",
        value: '["office"]',
        expected: /"office" is not an IPv4 CIDR/,
      },
      {
        title: "a scalar where a list belongs",
        overrides: { albIngressCidrs: "0.0.0.0/0" },
        key: "remote-claude:albIngressCidrs",
        value: "0.0.0.0/0",
        expected: /written as a YAML list/,
      },
      { title: "retention CloudWatch does not offer", overrides: { logRetentionDays: 45 }, key: "remote-claude:logRetentionDays", value: "45", expected: /retention period in days: one of 1, 3, 5/ },
      { title: "missing region", overrides: { "aws:region": undefined }, key: "aws:region", value: "(unset)", expected: /an AWS region name/ },
      { title: "unknown key", overrides: { azcount: 3 }, key: "remote-claude:azcount", value: '"3"', expected: /did you mean remote-claude:azCount\?/ },
    ];

    for (const c of cases) {
      it(c.title, () => {
        const err = configErrorOf("staging", c.overrides);
        const problem = problemFor(err, c.key);
        expect(problem.value).to.equal(c.value);
        expect(problem.expected).to.match(c.expected);
        const line = err.message.split("\n").find((l) => l.includes(`${c.key} = `));
        expect(line, err.message).to.match(/Fix: set .+ in Pulumi\.staging\.yaml or run `pulumi config set .+ --stack staging`/);
      });
    }

    it("covers at least twelve distinct bad configs", () => {
      expect(cases.length).to.be.at.least(12);
      expect(new Set(cases.map((c) => c.title)).size).to.equal(cases.length);
    });
  });

  describe("egress mode", () => {
    it("staging runs dns-firewall, prod proxy; an unset key means proxy", () => {
      expect(stackConfig("staging").egressMode).to.equal("dns-firewall");
      expect(stackConfig("prod").egressMode).to.equal("proxy");
      expect(stackConfig("staging", { egressMode: undefined, egressProxyImage: "1.0.0" }).egressMode).to.equal("proxy");
    });

    it("refuses dns-firewall in production, naming the key and the fix", () => {
      const err = configErrorOf("prod", { egressMode: "dns-firewall" });
      const problem = problemFor(err, "remote-claude:egressMode");
      expect(problem.value).to.equal('"dns-firewall"');
      expect(problem.expected).to.match(/^"proxy" in production: dns-firewall filters names only, so a workspace can connect to any IP address on 443/);
      expect(err.message).to.include("Fix: set remote-claude:egressMode in Pulumi.prod.yaml or run `pulumi config set egressMode <value> --stack prod`");
      expect(err.problems).to.have.length(1);
    });

    it("needs the egress proxy's image in proxy mode, a tag when it is built, two tasks in production", () => {
      expect(problemFor(configErrorOf("staging", { egressMode: "proxy" }), "remote-claude:egressProxyImage").expected).to.match(/an image tag or digest of the egress proxy/);
      const digest = `sha256:${"c".repeat(64)}`;
      expect(problemFor(configErrorOf("staging", { egressMode: "proxy", egressProxyImage: digest, egressProxyBuildContext: "services/egressProxy" }), "remote-claude:egressProxyImage").expected)
        .to.match(/a tag to push the image built from services\/egressProxy under/);
      expect(problemFor(configErrorOf("prod", { egressProxyCount: 1 }), "remote-claude:egressProxyCount").expected).to.match(/at least 2 in production/);
      expect(problemFor(configErrorOf("staging", { egressMode: "open" }), "remote-claude:egressMode").expected).to.equal('one of "proxy", "dns-firewall"');
      // dns-firewall mode needs none of it, and staging may run one proxy task.
      expect(() => stackConfig("staging", { egressMode: "proxy", egressProxyImage: "1.0.0", egressProxyCount: 1 })).to.not.throw();
    });

    it("runs the DNS Firewall's catch-all in BLOCK unless told ALERT; ALERT in production only with the acknowledgement", () => {
      expect(stackConfig("staging").dnsFirewallCatchAllAction).to.equal("BLOCK");
      expect(stackConfig("prod").dnsFirewallAlertAcknowledged).to.equal(false);
      expect(stackConfig("staging", { dnsFirewallCatchAllAction: "ALERT" }).dnsFirewallCatchAllAction).to.equal("ALERT");
      const err = configErrorOf("prod", { dnsFirewallCatchAllAction: "ALERT" });
      const problem = problemFor(err, "remote-claude:dnsFirewallAlertAcknowledged");
      expect(problem.value).to.equal("false");
      expect(problem.expected).to.match(/^true to run production's DNS Firewall catch-all in ALERT \(names off the allow list resolve and are only logged\); or set dnsFirewallCatchAllAction to BLOCK$/);
      expect(err.message).to.include("Fix: set remote-claude:dnsFirewallAlertAcknowledged in Pulumi.prod.yaml or run `pulumi config set dnsFirewallAlertAcknowledged <value> --stack prod`");
      expect(err.problems).to.have.length(1);
      expect(stackConfig("prod", { dnsFirewallCatchAllAction: "ALERT", dnsFirewallAlertAcknowledged: true }).dnsFirewallCatchAllAction).to.equal("ALERT");
      // An acknowledgement outliving its ALERT window is refused, on any stack.
      expect(problemFor(configErrorOf("staging", { dnsFirewallAlertAcknowledged: true }), "remote-claude:dnsFirewallAlertAcknowledged").expected)
        .to.match(/^false \(unset\) while dnsFirewallCatchAllAction is BLOCK/);
      expect(problemFor(configErrorOf("staging", { dnsFirewallCatchAllAction: "LOG" }), "remote-claude:dnsFirewallCatchAllAction").expected).to.equal('one of "BLOCK", "ALERT"');
    });

    it("checks the workspace subnets like the other tiers", () => {
      const err = configErrorOf("staging", { workspaceSubnetCidrs: ["10.20.0.0/20", "10.20.176.0/20"] });
      expect(problemFor(err, "remote-claude:workspaceSubnetCidrs").expected).to.match(/10\.20\.0\.0\/20 overlaps 10\.20\.0\.0\/19 of privateSubnetCidrs/);
      expect(problemFor(configErrorOf("staging", { workspaceSubnetCidrs: ["10.20.160.0/20"] }), "remote-claude:workspaceSubnetCidrs").expected).to.match(/exactly azCount \(2\) CIDRs/);
      expect(stackConfig("staging", { workspaceSubnetCidrs: ["10.20.224.0/20", "10.20.240.0/20"] }).workspaceSubnetCidrs).to.deep.equal(["10.20.224.0/20", "10.20.240.0/20"]);
    });
  });

  it("reports every problem at once", () => {
    const err = configErrorOf("staging", {
      azCount: 9,
      natGateways: "many",
      dnsAllowedDomains: [],
      workspaceInstanceTypes: ["t3.micro"],
      logRetentionDays: 2,
    });
    expect(err.problems.map((p) => p.key).sort()).to.deep.equal(
      ["azCount", "dnsAllowedDomains", "logRetentionDays", "natGateways", "workspaceInstanceTypes"].map((k) => `remote-claude:${k}`),
    );
    expect(err.message).to.match(/^Stack "staging" has 5 config problems; nothing was created:/);
  });

  it("does not judge subnets against a VPC CIDR that is itself invalid", () => {
    const err = configErrorOf("staging", { vpcCidr: "bogus", privateSubnetCidrs: ["10.20.0.0/19", "10.20.32.0/19"] });
    expect(err.problems.map((p) => p.key)).to.deep.equal(["remote-claude:vpcCidr"]);
  });

  it("never prints a secret value", () => {
    const err = configErrorOf("staging", { credentialProxySecret: "" });
    const problem = problemFor(err, "remote-claude:credentialProxySecret");
    expect(problem.value).to.equal("[secret]");
  });

  it("names the new key of a renamed one and the commands that move its value, never showing the value", async () => {
    const err = configErrorOf("staging", { proxyCredential: "sk-old-credential" });
    const problem = problemFor(err, "remote-claude:proxyCredential");
    expect(problem.value).to.equal("[secret]");
    expect(problem.expected).to.equal("no such key: it is now remote-claude:credentialProxySecret, which takes the same value");
    expect(err.message).to.include(
      'Fix: run `pulumi config set --secret credentialProxySecret "$(pulumi config get proxyCredential --stack staging)" --stack staging && pulumi config rm proxyCredential --stack staging`.',
    );
    expect(err.message).to.not.include("sk-old-credential");
    // Before any resource: the program stops at the config, as for every other problem.
    const registered: string[] = [];
    const failed = await runOffline({ project: "remote-claude", stack: "staging", config: stackConfigValues("staging", { proxyCredential: "x" }).config, onRegister: (type) => registered.push(type) })
      .then(() => undefined, (e: unknown) => e);
    expect(failed).to.be.instanceOf(ConfigError);
    expect(registered).to.deep.equal(["pulumi:pulumi:Stack"]);
  });

  it("creates nothing when config is invalid", async () => {
    const { config } = stackConfigValues("staging", { azCount: 9 });
    const registered: string[] = [];
    const err = await runOffline({
      project: "remote-claude",
      stack: "staging",
      config,
      onRegister: (type) => registered.push(type),
    }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.key)).to.deep.equal(["remote-claude:azCount"]);
    // Only the stack's own root registers: no AWS resource, no component.
    expect(registered).to.deep.equal(["pulumi:pulumi:Stack"]);
  });
});
