// The AWS FIS actions the failure drills use (components/chaos.ts), in one table: each action's id,
// the target key and resource type it acts on, its parameters, the target's resource parameters
// and the IAM actions FIS needs for it. botocore's FIS model has no list of actions, so this table
// is the reference the templates are tested against.
//
// Source, checked 2026-12-05: AWS FIS User Guide, "AWS FIS Actions reference" and "Targets for
// AWS FIS" (docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html, targets.html),
// cross-checked with AWS's own experiment templates, aws-samples/fis-template-library at
// 4119aa77bc9d (2026-07-21): ecs-fargate-az-impairment (aws:ecs:stop-task, Tasks, aws:ecs:task),
// ec2-instances-terminate, ec2-spot-interruption (durationBeforeInterruption),
// mysql-rds-loadtest-failover (forceFailover) and elasticache-az-power-interruption
// (aws:elasticache:replicationgroup-interrupt-az-power, ReplicationGroups, target parameter
// availabilityZoneIdentifier, duration; its IAM policy: elasticache:InterruptClusterAzPower,
// elasticache:DescribeReplicationGroups, tag:GetResources). That is the ElastiCache action's
// current id; aws:elasticache:interrupt-cluster-az-power is its deprecated predecessor.

/** A parameter value check: the reason it is wrong, or undefined. */
type Check = (value: string) => string | undefined;

interface FisActionSpec {
  /** The key the action's `targets` map uses, and the resource type that target must have. */
  readonly target: {
    readonly key: string;
    readonly resourceType: string;
    /** Resource parameters a target of this type takes (FIS "Targets": resource parameters). */
    readonly parameters: Readonly<Record<string, { readonly required: boolean }>>;
  };
  readonly parameters: Readonly<Record<string, { readonly required: boolean; readonly check: Check }>>;
  /** What the experiment role needs (the reference's "Permissions"). */
  readonly permissions: readonly string[];
}

/** ISO 8601 durations as FIS takes them (PT10M, PT1H30M). */
const ISO_DURATION = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/;

function isoSeconds(value: string): number | undefined {
  const m = ISO_DURATION.exec(value);
  if (!m || value === "PT") return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const duration = (minSeconds: number, maxSeconds: number): Check => (value) => {
  const s = isoSeconds(value);
  if (s === undefined) return "is not an ISO 8601 duration such as PT10M";
  return s < minSeconds || s > maxSeconds ? `is outside ${minSeconds}–${maxSeconds} seconds` : undefined;
};
const percent: Check = (value) => (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 100 ? undefined : "is not a percentage from 1 to 100");
const bool: Check = (value) => (value === "true" || value === "false" ? undefined : 'is not "true" or "false"');

const MINUTE = 60;
const HOURS_12 = 12 * 3600;

export const FIS_ACTIONS = {
  "aws:ecs:stop-task": {
    target: { key: "Tasks", resourceType: "aws:ecs:task", parameters: { cluster: { required: false }, service: { required: false } } },
    parameters: {},
    permissions: ["ecs:DescribeTasks", "ecs:ListTasks", "ecs:StopTask", "tag:GetResources"],
  },
  "aws:ecs:drain-container-instances": {
    target: { key: "Clusters", resourceType: "aws:ecs:cluster", parameters: {} },
    parameters: {
      drainagePercentage: { required: true, check: percent },
      duration: { required: true, check: duration(MINUTE, HOURS_12) },
    },
    permissions: ["ecs:DescribeClusters", "ecs:UpdateContainerInstancesState", "ecs:ListContainerInstances", "tag:GetResources"],
  },
  "aws:ec2:terminate-instances": {
    target: { key: "Instances", resourceType: "aws:ec2:instance", parameters: {} },
    parameters: {},
    permissions: ["ec2:TerminateInstances", "ec2:DescribeInstances"],
  },
  "aws:ec2:send-spot-instance-interruptions": {
    target: { key: "SpotInstances", resourceType: "aws:ec2:spot-instance", parameters: {} },
    // The notice comes 2 to 15 minutes before the interruption.
    parameters: { durationBeforeInterruption: { required: true, check: duration(2 * MINUTE, 15 * MINUTE) } },
    permissions: ["ec2:SendSpotInstanceInterruptions", "ec2:DescribeInstances"],
  },
  "aws:rds:reboot-db-instances": {
    target: { key: "DBInstances", resourceType: "aws:rds:db", parameters: {} },
    parameters: { forceFailover: { required: false, check: bool } },
    permissions: ["rds:RebootDBInstance", "rds:DescribeDBInstances", "tag:GetResources"],
  },
  "aws:elasticache:replicationgroup-interrupt-az-power": {
    target: { key: "ReplicationGroups", resourceType: "aws:elasticache:replicationgroup", parameters: { availabilityZoneIdentifier: { required: true } } },
    parameters: { duration: { required: true, check: duration(MINUTE, HOURS_12) } },
    permissions: ["elasticache:InterruptClusterAzPower", "elasticache:DescribeReplicationGroups", "tag:GetResources"],
  },
} as const satisfies Readonly<Record<string, FisActionSpec>>;

export type FisActionId = keyof typeof FIS_ACTIONS;

/** Action ids AWS has replaced: a template must not use them. */
export const DEPRECATED_FIS_ACTIONS: Readonly<Record<string, FisActionId>> = {
  "aws:elasticache:interrupt-cluster-az-power": "aws:elasticache:replicationgroup-interrupt-az-power",
};
