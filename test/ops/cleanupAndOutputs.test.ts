import { DescribeContainerInstancesCommand, ECSClient, ListContainerInstancesCommand, ListTasksCommand, StopTaskCommand, UntagResourceCommand, UpdateContainerInstancesStateCommand } from "@aws-sdk/client-ecs";
import { FisClient, ListExperimentsCommand, StopExperimentCommand } from "@aws-sdk/client-fis";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { ApiCaller } from "../../scripts/ops/api";
import { UsageError } from "../../scripts/ops/errors";
import { requireOutputs } from "../../scripts/ops/outputs";
import { EcsWorkspaceTarget } from "../../scripts/ops/load/ecsTarget";
import { stopRun } from "../../scripts/ops/load/stopper";
import { TokenBucket } from "../../scripts/ops/rateLimiter";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { Ec2Sim } from "../../scripts/ops/sim/ec2Sim";
import { simulatedEc2, simulatedEcs, starts, TEST_LAUNCH } from "./helpers/ecsMock";
import { type LooseStub, mockIdentity, mockLooseClient, runCli, tempDir, writeOutputs } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const o = stackOutputs();
const TASK = (id: string) => `arn:aws:ecs:ap-northeast-1:123456789012:task/${o.clusterName}/${id}`;
const CI = (id: string) => `arn:aws:ecs:ap-northeast-1:123456789012:container-instance/${o.clusterName}/${id}`;

const RUN = "load-20261123T120000-beef";

/** A killed run's volumes (one detached, one still detaching) and snapshot, beside ones cleanup must not touch. */
function volumesOfAKilledRun(): { ec2Sim: Ec2Sim; ours: string[]; theirs: string[]; snapshot: string } {
  const ec2Sim = new Ec2Sim({ clock: new VirtualClock(), snapshotPendingReads: 0 });
  const tags = (stack: string, runId: string) => ({ "remote-claude:stack": stack, "remote-claude:drill-run": runId, "remote-claude:workspace-id": `${runId}-1`, AmazonECSManaged: "true" });
  const detached = ec2Sim.createVolume({ sizeGiB: 20, tags: tags("staging", RUN) });
  let reads = 0;
  // Its task is being stopped: attached for two more reads, then detached.
  const detaching = ec2Sim.createVolume({ sizeGiB: 20, tags: tags("staging", RUN), derive: () => (++reads <= 2 ? { state: "in-use", instanceId: "i-c1", attachTime: 0 } : { state: "available" }) });
  const otherRun = ec2Sim.createVolume({ sizeGiB: 20, tags: tags("staging", "someone-else-1") });
  const otherStack = ec2Sim.createVolume({ sizeGiB: 20, tags: tags("prod", RUN) });
  const userVolume = ec2Sim.createVolume({ sizeGiB: 20, tags: { "remote-claude:stack": "staging", "remote-claude:workspace-id": "conv-1" } });
  const snapshot = ec2Sim.createSnapshot({ VolumeId: detached.id, TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "remote-claude:stack", Value: "staging" }, { Key: "remote-claude:drill-run", Value: RUN }] }] }).SnapshotId!;
  ec2Sim.createSnapshot({ VolumeId: userVolume.id, TagSpecifications: [{ ResourceType: "snapshot", Tags: [{ Key: "remote-claude:stack", Value: "staging" }] }] });
  return { ec2Sim, ours: [detached.id, detaching.id], theirs: [otherRun.id, otherStack.id, userVolume.id], snapshot };
}

