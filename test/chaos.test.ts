import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { IMPACT_ALARMS } from "../lib/alarmSpecs";
import { type ChaosScope, drainagePercentage, experimentSpecs, MAX_STOP_CONDITIONS } from "../components/chaos";
import { DEPRECATED_FIS_ACTIONS, FIS_ACTIONS, type FisActionId } from "../lib/fisActions";
import { platformNames } from "../lib/names";
import type { CapturedResource, StackGraph } from "../offline/graph";
import { spotPools } from "../platform/operations";
import { requireBotocore, serviceModel } from "./helpers/botocore";
import { resolveId } from "./helpers/graph";
import { buildStack, stackConfig, STACKS } from "./helpers/stacks";

const template = (g: StackGraph, drill: string) => g.one(aws.fis.ExperimentTemplate, `chaos-${drill}`);
const statementsOfRole = (g: StackGraph, t: CapturedResource) => {
  const role = resolveId(g, t.inputs.roleArn);
  const policies = g.ofType(aws.iam.RolePolicy).filter((p) => p.inputs.role === role.physicalId);
  expect(policies, `${t.name}'s role policies`).to.have.length(1);
  return JSON.parse(policies[0].inputs.policy).Statement as any[];
};
const actionsOf = (statements: any[]) => statements.flatMap((s) => [s.Action].flat()).sort();

