// `ops egress report` through the real CLI, in-process: Logs Insights simulated over log events
// taken from outside the project — AWS's documented Resolver query log example (field values
// changed) and the real Squid's output — and the stack's network on a mocked EC2. What judges the
// advice: the program itself, built with the suggested config line, must then allow the name in
// its DNS Firewall domain list and the egress proxy's squid.conf.
import * as aws from "@pulumi/aws";
import { GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ListFirewallRulesCommand, Route53ResolverClient } from "@aws-sdk/client-route53resolver";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { SQUID_CONFIG_ENV } from "../../lib/egressProxyContainer";
import { AllowAdvisor, isIpLiteral, listCovers, splitTarget } from "../../scripts/ops/egress/allowList";
import { FINAL_FAILURES, MAX_QUERY_ROWS, PENDING_STATUSES, insightsTime } from "../../scripts/ops/egress/insights";
import { CATCH_ALL_ACTIONS, deniedRequestsQuery, isDenied, parseDecision } from "../../scripts/ops/egress/queries";
import { DECISION_FIELDS } from "../../lib/egressProxyDecisionLog";
import { type LogsSimOptions, runQuery } from "../../scripts/ops/sim/logsSim";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { requireBotocore, serviceModel } from "../helpers/botocore";
import { containerNamed } from "../helpers/services";
import { buildStack } from "../helpers/stacks";
import { RESOLVER_EXAMPLE, SQUID_LINES, catchAll, eni, resolverEvent, simulatedLogs, simulatedNetwork, squidEvents } from "./helpers/egress";
import { mockIdentity, mockLooseClient, runCli, sentCommands, tempDir } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

/** After the Squid fixture's run (2026-12-05 15:22 UTC): --since 1h covers it. */
const NOW = Date.UTC(2026, 11, 5, 16, 0, 0);
const MIN = 60_000;
const staging = stackOutputs("staging");
const prod = stackOutputs("prod");
const sg = staging.securityGroupIds;

