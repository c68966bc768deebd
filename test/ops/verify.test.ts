// `ops verify` through the real CLI, in-process, on the simulated ECS control plane (tasks move
// PROVISIONING → RUNNING → HEALTHY against a virtual clock, each with its EBS volume), with both
// pools' container instances registering what the ECS agent registers, Logs Insights simulated
// for the egress report, and the probe's verdict in its log stream. What judges the host checks:
// the attributes a host shows here are the agent's own list of capabilities (aws/amazon-ecs-agent
// agent/app/agent_capability.go, the comment above capabilities()), not the tool's expectations.
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeCapacityProvidersCommand, DescribeClustersCommand, DescribeTasksCommand, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { ListFirewallDomainsCommand, ListFirewallRulesCommand, Route53ResolverClient } from "@aws-sdk/client-route53resolver";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EgressMode } from "../../lib/egress";
import { PROBE_CHECKS, PROBE_SCHEMA, type ProbeVerdict, VERDICT_PREFIX, expectationFor } from "../../probe/verdict";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { simulatedEcs, starts } from "./helpers/ecsMock";
import { catchAll, eni, simulatedLogs, simulatedNetwork } from "./helpers/egress";
import { mockIdentity, mockLooseClient, runCli, sentCommands, tempDir } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const NOW = Date.UTC(2026, 11, 5, 14, 0, 0);
const o = stackOutputs("staging");

/**
 * What an ECS agent on Linux EC2 registers, from the list in agent/app/agent_capability.go (above
 * capabilities(), aws/amazon-ecs-agent at 8dfceca6cf38), without what needs Windows, ECS Anywhere,
 * Inferentia/EIA or App Mesh, and without the two the pool's ecs.config turns off
 * (ECS_DISABLE_PRIVILEGED=true, ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=false).
 */
const AGENT_CAPABILITIES = [
  "com.amazonaws.ecs.capability.docker-remote-api.1.17", "com.amazonaws.ecs.capability.docker-remote-api.1.18",
  "com.amazonaws.ecs.capability.docker-remote-api.1.19", "com.amazonaws.ecs.capability.docker-remote-api.1.20",
  "com.amazonaws.ecs.capability.logging-driver.json-file", "com.amazonaws.ecs.capability.logging-driver.syslog",
  "com.amazonaws.ecs.capability.logging-driver.none",
  "com.amazonaws.ecs.capability.selinux", "com.amazonaws.ecs.capability.apparmor", "com.amazonaws.ecs.capability.ecr-auth",
  "com.amazonaws.ecs.capability.task-iam-role",
  "ecs.capability.task-eni", "ecs.capability.task-eni-block-instance-metadata", "ecs.capability.execution-role-ecr-pull",
  "ecs.capability.execution-role-awslogs", "ecs.capability.container-health-check",
  "ecs.capability.private-registry-authentication.secretsmanager", "ecs.capability.secrets.ssm.environment-variables",
  "ecs.capability.secrets.ssm.bootstrap.log-driver", "ecs.capability.pid-ipc-namespace-sharing", "ecs.capability.ecr-endpoint",
  "ecs.capability.secrets.asm.environment-variables", "ecs.capability.secrets.asm.bootstrap.log-driver",
  "ecs.capability.task-eni-trunking", "ecs.capability.firelens.fluentd", "ecs.capability.firelens.fluentbit", "ecs.capability.efs",
  "ecs.capability.full-sync", "ecs.capability.efsAuth", "ecs.capability.env-files.s3", "ecs.capability.execute-command",
  "ecs.capability.service-connect-v1", "ecs.capability.storage.ebs-task-volume-attach", "ecs.capability.storage.ebsta-non-root-user",
  "ecs.capability.network.container-port-range", "ecs.capability.container-restart-policy", "ecs.capability.fault-injection",
].map((name) => ({ name }));

