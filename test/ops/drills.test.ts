import { AutoScalingClient, DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateContainerInstancesStateCommand,
} from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeReplicationGroupsCommand, ElastiCacheClient, TestFailoverCommand } from "@aws-sdk/client-elasticache";
import { FisClient, GetExperimentCommand, GetExperimentTemplateCommand, StartExperimentCommand, StopExperimentCommand } from "@aws-sdk/client-fis";
import { DescribeDBInstancesCommand, RDSClient, RebootDBInstanceCommand } from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { type LooseStub, mockIdentity, mockLooseClient, runCli, sentCommands } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const o = stackOutputs();
const TASK = (id: string) => `arn:aws:ecs:ap-northeast-1:123456789012:task/${o.clusterName}/${id}`;
const CI = (id: string) => `arn:aws:ecs:ap-northeast-1:123456789012:container-instance/${o.clusterName}/${id}`;

/**
 * A stack whose backend degrades when `disturb()` is called and heals `healAfter` ms later:
 * the service runs desired-1 and one target is unhealthy meanwhile; one alarm fires.
 */
class StackScript {
  disturbedAt: number | undefined;
  constructor(readonly clock: VirtualClock, readonly healAfter: number, readonly desired = 2) {}
  disturb(): void {
    this.disturbedAt ??= this.clock.now();
  }
  get degraded(): boolean {
    return this.disturbedAt !== undefined && this.clock.now() - this.disturbedAt < this.healAfter;
  }
}

function mockSteadyState(script: StackScript) {
  const ecs = mockClient(ECSClient);
  const elb = mockClient(ElasticLoadBalancingV2Client);
  const cw = mockClient(CloudWatchClient);
  ecs.on(DescribeServicesCommand).callsFake(() => ({
    services: [{ serviceName: o.backendServiceName, status: "ACTIVE", desiredCount: script.desired, runningCount: script.degraded ? script.desired - 1 : script.desired, pendingCount: 0, deployments: [{}] }],
    failures: [],
  }));
  elb.on(DescribeTargetHealthCommand).callsFake(() => ({
    TargetHealthDescriptions: Array.from({ length: script.desired }, (_, i) => ({
      Target: { Id: `10.20.1.${i + 10}` },
      TargetHealth: { State: script.degraded && i === 0 ? "unhealthy" : "healthy" },
    })),
  }));
  cw.on(DescribeAlarmsCommand).callsFake(() => ({ MetricAlarms: script.degraded ? [{ AlarmName: o.alarmNames[1], StateValue: "ALARM" }] : [] }));
  cw.on(DescribeAlarmHistoryCommand).callsFake(() => ({
    AlarmHistoryItems: script.disturbedAt === undefined ? [] : [
      { AlarmName: o.alarmNames[1], Timestamp: new Date(script.disturbedAt + 60_000), HistorySummary: "Alarm updated from OK to ALARM" },
      { AlarmName: o.alarmNames[1], Timestamp: new Date(script.disturbedAt + script.healAfter), HistorySummary: "Alarm updated from ALARM to OK" },
      { AlarmName: "someone-elses-alarm", Timestamp: new Date(script.disturbedAt), HistorySummary: "ignored" },
    ],
  }));
  cw.on(PutMetricDataCommand).resolves({});
  return { ecs, elb, cw };
}

const MUTATING = ["StopTask", "UpdateContainerInstancesState", "TagResource", "UntagResource", "TerminateInstanceInAutoScalingGroup", "TestFailover", "RebootDBInstance", "StartExperiment", "StopExperiment", "RunTask"];

function instances(list: { id: string; az: string; pool: string; tasks: number }[]) {
  return list.map((i) => ({
    containerInstanceArn: CI(i.id),
    ec2InstanceId: `i-${i.id}`,
    status: "ACTIVE",
    runningTasksCount: i.tasks,
    attributes: [{ name: "ecs.availability-zone", value: i.az }, { name: "remote-claude.pool", value: i.pool }],
  }));
}

