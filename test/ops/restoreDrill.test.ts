// `ops drill terminate-instance --pool workspace --verify-restore` against the simulated ECS and
// EC2: a canary workspace pins a volume to a host, the host dies, the pool recovers, the host's
// volumes must still exist, and a workspace resumed from a snapshot must come up HEALTHY; the
// drill's workspaces, volumes and snapshot are removed in every case, nobody else's.
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { DescribeServicesCommand, ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { simulatedEcs, starts } from "./helpers/ecsMock";
import { mockIdentity, runCli } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const o = stackOutputs();

function stack(options: { snapshotsFail?: boolean } = {}) {
  const clock = new VirtualClock();
  const s = simulatedEcs({ clock, containerInstances: 3, script: () => starts(3000), ec2Options: { snapshotPendingReads: 2, snapshotsFail: options.snapshotsFail } });
  // The backend is steady throughout; the workspace pool loses a host and gets a new one 60 s later.
  s.ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: o.backendServiceName, status: "ACTIVE", desiredCount: 2, runningCount: 2, pendingCount: 0, deployments: [{}] }], failures: [] });
  const elb = mockClient(ElasticLoadBalancingV2Client);
  elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: "10.20.1.10" }, TargetHealth: { State: "healthy" } }, { Target: { Id: "10.20.1.11" }, TargetHealth: { State: "healthy" } }] });
  const cw = mockClient(CloudWatchClient);
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  cw.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  cw.on(PutMetricDataCommand).resolves({});
  const asg = mockClient(AutoScalingClient);
  asg.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({ AutoScalingGroups: [{
    AutoScalingGroupName: o.workspaceAutoScalingGroup, DesiredCapacity: 3,
    Instances: s.sim.liveHosts().map((h) => ({ InstanceId: s.sim.instanceIdOf(h), LifecycleState: "InService", HealthStatus: "Healthy" })),
  }] }));
  const terminate = { hook: () => {} };
  asg.on(TerminateInstanceInAutoScalingGroupCommand).callsFake((input) => {
    s.sim.terminateInstance(input.InstanceId!);
    terminate.hook();
    void clock.sleep(60_000).then(() => s.sim.addHost());
    return {};
  });
  // A user's workspace volume on the first host: it must survive, and the drill must not touch it.
  const firstHost = s.sim.liveHosts()[0];
  const userVolume = s.ec2Sim.createVolume({
    sizeGiB: 20,
    tags: { "remote-claude:stack": "staging", "remote-claude:workspace-id": "conv-user", "remote-claude:filesystem": "xfs", AmazonECSManaged: "true" },
    derive: () => (s.sim.liveHosts().includes(firstHost) ? { state: "in-use", instanceId: s.sim.instanceIdOf(firstHost), attachTime: 0 } : { state: "available" }),
  });
  const restore = () => [s.ecs, s.ec2, elb, cw, asg].forEach((m) => m.restore());
  return { ...s, clock, asg, userVolume, terminate, restore };
}

