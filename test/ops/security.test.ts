import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DeleteVolumeCommand, DescribeLaunchTemplateVersionsCommand, DescribeManagedPrefixListsCommand, DescribeSecurityGroupRulesCommand, DescribeVolumesCommand, EC2Client, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { Ec2Sim } from "../../scripts/ops/sim/ec2Sim";
import { DescribeImageScanFindingsCommand, ECRClient } from "@aws-sdk/client-ecr";
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand, type TaskDefinition } from "@aws-sdk/client-ecs";
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetFirewallConfigCommand, GetFirewallRuleGroupAssociationCommand, GetFirewallRuleGroupCommand, ListFirewallDomainsCommand, ListFirewallRulesCommand, ListTagsForResourceCommand, Route53ResolverClient } from "@aws-sdk/client-route53resolver";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { inflateSync } from "node:zlib";
import { allowedFlows } from "../../lib/flows";
import type { PtraceChoice } from "../../host/seccomp";
import type { EgressMode } from "../../lib/egress";
import { expectationFor, PROBE_CHECKS, PROBE_SCHEMA, VERDICT_PREFIX, type ProbeVerdict } from "../../probe/verdict";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { mockIdentity, mockLooseClient, runCli, tempDir } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const o = stackOutputs();
const PROBE_TASK = `arn:aws:ecs:ap-northeast-1:123456789012:task/${o.clusterName}/0123456789abcdef0123456789abcdef`;
const PEER_TASK = `arn:aws:ecs:ap-northeast-1:123456789012:task/${o.clusterName}/peer`;
const PROBE_SOURCE = "import json, os\nprint('REMOTE_CLAUDE_PROBE_VERDICT ' + json.dumps({'schema': 'x'}))\n";

function projectWithProbe(source = PROBE_SOURCE): string {
  const dir = tempDir("ops-probe-");
  fs.mkdirSync(path.join(dir, "probe"));
  fs.writeFileSync(path.join(dir, "probe", "workspace_probe.py"), source);
  return dir;
}

/** What a probe reports in a stack of this egress mode (its gaps open, its n/a checks skipped), plus overrides. */
function verdict(overrides: Record<string, { blocked: boolean; skipped?: boolean; detail?: string }> = {}, mode: EgressMode = "dns-firewall", ptrace: PtraceChoice = o.seccompPtrace): ProbeVerdict {
  const natural = (expect: string) => (expect === "n/a" ? { blocked: false, skipped: true } : { blocked: expect === "blocked" });
  return {
    schema: PROBE_SCHEMA,
    startedAt: "2026-11-23T12:00:00Z",
    uid: 1000,
    checks: PROBE_CHECKS.map((c) => {
      const expect = expectationFor(c, { egressMode: mode, seccompPtrace: ptrace });
      return { id: c.id, category: c.category, detail: expect === "blocked" ? "EPERM" : "resolved", ...(overrides[c.id] ?? natural(expect)) };
    }),
  };
}

const WORKSPACE_TD: TaskDefinition = {
  family: o.workspaceTaskDefinitionFamily,
  networkMode: "awsvpc",
  volumes: [{ name: "workspace", configuredAtLaunch: true }],
  containerDefinitions: [
    { name: "workspace-agent", image: `${o.ecrRepositoryUrls.workspace}:v1`, user: "1000:1000", readonlyRootFilesystem: true, linuxParameters: { capabilities: { drop: ["ALL"] } }, dockerSecurityOptions: ["no-new-privileges"], mountPoints: [{ sourceVolume: "workspace", containerPath: "/workspace" }] },
    { name: "credential-proxy", image: `${o.ecrRepositoryUrls.credentialProxy}@sha256:${"a".repeat(64)}`, user: "1001", readonlyRootFilesystem: true, linuxParameters: { capabilities: { drop: ["ALL"] } }, dockerSecurityOptions: ["no-new-privileges"], secrets: [{ name: "ANTHROPIC_API_KEY", valueFrom: o.credentialProxySecretArn }] },
  ],
};
const BACKEND_TD: TaskDefinition = { family: o.backendTaskDefinitionFamily, taskRoleArn: "arn:aws:iam::123456789012:role/backend", containerDefinitions: [{ name: "backend", image: `${o.ecrRepositoryUrls.backend}:v1` }] };

