// AWS FIS experiment templates for the failure drills. Each template: one fault, a blast radius
// bounded by COUNT(n) target selection (or a percentage parameter), the stack's user-impact
// alarms as stop conditions (FIS takes at most 5), and a role of its own that can do exactly
// that fault to exactly this stack's resources. Action ids, target keys and resource types come
// from the table of FIS actions (lib/fisActions.ts), checked against AWS's reference.
//
// Left out on purpose: the in-task faults (aws:ecs:task-cpu-stress, -kill-process, -network-*).
// They run through an SSM agent sidecar, need ECS Exec style access (enableFaultInjection,
// pidMode "task") and a task role for SSM; a workspace must have none of these.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FIS_ACTIONS, type FisActionId } from "../lib/fisActions";
import { type PolicyStatement, policyJson, serviceTrustPolicy } from "../lib/iam";
import type { Pool } from "../lib/names";
import { ecsArns } from "../lib/workloadIam";

type Str = pulumi.Input<string>;

/** FIS accepts at most this many stop conditions per template. */
export const MAX_STOP_CONDITIONS = 5;

export interface ChaosScope {
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly clusterArn: Str;
  readonly backendServiceName: string;
  readonly autoScalingGroups: Readonly<Record<Pool, string>>;
  /** Pools whose hosts run on Spot: they get a spot-interruption template. */
  readonly spotPools: readonly Pool[];
  readonly azCount: number;
  readonly database: { readonly arn: Str; readonly multiAz: boolean };
  readonly redis: { readonly arn: Str; readonly replicationGroupId: string; readonly multiAz: boolean; readonly availabilityZone: string };
}

interface ExperimentSpec {
  /** The drill name: the key of the fisTemplateIds stack output. */
  readonly drill: string;
  readonly description: string;
  readonly action: { readonly actionId: FisActionId; readonly parameters: Readonly<Record<string, string>>; readonly targetKey: string };
  readonly target: {
    readonly resourceType: string;
    readonly selectionMode: string;
    readonly resourceArns?: Str[];
    readonly resourceTags?: Readonly<Record<string, string>>;
    readonly filters?: Readonly<Record<string, string[]>>;
    readonly parameters?: Readonly<Record<string, string>>;
  };
  /** What the template's role may do, and nothing else. */
  readonly permissions: PolicyStatement[];
}

const TAG_LOOKUP: PolicyStatement = {
  // FIS resolves targets through the tagging API, which has no resource-level permissions.
  Sid: "ResolveTargets",
  Effect: "Allow",
  Action: "tag:GetResources",
  Resource: "*",
};

/** An action of the FIS table with its parameters; the target key is the one the action takes. */
function fisAction(actionId: FisActionId, parameters: Readonly<Record<string, string>> = {}): ExperimentSpec["action"] {
  return { actionId, parameters, targetKey: FIS_ACTIONS[actionId].target.key };
}

/** The resource type the action acts on. */
const targetOf = (actionId: FisActionId) => FIS_ACTIONS[actionId].target.resourceType;

/** Drain about one AZ's share of the hosts (FIS picks them; the action has no AZ filter). */
export function drainagePercentage(azCount: number): number {
  return Math.floor(100 / azCount);
}