describe("ops drill terminate-instance --verify-restore", () => {
  let sts: ReturnType<typeof mockIdentity>;
  beforeEach(() => {
    sts = mockIdentity();
  });
  afterEach(() => {
    sts.restore();
    mockClient(ECSClient).restore();
    mockClient(EC2Client).restore();
  });
  const ARGS = ["drill", "terminate-instance", "--pool", "workspace", "--verify-restore", "--json", "--no-metrics"];

  it("pins a canary volume to a host, kills the host, and resumes a workspace from a snapshot of the surviving volume", async () => {
    const t = stack();
    const run = await runCli(ARGS, { clock: t.clock });
    t.restore();
    expect(run.code, run.stderr + JSON.stringify(run.report?.checks)).to.equal(0);
    const runId = run.report.runId;
    // The canary landed on the first host; that host was terminated.
    const victim = t.sim.instanceIdOf(t.sim.hostArn(0));
    expect(t.asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)[0].args[0].input).to.deep.equal({ InstanceId: victim, ShouldDecrementDesiredCapacity: false });
    const checks = Object.fromEntries(run.report.checks.filter((c: any) => c.group === "drill").map((c: any) => [c.name, c]));
    expect(checks["workspace volumes survived the host"]).to.include({ expected: "2 of 2 exist", observed: "2 of 2 exist", result: "pass" });
    const canaryVolume = run.report.data.details.restore.canary.volumeId;
    expect(checks[`${canaryVolume} detached from the dead host`]).to.include({ observed: "available", result: "pass" });
    const snapshotId = run.report.data.details.restore.snapshot.id;
    expect(checks[`snapshot ${snapshotId} of ${canaryVolume}`]).to.include({ observed: "completed", result: "pass" });
    expect(checks["workspace resumed from the snapshot is HEALTHY"].result).to.equal("pass");
    expect(checks["workspace resumed from the snapshot is HEALTHY"].observed).to.match(/^HEALTHY \d+\.\d s after RunTask, on a new volume vol-/);
    // The resumed workspace went through the launch contract with the snapshot.
    const runTasks = t.ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(runTasks).to.have.length(2);
    const resumed = runTasks[1].volumeConfigurations![0].managedEBSVolume!;
    expect(resumed).to.deep.include({ snapshotId, filesystemType: "xfs", encrypted: true, kmsKeyId: o.workspaceVolumeKeyArn, terminationPolicy: { deleteOnTermination: false } });
    const tags = Object.fromEntries(resumed.tagSpecifications![0].tags!.map((x) => [x.key, x.value]));
    expect(tags).to.include({ "remote-claude:resumed-from": snapshotId, "remote-claude:workspace-id": `${runId}-restored`, "remote-claude:drill-run": runId });
    // Everything the drill made is gone; the user's volume is untouched.
    expect(t.sim.orphans()).to.deep.equal([]);
    expect(t.ec2Sim.leftovers()).to.deep.equal([t.userVolume.id]);
    expect(t.ec2Sim.snapshotLeftovers()).to.deep.equal([]);
    expect(run.report.summary.join("\n")).to.match(/Rolled back: stopped workspace \w+/);
    expect(run.report.summary.join("\n")).to.include("Rolled back: deleted 2 drill volumes and 1 snapshots");
    expect(run.report.checks.find((c: any) => c.name === "rolled back").result).to.equal("pass");
  });

  it("fails the restore when the snapshot fails, attempts no resume, and still cleans up", async () => {
    const t = stack({ snapshotsFail: true });
    const run = await runCli(ARGS, { clock: t.clock });
    t.restore();
    expect(run.code).to.equal(1);
    const failed = run.report.checks.filter((c: any) => c.result === "fail");
    expect(failed.map((c: any) => c.observed)).to.deep.equal(["error"]);
    expect(t.ecs.commandCalls(RunTaskCommand)).to.have.length(1); // the canary only
    expect(t.ec2Sim.leftovers()).to.deep.equal([t.userVolume.id]);
    expect(t.ec2Sim.snapshotLeftovers()).to.deep.equal([]);
  });

  it("fails when a volume of the dead host is gone", async () => {
    const t = stack();
    t.terminate.hook = () => void t.ec2Sim.deleteVolume({ VolumeId: t.userVolume.id });
    const run = await runCli(ARGS, { clock: t.clock });
    t.restore();
    expect(run.code).to.equal(1);
    const survived = run.report.checks.find((c: any) => c.name === "workspace volumes survived the host");
    expect(survived).to.include({ expected: "2 of 2 exist", observed: `1 of 2 exist; lost: ${t.userVolume.id}`, result: "fail" });
  });

  it("cleans up the canary and the resumed workspace on Ctrl-C during the restore (exit 130)", async () => {
    const t = stack();
    const signals = new EventEmitter();
    t.ecs.on(RunTaskCommand).callsFake((input) => {
      const out = t.sim.runTask(input);
      if (input.volumeConfigurations?.[0]?.managedEBSVolume?.snapshotId) signals.emit("SIGINT");
      return out;
    });
    const run = await runCli(ARGS, { clock: t.clock, signals });
    t.restore();
    expect(run.code).to.equal(130);
    expect(t.sim.orphans()).to.deep.equal([]);
    expect(t.ec2Sim.leftovers()).to.deep.equal([t.userVolume.id]);
    expect(t.ec2Sim.snapshotLeftovers()).to.deep.equal([]);
  });

  it("--dry-run starts no canary and terminates nothing", async () => {
    const t = stack();
    const run = await runCli([...ARGS, "--dry-run"], { clock: t.clock });
    t.restore();
    expect(run.code, run.stderr).to.equal(0);
    expect(run.report.summary.join("\n")).to.include("Would: start a canary workspace (its own volume, tagged with the run id) and terminate the workspace host it lands on");
    expect(t.ecs.commandCalls(RunTaskCommand)).to.have.length(0);
    expect(t.asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).to.have.length(0);
  });

  it("needs a host with a workspace volume when --instance names one", async () => {
    const t = stack();
    const run = await runCli([...ARGS, "--instance", t.sim.instanceIdOf(t.sim.hostArn(2))], { clock: t.clock });
    t.restore();
    expect(run.code).to.equal(3);
    expect(run.stderr).to.include(`no workspace volume is attached to ${t.sim.instanceIdOf(t.sim.hostArn(2))}: --verify-restore needs one`);
    expect(t.asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)).to.have.length(0);
  });

  it("belongs to terminate-instance on the workspace pool (exit 2 otherwise)", async () => {
    const backend = await runCli(["drill", "terminate-instance", "--verify-restore"]);
    expect(backend.code).to.equal(2);
    expect(backend.stderr).to.equal("ops: --verify-restore needs --pool workspace: workspace volumes live on workspace hosts (see ops --help)\n");
    const other = await runCli(["drill", "kill-backend-task", "--verify-restore", "--pool", "workspace"]);
    expect(other.code).to.equal(2);
    expect(other.stderr).to.include("--verify-restore belongs to terminate-instance, not kill-backend-task");
  });
});
