import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { workspaceRunTaskRequest } from "../../lib/launchContract";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { simulatedEcs, starts, TEST_LAUNCH } from "./helpers/ecsMock";
import { mockIdentity, runCli, sentCommands, tempDir } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const MUTATING = ["RunTask", "StopTask", "UpdateContainerInstancesState", "TagResource", "UntagResource"];

describe("ops load workspaces", () => {
  let sts: ReturnType<typeof mockIdentity>;
  let cw: ReturnType<typeof mockClient>;
  beforeEach(() => {
    sts = mockIdentity();
    cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
  });
  afterEach(() => {
    sts.restore();
    cw.restore();
    mockClient(EC2Client).restore();
  });

  it("launches in batches of at most 10 exactly as the backend does, measures, publishes and stops every task", async () => {
    const clock = new VirtualClock();
    const { sim, ecs } = simulatedEcs({ clock, script: (n) => starts(2000 + (n % 10) * 300) });
    const run = await runCli(["load", "workspaces", "--count", "25", "--json", "--hold", "60"], { clock });
    ecs.restore();
    expect(run.code, run.stderr).to.equal(0);
    const runTasks = ecs.commandCalls(RunTaskCommand).map((c) => c.args[0].input);
    expect(runTasks.map((r) => r.count)).to.deep.equal([10, 10, 5]);
    const o = stackOutputs();
    const runId = run.report.runId;
    expect(runId).to.match(/^load-\d{8}T\d{6}-beef$/);
    expect(runTasks[0]).to.deep.equal(workspaceRunTaskRequest(
      { cluster: o.clusterName, taskDefinition: o.workspaceTaskDefinitionArn, subnets: o.workspaceSubnetIds, securityGroups: [o.securityGroupIds.workspace], capacityProvider: o.workspaceCapacityProvider, volume: TEST_LAUNCH.volume },
      {
        count: 10,
        // One workspace id per RunTask call, from the run id.
        workspaceId: `${runId}-1`,
        startedBy: `ops/${runId}`,
        tags: { "remote-claude:drill-run": runId, "remote-claude:drill": "load" },
        volumeTags: { "remote-claude:drill-run": runId, "remote-claude:drill": "load" },
      },
    ));
    expect(sim.orphans()).to.deep.equal([]);
    expect(sim.calls.StopTask).to.equal(25);
    const tracker = run.report.data.tracker;
    expect(tracker).to.include({ tracked: 25, ready: 25, failed: 0 });
    expect(tracker.runningSummary).to.include({ count: 25, p50: 3200, max: 4700 });
    expect(run.report.tables.map((t: any) => t.title)).to.include.members(["Start times (seconds)", "Tasks per container instance", "API calls"]);
    expect(run.report.data.density.map((d: any) => d.drillTasks).reduce((a: number, b: number) => a + b)).to.equal(25);
    // Metrics: raw start times with Stack and Drill dimensions in the stack's namespace.
    const put = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
    expect(put[0].Namespace).to.equal("RemoteClaude");
    const names = put.flatMap((p) => p.MetricData!.map((d) => d.MetricName));
    expect(names).to.include.members(["WorkspaceTimeToRunning", "WorkspaceTimeToHealthy", "WorkspacesLaunched", "TasksPerInstance", "DrillPassed"]);
    expect(put[0].MetricData![0].Dimensions).to.deep.include({ Name: "Drill", Value: "load-workspaces" });
  });

  it("counts partial RunTask failures by reason and tasks that fail after launch", async () => {
    const clock = new VirtualClock();
    const { sim, ecs } = simulatedEcs({
      clock,
      script: (n) => (n === 0 ? { pendingAfter: 100, runningAfter: 50_000, stopsAfter: 3000, stoppedReason: "CannotPullContainerError: access denied" } : starts(2000)),
      refuse: (call) => (call === 0 ? { count: 3, reason: "RESOURCE:MEMORY" } : call === 1 ? { count: 1, reason: "RESOURCE:ENI" } : undefined),
    });
    const run = await runCli(["load", "workspaces", "--count", "20", "--json", "--no-metrics", "--max-failure-rate", "10"], { clock });
    ecs.restore();
    expect(run.code).to.equal(1);
    expect(run.report.data.launch).to.include({ requested: 20, launched: 16, notLaunched: 4 });
    expect(run.report.data.launch.reasons).to.deep.equal({ "RESOURCE:MEMORY": 3, "RESOURCE:ENI": 1 });
    expect(run.report.data.tracker.failuresByReason).to.deep.equal({ "TaskFailedToStart: CannotPullContainerError: access denied": 1 });
    const rate = run.report.checks.find((c: any) => c.name === "failure rate");
    expect(rate).to.include({ observed: "25.0 %", result: "fail" });
    expect(sim.orphans()).to.deep.equal([]);
    expect(cw.commandCalls(PutMetricDataCommand)).to.have.length(0);
  });

  it("fails (exit 1) without any threshold flag when no workspace became ready", async () => {
    const clock = new VirtualClock();
    const { sim, ecs } = simulatedEcs({
      clock,
      script: () => ({ pendingAfter: 100, runningAfter: 50_000, stopsAfter: 2000, stoppedReason: "CannotPullContainerError: access denied" }),
      refuse: (call) => (call === 0 ? { count: 2, reason: "RESOURCE:MEMORY" } : undefined),
    });
    const run = await runCli(["load", "workspaces", "--count", "6", "--json", "--no-metrics"], { clock });
    ecs.restore();
    expect(run.code, run.stderr).to.equal(1);
    expect(run.report.outcome).to.equal("fail");
    expect(run.report.data.tracker).to.include({ ready: 0, failed: 4 });
    expect(run.report.checks.find((c: any) => c.name === "workspaces ready")).to.include({ expected: ">= 1", observed: "0 of 6", result: "fail" });
    expect(sim.orphans()).to.deep.equal([]);
  });

  it("retries throttled RunTask calls and reports the throttling", async () => {
    const clock = new VirtualClock();
    const { sim, ecs } = simulatedEcs({ clock, script: () => starts(1000) });
    let throttles = 0;
    ecs.on(RunTaskCommand).callsFake((input) => {
      if (throttles++ < 2) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      return sim.runTask(input);
    });
    const run = await runCli(["load", "workspaces", "--count", "10", "--json", "--no-metrics"], { clock });
    ecs.restore();
    expect(run.code, run.stderr).to.equal(0);
    expect(run.report.data.launch).to.include({ launched: 10 });
    expect(run.report.data.api.throttled).to.deep.equal({ RunTask: 2 });
    expect(run.report.summary.join("\n")).to.include("2 throttled calls retried by the tool");
  });

  it("stops every started task when SIGINT arrives in the middle of the run (no orphans), exit 130", async () => {
    const clock = new VirtualClock();
    const signals = new EventEmitter();
    const { sim, ecs } = simulatedEcs({ clock, script: () => starts(30_000) });
    ecs.on(RunTaskCommand).callsFake((input) => {
      const out = sim.runTask(input);
      if (sim.calls.RunTask === 3) signals.emit("SIGINT"); // Ctrl-C while the third call is in flight
      return out;
    });
    const run = await runCli(["load", "workspaces", "--count", "200", "--concurrency", "1", "--json", "--no-metrics"], { clock, signals });
    ecs.restore();
    expect(run.code).to.equal(130);
    expect(run.report.outcome).to.equal("interrupted");
    expect(sim.tasks.size).to.equal(30); // launching stopped; the call in flight was awaited
    expect(sim.orphans()).to.deep.equal([]);
    expect(run.stderr).to.include("SIGINT: stopping");
    expect(signals.listenerCount("SIGINT")).to.equal(0);
  });

  it("stops every started task when tracking fails, and exits 3", async () => {
    const clock = new VirtualClock();
    const { sim, ecs } = simulatedEcs({ clock, script: () => starts(10_000) });
    ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error("not allowed"), { name: "AccessDeniedException" }));
    const run = await runCli(["load", "workspaces", "--count", "40", "--concurrency", "1"], { clock });
    ecs.restore();
    expect(run.code).to.equal(3);
    expect(run.stderr).to.match(/^ops: load workspaces: AccessDeniedException: not allowed\n$/m);
    expect(sim.tasks.size).to.be.greaterThan(0);
    expect(sim.orphans()).to.deep.equal([]);
  });

  it("turns --max-p95-start into the exit code", async () => {
    const clock = new VirtualClock();
    const { ecs } = simulatedEcs({ clock, script: (n) => starts(1000 + n * 500) });
    const pass = await runCli(["load", "workspaces", "--count", "20", "--json", "--no-metrics", "--max-p95-start", "60"], { clock });
    const fail = await runCli(["load", "workspaces", "--count", "20", "--json", "--no-metrics", "--max-p95-start", "5"], { clock });
    ecs.restore();
    expect(pass.code).to.equal(0);
    expect(fail.code).to.equal(1);
    const check = fail.report.checks.find((c: any) => c.name === "p95 time to start");
    expect(check).to.include({ expected: "<= 5.00 s", result: "fail" });
  });

  it("counts start times from the RunTask call, not from the wait for a rate-limit token", async () => {
    const clock = new VirtualClock();
    const { ecs } = simulatedEcs({ clock, script: () => starts(1000, 2000) });
    // 5 calls at 0.5 per second: the last one waits 8 s for its token.
    const run = await runCli(["load", "workspaces", "--count", "50", "--rate", "0.5", "--burst", "1", "--json", "--no-metrics"], { clock });
    ecs.restore();
    expect(run.code, run.stderr).to.equal(0);
    expect(run.report.data.tracker.readySummary.max).to.be.within(2000, 3000);
  });

  it("--dry-run sends no mutating command and prints the first RunTask request", async () => {
    const clock = new VirtualClock();
    const { ecs } = simulatedEcs({ clock, script: () => starts(1000) });
    const run = await runCli(["load", "workspaces", "--count", "35", "--dry-run", "--json"], { clock });
    ecs.restore();
    expect(run.code).to.equal(0);
    expect(run.report.outcome).to.equal("dry-run");
    expect(sentCommands(ecs).filter((c) => MUTATING.includes(c))).to.deep.equal([]);
    expect(cw.calls()).to.have.length(0);
    expect(run.report.data.firstRunTask.count).to.equal(10);
    expect(run.report.summary[0]).to.include("4 RunTask calls");
  });

  it("refuses a prod stack without --confirm-prod before any AWS call (exit 2), runs with it", async () => {
    const clock = new VirtualClock();
    const { sim, ecs } = simulatedEcs({ clock, script: () => starts(1000) });
    const refused = await runCli(["load", "workspaces", "--count", "5"], { clock, outputs: stackOutputs("prod") });
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.equal('ops: load workspaces: stack "prod" is production: load workspaces launches 5 workspace tasks; rerun with --confirm-prod (or --dry-run to see the plan)\n');
    expect(ecs.calls()).to.have.length(0);
    expect(sts.calls()).to.have.length(0);
    const confirmed = await runCli(["load", "workspaces", "--count", "5", "--confirm-prod", "--no-metrics"], { clock, outputs: stackOutputs("prod") });
    ecs.restore();
    expect(confirmed.code, confirmed.stderr).to.equal(0);
    expect(sim.tasks.size).to.equal(5);
    expect(sim.orphans()).to.deep.equal([]);
  });

  it("names a missing output and what it means, exit 2", async () => {
    const outputs: any = stackOutputs();
    delete outputs.workspaceCapacityProvider;
    delete outputs.workspaceTaskDefinitionArn;
    const run = await runCli(["load", "workspaces", "--count", "5"], { outputs });
    expect(run.code).to.equal(2);
    expect(run.stderr.trim().split("\n")).to.have.length(1);
    expect(run.stderr).to.include("missing stack outputs in");
    expect(run.stderr).to.include("workspaceTaskDefinitionArn (Workspace task definition ARN with its revision.)");
    expect(run.stderr).to.include("workspaceCapacityProvider (Capacity provider of the workspace host pool: RunTask uses it.)");
  });

  it("rejects bad arguments with one line and exit 2", async () => {
    for (const [args, message] of [
      [["--count", "0"], "--count must be an integer from 1 to 10000, got 0"],
      [["--count", "5", "--batch-size", "11"], "--batch-size must be an integer from 1 to 10, got 11"],
      [["--count", "5", "--rate", "100"], "--rate must be a number from 0.1 to 40, got 100"],
      [["--count", "5", "--describe-rate", "25"], "--describe-rate must be a number from 0.1 to 20, got 25"],
      [["--count", "5", "--bogus"], "Unknown argument: bogus"],
      [[], "Missing required argument: count"],
    ] as const) {
      const run = await runCli(["load", "workspaces", ...args]);
      expect(run.code, message).to.equal(2);
      expect(run.stderr).to.equal(`ops: ${message} (see ops --help)\n`);
    }
    const unknown = await runCli(["nuke"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("Unknown argument: nuke");
  });

  it("gives exit 2 without credentials and for another account's credentials", async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));
    const none = await runCli(["load", "workspaces", "--count", "5"]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.match(/^ops: load workspaces: no usable AWS credentials \(Could not load credentials from any providers\)/);
    sts.on(GetCallerIdentityCommand).resolves({ Account: "999999999999" });
    const other = await runCli(["load", "workspaces", "--count", "5"]);
    expect(other.code).to.equal(2);
    expect(other.stderr).to.include('the credentials are for account 999999999999, but stack "staging" is in account 123456789012');
  });

  it("draws progress on a terminal and stays quiet with --json", async () => {
    const clock = new VirtualClock();
    const { ecs } = simulatedEcs({ clock, script: () => starts(3000) });
    const tty = await runCli(["load", "workspaces", "--count", "30", "--no-metrics"], { clock, tty: true });
    const json = await runCli(["load", "workspaces", "--count", "30", "--no-metrics", "--json"], { clock, tty: true });
    ecs.restore();
    expect(tty.stderr).to.match(/\r\x1b\[2Krun load-\S+: launched \d+\/30, ready \d+, failed 0, starting \d+/);
    expect(tty.stderr).to.include("stopping 30 tasks of run");
    expect(json.stderr).to.equal("");
    expect(JSON.parse(json.stdout).outcome).to.equal("pass");
  });

  it("--report writes the JSON report and a Markdown summary", async () => {
    const clock = new VirtualClock();
    const { ecs } = simulatedEcs({ clock, script: () => starts(1500) });
    const file = path.join(tempDir(), "reports", "load.json");
    const run = await runCli(["load", "workspaces", "--count", "3", "--no-metrics", "--report", file], { clock });
    ecs.restore();
    expect(run.code).to.equal(0);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.include({ schema: "remote-claude-ops-report/v1", command: "load workspaces", outcome: "pass" });
    const md = fs.readFileSync(file.replace(/\.json$/, ".md"), "utf8");
    expect(md).to.include("# Load drill: workspace starts");
    expect(md).to.include("## Start times (seconds)");
    expect(run.stdout).to.include("Result: PASS");
  });
});