/** Four hosts: 0-1 backend, 2-3 workspace (EcsSim's instance ids). */
const HOSTS = 4;
const hostPool = (i: number) => (i < 2 ? "backend" : "workspace");
const instanceId = (i: number) => `i-0sim${String(i).padStart(12, "0")}`;
/** Every host's primary interface, and a trunk on the first `count` hosts. */
const trunks = (count = HOSTS) => Array.from({ length: HOSTS }, (_, i) => [
  eni(`eni-0primary${i}`, `10.20.16.${10 + i}`, [o.securityGroupIds[i < 2 ? "backendHosts" : "workspaceHosts"]], { Attachment: { InstanceId: instanceId(i) } }),
  ...(i < count ? [eni(`eni-0trunk${i}`, `10.20.16.${100 + i}`, [o.securityGroupIds[i < 2 ? "backendHosts" : "workspaceHosts"]], { InterfaceType: "trunk", Attachment: { InstanceId: instanceId(i) } })] : []),
]).flat();

/** The probe's verdict on a stack that is as designed, in this egress mode. */
function verdict(mode: EgressMode = "dns-firewall"): ProbeVerdict {
  return {
    schema: PROBE_SCHEMA,
    startedAt: "2026-12-05T14:00:30Z",
    uid: 1000,
    checks: PROBE_CHECKS.map((c) => {
      const expect = expectationFor(c, { egressMode: mode, seccompPtrace: "allowed" });
      return { id: c.id, category: c.category, detail: "as designed", blocked: expect === "blocked", ...(expect === "n/a" ? { skipped: true } : {}) };
    }),
  };
}

function projectWithProbe(): string {
  const dir = tempDir("ops-verify-");
  fs.mkdirSync(path.join(dir, "probe"));
  fs.writeFileSync(path.join(dir, "probe", "workspace_probe.py"), "print('probe')\n");
  // The stack file, for the egress report's advice.
  fs.copyFileSync(path.resolve(__dirname, "../../Pulumi.staging.yaml"), path.join(dir, "Pulumi.staging.yaml"));
  return dir;
}

interface Stack {
  /** Agent attributes of host i (default: the agent's list above). */
  readonly attributes?: (i: number) => readonly { name: string; value?: string }[];
  readonly trunkInterfaces?: ReturnType<typeof trunks>;
  readonly capacityStatus?: string;
  /** The workspace (task 0) never turns HEALTHY. */
  readonly workspaceUnhealthy?: boolean;
  /** The DNS Firewall's catch-all action (default BLOCK). */
  readonly catchAllAction?: string;
  /** The probe's verdict (default: as designed). */
  readonly verdict?: ProbeVerdict;
}

