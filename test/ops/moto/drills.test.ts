// The failure drills as a user runs them, against moto holding staging as the offline plan builds
// it: drain-instance (DRAINING and back to ACTIVE, also when killed, then `cleanup`; the rollback on
// Ctrl-C is drills.test.ts's, the real signal path load.test.ts's),
// kill-backend-task, the steady-state refusal, and their dry runs. The judge is moto's state read
// straight from moto. What moto cannot judge, and the mock tests that keep judging it
// (test/ops/drills.test.ts): services never replace a stopped task and move nothing off a
// DRAINING instance (so the backend pool's drain and the replacement after kill-backend-task are
// not observed here; the workspace pool's drain needs no move); the service's running count is a
// fixed setting (MOTO_ECS_SERVICE_RUNNING); target health is always "healthy"; there is no alarm
// history; container instances cannot be tagged and the pool filter of ListContainerInstances is
// ignored (the shim holds the tags and applies the filter, helpers/shim.ts).
import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { expect } from "chai";
import { type MotoSetting, type MotoStack, clusterTasks, containerInstances, freshStacks, motoState, releaseMoto, until, writesSince } from "./helpers/motoStacks";
import { runOps, startOps } from "./helpers/opsProcess";

const RUN_BOUND_MS = 180_000;
const RUN_TAG = "remote-claude:drill-run";

describe("ops drills against moto", function () {
  this.timeout(RUN_BOUND_MS);
  let setting: MotoSetting;
  let staging: MotoStack;

  after(releaseMoto);
  before(async function () {
    this.timeout(RUN_BOUND_MS);
    ({ setting, stacks: { staging } } = await freshStacks(this, ["staging"]));
  });

  const draining = async () => (await containerInstances(staging)).filter((i) => i.status === "DRAINING");
  const drainArgs = (...extra: string[]) => ["drill", "drain-instance", "--pool", "workspace", "--poll-interval", "1", "--no-metrics", "--outputs", staging.outputsFile, ...extra];

  it("--dry-run of drain-instance and kill-backend-task changes nothing", async () => {
    const before = await motoState(staging, setting);
    const from = setting.shim.operations.length;
    const [drain, kill] = await Promise.all([
      runOps(drainArgs("--dry-run", "--json"), setting.endpoint),
      runOps(["drill", "kill-backend-task", "--dry-run", "--json", "--outputs", staging.outputsFile], setting.endpoint),
    ]);
    expect(drain.code, drain.stderr).to.equal(0);
    expect(kill.code, kill.stderr).to.equal(0);
    expect(drain.report.outcome).to.equal("dry-run");
    expect(drain.report.data.plan[0]).to.match(/^set container instance i-[0-9a-f]+ \(workspace pool/);
    expect(kill.report.data.plan[0]).to.match(/^stop backend task [0-9a-f-]+ of remote-claude-staging-backend \(2 running\)$/);
    expect(writesSince(setting, from)).to.deep.equal([]);
    expect(await motoState(staging, setting)).to.deep.equal(before);
  });

  it("drain-instance: one workspace host DRAINING, then ACTIVE again with its drill tag removed", async () => {
    const ops = startOps(drainArgs("--stable-checks", "1", "--timeout", "60", "--json"), setting.endpoint);
    await until(async () => (await draining()).length === 1, "a container instance DRAINING", ops.exited);
    const [victim] = await draining();
    expect(victim.pool).to.equal("workspace");
    expect(setting.shim.instanceTagsOf(victim.arn)[RUN_TAG]).to.match(/^drill-drain-/);
    const r = await ops.exited;
    expect(r.code, r.stderr).to.equal(0);
    expect(r.report.data.details.instance.ec2InstanceId).to.equal(victim.instanceId);
    expect((await containerInstances(staging)).every((i) => i.status === "ACTIVE")).to.equal(true);
    expect(setting.shim.instanceTagsOf(victim.arn)).to.deep.equal({});
  });

  it("drain-instance killed hard (SIGKILL) while DRAINING: `cleanup --run-id` sets the instance ACTIVE again", async () => {
    const ops = startOps(drainArgs("--stable-checks", "100", "--timeout", "600", "--slo", "600"), setting.endpoint);
    const [, runId] = await ops.waitForStderr(/run (drill-drain-\S+): /);
    await until(async () => (await draining()).length === 1, "a container instance DRAINING", ops.exited);
    const [victim] = await draining();
    ops.signal("SIGKILL");
    await ops.exited;
    expect((await draining()).map((i) => i.arn)).to.deep.equal([victim.arn]);
    expect(setting.shim.instanceTagsOf(victim.arn)).to.deep.equal({ [RUN_TAG]: runId });

    const r = await runOps(["cleanup", "--run-id", runId, "--json", "--outputs", staging.outputsFile], setting.endpoint);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.report.tables.find((t: any) => t.title === "Leftovers").rows).to.deep.equal([["container instance", victim.instanceId, runId, "DRAINING → ACTIVE"]]);
    expect((await containerInstances(staging)).every((i) => i.status === "ACTIVE")).to.equal(true);
    expect(setting.shim.instanceTagsOf(victim.arn)).to.deep.equal({});
  });

  it("refuses to inject when an alarm of the stack is in ALARM (exit 3), changing nothing", async () => {
    const alarm = staging.outputs.alarmNames[0];
    await staging.clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: "ALARM", StateReason: "test: the stack is not steady" }));
    const from = setting.shim.operations.length;
    let r;
    try {
      r = await runOps(drainArgs(), setting.endpoint);
    } finally {
      await staging.clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: "OK", StateReason: "test: steady again" }));
    }
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.include(`is not in steady state, nothing injected: alarms in ALARM: ${alarm}`);
    expect(writesSince(setting, from)).to.deep.equal([]);
    expect(await draining()).to.deep.equal([]);
  });

  it("kill-backend-task: stops exactly one task of the backend service, nothing else", async () => {
    const r = await runOps(["drill", "kill-backend-task", "--poll-interval", "1", "--stable-checks", "1", "--timeout", "60", "--no-metrics", "--json", "--outputs", staging.outputsFile], setting.endpoint);
    expect(r.code, r.stderr).to.equal(0);
    const backend = (await clusterTasks(staging)).filter((t) => staging.backendTasks.includes(t.taskArn!));
    const stopped = backend.filter((t) => t.lastStatus === "STOPPED");
    expect(stopped.map((t) => t.taskArn)).to.deep.equal([r.report.data.details.task]);
    expect(stopped[0].stoppedReason).to.equal(`ops drill kill-backend-task ${r.report.runId}`);
    expect(backend.filter((t) => t.lastStatus === "RUNNING")).to.have.length(staging.backendTasks.length - 1);
  });
});