describe("ops drill", () => {
  let sts: ReturnType<typeof mockIdentity>;
  let mocks: ReturnType<typeof mockSteadyState>;
  let clock: VirtualClock;
  let script: StackScript;
  beforeEach(() => {
    sts = mockIdentity();
    clock = new VirtualClock();
    script = new StackScript(clock, 95_000);
    mocks = mockSteadyState(script);
  });
  afterEach(() => {
    sts.restore();
    mockClient(ECSClient).restore();
    mocks.elb.restore();
    mocks.cw.restore();
  });

  describe("kill-backend-task", () => {
    beforeEach(() => {
      mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [TASK("bbb"), TASK("aaa")] });
      mocks.ecs.on(StopTaskCommand).callsFake(() => {
        script.disturb();
        return {};
      });
      mocks.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK("aaa"), lastStatus: "STOPPED" }] });
    });

    it("checks steady state, stops one task, measures time to recover and reports the alarms that fired", async () => {
      const run = await runCli(["drill", "kill-backend-task", "--json", "--slo", "120", "--poll-interval", "10"], { clock });
      expect(run.code, run.stderr).to.equal(0);
      expect(mocks.ecs.commandCalls(StopTaskCommand)[0].args[0].input).to.include({ cluster: o.clusterName, task: TASK("aaa") });
      // Degraded for 95 s, polled every 10 s: first good poll at 100 s, confirmed at 110 s.
      expect(run.report.data.timeToRecoverSeconds).to.equal(100);
      expect(run.report.checks.find((c: any) => c.name === "time to recover")).to.include({ expected: "<= 120 s", observed: "100.0 s", result: "pass" });
      const alarms = run.report.tables.find((t: any) => t.title === "Alarms during the drill");
      expect(alarms.rows.map((r: any) => r[0])).to.deep.equal([o.alarmNames[1], o.alarmNames[1]]);
      expect(run.report.data.alarms.seenInAlarm).to.have.property(o.alarmNames[1]);
      const timeline = run.report.tables.find((t: any) => t.title.startsWith("Timeline"));
      expect(timeline.rows[0][1]).to.include(`service ${o.backendServiceName} runs 1/2`);
      expect(run.report.runId).to.match(/^drill-kill-\d{8}T\d{6}-beef$/);
    });

    it("fails the SLO when recovery is slower", async () => {
      const run = await runCli(["drill", "kill-backend-task", "--json", "--slo", "60", "--no-metrics"], { clock });
      expect(run.code).to.equal(1);
      expect(run.report.outcome).to.equal("fail");
    });

    it("refuses to inject when the stack is not in steady state (exit 3)", async () => {
      mocks.cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: o.alarmNames[0], StateValue: "ALARM" }] });
      const run = await runCli(["drill", "kill-backend-task"], { clock });
      expect(run.code).to.equal(3);
      expect(run.stderr).to.equal(`ops: drill kill-backend-task: stack "staging" is not in steady state, nothing injected: alarms in ALARM: ${o.alarmNames[0]}\n`);
      expect(sentCommands(mocks.ecs).filter((c) => MUTATING.includes(c))).to.deep.equal([]);
    });

    it("injects nothing when Ctrl-C comes during the steady-state check", async () => {
      const signals = new EventEmitter();
      mocks.cw.on(DescribeAlarmsCommand).callsFake(() => {
        signals.emit("SIGINT");
        return { MetricAlarms: [] };
      });
      const run = await runCli(["drill", "kill-backend-task", "--json", "--no-metrics"], { clock, signals });
      expect(run.code).to.equal(130);
      expect(run.report.summary).to.include("Interrupted before the injection: nothing was changed.");
      expect(sentCommands(mocks.ecs).filter((c) => MUTATING.includes(c))).to.deep.equal([]);
    });

    it("--dry-run checks steady state and prints the plan, changing nothing", async () => {
      const run = await runCli(["drill", "kill-backend-task", "--dry-run", "--json"], { clock });
      expect(run.code).to.equal(0);
      expect(run.report.outcome).to.equal("dry-run");
      expect(run.report.summary.join("\n")).to.include("Would: stop backend task aaa");
      expect(sentCommands(mocks.ecs).filter((c) => MUTATING.includes(c))).to.deep.equal([]);
      expect(mocks.cw.commandCalls(PutMetricDataCommand)).to.have.length(0);
    });

    it("needs --confirm-prod on prod", async () => {
      const run = await runCli(["drill", "kill-backend-task"], { clock, outputs: stackOutputs("prod") });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include("drill kill-backend-task injects a failure; rerun with --confirm-prod");
      expect(mocks.ecs.calls()).to.have.length(0);
    });
  });

  describe("drain-instance", () => {
    beforeEach(() => {
      mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [CI("one"), CI("two")] });
      mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: instances([
        { id: "one", az: "ap-northeast-1a", pool: "backend", tasks: 1 },
        { id: "two", az: "ap-northeast-1c", pool: "backend", tasks: 3 },
      ]) });
      mocks.ecs.on(TagResourceCommand).resolves({});
      mocks.ecs.on(UntagResourceCommand).resolves({});
      mocks.ecs.on(UpdateContainerInstancesStateCommand).callsFake((input) => {
        if (input.status === "DRAINING") script.disturb();
        return { failures: [] };
      });
      mocks.ecs.on(ListTasksCommand).callsFake(() => ({ taskArns: script.degraded ? [TASK("moving")] : [] }));
    });

    it("drains the busiest instance of the pool (tagged with the run id) and sets it ACTIVE again", async () => {
      const run = await runCli(["drill", "drain-instance", "--json", "--no-metrics"], { clock });
      expect(run.code, run.stderr).to.equal(0);
      const states = mocks.ecs.commandCalls(UpdateContainerInstancesStateCommand).map((c) => [c.args[0].input.containerInstances, c.args[0].input.status]);
      expect(states).to.deep.equal([[[CI("two")], "DRAINING"], [[CI("two")], "ACTIVE"]]);
      expect(mocks.ecs.commandCalls(TagResourceCommand)[0].args[0].input.tags).to.deep.equal([{ key: "remote-claude:drill-run", value: run.report.runId }]);
      expect(mocks.ecs.commandCalls(UntagResourceCommand)).to.have.length(1);
      expect(mocks.ecs.commandCalls(ListContainerInstancesCommand)[0].args[0].input).to.include({ filter: "attribute:remote-claude.pool == backend", status: "ACTIVE" });
      expect(run.report.checks.find((c: any) => c.name === "rolled back")).to.include({ result: "pass" });
    });

    it("rolls back on Ctrl-C in the middle of observing, exit 130", async () => {
      const signals = new EventEmitter();
      let polls = 0;
      mocks.ecs.on(DescribeServicesCommand).callsFake(() => {
        if (++polls === 3) signals.emit("SIGINT");
        return { services: [{ serviceName: o.backendServiceName, status: "ACTIVE", desiredCount: 2, runningCount: polls > 1 ? 1 : 2, pendingCount: 0, deployments: [{}] }] };
      });
      const run = await runCli(["drill", "drain-instance", "--json", "--no-metrics"], { clock, signals });
      expect(run.code).to.equal(130);
      expect(run.report.outcome).to.equal("interrupted");
      const statuses = mocks.ecs.commandCalls(UpdateContainerInstancesStateCommand).map((c) => c.args[0].input.status);
      expect(statuses).to.deep.equal(["DRAINING", "ACTIVE"]);
    });

    it("times out, still rolls back, and fails", async () => {
      script = new StackScript(clock, 10 * 3600_000);
      mocks.cw.restore();
      mockClient(ECSClient).restore();
      mocks.elb.restore();
      mocks = mockSteadyState(script);
      mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [CI("one"), CI("two")] });
      mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: instances([{ id: "one", az: "a", pool: "backend", tasks: 1 }, { id: "two", az: "c", pool: "backend", tasks: 3 }]) });
      mocks.ecs.on(TagResourceCommand).resolves({});
      mocks.ecs.on(UntagResourceCommand).resolves({});
      mocks.ecs.on(UpdateContainerInstancesStateCommand).callsFake((input) => {
        if (input.status === "DRAINING") script.disturb();
        return { failures: [] };
      });
      mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
      const run = await runCli(["drill", "drain-instance", "--json", "--no-metrics", "--timeout", "300"], { clock });
      expect(run.code).to.equal(1);
      expect(run.report.summary.join("\n")).to.include("Not recovered within 300 s");
      expect(mocks.ecs.commandCalls(UpdateContainerInstancesStateCommand).map((c) => c.args[0].input.status)).to.deep.equal(["DRAINING", "ACTIVE"]);
    });

    it("exits 4 and names what is left when the rollback fails", async () => {
      mocks.ecs.on(UpdateContainerInstancesStateCommand).callsFake((input) => {
        if (input.status === "DRAINING") {
          script.disturb();
          return { failures: [] };
        }
        throw Object.assign(new Error("denied"), { name: "AccessDeniedException" });
      });
      const run = await runCli(["drill", "drain-instance", "--json", "--no-metrics"], { clock });
      expect(run.code).to.equal(4);
      expect(run.report.notes.join("\n")).to.match(/rollback failed \(AccessDeniedException: denied\); still to undo: set i-two ACTIVE; run: npm run ops -- cleanup --run-id drill-drain-\d{8}T\d{6}-beef /);
    });

    it("refuses a pool with one instance", async () => {
      mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: instances([{ id: "one", az: "a", pool: "backend", tasks: 1 }]) });
      const run = await runCli(["drill", "drain-instance"], { clock });
      expect(run.code).to.equal(3);
      expect(run.stderr).to.include("only 1 ACTIVE container instance");
    });
  });

  it("az-outage drains every instance of the AZ in batches of 10 and reactivates them", async () => {
    const list = Array.from({ length: 12 }, (_, i) => ({ id: `a${i}`, az: "ap-northeast-1a", pool: i % 2 ? "backend" : "workspace", tasks: 2 }))
      .concat([{ id: "c1", az: "ap-northeast-1c", pool: "backend", tasks: 2 }, { id: "c2", az: "ap-northeast-1c", pool: "workspace", tasks: 2 }]);
    mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: list.map((i) => CI(i.id)) });
    mocks.ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: instances(list) });
    mocks.ecs.on(TagResourceCommand).resolves({});
    mocks.ecs.on(UntagResourceCommand).resolves({});
    mocks.ecs.on(UpdateContainerInstancesStateCommand).callsFake(() => {
      script.disturb();
      return { failures: [] };
    });
    mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const run = await runCli(["drill", "az-outage", "--json", "--no-metrics"], { clock });
    expect(run.code, run.stderr).to.equal(0);
    const calls = mocks.ecs.commandCalls(UpdateContainerInstancesStateCommand).map((c) => [c.args[0].input.status, c.args[0].input.containerInstances!.length]);
    expect(calls).to.deep.equal([["DRAINING", 10], ["DRAINING", 2], ["ACTIVE", 10], ["ACTIVE", 2]]);
    expect(run.report.data.details.availabilityZone).to.equal("ap-northeast-1a");
  });

  it("terminate-instance terminates through the ASG keeping desired capacity and waits for the replacement", async () => {
    const asg = mockClient(AutoScalingClient);
    let replaced = false;
    asg.on(DescribeAutoScalingGroupsCommand).callsFake(() => ({
      AutoScalingGroups: [{ AutoScalingGroupName: o.backendAutoScalingGroup, DesiredCapacity: 2, Instances: [
        { InstanceId: "i-one", LifecycleState: "InService", HealthStatus: "Healthy" },
        replaced ? { InstanceId: "i-three", LifecycleState: "InService", HealthStatus: "Healthy" } : { InstanceId: "i-two", LifecycleState: "InService", HealthStatus: "Healthy" },
      ] }],
    }));
    asg.on(TerminateInstanceInAutoScalingGroupCommand).callsFake(() => {
      script.disturb();
      clock.sleep(40_000).then(() => {
        replaced = true;
      });
      return {};
    });
    mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [CI("one"), CI("two")] });
    mocks.ecs.on(DescribeContainerInstancesCommand).callsFake(() => ({ containerInstances: instances(replaced
      ? [{ id: "one", az: "a", pool: "backend", tasks: 1 }, { id: "three", az: "c", pool: "backend", tasks: 1 }]
      : [{ id: "one", az: "a", pool: "backend", tasks: 1 }, { id: "two", az: "c", pool: "backend", tasks: 3 }]) }));
    const run = await runCli(["drill", "terminate-instance", "--json", "--no-metrics"], { clock });
    asg.restore();
    expect(run.code, run.stderr).to.equal(0);
    expect(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand)[0].args[0].input).to.deep.equal({ InstanceId: "i-two", ShouldDecrementDesiredCapacity: false });
    expect(run.report.summary.join("\n")).to.include("nothing to undo");
  });

  it("redis-failover refuses a group without automatic failover (staging), nothing changed", async () => {
    const ec = mockClient(ElastiCacheClient);
    ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [{ ReplicationGroupId: o.redisReplicationGroupId, AutomaticFailover: "disabled", Status: "available" }] });
    const run = await runCli(["drill", "redis-failover"], { clock });
    ec.restore();
    expect(run.code).to.equal(3);
    expect(run.stderr).to.include("automatic failover disabled: no replica to fail over to");
    expect(ec.commandCalls(TestFailoverCommand)).to.have.length(0);
  });

  it("redis-failover recovers when the primary moved and the group is available", async () => {
    const ec = mockClient(ElastiCacheClient);
    let failedOver = false;
    ec.on(DescribeReplicationGroupsCommand).callsFake(() => ({ ReplicationGroups: [{
      ReplicationGroupId: o.redisReplicationGroupId, AutomaticFailover: "enabled", Status: script.degraded ? "modifying" : "available",
      NodeGroups: [{ NodeGroupId: "0001", NodeGroupMembers: [
        { CacheClusterId: "r-001", CurrentRole: failedOver ? "replica" : "primary" },
        { CacheClusterId: "r-002", CurrentRole: failedOver ? "primary" : "replica" },
      ] }],
    }] }));
    ec.on(TestFailoverCommand).callsFake(() => {
      failedOver = true;
      script.disturb();
      return {};
    });
    const run = await runCli(["drill", "redis-failover", "--json", "--no-metrics"], { clock });
    ec.restore();
    expect(run.code, run.stderr).to.equal(0);
    expect(run.report.data.details).to.include({ oldPrimary: "r-001", newPrimary: "r-002", nodeGroupId: "0001" });
  });

  it("rds-failover reboots with forced failover and waits for the other AZ", async () => {
    const rds = mockClient(RDSClient);
    let rebooted = false;
    rds.on(DescribeDBInstancesCommand).callsFake(() => ({ DBInstances: [{
      DBInstanceIdentifier: o.dbInstanceIdentifier, MultiAZ: true, DBInstanceStatus: script.degraded ? "rebooting" : "available",
      AvailabilityZone: rebooted ? "ap-northeast-1c" : "ap-northeast-1a", SecondaryAvailabilityZone: rebooted ? "ap-northeast-1a" : "ap-northeast-1c",
    }] }));
    rds.on(RebootDBInstanceCommand).callsFake(() => {
      rebooted = true;
      script.disturb();
      return {};
    });
    const run = await runCli(["drill", "rds-failover", "--json", "--no-metrics"], { clock });
    rds.restore();
    expect(run.code, run.stderr).to.equal(0);
    expect(rds.commandCalls(RebootDBInstanceCommand)[0].args[0].input).to.deep.equal({ DBInstanceIdentifier: o.dbInstanceIdentifier, ForceFailover: true });
    expect(run.report.data.details).to.include({ oldAz: "ap-northeast-1a", newAz: "ap-northeast-1c" });
  });

  describe("fis", () => {
    let fis: LooseStub;
    let status: string;
    beforeEach(() => {
      fis = mockLooseClient(FisClient);
      status = "pending";
      fis.on(GetExperimentTemplateCommand).resolves({ experimentTemplate: { id: "EXTkill123", description: "stop one backend task", actions: { stop: { actionId: "aws:ecs:stop-task" } }, stopConditions: [{ source: "aws:cloudwatch:alarm", value: "arn:alarm" }] } });
      fis.on(StartExperimentCommand).callsFake(() => {
        status = "running";
        script.disturb();
        clock.sleep(50_000).then(() => {
          if (status === "running") status = "completed";
        });
        return { experiment: { id: "EXPabc", state: { status: "initiating" } } };
      });
      fis.on(GetExperimentCommand).callsFake(() => ({ experiment: { id: "EXPabc", state: { status, reason: status === "stopped" ? "stop condition alarm" : undefined } } }));
      fis.on(StopExperimentCommand).callsFake(() => {
        status = "stopped";
        return {};
      });
    });
    afterEach(() => fis.restore());

    it("starts the template from fisTemplateIds with the run tags, follows it to completion", async () => {
      const run = await runCli(["drill", "fis", "kill-backend-task", "--json", "--no-metrics"], { clock });
      expect(run.code, run.stderr).to.equal(0);
      const start = fis.commandCalls(StartExperimentCommand)[0].args[0].input;
      expect(start).to.deep.include({ experimentTemplateId: "EXTkill123", clientToken: run.report.runId });
      expect(start.tags).to.deep.equal({ "remote-claude:drill-run": run.report.runId, "remote-claude:drill": "fis" });
      expect(run.report.checks.find((c: any) => c.name === "experiment state")).to.include({ observed: "completed", result: "pass" });
      expect(fis.commandCalls(StopExperimentCommand)).to.have.length(0);
    });

    it("stops the experiment when interrupted", async () => {
      const signals = new EventEmitter();
      fis.on(GetExperimentCommand).callsFake(() => {
        signals.emit("SIGINT");
        return { experiment: { id: "EXPabc", state: { status } } };
      });
      const run = await runCli(["drill", "fis", "EXTkill123", "--json", "--no-metrics"], { clock, signals });
      expect(run.code).to.equal(130);
      expect(fis.commandCalls(StopExperimentCommand)).to.have.length(1);
    });

    it("names the stack's templates for an unknown one (exit 2)", async () => {
      const run = await runCli(["drill", "fis", "nope"], { clock });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include('no FIS template "nope" in output fisTemplateIds; the stack has: drain-az, kill-backend-task');
      expect(fis.calls()).to.have.length(0);
    });
  });
});