describe("ops cleanup", () => {
  let sts: ReturnType<typeof mockIdentity>;
  let ecs: ReturnType<typeof mockClient>;
  let ec2: ReturnType<typeof simulatedEc2>;
  let volumes: ReturnType<typeof volumesOfAKilledRun>;
  let fis: LooseStub;
  beforeEach(() => {
    sts = mockIdentity();
    volumes = volumesOfAKilledRun();
    ec2 = simulatedEc2(volumes.ec2Sim);
    ecs = mockClient(ECSClient);
    fis = mockLooseClient(FisClient);
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK("t1"), TASK("t2")] });
    ecs.on(StopTaskCommand).resolves({});
    ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [CI("c1"), CI("c2")] });
    let reactivated = false;
    ecs.on(UpdateContainerInstancesStateCommand).callsFake(() => {
      reactivated = true;
      return { failures: [] };
    });
    ecs.on(UntagResourceCommand).resolves({});
    ecs.on(DescribeContainerInstancesCommand).callsFake((input) => ({ containerInstances: [
      { containerInstanceArn: CI("c1"), ec2InstanceId: "i-c1", status: reactivated ? "ACTIVE" : "DRAINING", tags: [{ key: "remote-claude:drill-run", value: "load-20261123T120000-beef" }] },
      { containerInstanceArn: CI("c2"), ec2InstanceId: "i-c2", status: "DRAINING", tags: [{ key: "remote-claude:drill-run", value: "someone-else-1" }] },
    ].filter((i) => input.containerInstances!.includes(i.containerInstanceArn)) }));
    fis.on(ListExperimentsCommand).resolves({ experiments: [
      { id: "EXP1", state: { status: "running" }, tags: { "remote-claude:drill-run": "load-20261123T120000-beef" } },
      { id: "EXP2", state: { status: "completed" }, tags: { "remote-claude:drill-run": "load-20261123T120000-beef" } },
    ] });
    fis.on(StopExperimentCommand).resolves({});
  });
  afterEach(() => {
    sts.restore();
    ecs.restore();
    ec2.restore();
    fis.restore();
  });

  it("finds a killed run's tasks by startedBy, its DRAINING instances and running experiments by tag, and removes them", async () => {
    const run = await runCli(["cleanup", "--run-id", "load-20261123T120000-beef", "--json"]);
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    // Its volumes (the detaching one once detached) and its snapshot, and nothing of anyone else's.
    expect(volumes.ec2Sim.leftovers().sort()).to.deep.equal([...volumes.theirs].sort());
    expect(volumes.ec2Sim.snapshotLeftovers()).to.have.length(1).and.not.include(volumes.snapshot);
    expect(run.report.checks.find((c: any) => c.name === "drill volumes left")).to.include({ observed: "0", result: "pass" });
    expect(run.report.summary.join("\n")).to.include("deleted 2 volumes and 1 snapshots");
    expect(run.report.checks.every((c: any) => c.result === "pass")).to.equal(true);
    expect(ecs.commandCalls(ListTasksCommand)[0].args[0].input).to.deep.include({ cluster: o.clusterName, startedBy: "ops/load-20261123T120000-beef" });
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).to.deep.equal([TASK("t1"), TASK("t2")]);
    expect(ecs.commandCalls(UpdateContainerInstancesStateCommand).map((c) => c.args[0].input)).to.deep.equal([{ cluster: o.clusterName, containerInstances: [CI("c1")], status: "ACTIVE" }]);
    expect(fis.commandCalls(StopExperimentCommand).map((c: any) => c.args[0].input.id)).to.deep.equal(["EXP1"]);
  });

  it("--dry-run lists the leftovers and changes nothing", async () => {
    const run = await runCli(["cleanup", "--run-id", "load-20261123T120000-beef", "--dry-run", "--json"]);
    expect(run.code).to.equal(0);
    // 2 tasks, 1 container instance, 1 experiment, 2 volumes, 1 snapshot.
    expect(run.report.tables[0].rows).to.have.length(7);
    expect(run.report.tables[0].rows.filter((r: any) => r[0] === "volume").map((r: any) => r[1]).sort()).to.deep.equal([...volumes.ours].sort());
    expect(volumes.ec2Sim.calls.DeleteVolume ?? 0).to.equal(0);
    expect(volumes.ec2Sim.calls.DeleteSnapshot ?? 0).to.equal(0);
    expect(ecs.commandCalls(StopTaskCommand)).to.have.length(0);
    expect(ecs.commandCalls(UpdateContainerInstancesStateCommand)).to.have.length(0);
    expect(fis.commandCalls(StopExperimentCommand)).to.have.length(0);
  });

  it("needs a run id or --all", async () => {
    const run = await runCli(["cleanup"]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include("cleanup needs --run-id ID");
  });
});