const INTERFACES = [
  eni("eni-0backendhost", "10.20.16.10", [sg.backendHosts], { Attachment: { InstanceId: "i-0backend1" } }),
  eni("eni-0wshost", "10.20.80.3", [sg.workspaceHosts], { Attachment: { InstanceId: "i-0workspace1" } }),
  eni("eni-0ws5", "10.20.64.5", [sg.workspace], { InterfaceType: "branch", Description: "arn:aws:ecs:ap-northeast-1:123456789012:attachment/3f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }),
  eni("eni-0proxy", "10.20.32.7", [sg.egressProxy], { Description: "arn:aws:ecs:ap-northeast-1:123456789012:attachment/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9" }),
];

/** A day of staging's query log: what the catch-all matched, and what it must not count. */
function stagingDnsEvents() {
  const o = staging;
  const t = (minutesAgo: number) => NOW - minutesAgo * MIN;
  const withoutFirewall = { ...RESOLVER_EXAMPLE };
  delete withoutFirewall.firewall_rule_action;
  delete withoutFirewall.firewall_rule_group_id;
  delete withoutFirewall.firewall_domain_list_id;
  return [
    // The ECS agent sent to a numbered endpoint name (issue 14): hosts of both pools.
    ...[50, 40, 30].map((m) => catchAll(o, t(m), "ecs-a-4.ap-northeast-1.amazonaws.com", "10.20.16.10")),
    ...[45, 20].map((m) => catchAll(o, t(m), "ecs-a-4.ap-northeast-1.amazonaws.com", "10.20.80.3")),
    // An MCP host a workspace needs: one live task, one whose interface is gone; names are case-blind.
    catchAll(o, t(55), "mcp.example.org", "10.20.64.5"),
    catchAll(o, t(25), "MCP.Example.ORG", "10.20.64.5"),
    catchAll(o, t(10), "mcp.example.org", "10.20.64.9"),
    // On the stack file's list, but not on the deployed one.
    catchAll(o, t(15), "github.com", "10.20.64.5", "BLOCK"),
    // AWS's example name, a reverse lookup, matched by this stack's rule.
    catchAll(o, t(5), "15.3.4.32.in-addr.arpa", "10.20.16.10", "BLOCK", { query_type: "PTR" }),
    // The security probe's deliberate try.
    catchAll(o, t(3), "example.com", "10.20.64.5"),
    // Not the catch-all: AWS's example as published (another rule group), an ALLOW match, no firewall match, too old.
    resolverEvent(t(35), {}),
    resolverEvent(t(33), { ...RESOLVER_EXAMPLE, query_name: "registry.npmjs.org.", srcaddr: "10.20.64.5", firewall_rule_group_id: o.dnsFirewallRuleGroupId, firewall_domain_list_id: "rslvr-fdl-allow", firewall_rule_action: "ALLOW" }),
    { timestamp: t(32), message: JSON.stringify({ ...withoutFirewall, query_name: "api.ecr.ap-northeast-1.amazonaws.com.", srcaddr: "10.20.16.10" }) },
    catchAll(o, NOW - 25 * 60 * MIN, "old.example.net", "10.20.64.5"),
  ];
}

describe("ops egress report", () => {
  let sts: ReturnType<typeof mockIdentity>;
  let restore: (() => void)[] = [];
  beforeEach(() => {
    sts = mockIdentity();
  });
  afterEach(() => {
    sts.restore();
    restore.forEach((r) => r());
    restore = [];
  });

  function setUp(options: Omit<LogsSimOptions, "clock"> = {}, catchAllAction = "ALERT") {
    const clock = new VirtualClock(NOW);
    const { sim, logs } = simulatedLogs({ clock, ...options });
    const ec2 = simulatedNetwork(INTERFACES);
    const resolver = mockLooseClient(Route53ResolverClient);
    resolver.on(ListFirewallRulesCommand).callsFake((input: { FirewallRuleGroupId: string }) => ({ FirewallRules: [
      { FirewallRuleGroupId: input.FirewallRuleGroupId, Name: "allow-listed", Action: "ALLOW", Priority: 100, FirewallDomainListId: "rslvr-fdl-allow" },
      { FirewallRuleGroupId: input.FirewallRuleGroupId, Name: "catch-all", Action: catchAllAction, Priority: 1000, FirewallDomainListId: staging.dnsFirewallCatchAllDomainListId },
    ] }));
    restore.push(() => logs.restore(), () => ec2.restore(), () => resolver.restore());
    return { clock, sim, logs, ec2, resolver };
  }

  it("groups what the catch-all rule matched by name and by source, from query logs in AWS's documented format, with the line that allows each name", async () => {
    const { clock, sim, logs } = setUp();
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    const run = await runCli(["egress", "report", "--json", "--since", "24h"], { clock });
    expect(run.code, run.stderr).to.equal(0);
    const start = logs.commandCalls(StartQueryCommand)[0].args[0].input;
    expect(start).to.include({ logGroupName: staging.dnsQueryLogGroupName, startTime: (NOW - 24 * 60 * MIN) / 1000, endTime: NOW / 1000, limit: 100_000 });
    expect(start.queryString).to.include(`firewall_rule_group_id = "${staging.dnsFirewallRuleGroupId}"`).and.include(`firewall_domain_list_id = "${staging.dnsFirewallCatchAllDomainListId}"`);
    // dns-firewall mode: no egress proxy, one query.
    expect(logs.commandCalls(StartQueryCommand)).to.have.length(1);

    const dns = run.report.data.dns;
    expect(dns.map((d: any) => [d.name, d.actions.join("/"), d.count])).to.deep.equal([
      ["ecs-a-4.ap-northeast-1.amazonaws.com", "ALERT", 5],
      ["mcp.example.org", "ALERT", 3],
      ["15.3.4.32.in-addr.arpa", "BLOCK", 1],
      ["github.com", "BLOCK", 1],
    ]);
    const ecs = dns[0];
    expect(ecs.sources.map((s: any) => [s.address, s.role, s.count])).to.deep.equal([["10.20.16.10", "backend host", 3], ["10.20.80.3", "workspace host", 2]]);
    expect(ecs.sources[0].detail).to.equal("eni-0backendhost (interface, on i-0backend1)");
    expect(ecs.firstSeen).to.equal("2026-12-05T15:10:00Z");
    expect(ecs.lastSeen).to.equal("2026-12-05T15:40:00Z");
    expect(ecs.advice.kind).to.equal("platform");
    const mcp = dns[1];
    expect(mcp.sources.map((s: any) => [s.address, s.role, s.count])).to.deep.equal([
      ["10.20.64.5", "workspace", 2],
      ["10.20.64.9", "workspace subnet: a workspace (interface gone: task stopped)", 1],
    ]);
    expect(mcp.sources[0].detail).to.equal("eni-0ws5 (branch, ECS task interface)");
    expect(mcp.advice).to.deep.equal({ kind: "config", text: "pulumi config set --path 'dnsAllowedDomains[4]' mcp.example.org --stack staging" });
    expect(dns[2].advice.kind).to.equal("reverse-lookup");
    expect(dns[3].advice).to.deep.equal({ kind: "deploy", text: "already in dnsAllowedDomains of Pulumi.staging.yaml: deploy it (pulumi up --stack staging)" });
    // The probe's own try is reported apart.
    expect(run.report.data.probe.dns.map((d: any) => d.name)).to.deep.equal(["example.com"]);
    // By source: every address once, with what it asked for.
    expect(run.report.data.sources.map((s: any) => [s.address, s.role, s.names.join(",")])).to.deep.equal([
      ["10.20.16.10", "backend host", "ecs-a-4.ap-northeast-1.amazonaws.com,15.3.4.32.in-addr.arpa"],
      ["10.20.64.5", "workspace", "mcp.example.org,github.com"],
      ["10.20.80.3", "workspace host", "ecs-a-4.ap-northeast-1.amazonaws.com"],
      ["10.20.64.9", "workspace subnet: a workspace (interface gone: task stopped)", "mcp.example.org"],
    ]);
    expect(run.report.checks).to.deep.equal([]);
    expect(sim.running()).to.deep.equal([]);
  });

  it("prints the same as text: a table per grouping, the config lines, the window", async () => {
    const { clock, sim } = setUp();
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    const run = await runCli(["egress", "report", "--since", "24h", "--no-metrics"], { clock });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^Egress report: names and requests off the allow list — stack staging \(ap-northeast-1\)\n/);
    expect(run.stdout).to.include("Window 2026-12-04T16:00:00Z to 2026-12-05T16:00:00Z (last 24h).");
    expect(run.stdout).to.include("DNS Firewall catch-all rule matched 4 names (10 queries); from 4 source addresses.");
    expect(run.stdout).to.include("The catch-all rule is in ALERT: names off the list resolve and are only logged. Fix the list from the rows below, deploy, and run this again before setting dnsFirewallCatchAllAction to BLOCK.");
    expect(run.stdout).to.include("Names the DNS Firewall's catch-all rule matched:");
    expect(run.stdout).to.include("By source:");
    expect(run.stdout).to.match(/mcp\.example\.org\s+ALERT\s+3\s+1 workspace, 1 workspace subnet: a workspace \(interface gone: task stopped\)\s+2026-12-05T15:05:00Z\s+2026-12-05T15:50:00Z\s+pulumi config set --path 'dnsAllowedDomains\[4\]' mcp\.example\.org --stack staging/);
    expect(run.stdout).to.include("note: egress mode dns-firewall: no egress proxy, so only names are logged");
    expect(run.stdout).to.match(/Result: PASS, exit code 0/);
  });

  it("gives config lines that, once applied, put the names on the DNS Firewall's list and the egress proxy's squid.conf", async function () {
    this.timeout(120_000);
    const { clock, sim } = setUp();
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    sim.put(prod.dnsQueryLogGroupName, [catchAll(prod, NOW - 5 * MIN, "mcp.example.org", "10.20.64.5"), catchAll(prod, NOW - 4 * MIN, "api.example.dev", "10.20.64.5")]);
    sim.put(prod.egressProxy.logGroupName!, squidEvents());
    const run = await runCli(["egress", "report", "--json", "--since", "1h"], { clock, outputs: prod });
    expect(run.code, run.stderr).to.equal(0);
    const lines = [...run.report.data.dns, ...run.report.data.egressProxy].filter((r: any) => r.advice.kind === "config").map((r: any) => r.advice.text);
    expect(lines).to.deep.equal([
      "pulumi config set --path 'dnsAllowedDomains[4]' api.example.dev --stack prod",
      "pulumi config set --path 'dnsAllowedDomains[5]' mcp.example.org --stack prod",
      "pulumi config set --path 'dnsAllowedDomains[6]' denied.test --stack prod",
    ]);
    // `pulumi config set --path 'key[i]' value` on the stack file's list, then the program's own plan.
    const list = ["github.com", "*.github.com", "*.githubusercontent.com", "registry.npmjs.org"];
    for (const line of lines) {
      const [, index, value] = /\[(\d+)\]' (\S+) /.exec(line)!;
      list[Number(index)] = value;
    }
    const g = await buildStack("prod", { dnsAllowedDomains: list });
    const allow = g.ofType(aws.route53.ResolverFirewallDomainList).find((d) => d.name === "dns-firewall-allow")!;
    expect(allow.inputs.domains).to.include.members(["api.example.dev", "mcp.example.org", "denied.test"]);
    const task = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-prod-egress-proxy")!;
    const squidConf = containerNamed(task, "egress-proxy").environment!.find((e) => e.name === SQUID_CONFIG_ENV)!.value!;
    expect(squidConf).to.match(/^acl allowed_names dstdomain -n .*\bapi\.example\.dev\b.*\bdenied\.test\b.*\bmcp\.example\.org\b/m);
  });

  it("in proxy mode adds the requests the egress proxy denied, read from the real Squid's log lines", async () => {
    const { clock, sim, logs } = setUp();
    sim.put(prod.dnsQueryLogGroupName, []);
    sim.put(prod.egressProxy.logGroupName!, squidEvents());
    const run = await runCli(["egress", "report", "--json", "--since", "1h"], { clock, outputs: prod });
    expect(run.code, run.stderr).to.equal(0);
    expect(logs.commandCalls(StartQueryCommand).map((c) => c.args[0].input.logGroupName)).to.deep.equal([prod.dnsQueryLogGroupName, prod.egressProxy.logGroupName]);
    // Every TCP_DENIED line of the real Squid, and nothing else (no tunnel, no failed forward, no cache log line).
    const rows = run.report.data.egressProxy;
    expect(rows.reduce((a: number, t: any) => a + t.count, 0)).to.equal(SQUID_LINES.filter((l) => / TCP_DENIED /.test(l)).length);
    const offList = rows.filter((t: any) => t.error === "ERR_ACCESS_DENIED");
    expect(offList.map((t: any) => [`${t.method} ${t.target}`, t.count, t.advice.kind, t.advice.text])).to.deep.equal([
      ["CONNECT denied.test:443", 2, "config", "pulumi config set --path 'dnsAllowedDomains[4]' denied.test --stack prod"],
      ["CONNECT 11.0.0.1:443", 1, "by-design", "an IP literal: the egress proxy allows names only"],
      ["CONNECT 127.125.0.1:443", 1, "by-design", "an IP literal: the egress proxy allows names only"],
      ["CONNECT [::1]:443", 1, "by-design", "an IP literal: the egress proxy allows names only"],
      ["CONNECT allowed.test:8443", 1, "by-design", "port 8443: the egress proxy allows 443 only"],
      ["GET http://allowed.test/", 1, "by-design", "plain HTTP (GET): the egress proxy tunnels HTTPS only (CONNECT to 443)"],
    ]);
    // Allowed names that resolved to non-public addresses: refused whatever the list says.
    const nonPublic = rows.filter((t: any) => t.error === "ERR_NON_PUBLIC_DESTINATION");
    expect(nonPublic).to.have.length(32);
    expect(nonPublic.map((t: any) => t.target)).to.include.members(["imds.wild.test:443", "ecs-credentials.wild.test:443", "imds6.wild.test:443", "rfc1918-10.wild.test:443"]);
    expect(new Set(nonPublic.map((t: any) => t.advice.kind))).to.deep.equal(new Set(["by-design"]));
    const denied = offList[0];
    // The test's clients are loopback addresses: outside the VPC, named as such.
    expect(denied.sources.map((s: any) => [s.address, s.role])).to.deep.equal([["127.0.0.1", "outside the VPC"], ["127.0.1.1", "outside the VPC"]]);
    expect(denied.firstSeen).to.equal("2026-12-05T15:22:51Z");
    expect(denied.lastSeen).to.equal("2026-12-05T15:22:52Z");
  });

  it("polls Scheduled → Running → Complete and takes rows only from Complete", async () => {
    const { clock, sim, logs } = setUp({ progression: () => ["Scheduled", "Running", "Running", "Running"] });
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    const run = await runCli(["egress", "report", "--json", "--since", "24h"], { clock });
    expect(run.code, run.stderr).to.equal(0);
    expect(logs.commandCalls(GetQueryResultsCommand)).to.have.length(5);
    expect(logs.commandCalls(StopQueryCommand)).to.have.length(0);
    expect(run.report.data.queries[0]).to.include({ status: "Complete", polls: 5, truncated: false });
    expect(run.report.data.dns).to.have.length(4);
  });

  it("reads every page of a Complete answer (nextToken)", async () => {
    const { clock, sim, logs } = setUp({ pageSize: 2 });
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    const run = await runCli(["egress", "report", "--json", "--since", "24h"], { clock });
    expect(run.code, run.stderr).to.equal(0);
    // 3 polls to Complete, then the pages after the first: 8 rows (one per query name as logged, source and action) in pages of 2.
    const calls = logs.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.nextToken ?? "-");
    expect(calls).to.deep.equal(["-", "-", "-", "2", "4", "6"]);
    expect(run.report.data.dns.map((d: any) => d.count)).to.deep.equal([5, 3, 1, 1]);
  });

  it("stops a query still running at --query-timeout and exits 3 naming it", async () => {
    const { clock, sim, logs } = setUp({ finalStatus: () => "Running" });
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    const run = await runCli(["egress", "report", "--json", "--since", "24h", "--query-timeout", "10"], { clock });
    expect(run.code).to.equal(3);
    expect(run.report.outcome).to.equal("error");
    expect(logs.commandCalls(StopQueryCommand)).to.have.length(1);
    expect(sim.running()).to.deep.equal([]);
    expect(run.report.notes.join("\n")).to.include("DNS query log (/remote-claude-staging/dns-queries) not read: still Running after 10 s (--query-timeout): stopped");
    // The bound is time on the tool's clock: 10 s of 2-s polls.
    expect(logs.commandCalls(GetQueryResultsCommand).length).to.equal(6);
  });

  it("reports a query Insights ends as Failed, still reading the other log (exit 3)", async () => {
    const { clock, sim, logs } = setUp({ finalStatus: (i) => (i === 0 ? "Failed" : "Complete") });
    sim.put(prod.dnsQueryLogGroupName, []);
    sim.put(prod.egressProxy.logGroupName!, squidEvents());
    const run = await runCli(["egress", "report", "--json", "--since", "1h", "--fail-on-findings"], { clock, outputs: prod });
    expect(run.code).to.equal(3);
    expect(logs.commandCalls(StopQueryCommand)).to.have.length(0);
    expect(run.report.data.egressProxy).to.have.length(38);
    const check = run.report.checks.find((c: any) => c.name === "DNS query log read");
    expect(check).to.include({ result: "fail", observed: "Failed: Logs Insights ended the query with status Failed" });
  });

  it("stops the running queries on Ctrl-C and exits 130", async () => {
    const signals = new EventEmitter();
    const { clock, sim, logs } = setUp({ finalStatus: () => "Running" });
    sim.put(prod.dnsQueryLogGroupName, []);
    sim.put(prod.egressProxy.logGroupName!, squidEvents());
    logs.on(GetQueryResultsCommand).callsFake((input) => {
      const out = sim.getQueryResults(input);
      if (sim.calls.GetQueryResults === 4) signals.emit("SIGINT");
      return out;
    });
    const run = await runCli(["egress", "report", "--since", "1h"], { clock, signals, outputs: prod });
    expect(run.code).to.equal(130);
    expect(logs.commandCalls(StopQueryCommand)).to.have.length(2);
    expect(sim.running()).to.deep.equal([]);
    expect(run.stderr).to.include("SIGINT: stopping");
  });

  it("--fail-on-findings: findings fail (exit 1), a clean window passes (exit 0)", async () => {
    const { clock, sim } = setUp();
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    const dirty = await runCli(["egress", "report", "--json", "--since", "24h", "--fail-on-findings"], { clock });
    expect(dirty.code).to.equal(1);
    expect(dirty.report.checks.find((c: any) => c.name === "names the DNS Firewall's catch-all rule matched"))
      .to.include({ result: "fail", observed: "4: ecs-a-4.ap-northeast-1.amazonaws.com, mcp.example.org, 15.3.4.32.in-addr.arpa, github.com" });
    // Only the probe's deliberate try in the last 5 minutes: clean.
    const clean = await runCli(["egress", "report", "--json", "--since", "4m", "--fail-on-findings"], { clock });
    expect(clean.code, clean.stderr).to.equal(0);
    expect(clean.report.data.probe.dns.map((d: any) => d.name)).to.deep.equal(["example.com"]);
    expect(clean.report.checks.map((c: any) => c.result)).to.deep.equal(["pass", "pass"]);
    expect(clean.report.summary).to.include("The catch-all rule is in ALERT: names off the list resolve and are only logged. Nothing off the list here: set dnsFirewallCatchAllAction to BLOCK.");
    expect(clean.report.data.catchAllAction).to.equal("ALERT");
  });

  it("--dry-run prints the queries and runs none; --report writes JSON and Markdown", async () => {
    const { clock, sim, logs } = setUp();
    sim.put(staging.dnsQueryLogGroupName, stagingDnsEvents());
    const dry = await runCli(["egress", "report", "--json", "--dry-run"], { clock });
    expect(dry.code).to.equal(0);
    expect(dry.report.outcome).to.equal("dry-run");
    expect(sentCommands(logs)).to.deep.equal([]);
    expect(dry.report.data.queries[0].queryString).to.include("stats count(*) as queries");
    const dir = tempDir();
    const file = path.join(dir, "egress.json");
    const written = await runCli(["egress", "report", "--since", "24h", "--report", file], { clock });
    expect(written.code).to.equal(0);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).command).to.equal("egress report");
    expect(fs.readFileSync(path.join(dir, "egress.md"), "utf8")).to.include("## Names the DNS Firewall's catch-all rule matched");
  });

  it("refuses a bad --since and a stack without the catch-all list output (exit 2), before any AWS call", async () => {
    const { clock, logs } = setUp();
    const bad = await runCli(["egress", "report", "--since", "yesterday"], { clock });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("--since must be minutes, hours or days like 90m, 1h, 24h or 7d, got yesterday");
    const { dnsFirewallCatchAllDomainListId: _, ...older } = staging;
    const missing = await runCli(["egress", "report"], { clock, outputs: older });
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("missing stack output in");
    expect(missing.stderr).to.include("dnsFirewallCatchAllDomainListId (Domain list");
    expect(sentCommands(logs)).to.deep.equal([]);
    expect(sentCommands(sts)).to.deep.equal([]);
  });
});