describe("ops load workspaces: workspace volumes", () => {
  let sts: ReturnType<typeof mockIdentity>;
  let cw: ReturnType<typeof mockClient>;
  beforeEach(() => {
    sts = mockIdentity();
    cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
  });
  afterEach(() => {
    sts.restore();
    cw.restore();
    mockClient(ECSClient).restore();
    mockClient(EC2Client).restore();
  });

  /** Every ECS and EC2 call of the simulation in the order it was made (sinon numbers every call). */
  function calls(ecs: ReturnType<typeof simulatedEcs>["ecs"], ec2: ReturnType<typeof simulatedEcs>["ec2"]): string[] {
    const all = [...ecs.calls(), ...ec2.calls()].map((c: any) => ({ id: c.callId as number, op: sentCommands({ calls: () => [c] })[0] }));
    expect(all.every((c) => Number.isInteger(c.id))).to.equal(true);
    return all.sort((a, b) => a.id - b.id).map((x) => x.op);
  }

  it("gives every task its own tagged volume, reports attach times, and deletes every volume after the tasks stopped", async () => {
    const clock = new VirtualClock();
    const { sim, ecs, ec2Sim, ec2 } = simulatedEcs({ clock, script: (n) => ({ ...starts(3000 + (n % 5) * 500), volumeAttachedAfter: 1000 + (n % 5) * 200 }) });
    const run = await runCli(["load", "workspaces", "--count", "15", "--json"], { clock });
    expect(run.code, run.stderr).to.equal(0);
    expect(sim.orphans()).to.deep.equal([]);
    // One volume per task, made from the contract: the run's tags, the stack's, ECS's own.
    expect(ec2Sim.volumes.size).to.equal(15);
    const runId = run.report.runId;
    for (const v of ec2Sim.volumes.values()) {
      expect(v.tags).to.include({ "remote-claude:stack": "staging", "remote-claude:drill-run": runId, "remote-claude:filesystem": "xfs", AmazonECSManaged: "true" });
      expect(v.tags["remote-claude:workspace-id"]).to.match(new RegExp(`^${runId}-[12]$`));
      expect(v.sizeGiB).to.equal(20);
    }
    // Every volume deleted, each only after the tasks were stopped (EC2 refuses an attached one).
    expect(ec2Sim.leftovers()).to.deep.equal([]);
    const order = calls(ecs, ec2);
    expect(order.lastIndexOf("StopTask")).to.be.lessThan(order.indexOf("DeleteVolume"));
    expect(ec2Sim.calls.DeleteVolume).to.equal(15);
    // Attach time per task, from the task's attachment details (observed) and from EC2.
    const per = run.report.data.volumes.perTask;
    expect(per).to.have.length(15);
    for (const t of per) {
      expect(t.volumeId).to.match(/^vol-/);
      expect(t.ec2AttachMs).to.be.within(1000, 1800);
      expect(t.observedAttachMs).to.be.within(t.ec2AttachMs, t.ec2AttachMs + 1000);
    }
    const start = run.report.tables.find((t: any) => t.title === "Start times (seconds)");
    expect(start.rows.map((r: any) => r[0])).to.deep.equal([
      "RunTask → RUNNING (ECS createdAt → startedAt)", "RunTask → HEALTHY (observed)",
      "RunTask → volume ATTACHED (task attachment, observed)", "ECS createdAt → EBS attach (EC2 AttachTime)",
    ]);
    expect(start.rows[3]).to.deep.equal(["ECS createdAt → EBS attach (EC2 AttachTime)", 15, "1.40", "1.80", "1.80", "1.80", "1.80"]);
    expect(run.report.summary.join("\n")).to.match(/Volumes: attach p50 \d\.\d\d s, .*15 found, 15 deleted \(0 already gone\), 0 left\./);
    expect(run.report.checks.find((c: any) => c.name === "volumes left")).to.include({ observed: "0", result: "pass" });
    const names = cw.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData!.map((d) => d.MetricName));
    expect(names).to.include("WorkspaceVolumeAttachTime");
  });

  it("waits for volumes still detaching after their tasks stopped, then deletes them", async () => {
    const clock = new VirtualClock();
    const { ec2Sim } = simulatedEcs({ clock, script: () => starts(2000), volumeDetachReads: 12 });
    const run = await runCli(["load", "workspaces", "--count", "4", "--json", "--no-metrics"], { clock });
    expect(run.code, run.stderr).to.equal(0);
    expect(ec2Sim.leftovers()).to.deep.equal([]);
    // The waiter read them until EC2 had detached them; no DeleteVolume was refused.
    expect(ec2Sim.calls.DescribeVolumes).to.be.greaterThan(4);
    expect(ec2Sim.calls.DeleteVolume).to.equal(4);
  });

  it("deletes every volume when tracking fails (exit 3)", async () => {
    const clock = new VirtualClock();
    const { sim, ecs, ec2Sim } = simulatedEcs({ clock, script: () => starts(10_000) });
    ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error("not allowed"), { name: "AccessDeniedException" }));
    const run = await runCli(["load", "workspaces", "--count", "30", "--concurrency", "1"], { clock });
    expect(run.code).to.equal(3);
    expect(sim.orphans()).to.deep.equal([]);
    expect(ec2Sim.volumes.size).to.be.greaterThan(0);
    expect(ec2Sim.leftovers()).to.deep.equal([]);
  });

  it("deletes every volume after SIGINT in the middle of the run (exit 130)", async () => {
    const clock = new VirtualClock();
    const signals = new EventEmitter();
    const { sim, ecs, ec2Sim } = simulatedEcs({ clock, script: () => starts(30_000) });
    ecs.on(RunTaskCommand).callsFake((input) => {
      const out = sim.runTask(input);
      if (sim.calls.RunTask === 2) signals.emit("SIGINT");
      return out;
    });
    const run = await runCli(["load", "workspaces", "--count", "100", "--concurrency", "1", "--json", "--no-metrics"], { clock, signals });
    expect(run.code).to.equal(130);
    expect(ec2Sim.volumes.size).to.equal(20);
    expect(ec2Sim.leftovers()).to.deep.equal([]);
    expect(run.report.data.volumes.cleanup).to.deep.include({ found: 20, leftBehind: [], failed: [] });
  });

  it("names a volume that never detached, exits 4 and prints the cleanup command", async () => {
    const clock = new VirtualClock();
    const { ec2Sim } = simulatedEcs({ clock, script: () => starts(2000) });
    // A volume of the run that EC2 never detaches (its instance hung).
    const stuck = ec2Sim.createVolume({ sizeGiB: 20, tags: { "remote-claude:stack": "staging", "remote-claude:drill-run": "load-stuck-1" }, fixed: { state: "in-use", instanceId: "i-0sim000000000001", attachTime: 0 } });
    const run = await runCli(["load", "workspaces", "--count", "2", "--json", "--no-metrics", "--volume-timeout", "1", "--run-id", "load-stuck-1"], { clock });
    expect(run.code).to.equal(4);
    expect(run.report.outcome).to.equal("error");
    expect(ec2Sim.leftovers()).to.deep.equal([stuck.id]);
    expect(run.report.tables.find((t: any) => t.title === "Volumes left").rows).to.deep.equal([[stuck.id, "in-use"]]);
    expect(run.report.checks.find((c: any) => c.name === "volumes left")).to.include({ observed: "1", result: "fail" });
    expect(run.report.notes.join("\n")).to.include("1 volumes of the run are left; run: npm run ops -- cleanup --run-id load-stuck-1");
  });
});