/** The rules the Pulumi program creates for the flow table, as DescribeSecurityGroupRules returns them. */
function liveRules(egressMode: EgressMode = o.egressMode): SecurityGroupRule[] {
  const ids = o.securityGroupIds as Record<string, string>;
  const peer = (p: any): Partial<SecurityGroupRule> => p.kind === "group" ? { ReferencedGroupInfo: { GroupId: ids[p.group] } } : p.kind === "cidr" ? { CidrIpv4: p.cidr } : { PrefixListId: "pl-s3" };
  const rules: SecurityGroupRule[] = [];
  for (const f of allowedFlows({ albIngressCidrs: ["0.0.0.0/0"], resolverIp: "10.20.0.2", egressMode })) {
    const base = { IpProtocol: f.protocol, FromPort: f.port, ToPort: f.port };
    if (f.from.kind === "group") rules.push({ ...base, GroupId: ids[f.from.group], IsEgress: true, ...peer(f.to) });
    if (f.to.kind === "group") rules.push({ ...base, GroupId: ids[f.to.group], IsEgress: false, ...peer(f.from) });
  }
  return rules;
}

function mockAll() {
  const ecs = mockClient(ECSClient);
  const logs = mockClient(CloudWatchLogsClient);
  const rds = mockClient(RDSClient);
  const ec = mockClient(ElastiCacheClient);
  const resolver = mockLooseClient(Route53ResolverClient);
  const ec2 = mockClient(EC2Client);
  const ecr = mockClient(ECRClient);
  const cw = mockClient(CloudWatchClient);
  cw.on(PutMetricDataCommand).resolves({});
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input) => ({ taskDefinition: input.taskDefinition === o.backendTaskDefinitionFamily ? BACKEND_TD : WORKSPACE_TD }));
  ecs.on(ListTasksCommand).resolves({ taskArns: [PEER_TASK] });
  // The probe gets its volume like any workspace: made from the request, detached once the probe stopped.
  const ec2Sim = new Ec2Sim({ clock: new VirtualClock() });
  ecs.on(RunTaskCommand).callsFake((input) => {
    const ebs = input.volumeConfigurations?.[0]?.managedEBSVolume;
    const tags = Object.fromEntries((ebs?.tagSpecifications?.[0]?.tags ?? []).map((t: any) => [t.key, t.value]));
    ec2Sim.createVolume({ sizeGiB: ebs?.sizeInGiB ?? 0, tags: { ...tags, AmazonECSCreated: PROBE_TASK, AmazonECSManaged: "true" } });
    return { tasks: [{ taskArn: PROBE_TASK, lastStatus: "PROVISIONING" }], failures: [] };
  });
  ecs.on(StopTaskCommand).resolves({});
  ecs.on(DescribeTasksCommand).callsFake((input) => ({
    tasks: input.tasks!.map((arn: string) => arn === PROBE_TASK
      ? { taskArn: arn, lastStatus: "STOPPED", stopCode: "EssentialContainerExited", containers: [{ name: "workspace-agent", exitCode: 0 }] }
      : { taskArn: arn, lastStatus: "RUNNING", attachments: [{ details: [{ name: "privateIPv4Address", value: "10.20.3.44" }] }] }),
  }));
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ Endpoint: { Address: "db.internal", Port: 5432 } }] });
  ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [{ NodeGroups: [{ PrimaryEndpoint: { Address: "redis.internal", Port: 6379 } }] }] });
  resolver.on(ListFirewallRulesCommand).resolves({ FirewallRules: [
    { Name: "allow", Action: "ALLOW", Priority: 100, FirewallDomainListId: "rslvr-fdl-allow" },
    { Name: "block-all", Action: "BLOCK", Priority: 1000, FirewallDomainListId: o.dnsFirewallCatchAllDomainListId },
  ] });
  resolver.on(ListFirewallDomainsCommand).resolves({ Domains: ["*.github.com.", "registry.npmjs.org.", "github.com.", "api.ecr.ap-northeast-1.amazonaws.com."] });
  resolver.on(GetFirewallRuleGroupAssociationCommand).resolves({ FirewallRuleGroupAssociation: { FirewallRuleGroupId: o.dnsFirewallRuleGroupId, VpcId: o.vpcId, Status: "COMPLETE", MutationProtection: "ENABLED" } });
  resolver.on(GetFirewallConfigCommand).resolves({ FirewallConfig: { ResourceId: o.vpcId, FirewallFailOpen: "DISABLED" } });
  logs.on(GetLogEventsCommand).callsFake((input) => ({
    events: input.nextToken ? [] : [{ message: "probe starting" }, { message: VERDICT_PREFIX + JSON.stringify(verdict({ "tcp-public-ip-443": { blocked: false }, "tcp-peer-workspace": { blocked: true, skipped: true } })) }],
    nextForwardToken: "f/1",
  }));
  ec2.on(DescribeVolumesCommand).callsFake((input) => ec2Sim.describeVolumes(input));
  ec2.on(DeleteVolumeCommand).callsFake((input) => ec2Sim.deleteVolume(input));
  ec2.on(DescribeManagedPrefixListsCommand).resolves({ PrefixLists: [{ PrefixListId: "pl-s3", PrefixListName: "com.amazonaws.ap-northeast-1.s3" }] });
  ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: liveRules() });
  ec2.on(DescribeLaunchTemplateVersionsCommand).callsFake((input) => ({ LaunchTemplateVersions: [{
    LaunchTemplateId: input.LaunchTemplateId, VersionNumber: 3, DefaultVersion: true,
    LaunchTemplateData: { MetadataOptions: { HttpTokens: "required", HttpPutResponseHopLimit: 1 }, BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { Encrypted: true } }] },
  }] }));
  ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: "COMPLETE" }, imageScanFindings: { findingSeverityCounts: { LOW: 3, MEDIUM: 1 } } });
  return { ecs, logs, rds, ec, resolver, ec2, ec2Sim, ecr, cw, restore: () => [ecs, logs, rds, ec, resolver, ec2, ecr, cw].forEach((m) => m.restore()) };
}