for (const stack of STACKS) {
  describe(`FIS experiment templates (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });
    const names = platformNames(`remote-claude-${stack}`);
    // Staging runs its backend pool on Spot above the minimum (backendSpot), so it gets that pool's
    // Spot interruption drill; prod runs no Spot and gets the Redis AZ power drill instead.
    const drills = stack === "prod"
      ? ["kill-backend-task", "drain-az", "terminate-backend-host", "terminate-workspace-host", "rds-failover", "redis-az-power"]
      : ["kill-backend-task", "drain-az", "terminate-backend-host", "terminate-workspace-host", "spot-interruption-backend", "rds-failover"];

    it("has one template per drill, exported by drill name", () => {
      expect(Object.keys(g.outputs.fisTemplateIds)).to.deep.equal(drills);
      for (const drill of drills) expect(g.outputs.fisTemplateIds[drill]).to.equal(template(g, drill).physicalId);
      // The workspace pool has a warm pool, which AWS forbids with Spot: never a workspace Spot drill.
      expect(g.ofType(aws.fis.ExperimentTemplate).map((t) => t.name)).not.to.include.members(["chaos-spot-interruption-workspace"]);
    });

    it("stops every experiment on the user-impact alarms (at most 5), bounds targets by COUNT, fails on empty targets", () => {
      const impact = IMPACT_ALARMS.map((k) => g.one(aws.cloudwatch.MetricAlarm, `observability-${k}`).state.arn);
      for (const t of g.ofType(aws.fis.ExperimentTemplate)) {
        expect(t.inputs.stopConditions).to.have.length.within(1, MAX_STOP_CONDITIONS);
        expect(t.inputs.stopConditions).to.deep.equal(impact.map((value) => ({ source: "aws:cloudwatch:alarm", value })));
        expect(t.inputs.targets).to.have.length(1);
        expect(t.inputs.targets[0].selectionMode, t.name).to.match(/^COUNT\(1\)$/);
        expect(t.inputs.actions).to.have.length(1);
        // The action acts on the template's one target.
        expect(t.inputs.actions[0].target.value).to.equal(t.inputs.targets[0].name);
        expect(t.inputs.experimentOptions).to.deep.equal({ accountTargeting: "single-account", emptyTargetResolutionMode: "fail" });
        const trust = JSON.parse(resolveId(g, t.inputs.roleArn).inputs.assumeRolePolicy).Statement[0];
        expect(trust.Principal).to.deep.equal({ Service: "fis.amazonaws.com" });
        expect(trust.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
      }
    });

    it("kill-backend-task stops one task of the backend service and may stop nothing off this cluster", () => {
      const t = template(g, "kill-backend-task");
      expect(t.inputs.actions[0]).to.deep.include({ actionId: "aws:ecs:stop-task", target: { key: "Tasks", value: "Tasks" } });
      expect(t.inputs.targets[0]).to.deep.include({ resourceType: "aws:ecs:task", parameters: { cluster: names.cluster, service: names.backendService } });
      const s = statementsOfRole(g, t);
      expect(actionsOf(s)).to.deep.equal(["ecs:DescribeTasks", "ecs:ListTasks", "ecs:StopTask", "tag:GetResources"]);
      const stop = s.find((x) => [x.Action].flat().includes("ecs:StopTask"));
      expect(stop.Resource).to.equal(`arn:aws:ecs:ap-northeast-1:123456789012:task/${names.cluster}/*`);
      expect(stop.Condition).to.deep.equal({ ArnEquals: { "ecs:cluster": g.one(aws.ecs.Cluster).state.arn } });
    });

    it("drain-az drains about one AZ's share of this cluster's instances for 10 minutes", () => {
      const t = template(g, "drain-az");
      const azs = stackConfig(stack).azCount;
      expect(t.inputs.actions[0]).to.deep.include({ actionId: "aws:ecs:drain-container-instances", target: { key: "Clusters", value: "Clusters" } });
      expect(t.inputs.actions[0].parameters).to.deep.equal([
        { key: "drainagePercentage", value: String(drainagePercentage(azs)) },
        { key: "duration", value: "PT10M" },
      ]);
      expect(drainagePercentage(azs)).to.equal(azs === 3 ? 33 : 50);
      expect(t.inputs.targets[0]).to.deep.include({ resourceType: "aws:ecs:cluster", resourceArns: [g.one(aws.ecs.Cluster).state.arn] });
      const s = statementsOfRole(g, t);
      const drain = s.find((x) => x.Action === "ecs:UpdateContainerInstancesState");
      expect(drain.Resource).to.equal(`arn:aws:ecs:ap-northeast-1:123456789012:container-instance/${names.cluster}/*`);
      expect(drain.Condition).to.deep.equal({ ArnEquals: { "ecs:cluster": g.one(aws.ecs.Cluster).state.arn } });
    });

    for (const pool of ["backend", "workspace"] as const) {
      it(`terminate-${pool}-host terminates one running instance of the ${pool} Auto Scaling group, and only those`, () => {
        const t = template(g, `terminate-${pool}-host`);
        expect(t.inputs.actions[0].actionId).to.equal("aws:ec2:terminate-instances");
        expect(t.inputs.targets[0]).to.deep.include({
          resourceType: "aws:ec2:instance",
          resourceTags: [{ key: "aws:autoscaling:groupName", value: names.autoScalingGroup[pool] }],
          filters: [{ path: "State.Name", values: ["running"] }],
        });
        const s = statementsOfRole(g, t);
        const terminate = s.find((x) => x.Action === "ec2:TerminateInstances");
        expect(terminate.Resource).to.equal("arn:aws:ec2:ap-northeast-1:123456789012:instance/*");
        expect(terminate.Condition).to.deep.equal({ StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": names.autoScalingGroup[pool] } });
        expect(actionsOf(s)).to.deep.equal(["ec2:DescribeInstances", "ec2:TerminateInstances"]);
      });
    }

    it(`rds-failover reboots this database${stack === "prod" ? " with a forced failover" : " (no standby to fail over to)"}`, () => {
      const t = template(g, "rds-failover");
      const db = g.one(aws.rds.Instance);
      expect(t.inputs.actions[0]).to.deep.include({ actionId: "aws:rds:reboot-db-instances", parameters: [{ key: "forceFailover", value: String(stack === "prod") }] });
      expect(t.inputs.targets[0]).to.deep.include({ resourceType: "aws:rds:db", resourceArns: [db.state.arn] });
      const reboot = statementsOfRole(g, t).find((x) => x.Action === "rds:RebootDBInstance");
      expect(reboot.Resource).to.equal(db.state.arn);
    });

    if (stack === "prod") {
      it("redis-az-power cuts power to the primary's AZ of this replication group", () => {
        const t = template(g, "redis-az-power");
        const rg = g.one(aws.elasticache.ReplicationGroup);
        expect(t.inputs.actions[0]).to.deep.include({ actionId: "aws:elasticache:replicationgroup-interrupt-az-power", parameters: [{ key: "duration", value: "PT10M" }] });
        expect(t.inputs.targets[0]).to.deep.include({
          resourceType: "aws:elasticache:replicationgroup",
          resourceTags: [{ key: "Name", value: rg.inputs.replicationGroupId }],
          parameters: { availabilityZoneIdentifier: rg.inputs.preferredCacheClusterAzs[0] },
        });
        expect(rg.inputs.tags.Name).to.equal(rg.inputs.replicationGroupId);
        const interrupt = statementsOfRole(g, t).find((x) => x.Action === "elasticache:InterruptClusterAzPower");
        expect(interrupt.Resource).to.equal(rg.state.arn);
      });
    } else {
      it("has no Redis AZ-power template: a single node has no replica to promote", () => {
        expect(g.ofType(aws.fis.ExperimentTemplate).map((t) => t.name)).not.to.include("chaos-redis-az-power");
      });
    }

    it("leaves out the in-task aws:ecs:task-* faults (they need an SSM sidecar and exec access)", () => {
      for (const t of g.ofType(aws.fis.ExperimentTemplate)) expect(t.inputs.actions[0].actionId).not.to.match(/^aws:ecs:task-/);
    });
  });
}

describe("spot interruption drills", () => {
  const scope: ChaosScope = {
    prefix: "p",
    region: "ap-northeast-1",
    accountId: "123456789012",
    clusterName: "p",
    clusterArn: "arn:aws:ecs:ap-northeast-1:123456789012:cluster/p",
    backendServiceName: "p-backend",
    autoScalingGroups: { backend: "p-backend-hosts", workspace: "p-workspace-hosts" },
    spotPools: ["workspace"],
    azCount: 2,
    database: { arn: "arn:aws:rds:ap-northeast-1:123456789012:db:p-db", multiAz: false },
    redis: { arn: "arn:aws:elasticache:ap-northeast-1:123456789012:replicationgroup:p-redis", replicationGroupId: "p-redis", multiAz: false, availabilityZone: "ap-northeast-1a" },
  };

  it("a Spot pool gets a template that interrupts one of its Spot hosts with 2 minutes' notice", () => {
    const spot = experimentSpecs(scope).find((s) => s.drill === "spot-interruption-workspace")!;
    expect(spot.action).to.deep.equal({ actionId: "aws:ec2:send-spot-instance-interruptions", parameters: { durationBeforeInterruption: "PT2M" }, targetKey: "SpotInstances" });
    expect(spot.target).to.deep.equal({
      resourceType: "aws:ec2:spot-instance",
      selectionMode: "COUNT(1)",
      resourceTags: { "aws:autoscaling:groupName": "p-workspace-hosts" },
      filters: { "State.Name": ["running"] },
    });
    expect(spot.permissions[0]).to.deep.include({
      Action: "ec2:SendSpotInstanceInterruptions",
      Condition: { StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": "p-workspace-hosts" } },
    });
    expect(experimentSpecs(scope).map((s) => s.drill)).not.to.include("spot-interruption-backend");
  });

  it("the Spot flags come from the hosts' config keys (backendSpot, workspaceSpot)", () => {
    const cfg = stackConfig("staging");
    expect(spotPools(cfg)).to.deep.equal(["backend"]);
    expect(spotPools({ ...cfg, backendSpot: false } as typeof cfg)).to.deep.equal([]);
    expect(spotPools({ ...cfg, backendSpot: false, workspaceSpot: true } as typeof cfg)).to.deep.equal(["workspace"]);
    expect(spotPools({ ...cfg, backendSpot: true, workspaceSpot: true } as typeof cfg)).to.deep.equal(["backend", "workspace"]);
  });
});

// Every template against the one table of FIS actions (lib/fisActions.ts), which records AWS's
// FIS actions reference (botocore has no list of FIS actions), and against FIS's API model in
// botocore for what it does define: lengths, the target parameter value pattern, the options' enums.
describe("FIS templates against the table of FIS actions", () => {
  const graphs = async () => [await buildStack("staging"), await buildStack("prod"), await buildStack("staging", { workspaceSpot: true, workspaceWarmPoolSize: 0 })];

  it("uses only tabled, current action ids, each on its target key and resource type, with its parameters", async () => {
    const seen = new Set<string>();
    for (const g of await graphs()) {
      for (const t of g.ofType(aws.fis.ExperimentTemplate)) {
        const [action] = t.inputs.actions;
        const [target] = t.inputs.targets;
        expect(DEPRECATED_FIS_ACTIONS, t.name).to.not.have.property(action.actionId);
        expect(FIS_ACTIONS, t.name).to.have.property(action.actionId);
        const spec = FIS_ACTIONS[action.actionId as FisActionId];
        seen.add(action.actionId);
        expect(action.target.key, t.name).to.equal(spec.target.key);
        expect(target.resourceType, t.name).to.equal(spec.target.resourceType);
        const given = Object.fromEntries((action.parameters ?? []).map((p: { key: string; value: string }) => [p.key, p.value]));
        for (const [name, p] of Object.entries(spec.parameters as Record<string, { required: boolean; check: (v: string) => string | undefined }>)) {
          if (p.required) expect(given, `${t.name} sets ${name}`).to.have.property(name);
          if (name in given) expect(p.check(given[name]), `${t.name} ${name}=${given[name]}`).to.equal(undefined);
        }
        for (const name of Object.keys(given)) expect(spec.parameters, `${t.name}: ${action.actionId} takes ${name}`).to.have.property(name);
        const targetParameters = target.parameters ?? {};
        for (const [name, p] of Object.entries(spec.target.parameters as Record<string, { required: boolean }>)) {
          if (p.required) expect(targetParameters, `${t.name} target sets ${name}`).to.have.property(name);
        }
        for (const name of Object.keys(targetParameters)) expect(spec.target.parameters, `${t.name}: ${spec.target.resourceType} takes ${name}`).to.have.property(name);
        // The template's role may do what the reference says the action needs.
        const granted = actionsOf(statementsOfRole(g, t));
        expect(granted, t.name).to.include.members([...spec.permissions]);
      }
    }
    // Every tabled action is used by some template: the table holds nothing else.
    expect([...seen].sort()).to.deep.equal(Object.keys(FIS_ACTIONS).sort());
  });

  it("the ElastiCache AZ power interruption runs as aws:elasticache:replicationgroup-interrupt-az-power, not the deprecated id", async () => {
    const t = template(await buildStack("prod"), "redis-az-power");
    expect(t.inputs.actions[0].actionId).to.equal("aws:elasticache:replicationgroup-interrupt-az-power");
    expect(DEPRECATED_FIS_ACTIONS["aws:elasticache:interrupt-cluster-az-power"]).to.equal(t.inputs.actions[0].actionId);
  });

  it("fits FIS's CreateExperimentTemplate model (botocore)", async function () {
    const shapes = serviceModel(requireBotocore(this), "fis").shapes;
    const fits = (shape: string, value: string) => {
      const s = shapes[shape];
      if (s.max !== undefined) expect(value.length, `${shape} ${value}`).to.be.at.most(s.max);
      if (s.min !== undefined) expect(value.length, `${shape} ${value}`).to.be.at.least(s.min);
      if (s.pattern) expect(new RegExp(s.pattern, "u").test(value), `${shape} ${value} ~ ${s.pattern}`).to.equal(true);
      if (s.enum) expect(s.enum, shape).to.include(value);
    };
    expect(shapes.CreateExperimentTemplateActionInput.members.actionId.shape).to.equal("ActionId");
    for (const g of await graphs()) {
      for (const t of g.ofType(aws.fis.ExperimentTemplate)) {
        const [action] = t.inputs.actions;
        const [target] = t.inputs.targets;
        fits("ActionId", action.actionId);
        fits("TargetResourceTypeId", target.resourceType);
        fits("ExperimentTemplateTargetSelectionMode", target.selectionMode);
        for (const p of action.parameters ?? []) {
          fits("ExperimentTemplateActionParameterName", p.key);
          fits("ExperimentTemplateActionParameter", p.value);
        }
        for (const [k, v] of Object.entries(target.parameters ?? {})) {
          fits("ExperimentTemplateTargetParameterName", k);
          fits("ExperimentTemplateTargetParameterValue", String(v));
        }
        fits("AccountTargeting", t.inputs.experimentOptions.accountTargeting);
        fits("EmptyTargetResolutionMode", t.inputs.experimentOptions.emptyTargetResolutionMode);
      }
    }
  });
});
