// IAM documents of the backend and the workspace, as typed objects: the roles use them and the
// tests read them back. Every statement names its resources; the only "*" resources are actions
// that have no resource-level permissions (ecr:GetAuthorizationToken, cloudwatch:PutMetricData,
// ELB Describe*), each said so where it appears.
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument, PolicyStatement } from "../lib/iam";

type Arn = pulumi.Input<string>;

export const ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com";

export interface BackendTaskRoleScope {
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly clusterArn: Arn;
  readonly workspaceFamily: string;
  readonly workspaceExecutionRoleArn: Arn;
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
 * role and nothing else, and publish its launch metrics. It reads no secret at run time: ECS
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

export interface ExecutionRoleScope {
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

export interface BlueGreenScope {
  readonly listenerArns: Arn[];
  readonly productionRuleArn: Arn;
  readonly targetGroupArns: Arn[];
}

/**
 * The ECS infrastructure role of a blue/green deployment: shift the production listener rule's
 * weights between the two target groups and register tasks in them. Scoped to this service's
 * listener, rule and target groups (AWS's managed AmazonECSInfrastructureRolePolicyForLoadBalancers
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
        Sid: "ShiftProductionTraffic",
        Effect: "Allow",
        Action: ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"],
        Resource: [...s.listenerArns, s.productionRuleArn],
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