describe("ops security", () => {
  let sts: ReturnType<typeof mockIdentity>;
  let m: ReturnType<typeof mockAll>;
  beforeEach(() => {
    sts = mockIdentity();
    m = mockAll();
  });
  afterEach(() => {
    sts.restore();
    m.restore();
  });

  describe("in-task probe", () => {
    it("runs the compressed probe as a workspace task with PROBE_CONFIG from the outputs and reads the verdict from its log stream", async () => {
      const projectDir = projectWithProbe();
      const run = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir, clock: new VirtualClock() });
      // The public IP was reachable: in dns-firewall mode (staging) a known gap, not a failure.
      expect(run.code, run.stderr).to.equal(0);
      const request = m.ecs.commandCalls(RunTaskCommand)[0].args[0].input;
      expect(request).to.deep.include({ cluster: o.clusterName, taskDefinition: o.workspaceTaskDefinitionArn, count: 1 });
      expect(request.networkConfiguration).to.deep.equal({ awsvpcConfiguration: { subnets: o.workspaceSubnetIds, securityGroups: ["sg-workspace"], assignPublicIp: "DISABLED" } });
      expect(request.capacityProviderStrategy).to.deep.equal([{ capacityProvider: o.workspaceCapacityProvider, weight: 1, base: 0 }]);
      const override = request.overrides!.containerOverrides![0];
      expect(override.name).to.equal("workspace-agent");
      expect(override.command!.slice(0, 2)).to.deep.equal(["python3", "-c"]);
      const packed = /b64decode\('([^']+)'\)/.exec(override.command![2])![1];
      expect(inflateSync(Buffer.from(packed, "base64")).toString("utf8")).to.equal(PROBE_SOURCE);
      const config = JSON.parse(override.environment!.find((e) => e.name === "PROBE_CONFIG")!.value!);
      expect(config).to.deep.equal({
        blockedDomain: "example.com", allowedDomain: "github.com", publicIp: "1.1.1.1", dohResolver: { host: "1.1.1.1", port: 443, name: "cloudflare-dns.com" },
        postgres: { host: "db.internal", port: 5432 }, redis: { host: "redis.internal", port: 6379 },
        peerWorkspace: { host: "10.20.3.44", port: 9000 }, secretEnvNames: ["ANTHROPIC_API_KEY"], timeoutMs: 3000,
      });
      expect(m.logs.commandCalls(GetLogEventsCommand)[0].args[0].input).to.include({ logGroupName: o.workspaceLogGroupName, logStreamName: "workspace/workspace-agent/0123456789abcdef0123456789abcdef" });
      const rows = run.report.checks;
      expect(rows.filter((c: any) => c.group.startsWith("probe:"))).to.have.length(PROBE_CHECKS.length);
      expect(rows.find((c: any) => c.name === "tcp-public-ip-443")).to.include({
        result: "gap",
        expected: "blocked in proxy mode; a known gap in dns-firewall mode: TCP 443 to a public IP literal (bypasses DNS filtering)",
        observed: "allowed: resolved",
      });
      expect(rows.find((c: any) => c.name === "doh-public-resolver")).to.include({ result: "gap" });
      expect(rows.find((c: any) => c.name === "proxy-denied-name")).to.include({ result: "skip", expected: "n/a in dns-firewall mode: CONNECT :443 through the egress proxy to a name off the allow list" });
      expect(run.report.summary.join("\n")).to.match(/\(egress mode dns-firewall, ptrace allowed\): \d+ checks reported, 0 failed, \d+ skipped, 2 known gaps of dns-firewall mode/);
      expect(rows.find((c: any) => c.name === "tcp-peer-workspace")).to.include({ result: "skip" });
      expect(rows.find((c: any) => c.name === "imds-v2-token")).to.include({ result: "pass", expected: "blocked: IMDSv2 token PUT http://169.254.169.254/latest/api/token" });
      expect(rows.find((c: any) => c.name === "dns-allowed-domain")).to.include({ result: "pass" });
      expect(m.ecs.commandCalls(StopTaskCommand)).to.have.length(0); // it stopped by itself
      // Its volume: configured like a workspace's, deleted after the probe stopped.
      expect(request.volumeConfigurations![0].managedEBSVolume).to.deep.include({ encrypted: true, kmsKeyId: o.workspaceVolumeKeyArn, roleArn: o.workspaceVolumeRoleArn });
      expect(m.ec2Sim.volumes.size).to.equal(1);
      expect(m.ec2Sim.leftovers()).to.deep.equal([]);
      expect(rows.find((c: any) => c.name === "probe volume deleted")).to.include({ result: "pass", observed: "0 left" });
    });

    it("in proxy mode holds the same checks to blocked, and runs the egress proxy's own", async () => {
      const egressProxyModeOutputs = { ...o, egressMode: "proxy" as const };
      const logVerdict = (v: ProbeVerdict) => m.logs.on(GetLogEventsCommand).callsFake((input) => ({ events: input.nextToken ? [] : [{ message: VERDICT_PREFIX + JSON.stringify(v) }], nextForwardToken: "f/1" }));
      logVerdict(verdict({}, "proxy"));
      const clean = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock(), outputs: egressProxyModeOutputs });
      expect(clean.code, JSON.stringify(clean.report.checks.filter((c: any) => c.result !== "pass"))).to.equal(0);
      const row = (run: typeof clean, name: string) => run.report.checks.find((c: any) => c.name === name);
      expect(row(clean, "tcp-public-ip-443")).to.include({ result: "pass", expected: "blocked: TCP 443 to a public IP literal (bypasses DNS filtering)" });
      expect(row(clean, "proxy-allowed-name")).to.include({ result: "pass", expected: "allowed: CONNECT :443 through the egress proxy to a name on the allow list" });
      expect(row(clean, "proxy-denied-name")).to.include({ result: "pass" });

      // An open public IP, a DoH resolver or a proxy that lets the denied name through: failures now.
      logVerdict(verdict({ "tcp-public-ip-443": { blocked: false }, "doh-public-resolver": { blocked: false }, "proxy-denied-name": { blocked: false }, "proxy-allowed-name": { blocked: true, skipped: true } }, "proxy"));
      const open = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock(), outputs: egressProxyModeOutputs });
      expect(open.code).to.equal(1);
      expect(open.report.checks.filter((c: any) => c.result === "fail").map((c: any) => c.name).sort()).to.deep.equal(["doh-public-resolver", "proxy-denied-name", "tcp-public-ip-443"]);
      expect(row(open, "proxy-allowed-name")).to.include({ result: "skip" });
      expect(open.report.checks.filter((c: any) => c.result === "gap")).to.deep.equal([]);
    });

    it("holds the probe's ptrace check to the stack's seccompPtrace output", async () => {
      const logVerdict = (v: ProbeVerdict) => m.logs.on(GetLogEventsCommand).callsFake((input) => ({ events: input.nextToken ? [] : [{ message: VERDICT_PREFIX + JSON.stringify(v) }], nextForwardToken: "f/1" }));
      const row = (run: Awaited<ReturnType<typeof runCli>>) => run.report.checks.find((c: any) => c.name === "ptrace");
      // Allowed (the outputs' choice): ptrace of its own child working is a pass.
      logVerdict(verdict());
      const allowed = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock() });
      expect(row(allowed)).to.include({ result: "pass", expected: "allowed: ptrace(PTRACE_ATTACH) of a process of its own, as the stack's seccompPtrace choice says" });
      // Denied: the same observation fails, a refusal passes.
      const deniedOutputs = { ...o, seccompPtrace: "denied" as const };
      const open = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock(), outputs: deniedOutputs });
      expect(open.code).to.equal(1);
      expect(row(open)).to.include({ result: "fail", observed: "allowed: resolved" });
      logVerdict(verdict({}, "dns-firewall", "denied"));
      const refused = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock(), outputs: deniedOutputs });
      expect(refused.code, refused.stderr).to.equal(0);
      expect(row(refused)).to.include({ result: "pass", observed: "blocked: EPERM" });
      expect(refused.report.summary.join("\n")).to.include("(egress mode dns-firewall, ptrace denied)");
    });

    // The catch-all rule's action is read from the deployed rule group (ListFirewallRules). moto
    // 5.2.1's route53resolver implements endpoints, resolver rules, query log configs and DNSSEC
    // but no DNS Firewall API (no firewall rule groups, rules or domain lists), so these run on
    // aws-sdk-client-mock answers and not in the moto suite.
    it("with the deployed catch-all in ALERT, a name off the list resolving is a known gap of the staged rollout, with the config line that ends it", async () => {
      const resolving = verdict({ "dns-blocked-domain": { blocked: false, detail: "example.com -> 93.184.215.14" } });
      m.logs.on(GetLogEventsCommand).callsFake((input) => ({ events: input.nextToken ? [] : [{ message: VERDICT_PREFIX + JSON.stringify(resolving) }], nextForwardToken: "f/1" }));
      m.resolver.on(ListFirewallRulesCommand).resolves({ FirewallRules: [
        { Name: "allow", Action: "ALLOW", Priority: 100, FirewallDomainListId: "rslvr-fdl-allow" },
        { Name: "catch-all", Action: "ALERT", Priority: 1000, FirewallDomainListId: o.dnsFirewallCatchAllDomainListId },
      ] });
      const run = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock() });
      expect(run.code, JSON.stringify(run.report?.checks.filter((c: any) => c.result === "fail"))).to.equal(0);
      expect(run.report.checks.find((c: any) => c.name === "dns-blocked-domain")).to.deep.include({
        result: "gap",
        observed: "allowed: example.com -> 93.184.215.14; known gap of the staged rollout: the deployed catch-all rule is in ALERT (names off the allow list resolve and are logged); " +
          "ends with `pulumi config set dnsFirewallCatchAllAction BLOCK --stack staging` once `ops egress report` is clean",
      });
      expect(m.resolver.commandCalls(ListFirewallRulesCommand)[0].args[0].input).to.deep.equal({ FirewallRuleGroupId: o.dnsFirewallRuleGroupId });
      expect(run.report.summary.join("\n")).to.match(/0 failed, \d+ skipped, 2 known gaps of dns-firewall mode \(docs\/egress.md\), 1 open while the DNS Firewall's catch-all is in ALERT\./);
    });

    it("with the deployed catch-all in BLOCK (or unreadable), a name off the list resolving fails", async () => {
      const resolving = verdict({ "dns-blocked-domain": { blocked: false, detail: "example.com -> 93.184.215.14" } });
      m.logs.on(GetLogEventsCommand).callsFake((input) => ({ events: input.nextToken ? [] : [{ message: VERDICT_PREFIX + JSON.stringify(resolving) }], nextForwardToken: "f/1" }));
      const blocked = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock() });
      expect(blocked.code).to.equal(1);
      expect(blocked.report.checks.find((c: any) => c.name === "dns-blocked-domain")).to.include({ result: "fail", observed: "allowed: example.com -> 93.184.215.14" });
      m.resolver.on(ListFirewallRulesCommand).rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" }));
      const unread = await runCli(["security", "--only", "probe", "--json", "--no-metrics"], { projectDir: projectWithProbe(), clock: new VirtualClock() });
      expect(unread.code).to.equal(1);
      expect(unread.report.checks.find((c: any) => c.name === "dns-blocked-domain")).to.include({ result: "fail" });
      expect(unread.report.notes).to.include("the catch-all rule's action not read: AccessDeniedException: User is not authorized");
    });

    it("needs the egress mode from the stack outputs", async () => {
      const { egressMode: _mode, ...withoutMode } = o;
      const run = await runCli(["security", "--only", "probe"], { projectDir: projectWithProbe(), clock: new VirtualClock(), outputs: withoutMode });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(/missing stack output in .*: egressMode \(Egress mode in force/);
      expect(m.ecs.commandCalls(RunTaskCommand)).to.have.length(0);
    });

    it("fails when the probe printed no verdict", async () => {
      m.logs.on(GetLogEventsCommand).callsFake((input) => ({ events: input.nextToken ? [] : [{ message: "Traceback ..." }], nextForwardToken: "f/1" }));
      const run = await runCli(["security", "--only", "probe", "--json", "--no-metrics", "--log-wait", "20"], { projectDir: projectWithProbe(), clock: new VirtualClock() });
      expect(run.code).to.equal(1);
      expect(run.report.checks.filter((c: any) => c.group !== "cleanup")).to.deep.equal([{ group: "probe", name: "verdict", expected: "one verdict line in the log", observed: `no line starting with "REMOTE_CLAUDE_PROBE_VERDICT" in the probe's log (1 log lines)`, result: "fail" }]);
    });

    it("stops the probe task on Ctrl-C while waiting for it", async () => {
      const signals = new EventEmitter();
      let polls = 0;
      m.ecs.on(DescribeTasksCommand).callsFake((input) => {
        if (input.tasks![0] === PROBE_TASK && ++polls === 2) signals.emit("SIGINT");
        return { tasks: input.tasks!.map((arn: string) => ({ taskArn: arn, lastStatus: "RUNNING" })) };
      });
      const run = await runCli(["security", "--only", "probe", "--no-metrics"], { projectDir: projectWithProbe(), signals, clock: new VirtualClock() });
      expect(run.code).to.equal(130);
      expect(m.ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).to.deep.equal([PROBE_TASK]);
      expect(m.ec2Sim.leftovers()).to.deep.equal([]); // its volume too, after the Ctrl-C
    });

    it("keeps the audit's rows and fails one row when the probe cannot be placed", async () => {
      m.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: "ci", reason: "RESOURCE:MEMORY" }] });
      const run = await runCli(["security", "--json", "--no-metrics", "--alb-ingress-cidrs", "0.0.0.0/0"], { projectDir: projectWithProbe(), clock: new VirtualClock() });
      expect(run.code).to.equal(1);
      const failed = run.report.checks.filter((c: any) => c.result === "fail");
      expect(failed).to.deep.equal([{ group: "probe", name: "probe task", expected: "started in the workspace pool", observed: "RunTask did not start the probe: RESOURCE:MEMORY (ci)", result: "fail" }]);
      expect(run.report.checks.filter((c: any) => c.group.startsWith("audit:")).length).to.be.greaterThan(20);
    });

    it("says clearly when the probe is missing (exit 2, nothing launched)", async () => {
      const run = await runCli(["security", "--only", "probe"], { projectDir: tempDir() });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(/^ops: security: the in-task probe probe\/workspace_probe\.py is missing or unreadable \(ENOENT.*\): it is part of this repository; restore it or run with --only audit\n$/);
      expect(m.ecs.calls()).to.have.length(0);
    });

    it("refuses a probe whose overrides exceed RunTask's 8192 characters", async () => {
      const noise = randomBytes(7000).toString("base64"); // incompressible
      const run = await runCli(["security", "--only", "probe"], { projectDir: projectWithProbe(`x = '''${noise}'''\n`), clock: new VirtualClock() });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(/the probe's RunTask overrides are \d+ characters, over RunTask's 8192/);
      expect(m.ecs.commandCalls(RunTaskCommand)).to.have.length(0);
    });

    it("--dry-run builds the overrides and launches nothing", async () => {
      const run = await runCli(["security", "--only", "probe", "--dry-run", "--json"], { projectDir: projectWithProbe(), clock: new VirtualClock() });
      expect(run.code).to.equal(0);
      expect(run.report.data.probeOverridesChars).to.be.within(100, 8192);
      expect(m.ecs.commandCalls(RunTaskCommand)).to.have.length(0);
    });
  });

  describe("static audit", () => {
    it("passes a stack built as designed", async () => {
      const run = await runCli(["security", "--only", "audit", "--json"], { clock: new VirtualClock() });
      expect(run.code, JSON.stringify(run.report?.checks.filter((c: any) => c.result === "fail"), null, 1)).to.equal(0);
      const groups = new Set(run.report.checks.map((c: any) => c.group));
      expect([...groups]).to.include.members(["audit:security-groups", "audit:task-definitions", "audit:launch-templates", "audit:dns-firewall", "audit:ecr-scans"]);
      expect(run.report.checks.find((c: any) => c.name === "workspace (sg-workspace)")).to.include({ observed: "5 rules, all in the table", result: "pass" });
      expect(m.cw.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData!.map((d) => d.MetricName)).to.include("SecurityChecksFailed");
    });

    it("reports every deviation in the matrix and exits 1", async () => {
      m.ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [
        ...liveRules().filter((r) => !(r.GroupId === "sg-database" && !r.IsEgress)),
        { GroupId: "sg-workspace", IsEgress: false, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0" },
      ] });
      m.ecs.on(DescribeTaskDefinitionCommand).callsFake((input) => ({ taskDefinition: input.taskDefinition === o.backendTaskDefinitionFamily ? BACKEND_TD : {
        ...WORKSPACE_TD,
        taskRoleArn: "arn:aws:iam::123456789012:role/oops",
        volumes: [{ name: "workspace", host: { sourcePath: "/var/ws" } }],
        containerDefinitions: [{ ...WORKSPACE_TD.containerDefinitions![0], user: "root", privileged: true, environment: [{ name: "GITHUB_TOKEN", value: "x" }] }],
      } }));
      m.ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [{ VersionNumber: 4, DefaultVersion: true, LaunchTemplateData: { MetadataOptions: { HttpTokens: "optional", HttpPutResponseHopLimit: 2 } } }] });
      m.resolver.on(GetFirewallConfigCommand).resolves({ FirewallConfig: { FirewallFailOpen: "ENABLED" } });
      m.ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: "COMPLETE" }, imageScanFindings: { findingSeverityCounts: { HIGH: 2 } } });
      const run = await runCli(["security", "--only", "audit", "--json", "--no-metrics", "--alb-ingress-cidrs", "0.0.0.0/0"], { clock: new VirtualClock() });
      expect(run.code).to.equal(1);
      const failed = Object.fromEntries(run.report.checks.filter((c: any) => c.result === "fail").map((c: any) => [c.name, c.observed]));
      expect(failed["workspace (sg-workspace)"]).to.equal("not allowed: in tcp/22 0.0.0.0/0");
      expect(failed["database (sg-database)"]).to.equal("missing: in tcp/5432 sg:backend");
      expect(failed["workspace: task role"]).to.equal("arn:aws:iam::123456789012:role/oops");
      expect(failed["workspace: volume configured at launch"]).to.equal("none");
      expect(failed["workspace: other volumes (host paths, shared)"]).to.equal("workspace (host path /var/ws)");
      expect(failed["workspace-agent: privileged"]).to.equal("true");
      expect(failed["workspace-agent: user"]).to.equal("root");
      expect(failed["workspace-agent: secret-like variables in plain environment"]).to.equal("GITHUB_TOKEN");
      expect(failed["backend v4 (default): metadata hop limit"]).to.equal("2");
      expect(failed["backend v4 (default): IMDSv2"]).to.equal("HttpTokens optional");
      expect(failed["fail-open"]).to.equal("ENABLED");
      expect(failed[`${o.clusterName}/workspace: scan findings`]).to.equal("COMPLETE; HIGH 2");
      expect(run.stdout).to.equal(JSON.stringify(run.report, null, 2) + "\n");
    });

    it("holds a proxy-mode stack to the proxy-mode flow table: 443 anywhere from workspaces is a deviation there", async () => {
      const egressProxyModeOutputs = { ...o, egressMode: "proxy" as const };
      m.ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: liveRules("proxy") });
      const clean = await runCli(["security", "--only", "audit", "--json", "--no-metrics", "--alb-ingress-cidrs", "0.0.0.0/0"], { clock: new VirtualClock(), outputs: egressProxyModeOutputs });
      expect(clean.report.checks.filter((c: any) => c.group === "audit:security-groups" && c.result !== "pass")).to.deep.equal([]);
      expect(clean.report.checks.find((c: any) => c.name === "egressProxy (sg-egress-proxy)")).to.include({ observed: "4 rules, all in the table", result: "pass" });
      // The dns-firewall mode's rules on a proxy-mode stack: the workspace's 443 anywhere is flagged.
      m.ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: liveRules("dns-firewall") });
      const open = await runCli(["security", "--only", "audit", "--json", "--no-metrics", "--alb-ingress-cidrs", "0.0.0.0/0"], { clock: new VirtualClock(), outputs: egressProxyModeOutputs });
      expect(open.code).to.equal(1);
      expect(open.report.checks.find((c: any) => c.name === "workspace (sg-workspace)").observed).to.equal("not allowed: out tcp/443 0.0.0.0/0; missing: out tcp/3128 sg:egressProxyLb");
    });

    it("reports a catch-all in ALERT as the staged rollout it is (a known gap), and fails it in production without the acknowledgement", async () => {
      const alerting = [
        { Name: "allow", Action: "ALLOW" as const, Priority: 100, FirewallDomainListId: "rslvr-fdl-allow" },
        { Name: "catch-all", Action: "ALERT" as const, Priority: 1000, FirewallDomainListId: o.dnsFirewallCatchAllDomainListId },
      ];
      m.resolver.on(ListFirewallRulesCommand).resolves({ FirewallRules: alerting });
      const staging = await runCli(["security", "--only", "audit", "--json", "--no-metrics"], { clock: new VirtualClock() });
      expect(staging.code, JSON.stringify(staging.report?.checks.filter((c: any) => c.result === "fail"))).to.equal(0);
      const rows = (run: typeof staging) => Object.fromEntries(run.report.checks.filter((c: any) => c.group === "audit:dns-firewall").map((c: any) => [c.name, c]));
      expect(rows(staging)["last rule"]).to.include({ result: "pass", observed: `ALERT catch-all (list ${o.dnsFirewallCatchAllDomainListId}, priority 1000)` });
      expect(rows(staging)["catch-all action"]).to.include({
        result: "gap",
        observed: "ALERT: known gap of the staged rollout: the deployed catch-all rule is in ALERT (names off the allow list resolve and are logged); " +
          "ends with `pulumi config set dnsFirewallCatchAllAction BLOCK --stack staging` once `ops egress report` is clean",
      });
      expect(staging.report.summary.join("\n")).to.match(/1 known gaps\.$/m);
      // Production: the rule group must carry the acknowledgement (policy dns-firewall-blocks-in-production).
      const prod = stackOutputs("prod");
      m.resolver.on(ListFirewallRulesCommand).resolves({ FirewallRules: alerting.map((r) => (r.Name === "catch-all" ? { ...r, FirewallDomainListId: prod.dnsFirewallCatchAllDomainListId } : r)) });
      const arn = `arn:aws:route53resolver:ap-northeast-1:123456789012:firewall-rule-group/${prod.dnsFirewallRuleGroupId}`;
      m.resolver.on(GetFirewallRuleGroupCommand).resolves({ FirewallRuleGroup: { Id: prod.dnsFirewallRuleGroupId, Arn: arn } });
      m.resolver.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: "Name", Value: "x" }] });
      const prodArgs = ["security", "--only", "audit", "--json", "--no-metrics", "--alb-ingress-cidrs", "0.0.0.0/0"];
      const unacknowledged = await runCli(prodArgs, { clock: new VirtualClock(), outputs: prod });
      expect(unacknowledged.code, unacknowledged.stderr).to.equal(1);
      expect(rows(unacknowledged)["catch-all action"]).to.include({
        result: "fail",
        observed: "ALERT without the CatchAllAlertAcknowledged tag: every name off the allow list resolves; " +
          "`pulumi config set dnsFirewallCatchAllAction BLOCK --stack prod && pulumi config rm dnsFirewallAlertAcknowledged --stack prod`",
      });
      expect(m.resolver.commandCalls(GetFirewallRuleGroupCommand)[0].args[0].input).to.deep.equal({ FirewallRuleGroupId: prod.dnsFirewallRuleGroupId });
      expect(m.resolver.commandCalls(ListTagsForResourceCommand)[0].args[0].input).to.deep.equal({ ResourceArn: arn });
      m.resolver.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: "CatchAllAlertAcknowledged", Value: "true" }] });
      const acknowledged = await runCli(prodArgs, { clock: new VirtualClock(), outputs: prod });
      expect(rows(acknowledged)["catch-all action"]).to.include({ result: "gap" });
    });

    it("fails a catch-all that is not last, or missing", async () => {
      m.resolver.on(ListFirewallRulesCommand).resolves({ FirewallRules: [
        { Name: "catch-all", Action: "BLOCK", Priority: 100, FirewallDomainListId: o.dnsFirewallCatchAllDomainListId },
        { Name: "allow", Action: "ALLOW", Priority: 200, FirewallDomainListId: "rslvr-fdl-allow" },
      ] });
      const early = await runCli(["security", "--only", "audit", "--json", "--no-metrics"], { clock: new VirtualClock() });
      expect(early.code).to.equal(1);
      expect(early.report.checks.find((c: any) => c.name === "last rule")).to.include({ result: "fail", observed: "ALLOW allow (list rslvr-fdl-allow, priority 200)" });
      m.resolver.on(ListFirewallRulesCommand).resolves({ FirewallRules: [{ Name: "allow", Action: "ALLOW", Priority: 100, FirewallDomainListId: "rslvr-fdl-allow" }] });
      const missing = await runCli(["security", "--only", "audit", "--json", "--no-metrics"], { clock: new VirtualClock() });
      expect(missing.report.checks.find((c: any) => c.name === "catch-all action")).to.include({ result: "fail", observed: `no rule uses the catch-all list ${o.dnsFirewallCatchAllDomainListId}` });
    });

    it("reads albIngressCidrs from the stack file when not given", async () => {
      m.ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: liveRules() });
      const run = await runCli(["security", "--only", "audit", "--json", "--no-metrics"], { clock: new VirtualClock() });
      expect(run.report.checks.find((c: any) => c.name === "alb (sg-alb)")).to.include({ result: "pass" });
      const bad = await runCli(["security", "--only", "audit", "--no-metrics"], { clock: new VirtualClock(), projectDir: tempDir() });
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.include("pass --alb-ingress-cidrs");
    });
  });
});