describe("ops stopper", () => {
  it("also stops tasks of the run it never saw (a RunTask whose answer was lost), found by startedBy", async () => {
    const clock = new VirtualClock(0);
    const { sim, ecs, ec2 } = simulatedEcs({ clock, script: () => starts(1000) });
    const target = new EcsWorkspaceTarget({
      ecs: new ECSClient({ region: "ap-northeast-1" }), api: new ApiCaller(clock),
      cluster: "c",
    launch: { ...TEST_LAUNCH, cluster: "c", taskDefinition: "td", subnets: ["s"], securityGroups: ["g"], capacityProvider: "cp" },
      runStopBucket: new TokenBucket(100, 40, clock), describeBucket: new TokenBucket(100, 20, clock), kind: "load",
    });
    const known = (await target.launch(10, "load-r")).tasks.map((t) => t.id);
    await target.launch(5, "load-r"); // answer "lost"
    await target.launch(3, "load-other"); // another run: not ours to stop
    const result = await stopRun(target, "load-r", known, { concurrency: 3, reason: "test" });
    ecs.restore();
    ec2.restore();
    expect(result).to.deep.include({ stopped: 15, foundByRunId: 5, failed: [] });
    expect(sim.orphans()).to.have.length(3);
  });
});

describe("ops stack outputs", () => {
  it("names a renamed output when the stack still has only its old name", () => {
    const { credentialProxySecretArn, ...rest } = o;
    const loaded = { outputs: { ...rest, proxySecretArn: credentialProxySecretArn }, stack: "staging", source: "outputs.json" };
    expect(() => requireOutputs(loaded, ["credentialProxySecretArn"])).to.throw(
      UsageError,
      "missing stack output in outputs.json: credentialProxySecretArn (Secrets Manager secret holding the credential proxy's credential.) — the stack has proxySecretArn, this output's name before it was renamed: run `pulumi up` on the stack to export credentialProxySecretArn",
    );
    expect(requireOutputs({ ...loaded, outputs: o }, ["credentialProxySecretArn"]).credentialProxySecretArn).to.equal(credentialProxySecretArn);
  });

  it("reads them with `pulumi stack output --json` when the CLI is on PATH", async () => {
    const bin = tempDir("ops-pulumi-");
    const outputs = writeOutputs(stackOutputs());
    const log = path.join(bin, "args.txt");
    fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$@" > ${log}\ncat ${outputs}\n`, { mode: 0o755 });
    const run = await runCli(["load", "workspaces", "--count", "3", "--stack", "staging", "--dry-run", "--json"], { outputs: null, env: { PATH: bin } });
    // Dry run of the plan needs the task definition; no ECS mock here, so the run fails later — after the outputs were read.
    expect(fs.readFileSync(log, "utf8").trim()).to.equal("stack output --json --stack staging");
    expect(run.stderr).to.not.include("outputs");
  });

  it("without the CLI, asks for --outputs (exit 2)", async () => {
    const run = await runCli(["load", "workspaces", "--count", "3", "--stack", "staging"], { outputs: null, env: { PATH: tempDir() } });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal('ops: load workspaces: no Pulumi CLI on PATH to read stack "staging": pass --outputs FILE holding `pulumi stack output --json --stack staging`\n');
  });

  it("rejects a file that is not outputs JSON, or is another stack's", async () => {
    const file = path.join(tempDir(), "bad.json");
    fs.writeFileSync(file, "not json");
    const bad = await runCli(["cleanup", "--all", "--outputs", file], { outputs: null });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/is not JSON .*: expected the output of `pulumi stack output --json`/);
    const other = await runCli(["cleanup", "--all", "--stack", "prod"]);
    expect(other.code).to.equal(2);
    expect(other.stderr).to.match(/is stack "staging", not --stack prod/);
    const none = await runCli(["cleanup", "--all"], { outputs: null });
    expect(none.stderr).to.include("no stack given: pass --stack NAME");
  });

  it("rejects a region that is not the stack's", async () => {
    const run = await runCli(["cleanup", "--all", "--region", "us-east-1"]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include("--region us-east-1 is not the stack's region ap-northeast-1");
  });
});
