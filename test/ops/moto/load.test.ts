// `ops load workspaces` and `ops cleanup` as a user runs them, against moto's ECS and EC2 holding
// staging as the offline plan builds it (helpers/fixture.ts). The judge is moto's state, read
// through the SDK straight from moto: which tasks exist, with which tags, ENIs and status; never
// the tool's own report. moto does not judge placement (it ignores the capacity provider strategy
// and the pool constraint and places by CPU and memory alone), container health (always
// HEALTHY), start times, or the EBS volume ECS attaches at launch (volumeConfigurations are
// ignored): test/ops/loadWorkspaces.test.ts (aws-sdk-client-mock and the simulated ECS) keeps
// judging those.
import { ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { ListTasksCommand } from "@aws-sdk/client-ecs";
import { expect } from "chai";
import { type MotoSetting, type MotoStack, TASKS_STAY, clusterTasks, freshStacks, motoState, releaseMoto, tagsOf, until, writesSince } from "./helpers/motoStacks";
import { runOps, startOps } from "./helpers/opsProcess";

/** Bounds, not waits: a CLI run on a busy 2-core machine takes seconds of start-up alone. */
const RUN_BOUND_MS = 180_000;

describe("ops load workspaces and cleanup against moto", function () {
  this.timeout(RUN_BOUND_MS);
  let setting: MotoSetting;
  let staging: MotoStack;

  after(releaseMoto);
  before(async function () {
    this.timeout(RUN_BOUND_MS);
    ({ setting, stacks: { staging } } = await freshStacks(this, ["staging"]));
  });

  const runTasks = async (runId: string) => (await clusterTasks(staging)).filter((t) => t.startedBy === `ops/${runId}`);
  /** Tasks of the run in moto, whatever their status (moto lists every status without desiredStatus): cheap enough to poll. */
  const launchedCount = async (runId: string) => ((await staging.clients.ecs.send(new ListTasksCommand({ cluster: staging.outputs.clusterName, startedBy: `ops/${runId}` }))).taskArns ?? []).length;
  const running = async (runId: string) => (await staging.clients.ecs.send(new ListTasksCommand({ cluster: staging.outputs.clusterName, startedBy: `ops/${runId}`, desiredStatus: "RUNNING" }))).taskArns ?? [];
  const backendRunning = async () => (await clusterTasks(staging)).filter((t) => staging.backendTasks.includes(t.taskArn!) && t.lastStatus === "RUNNING").length;

  it("--dry-run changes nothing: no write reaches AWS and moto's state is as before", async () => {
    const before = await motoState(staging, setting);
    const from = setting.shim.operations.length;
    const r = await runOps(["load", "workspaces", "--count", "5", "--dry-run", "--json", "--outputs", staging.outputsFile], setting.endpoint);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.report.outcome).to.equal("dry-run");
    expect(r.report.data.firstRunTask.taskDefinition).to.equal(staging.outputs.workspaceTaskDefinitionArn);
    expect(writesSince(setting, from)).to.deep.equal([]);
    expect(await motoState(staging, setting)).to.deep.equal(before);
  });

  it("launches N workspaces as the backend does, each tagged with the run, and stops every one of them", async () => {
    const r = await runOps(["load", "workspaces", "--count", "8", "--batch-size", "3", "--poll-interval", "0.2", "--json", "--outputs", staging.outputsFile], setting.endpoint);
    expect(r.code, r.stderr).to.equal(0);
    const runId: string = r.report.runId;
    const tasks = await runTasks(runId);
    expect(tasks).to.have.length(8);
    for (const t of tasks) {
      expect(t.taskDefinitionArn).to.equal(staging.outputs.workspaceTaskDefinitionArn);
      expect(tagsOf(t.tags)).to.deep.equal({ "remote-claude:drill-run": runId, "remote-claude:drill": "load" });
      expect(t.lastStatus).to.equal("STOPPED");
      expect(t.desiredStatus).to.equal("STOPPED");
      expect(t.stoppedReason).to.equal(`ops load workspaces ${runId} finished`);
    }
    expect(await running(runId)).to.deep.equal([]);
    // The network the request asked for, as moto made it: the workspace subnets and security group only.
    const enis = tasks.map((t) => t.attachments?.[0]?.details?.find((d) => d.name === "networkInterfaceId")?.value as string);
    const described = (await staging.clients.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: enis }))).NetworkInterfaces ?? [];
    expect(described).to.have.length(8);
    for (const eni of described) {
      expect(staging.outputs.workspaceSubnetIds).to.include(eni.SubnetId);
      expect(eni.Groups?.map((g) => g.GroupId)).to.deep.equal([staging.outputs.securityGroupIds.workspace]);
      expect(eni.Association?.PublicIp).to.equal(undefined);
    }
    // The service's own tasks are not the drill's to touch.
    expect(await backendRunning()).to.equal(staging.backendTasks.length);
    // The figures reached CloudWatch (moto's), in the stack's namespace with its dimensions.
    const metrics = (await staging.clients.cloudWatch.send(new ListMetricsCommand({ Namespace: staging.outputs.metricsNamespace, Dimensions: [{ Name: "Drill", Value: "load-workspaces" }, { Name: "Stack", Value: "staging" }] }))).Metrics ?? [];
    expect(metrics.map((m) => m.MetricName)).to.include.members(["WorkspacesLaunched", "WorkspaceTimeToRunning", "DrillPassed"]);
  });

  it("exits 1 without any threshold flag when every workspace dies right after launch, and stops them all", async () => {
    // moto's own task lifecycle, stepped to the end on every read: each task is STOPPED when first seen.
    await setting.moto.setTransition("ecs::task", { progression: "immediate" });
    let r;
    try {
      r = await runOps(["load", "workspaces", "--count", "4", "--batch-size", "2", "--poll-interval", "0.2", "--no-metrics", "--json", "--outputs", staging.outputsFile], setting.endpoint);
    } finally {
      await setting.moto.setTransition("ecs::task", TASKS_STAY);
    }
    expect(r.code, r.stderr).to.equal(1);
    expect(r.report.outcome).to.equal("fail");
    expect(r.report.checks.find((c: any) => c.name === "workspaces ready")).to.include({ observed: "0 of 4", result: "fail" });
    const tasks = await runTasks(r.report.runId);
    expect(tasks).to.have.length(4);
    expect(await running(r.report.runId)).to.deep.equal([]);
  });

  it("Ctrl-C in the middle: launching stops, every task it started is stopped, exit 130", async () => {
    const runId = "load-sigint-1";
    const ops = startOps(["load", "workspaces", "--count", "40", "--batch-size", "2", "--concurrency", "1", "--rate", "1", "--burst", "1", "--poll-interval", "0.2", "--no-metrics", "--json", "--run-id", runId, "--outputs", staging.outputsFile], setting.endpoint);
    await until(async () => (await launchedCount(runId)) >= 4, "4 tasks of the run in moto", ops.exited);
    ops.signal("SIGINT");
    const r = await ops.exited;
    expect(r.code, r.stderr).to.equal(130);
    expect(r.report.outcome).to.equal("interrupted");
    const tasks = await runTasks(runId);
    expect(tasks.length).to.be.within(4, 39);
    expect(tasks.every((t) => t.desiredStatus === "STOPPED" && t.lastStatus === "STOPPED")).to.equal(true);
    expect(r.report.data.stop.stopped + r.report.data.stop.alreadyGone).to.equal(tasks.length);
    expect(await backendRunning()).to.equal(staging.backendTasks.length);
  });

  it("killed hard (SIGKILL): `cleanup --run-id` finds and stops what the run left, and only that; its --dry-run changes nothing", async () => {
    const runId = "load-killed-1";
    const ops = startOps(["load", "workspaces", "--count", "40", "--batch-size", "2", "--concurrency", "1", "--rate", "1", "--burst", "1", "--poll-interval", "0.2", "--no-metrics", "--json", "--run-id", runId, "--outputs", staging.outputsFile], setting.endpoint);
    await until(async () => (await launchedCount(runId)) >= 4, "4 tasks of the run in moto", ops.exited);
    ops.signal("SIGKILL");
    expect((await ops.exited).signal).to.equal("SIGKILL");
    const left = await running(runId);
    expect(left.length).to.be.at.least(4);

    const before = await motoState(staging, setting);
    const from = setting.shim.operations.length;
    const dry = await runOps(["cleanup", "--run-id", runId, "--dry-run", "--json", "--outputs", staging.outputsFile], setting.endpoint);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.report.tables.find((t: any) => t.title === "Leftovers").rows.filter((row: any[]) => row[0] === "task")).to.have.length(left.length);
    expect(writesSince(setting, from)).to.deep.equal([]);
    expect(await motoState(staging, setting)).to.deep.equal(before);

    const r = await runOps(["cleanup", "--run-id", runId, "--json", "--outputs", staging.outputsFile], setting.endpoint);
    expect(r.code, r.stderr).to.equal(0);
    expect(await running(runId)).to.deep.equal([]);
    expect((await runTasks(runId)).every((t) => t.stoppedReason === `ops cleanup of run ${runId}`)).to.equal(true);
    expect(await backendRunning()).to.equal(staging.backendTasks.length);
  });
});
