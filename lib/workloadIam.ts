// IAM documents of the backend and the workspace, as typed objects: the roles use them and the
// tests read them back. Every statement names its resources; the only "*" resources are actions
// that have no resource-level permissions (ecr:GetAuthorizationToken, cloudwatch:PutMetricData,
// ELB Describe*), each said so where it appears.
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument, PolicyStatement } from "./iam";

type Arn = pulumi.Input<string>;

export const ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com";
/** The ECS service principal: infrastructure roles (blue/green, workspace volumes) are passed to it. */
export const ECS_SERVICE = "ecs.amazonaws.com";

interface BackendTaskRoleScope {
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly clusterArn: Arn;
  readonly workspaceFamily: string;
  readonly workspaceExecutionRoleArn: Arn;
  /** The ECS infrastructure role that manages workspace volumes (RunTask's volumeConfigurations names it). */
  readonly workspaceVolumeRoleArn: Arn;
  /** Tag key and value of this stack's workspace volumes: the backend snapshots only those (to resume a workspace). */
  readonly workspaceVolumeTag: { readonly key: string; readonly value: string };
  readonly metricsNamespace: string;
}

/** ARN patterns of ECS resources on one cluster (tasks and container instances carry the name). */
export function ecsArns(s: { region: string; accountId: string; clusterName: string }) {
  const base = `arn:aws:ecs:${s.region}:${s.accountId}`;
  return {
    tasks: `${base}:task/${s.clusterName}/*`,
    containerInstances: `${base}:container-instance/${s.clusterName}/*`,
    taskDefinitionFamily: (family: string) => `${base}:task-definition/${family}:*`,
  };
}

/**
 * What the backend may do: start workspaces (only the workspace family, only on this cluster),
 * tag them at launch, watch and stop tasks on this cluster, hand the workspace task its execution
 * role and ECS the workspace volume role and nothing else, and publish its launch metrics. It reads no secret at run time: ECS
 * injects its own at start through the execution role.
 */
export function backendTaskRolePolicy(s: BackendTaskRoleScope): PolicyDocument {
  const arns = ecsArns(s);
  const onThisCluster = { ArnEquals: { "ecs:cluster": s.clusterArn } };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RunWorkspaceTasksOnThisCluster",
        Effect: "Allow",
        Action: "ecs:RunTask",
        Resource: arns.taskDefinitionFamily(s.workspaceFamily),
        Condition: onThisCluster,
      },
      {
        // RunTask with tags (and ECS managed tags) needs TagResource, only as part of RunTask.
        Sid: "TagWorkspaceTasksAtLaunch",
        Effect: "Allow",
        Action: "ecs:TagResource",
        Resource: arns.tasks,
        Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } },
      },
      {
        Sid: "WatchAndStopTasksOnThisCluster",
        Effect: "Allow",
        Action: ["ecs:DescribeTasks", "ecs:StopTask"],
        Resource: arns.tasks,
        Condition: onThisCluster,
      },
      {
        Sid: "ListTasksOnThisCluster",
        Effect: "Allow",
        Action: "ecs:ListTasks",
        Resource: arns.containerInstances,
        Condition: onThisCluster,
      },
      {
        Sid: "PassOnlyTheWorkspaceExecutionRole",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: s.workspaceExecutionRoleArn,
        Condition: { StringEquals: { "iam:PassedToService": ECS_TASKS_SERVICE } },
      },
      {
        // Workspace storage: RunTask with volumeConfigurations passes this role to ECS.
        Sid: "PassOnlyTheWorkspaceVolumeRole",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: s.workspaceVolumeRoleArn,
        Condition: { StringEquals: { "iam:PassedToService": ECS_SERVICE } },
      },
      ...workspaceResumeStatements(s),
      {
        // PutMetricData has no resource-level permissions; the namespace condition bounds it.
        Sid: "PublishPlatformMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": s.metricsNamespace } },
      },
    ],
  };
}

interface ExecutionRoleScope {
  readonly region: string;
  /** Repositories whose images the task pulls. */
  readonly repositoryArns: Arn[];
  readonly logGroupArn: Arn;
  /** Secrets ECS injects into the task's containers. */
  readonly secretArns: Arn[];
  /** Key the secrets are encrypted with. */
  readonly kmsKeyArn: Arn;
}