describe("egress report: the API facts it relies on, judged by AWS's own models (botocore)", function () {
  it("Logs Insights: the query statuses, the row limit, the pages of a Complete answer", function () {
    const logs = serviceModel(requireBotocore(this), "logs");
    expect(new Set(logs.shapes.QueryStatus.enum)).to.deep.equal(new Set([...PENDING_STATUSES, "Complete", ...FINAL_FAILURES]));
    expect(logs.shapes[logs.shapes.StartQueryRequest.members.limit.shape].max).to.equal(MAX_QUERY_ROWS);
    expect(Object.keys(logs.shapes.GetQueryResultsRequest.members)).to.include("nextToken");
    expect(Object.keys(logs.shapes.GetQueryResultsResponse.members)).to.include.members(["status", "results", "nextToken"]);
    expect(Object.keys(logs.operations)).to.include.members(["StartQuery", "GetQueryResults", "StopQuery"]);
  });

  it("EC2: the filters the source lookup and the trunk check use, and the trunk's interface type", function () {
    const ec2 = serviceModel(requireBotocore(this), "ec2");
    const filters: string = ec2.shapes[ec2.operations.DescribeNetworkInterfaces.input.shape].members.Filters.documentation;
    for (const name of ["vpc-id", "addresses.private-ip-address", "attachment.instance-id"]) expect(filters).to.include(`<code>${name}</code>`);
    expect(ec2.shapes.NetworkInterfaceType.enum).to.include("trunk");
  });

  it("Route 53 Resolver: a firewall rule's actions", function () {
    const resolver = serviceModel(requireBotocore(this), "route53resolver");
    expect(resolver.shapes.Action.enum).to.include.members([...CATCH_ALL_ACTIONS, "ALLOW"]);
  });
});