describe("ops verify", () => {
  let restore: (() => void)[] = [];
  afterEach(() => {
    restore.forEach((r) => r());
    restore = [];
  });

  function stack(s: Stack = {}) {
    const clock = new VirtualClock(NOW);
    // Task 0 is the workspace (HEALTHY after 20 s); task 1 the probe, which exits at once.
    const { sim, ecs, ec2, ec2Sim } = simulatedEcs({
      clock,
      containerInstances: HOSTS,
      hostPool,
      agentAttributes: s.attributes ?? (() => AGENT_CAPABILITIES),
      script: (n) => (n === 0
        ? { ...starts(15_000, 20_000), ...(s.workspaceUnhealthy ? { unhealthy: true } : {}) }
        : { pendingAfter: 0, runningAfter: 0, stopsAfter: 0, stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited" }),
    });
    ecs.on(DescribeCapacityProvidersCommand).callsFake((input) => ({
      capacityProviders: input.capacityProviders.map((name: string) => ({ name, status: s.capacityStatus ?? "ACTIVE", updateStatus: "UPDATE_COMPLETE", autoScalingGroupProvider: { managedScaling: { status: "ENABLED" } } })),
    }));
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: o.clusterName, status: "ACTIVE", capacityProviders: [o.backendCapacityProvider, o.workspaceCapacityProvider] }] });
    simulatedNetwork(s.trunkInterfaces ?? trunks(), ec2);
    const { sim: logsSim, logs } = simulatedLogs({ clock });
    logsSim.put(o.dnsQueryLogGroupName, []);
    logs.on(GetLogEventsCommand).callsFake((input) => ({ events: input.nextToken ? [] : [{ message: "probe starting" }, { message: VERDICT_PREFIX + JSON.stringify(s.verdict ?? verdict()) }], nextForwardToken: "f/1" }));
    const sts = mockIdentity();
    const rds = mockClient(RDSClient);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ Endpoint: { Address: "db.internal", Port: 5432 } }] });
    const redis = mockClient(ElastiCacheClient);
    redis.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [{ NodeGroups: [{ PrimaryEndpoint: { Address: "redis.internal", Port: 6379 } }] }] });
    const resolver = mockLooseClient(Route53ResolverClient);
    resolver.on(ListFirewallRulesCommand).resolves({ FirewallRules: [
      { Action: "ALLOW", Priority: 100, FirewallDomainListId: "rslvr-fdl-allow" },
      { Action: s.catchAllAction ?? "BLOCK", Priority: 1000, FirewallDomainListId: o.dnsFirewallCatchAllDomainListId },
    ] });
    resolver.on(ListFirewallDomainsCommand).resolves({ Domains: ["github.com."] });
    restore.push(...[ecs, ec2, logs, sts, rds, redis, resolver].map((m) => () => m.restore()));
    return { clock, sim, ecs, ec2, ec2Sim, logsSim, logs };
  }

  const verifyArgs = ["verify", "--json", "--no-metrics", "--peer-workspace", "none"];

  it("says GO for a stack as designed: every row passes, the workspace came up HEALTHY with its volume, nothing is left", async () => {
    const t = stack();
    const run = await runCli(verifyArgs, { clock: t.clock, projectDir: projectWithProbe() });
    expect(run.code, JSON.stringify(run.report?.checks.filter((c: any) => c.result === "fail"))).to.equal(0);
    expect(run.report.summary[0]).to.match(/^Verdict: GO — \d+ of \d+ checks passed, none failed/);
    const row = (group: string, name: string) => run.report.checks.find((c: any) => c.group === group && c.name === name);
    expect(row("capacity", `workspace capacity provider ${o.workspaceCapacityProvider}`)).to.include({ result: "pass" });
    expect(row("pool:backend", "container instances registered")).to.include({ result: "pass", observed: "2 of 2 ACTIVE and connected" });
    expect(row("pool:workspace", "ecs.capability.task-eni-block-instance-metadata")).to.include({ result: "pass", observed: "present on 2 of 2" });
    expect(row("pool:workspace", "com.amazonaws.ecs.capability.privileged-container")).to.include({ result: "pass", observed: "absent on 2 of 2" });
    expect(row("pool:workspace", "ecs.capability.storage.ebs-task-volume-attach")).to.include({ result: "pass" });
    expect(row("pool:workspace", "remote-claude.pool")).to.include({ result: "pass", observed: "workspace on 2 of 2" });
    expect(row("pool:workspace", "trunk network interface (ENI trunking)")).to.include({ result: "pass", observed: "2 of 2" });
    expect(row("workspace", "HEALTHY")).to.include({ result: "pass" });
    expect(row("workspace", "HEALTHY").observed).to.match(/^HEALTHY 20\.\d s after RunTask on ci000[23]$/);
    expect(row("workspace", "its volume attached").observed).to.match(/^vol-0\w+ ATTACHED /);
    expect(row("egress", "names the DNS Firewall's catch-all rule matched")).to.include({ result: "pass", observed: "none" });
    expect(run.report.checks.filter((c: any) => c.group.startsWith("probe:"))).to.have.length(PROBE_CHECKS.length);
    expect(row("cleanup", "volumes of the run deleted")).to.include({ result: "pass", observed: "2 of 2 deleted" });
    // The workspace was launched exactly as the backend launches one, the probe through the same contract.
    const requests = t.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(requests).to.have.length(2);
    expect(requests[0]).to.deep.include({ cluster: o.clusterName, taskDefinition: o.workspaceTaskDefinitionArn, count: 1, startedBy: `ops/${run.report.runId}` });
    expect(requests[0].overrides).to.equal(undefined);
    expect(requests[0].capacityProviderStrategy).to.deep.equal([{ capacityProvider: o.workspaceCapacityProvider, weight: 1, base: 0 }]);
    expect(requests[1].overrides!.containerOverrides![0].name).to.equal("workspace-agent");
    expect(t.sim.orphans()).to.deep.equal([]);
    expect(t.ec2Sim.leftovers()).to.deep.equal([]);
    // The egress window is the hour before the run.
    expect(run.report.data.window).to.deep.equal({ start: "2026-12-05T13:00:00Z", end: "2026-12-05T14:00:00Z", label: "the 1h before this run" });
  });

  it("says NO-GO (exit 1) for hosts whose agent allows privileged containers or has no trunk, and for names off the list", async () => {
    const t = stack({
      attributes: (i) => (i === 3 ? [...AGENT_CAPABILITIES, { name: "com.amazonaws.ecs.capability.privileged-container" }] : AGENT_CAPABILITIES),
      trunkInterfaces: trunks(3),
    });
    t.logsSim.put(o.dnsQueryLogGroupName, [catchAll(o, NOW - 10 * 60_000, "ecs-a-4.ap-northeast-1.amazonaws.com", "10.20.16.10")]);
    const run = await runCli(verifyArgs, { clock: t.clock, projectDir: projectWithProbe() });
    expect(run.code).to.equal(1);
    expect(run.report.summary[0]).to.match(/^Verdict: NO-GO — 3 of \d+ checks failed: /);
    expect(run.report.checks.filter((c: any) => c.result === "fail").map((c: any) => [c.group, c.name, c.observed])).to.deep.equal([
      ["egress", "names the DNS Firewall's catch-all rule matched", "1: ecs-a-4.ap-northeast-1.amazonaws.com"],
      ["pool:workspace", "com.amazonaws.ecs.capability.privileged-container", `${instanceId(3)}: present`],
      ["pool:workspace", "trunk network interface (ENI trunking)", `1 of 2; none on ${instanceId(3)} (c6i.2xlarge)`],
    ]);
    // Still cleaned up.
    expect(t.sim.orphans()).to.deep.equal([]);
    expect(t.ec2Sim.leftovers()).to.deep.equal([]);
  });

  it("in the ALERT window, says GO with the blocked name resolving as a known gap, and names the next step", async () => {
    const resolving = verdict();
    const alert = { ...resolving, checks: resolving.checks.map((c) => (c.id === "dns-blocked-domain" ? { ...c, blocked: false, detail: "example.com -> 93.184.215.14" } : c)) };
    const t = stack({ catchAllAction: "ALERT", verdict: alert });
    const run = await runCli(verifyArgs, { clock: t.clock, projectDir: projectWithProbe() });
    expect(run.code, JSON.stringify(run.report?.checks.filter((c: any) => c.result === "fail"))).to.equal(0);
    expect(run.report.summary[0]).to.match(/^Verdict: GO/);
    expect(run.report.checks.find((c: any) => c.name === "DNS Firewall catch-all rule")).to.include({ result: "gap", observed: "ALERT" });
    expect(run.report.checks.find((c: any) => c.name === "dns-blocked-domain")).to.include({
      result: "gap",
      observed: "allowed: example.com -> 93.184.215.14; known gap of the staged rollout: the deployed catch-all rule is in ALERT (names off the allow list resolve and are logged); " +
        "ends with `pulumi config set dnsFirewallCatchAllAction BLOCK --stack staging` once `ops egress report` is clean",
    });
    expect(run.report.notes).to.include("the DNS Firewall's catch-all rule is in ALERT: once `ops egress report` is clean, run `pulumi config set dnsFirewallCatchAllAction BLOCK --stack staging`, deploy, and run verify again");
    // With BLOCK the same resolving name is a failure.
    restore.forEach((r) => r());
    restore = [];
    const blocked = stack({ catchAllAction: "BLOCK", verdict: alert });
    const after = await runCli(verifyArgs, { clock: blocked.clock, projectDir: projectWithProbe() });
    expect(after.code).to.equal(1);
    expect(after.report.checks.find((c: any) => c.name === "dns-blocked-domain")).to.include({ result: "fail" });
  });

  it("says NO-GO when the workspace never turns HEALTHY or a capacity provider is not ACTIVE, and stops it", async () => {
    const t = stack({ workspaceUnhealthy: true, capacityStatus: "INACTIVE" });
    const run = await runCli([...verifyArgs, "--start-timeout", "120"], { clock: t.clock, projectDir: projectWithProbe() });
    expect(run.code).to.equal(1);
    const failed = run.report.checks.filter((c: any) => c.result === "fail");
    expect(failed.map((c: any) => c.name)).to.include.members(["HEALTHY", `backend capacity provider ${o.backendCapacityProvider}`, `workspace capacity provider ${o.workspaceCapacityProvider}`]);
    expect(failed.find((c: any) => c.name === "HEALTHY").observed).to.equal("UNHEALTHY: workspace-agent, credential-proxy");
    expect(t.sim.orphans()).to.deep.equal([]);
    expect(t.ec2Sim.leftovers()).to.deep.equal([]);
  });

  it("leaves no task and no volume when SIGINT arrives while the workspace starts (exit 130)", async () => {
    const signals = new EventEmitter();
    const t = stack();
    t.ecs.on(DescribeTasksCommand).callsFake((input) => {
      const out = t.sim.describeTasks(input);
      if (t.sim.calls.DescribeTasks === 3) signals.emit("SIGINT");
      return out;
    });
    const run = await runCli(verifyArgs, { clock: t.clock, signals, projectDir: projectWithProbe() });
    expect(run.code).to.equal(130);
    expect(run.report.outcome).to.equal("interrupted");
    expect(run.report.summary[0]).to.equal("Verdict: none (interrupted; what the run started was cleaned up).");
    expect(t.ecs.commandCalls(RunTaskCommand)).to.have.length(1); // no probe after Ctrl-C
    expect(t.ecs.commandCalls(StopTaskCommand).length).to.be.greaterThan(0);
    expect(t.sim.tasks.size).to.equal(1);
    expect(t.sim.orphans()).to.deep.equal([]);
    expect(t.ec2Sim.volumes.size).to.equal(1);
    expect(t.ec2Sim.leftovers()).to.deep.equal([]);
    expect(signals.listenerCount("SIGINT")).to.equal(0);
  });

  it("refuses prod without --confirm-prod (exit 2, nothing sent); --dry-run reads but launches nothing", async () => {
    const t = stack();
    const prod = await runCli(verifyArgs, { clock: t.clock, projectDir: projectWithProbe(), outputs: stackOutputs("prod") });
    expect(prod.code).to.equal(2);
    expect(prod.stderr).to.include('stack "prod" is production: verify launches a workspace and a probe task in the workspace pool; rerun with --confirm-prod');
    expect(sentCommands(t.ecs)).to.deep.equal([]);

    const dry = await runCli([...verifyArgs, "--dry-run"], { clock: t.clock, projectDir: projectWithProbe() });
    expect(dry.code).to.equal(0);
    expect(dry.report.outcome).to.equal("dry-run");
    expect(dry.report.summary[0]).to.equal("Verdict: none (dry run: nothing was launched).");
    expect(t.ecs.commandCalls(RunTaskCommand)).to.have.length(0);
    expect(sentCommands(t.logs)).to.deep.equal([]);
    expect(dry.report.data.workspaceRunTask).to.deep.include({ cluster: o.clusterName, count: 1 });
    expect(dry.report.checks.find((c: any) => c.name === "container instances registered")).to.include({ result: "pass" });
  });

  it("needs the probe (exit 2) before touching AWS", async () => {
    const t = stack();
    const run = await runCli(verifyArgs, { clock: t.clock, projectDir: tempDir("ops-noprobe-") });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include("probe/workspace_probe.py is missing");
    expect(sentCommands(t.ecs)).to.deep.equal([]);
  });
});