/** What ECS may do on a task's behalf at start: pull its images, write its logs, fetch its secrets. */
export function executionRolePolicy(s: ExecutionRoleScope): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      // GetAuthorizationToken has no resource-level permissions.
      Sid: "RegistryLogin",
      Effect: "Allow",
      Action: "ecr:GetAuthorizationToken",
      Resource: "*",
    },
    {
      Sid: "PullOwnImages",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: s.repositoryArns,
    },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [logStreamsOf(s.logGroupArn)],
    },
  ];
  if (s.secretArns.length > 0) {
    statements.push(
      {
        Sid: "ReadOwnSecrets",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: s.secretArns,
      },
      {
        Sid: "DecryptOwnSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: s.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${s.region}.amazonaws.com` } },
      },
    );
  }
  return { Version: "2012-10-17", Statement: statements };
}

function logStreamsOf(logGroupArn: Arn): pulumi.Input<string> {
  // Plain strings stay plain, so the builders can be called and read without a Pulumi run.
  return typeof logGroupArn === "string" ? `${logGroupArn}:log-stream:*` : pulumi.output(logGroupArn).apply((arn) => `${arn}:log-stream:*`);
}

interface BlueGreenScope {
  readonly listenerArns: Arn[];
  readonly productionRuleArn: Arn;
  readonly testRuleArn: Arn;
  readonly targetGroupArns: Arn[];
}

/**
 * The ECS infrastructure role of a blue/green deployment: shift the production and test listener
 * rules' weights between the two target groups and register tasks in them. Scoped to this
 * service's listener, rules and target groups (AWS's managed AmazonECSInfrastructureRolePolicyForLoadBalancers
 * grants the same actions on every load balancer in the account).
 */
export function blueGreenInfrastructurePolicy(s: BlueGreenScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // Describe* calls have no resource-level permissions.
        Sid: "ReadLoadBalancerState",
        Effect: "Allow",
        Action: [
          "elasticloadbalancing:DescribeListeners",
          "elasticloadbalancing:DescribeRules",
          "elasticloadbalancing:DescribeTargetGroups",
          "elasticloadbalancing:DescribeTargetHealth",
        ],
        Resource: "*",
      },
      {
        Sid: "ShiftProductionAndTestTraffic",
        Effect: "Allow",
        Action: ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"],
        Resource: [...s.listenerArns, s.productionRuleArn, s.testRuleArn],
      },
      {
        Sid: "RegisterTasksInBlueAndGreen",
        Effect: "Allow",
        Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
        Resource: s.targetGroupArns,
      },
    ],
  };
}

/**
 * Resuming a workspace whose host died (docs/storage.md): find its kept volume by tag, snapshot it
 * (the snapshot must carry this stack's tag, or the infrastructure role will not create a volume
 * from it), then RunTask with the snapshot id. Only this stack's volumes; nothing is deleted.
 */
function workspaceResumeStatements(s: BackendTaskRoleScope): PolicyStatement[] {
  const tag = s.workspaceVolumeTag;
  return [
    {
      // Describe* calls have no resource-level permissions.
      Sid: "FindWorkspaceVolumesAndSnapshots",
      Effect: "Allow",
      Action: ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
      Resource: "*",
    },
    {
      Sid: "SnapshotThisStacksWorkspaceVolumes",
      Effect: "Allow",
      Action: "ec2:CreateSnapshot",
      Resource: `arn:aws:ec2:${s.region}:${s.accountId}:volume/*`,
      Condition: { StringEquals: { [`aws:ResourceTag/${tag.key}`]: tag.value } },
    },
    {
      Sid: "CreateSnapshotsTaggedForThisStack",
      Effect: "Allow",
      Action: "ec2:CreateSnapshot",
      Resource: `arn:aws:ec2:${s.region}::snapshot/*`,
      Condition: { StringEquals: { [`aws:RequestTag/${tag.key}`]: tag.value } },
    },
    {
      Sid: "TagSnapshotsAtCreation",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: `arn:aws:ec2:${s.region}::snapshot/*`,
      Condition: { StringEquals: { "ec2:CreateAction": "CreateSnapshot" } },
    },
  ];
}