export function experimentSpecs(s: ChaosScope): ExperimentSpec[] {
  const ecs = ecsArns(s);
  const onThisCluster = { ArnEquals: { "ecs:cluster": s.clusterArn } };
  const instancesOf = (pool: Pool) => ({
    resourceTags: { "aws:autoscaling:groupName": s.autoScalingGroups[pool] },
    filters: { "State.Name": ["running"] },
  });
  const taggedWithGroup = (pool: Pool) => ({ StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": s.autoScalingGroups[pool] } });
  const describeInstances: PolicyStatement = {
    // DescribeInstances has no resource-level permissions.
    Sid: "DescribeInstances",
    Effect: "Allow",
    Action: "ec2:DescribeInstances",
    Resource: "*",
  };
  const instanceArns = `arn:aws:ec2:${s.region}:${s.accountId}:instance/*`;

  const specs: ExperimentSpec[] = [
    {
      drill: "kill-backend-task",
      description: "Stop one running backend task; the service must replace it and the ALB keep serving.",
      action: fisAction("aws:ecs:stop-task"),
      target: { resourceType: targetOf("aws:ecs:stop-task"), selectionMode: "COUNT(1)", parameters: { cluster: s.clusterName, service: s.backendServiceName } },
      permissions: [
        { Sid: "StopTasksOnThisCluster", Effect: "Allow", Action: ["ecs:DescribeTasks", "ecs:StopTask"], Resource: ecs.tasks, Condition: onThisCluster },
        { Sid: "ListTasksOnThisCluster", Effect: "Allow", Action: "ecs:ListTasks", Resource: ecs.containerInstances, Condition: onThisCluster },
        TAG_LOOKUP,
      ],
    },
    {
      drill: "drain-az",
      description: `Drain ${drainagePercentage(s.azCount)}% of the cluster's container instances (one AZ's share) for 10 minutes; tasks must move and return.`,
      action: fisAction("aws:ecs:drain-container-instances", { drainagePercentage: String(drainagePercentage(s.azCount)), duration: "PT10M" }),
      target: { resourceType: targetOf("aws:ecs:drain-container-instances"), selectionMode: "COUNT(1)", resourceArns: [s.clusterArn] },
      permissions: [
        { Sid: "ReadThisCluster", Effect: "Allow", Action: ["ecs:DescribeClusters", "ecs:ListContainerInstances"], Resource: s.clusterArn },
        {
          Sid: "DrainInstancesOfThisCluster",
          Effect: "Allow",
          Action: "ecs:UpdateContainerInstancesState",
          Resource: ecs.containerInstances,
          Condition: onThisCluster,
        },
        TAG_LOOKUP,
      ],
    },
    ...(["backend", "workspace"] as const).map((pool): ExperimentSpec => ({
      drill: `terminate-${pool}-host`,
      description: `Terminate one running ${pool} host (Auto Scaling group ${s.autoScalingGroups[pool]}); the group and the capacity provider must replace it.`,
      action: fisAction("aws:ec2:terminate-instances"),
      target: { resourceType: targetOf("aws:ec2:terminate-instances"), selectionMode: "COUNT(1)", ...instancesOf(pool) },
      permissions: [
        { Sid: "TerminateHostsOfThisPool", Effect: "Allow", Action: "ec2:TerminateInstances", Resource: instanceArns, Condition: taggedWithGroup(pool) },
        describeInstances,
      ],
    })),
    ...s.spotPools.map((pool): ExperimentSpec => ({
      drill: `spot-interruption-${pool}`,
      description: `Send a Spot interruption notice (2 minutes) to one ${pool} Spot host; ECS must drain it in time.`,
      action: fisAction("aws:ec2:send-spot-instance-interruptions", { durationBeforeInterruption: "PT2M" }),
      target: { resourceType: targetOf("aws:ec2:send-spot-instance-interruptions"), selectionMode: "COUNT(1)", ...instancesOf(pool) },
      permissions: [
        {
          Sid: "InterruptSpotHostsOfThisPool",
          Effect: "Allow",
          Action: "ec2:SendSpotInstanceInterruptions",
          Resource: instanceArns,
          Condition: taggedWithGroup(pool),
        },
        describeInstances,
      ],
    })),
    {
      drill: "rds-failover",
      description: s.database.multiAz
        ? "Reboot the database with a forced failover to its standby in another AZ."
        : "Reboot the (single-AZ) database: connections drop for the length of a restart.",
      action: fisAction("aws:rds:reboot-db-instances", { forceFailover: String(s.database.multiAz) }),
      target: { resourceType: targetOf("aws:rds:reboot-db-instances"), selectionMode: "COUNT(1)", resourceArns: [s.database.arn] },
      permissions: [
        { Sid: "RebootThisDatabase", Effect: "Allow", Action: "rds:RebootDBInstance", Resource: s.database.arn },
        // DescribeDBInstances is read-only; FIS may list before it filters.
        { Sid: "DescribeDatabases", Effect: "Allow", Action: "rds:DescribeDBInstances", Resource: "*" },
        TAG_LOOKUP,
      ],
    },
  ];
  // Interrupting an AZ's power only means something with a replica in another AZ.
  if (s.redis.multiAz) {
    specs.push({
      drill: "redis-az-power",
      description: `Cut power to the Redis nodes in ${s.redis.availabilityZone} for 10 minutes; the replica must be promoted.`,
      action: fisAction("aws:elasticache:replicationgroup-interrupt-az-power", { duration: "PT10M" }),
      // This resource type is selected by tags only (no ARNs, no filters).
      target: {
        resourceType: targetOf("aws:elasticache:replicationgroup-interrupt-az-power"),
        selectionMode: "COUNT(1)",
        resourceTags: { Name: s.redis.replicationGroupId },
        parameters: { availabilityZoneIdentifier: s.redis.availabilityZone },
      },
      permissions: [
        { Sid: "InterruptThisReplicationGroup", Effect: "Allow", Action: "elasticache:InterruptClusterAzPower", Resource: s.redis.arn },
        { Sid: "DescribeReplicationGroups", Effect: "Allow", Action: "elasticache:DescribeReplicationGroups", Resource: "*" },
        TAG_LOOKUP,
      ],
    });
  }
  return specs;
}

export interface ChaosTemplatesArgs extends ChaosScope {
  /** Alarm ARNs that stop every experiment (at most MAX_STOP_CONDITIONS). */
  readonly stopAlarmArns: Str[];
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export class ChaosTemplates extends pulumi.ComponentResource {
  readonly templates: Readonly<Record<string, aws.fis.ExperimentTemplate>>;

  constructor(name: string, args: ChaosTemplatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:chaos:ChaosTemplates", name, {}, opts);
    if (args.stopAlarmArns.length < 1 || args.stopAlarmArns.length > MAX_STOP_CONDITIONS) {
      throw new Error(`FIS takes 1 to ${MAX_STOP_CONDITIONS} stop conditions per template, got ${args.stopAlarmArns.length}`);
    }
    const templates: Record<string, aws.fis.ExperimentTemplate> = {};
    for (const spec of experimentSpecs(args)) {
      const role = new aws.iam.Role(`${name}-${spec.drill}`, {
        name: `${args.prefix}-fis-${spec.drill}`.slice(0, 64),
        description: `FIS experiment ${spec.drill}: this fault on this stack only`,
        assumeRolePolicy: policyJson(serviceTrustPolicy("fis.amazonaws.com", args.accountId)),
        tags: args.tags,
      }, { parent: this });
      const policy = new aws.iam.RolePolicy(`${name}-${spec.drill}`, {
        role: role.id,
        name: `fis-${spec.drill}`,
        policy: policyJson({ Version: "2012-10-17", Statement: spec.permissions }),
      }, { parent: this });
      const targetName = spec.action.targetKey;
      templates[spec.drill] = new aws.fis.ExperimentTemplate(`${name}-${spec.drill}`, {
        description: spec.description,
        roleArn: role.arn,
        stopConditions: args.stopAlarmArns.map((value) => ({ source: "aws:cloudwatch:alarm", value })),
        actions: [{
          name: spec.drill,
          actionId: spec.action.actionId,
          parameters: Object.entries(spec.action.parameters).map(([key, value]) => ({ key, value })),
          target: { key: spec.action.targetKey, value: targetName },
        }],
        targets: [{
          name: targetName,
          resourceType: spec.target.resourceType,
          selectionMode: spec.target.selectionMode,
          resourceArns: spec.target.resourceArns,
          resourceTags: spec.target.resourceTags ? Object.entries(spec.target.resourceTags).map(([key, value]) => ({ key, value })) : undefined,
          filters: spec.target.filters ? Object.entries(spec.target.filters).map(([path, values]) => ({ path, values })) : undefined,
          parameters: spec.target.parameters,
        }],
        // An empty target set is a broken drill, not a pass.
        experimentOptions: { accountTargeting: "single-account", emptyTargetResolutionMode: "fail" },
        tags: { ...args.tags, Name: `${args.prefix}-${spec.drill}`, Drill: spec.drill },
      }, { parent: this, dependsOn: [policy] });
    }
    this.templates = templates;
    this.registerOutputs({ templateIds: Object.fromEntries(Object.entries(templates).map(([k, t]) => [k, t.id])) });
  }
}