describe("egress report: the Squid decision line and the advice", () => {
  it("parses exactly the decision lines of the real Squid's output, none of its cache log lines", () => {
    const parsed = SQUID_LINES.map((l) => [l, parseDecision(l)] as const);
    const decisions = parsed.filter(([, d]) => d).map(([l]) => l);
    expect(decisions).to.deep.equal(SQUID_LINES.filter((l) => /^\d+\.\d{3} /.test(l)));
    expect(decisions).to.have.length(51);
    // Cache log lines with as many fields as a decision are not mistaken for one.
    expect(SQUID_LINES.filter((l) => !/^\d+\.\d{3} /.test(l) && l.split(" ").length === DECISION_FIELDS.length).length).to.be.greaterThan(5);
    expect(parseDecision("2026/12/05 15:22:49| Max Swap size: 0 KB")).to.equal(undefined);
    expect(parsed.filter(([, d]) => d && isDenied(d))).to.have.length(39);
  });

  it("the Insights query over the real Squid lines gives the rows the report reads", () => {
    // The simulated Insights runs the very query string the tool sends.
    const rows = runQuery(deniedRequestsQuery(), squidEvents(), 100);
    const accessDenied = rows.filter((r) => r.error === "ERR_ACCESS_DENIED").map((r) => `${r.method} ${r.target} ${r.client} ${r.requests}`).sort();
    expect(accessDenied).to.deep.equal([
      "CONNECT 11.0.0.1:443 127.0.1.2 1", "CONNECT 127.125.0.1:443 127.0.1.3 1", "CONNECT [::1]:443 127.0.1.4 1", "CONNECT allowed.test:8443 127.0.1.5 1",
      "CONNECT denied.test:443 127.0.0.1 1", "CONNECT denied.test:443 127.0.1.1 1", "GET http://allowed.test/ 127.0.1.6 1",
    ]);
    expect(rows.filter((r) => r.error === "ERR_NON_PUBLIC_DESTINATION")).to.have.length(32);
    // Squid's failed forwards (NONE_NONE) are no denial.
    expect(rows.filter((r) => !/^TCP_DENIED/.test(r.verdict))).to.deep.equal([]);
  });

  it("names targets, IP literals and list coverage as Squid and the DNS Firewall do", () => {
    expect(splitTarget("denied.test:443")).to.deep.equal({ host: "denied.test", port: "443" });
    expect(splitTarget("[::1]:443")).to.deep.equal({ host: "[::1]", port: "443" });
    expect(["127.77.0.1", "2138898433", "0x7f000001", "[::1]"].map(isIpLiteral)).to.deep.equal([true, true, true, true]);
    expect(isIpLiteral("denied.test")).to.equal(false);
    // DNS Firewall: "*.example.com" covers subdomains, not the apex.
    expect(listCovers(["*.example.com"], "a.b.example.com")).to.equal(true);
    expect(listCovers(["*.example.com"], "example.com")).to.equal(false);
    expect(listCovers(["example.com"], "example.com")).to.equal(true);
  });

  it("never suggests a line config would refuse", () => {
    const advisor = new AllowAdvisor({ stack: "staging", file: "Pulumi.staging.yaml", names: ["github.com"] });
    expect(advisor.forName("api.ecr.ap-northeast-1.amazonaws.com").kind).to.equal("platform");
    expect(advisor.forName("localhost").kind).to.equal("invalid");
    expect(advisor.forName("a.example.com.").text).to.equal("pulumi config set --path 'dnsAllowedDomains[1]' a.example.com --stack staging");
    expect(advisor.forName("a.example.com").text).to.equal("pulumi config set --path 'dnsAllowedDomains[1]' a.example.com --stack staging");
    expect(advisor.forName("b.example.com").text).to.include("'dnsAllowedDomains[2]'");
    const noList = new AllowAdvisor({ stack: "dev", file: "Pulumi.dev.yaml" });
    expect(noList.forName("a.example.com").text).to.equal('add "a.example.com" to remote-claude:dnsAllowedDomains in Pulumi.dev.yaml (it sets none yet: copy the default list first)');
  });

  it("reads Insights' timestamps", () => {
    expect(insightsTime("2026-12-05 13:46:44.384")).to.equal(Date.UTC(2026, 11, 5, 13, 46, 44, 384));
    expect(insightsTime("1796478404384")).to.equal(1796478404384);
    expect(insightsTime("soon")).to.equal(undefined);
  });
});