interface WorkspaceVolumeRoleScope {
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  /** Tag key and value every volume of this stack carries (lib/launchContract.ts VOLUME_TAGS.stack). */
  readonly stackTagKey: string;
  readonly stack: string;
  /** Auto Scaling group of the workspace hosts: volumes are attached to its instances only. */
  readonly workspaceAutoScalingGroup: string;
}

/**
 * The ECS infrastructure role of workspace volumes: AWS's AmazonECSInfrastructureRolePolicyForVolumes
 * (v5, 2026-02) statement by statement, narrowed to this stack. That managed policy lets ECS create,
 * attach, detach and delete every ECS-managed volume of every cluster in every region of the account;
 * here ECS may only create volumes for tasks of this cluster that carry this stack's tag, from
 * snapshots that carry it, attach them only to the workspace hosts, and delete only this stack's
 * ECS-managed volumes (ECS deletes a volume whose attachment failed; retained volumes are pruned by
 * the ops tool, not by ECS). KMS use is granted by the volume key's own policy, to this role, through
 * EC2 only.
 */
export function workspaceVolumeRolePolicy(s: WorkspaceVolumeRoleScope): PolicyDocument {
  const ec2 = (resource: string) => `arn:aws:ec2:${s.region}:${s.accountId}:${resource}`;
  const thisClustersTasks = `arn:aws:ecs:${s.region}:${s.accountId}:task/${s.clusterName}/*`;
  const requestTagged = {
    ArnLike: { "aws:RequestTag/AmazonECSCreated": thisClustersTasks },
    StringEquals: { "aws:RequestTag/AmazonECSManaged": "true", [`aws:RequestTag/${s.stackTagKey}`]: s.stack },
  };
  const thisStacksManagedVolumes = { StringEquals: { "aws:ResourceTag/AmazonECSManaged": "true", [`aws:ResourceTag/${s.stackTagKey}`]: s.stack } };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CreateThisStacksWorkspaceVolumes",
        Effect: "Allow",
        Action: "ec2:CreateVolume",
        Resource: ec2("volume/*"),
        Condition: requestTagged,
      },
      {
        // Resuming a workspace: only from a snapshot of this stack's volumes (snapshot ARNs carry no account).
        Sid: "CreateFromThisStacksSnapshots",
        Effect: "Allow",
        Action: "ec2:CreateVolume",
        Resource: `arn:aws:ec2:${s.region}::snapshot/*`,
        Condition: { StringEquals: { [`aws:ResourceTag/${s.stackTagKey}`]: s.stack } },
      },
      {
        Sid: "TagOnCreateVolume",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: ec2("volume/*"),
        Condition: { ...requestTagged, StringEquals: { ...requestTagged.StringEquals, "ec2:CreateAction": "CreateVolume" } },
      },
      {
        // Describe* calls have no resource-level permissions.
        Sid: "DescribeVolumesForLifecycle",
        Effect: "Allow",
        Action: ["ec2:DescribeVolumes", "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances"],
        Resource: "*",
      },
      {
        Sid: "AttachAndDetachThisStacksVolumes",
        Effect: "Allow",
        Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
        Resource: ec2("volume/*"),
        Condition: thisStacksManagedVolumes,
      },
      {
        // The instance side of Attach/DetachVolume: only the workspace hosts (the ASG tags its instances).
        Sid: "AttachToWorkspaceHostsOnly",
        Effect: "Allow",
        Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
        Resource: ec2("instance/*"),
        Condition: { StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": s.workspaceAutoScalingGroup } },
      },
      {
        Sid: "DeleteThisStacksFailedVolumes",
        Effect: "Allow",
        Action: "ec2:DeleteVolume",
        Resource: ec2("volume/*"),
        Condition: { ArnLike: { "aws:ResourceTag/AmazonECSCreated": thisClustersTasks }, ...thisStacksManagedVolumes },
      },
    ],
  };
}
