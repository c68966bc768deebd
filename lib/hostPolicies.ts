// IAM for the hosts: scoped equivalents of the two managed policies AWS suggests for container
// instances (AmazonEC2ContainerServiceforEC2Role, AmazonSSMManagedInstanceCore). Whatever the
// instance role can do, a container that reaches its credentials can do too (ECScape, 2025), so
// it gets only what the ECS agent and the SSM agent call, on this cluster only.
import type { PolicyStatement } from "./iam";

/**
 * The ECS agent's calls, scoped to one cluster. Left out of AmazonEC2ContainerServiceforEC2Role:
 * ecs:CreateCluster (the agent would create "default" on a misconfigured host), ECR pulls and
 * CloudWatch Logs writes (every task has an execution role that pulls its images, and
 * ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE makes awslogs use it too).
 */
export function ecsAgentStatements(region: string, accountId: string, clusterName: string): PolicyStatement[] {
  const cluster = `arn:aws:ecs:${region}:${accountId}:cluster/${clusterName}`;
  const instances = `arn:aws:ecs:${region}:${accountId}:container-instance/${clusterName}/*`;
  return [
    // DiscoverPollEndpoint has no resource-level permissions.
    { Sid: "EcsAgentDiscover", Effect: "Allow", Action: ["ecs:DiscoverPollEndpoint"], Resource: "*" },
    {
      Sid: "EcsAgentCluster",
      Effect: "Allow",
      Action: [
        "ecs:RegisterContainerInstance",
        "ecs:DeregisterContainerInstance",
        "ecs:SubmitTaskStateChange",
        "ecs:SubmitContainerStateChange",
        "ecs:SubmitAttachmentStateChanges",
      ],
      Resource: cluster,
    },
    {
      Sid: "EcsAgentInstance",
      Effect: "Allow",
      Action: ["ecs:Poll", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState"],
      Resource: instances,
    },
    {
      Sid: "EcsAgentTagOnRegister",
      Effect: "Allow",
      Action: ["ecs:TagResource"],
      Resource: instances,
      Condition: { StringEquals: { "ecs:CreateAction": "RegisterContainerInstance" } },
    },
  ];
}

/**
 * Session Manager and Run Command (the SSM agent). Left out of AmazonSSMManagedInstanceCore:
 * ssm:GetParameter(s) (read any parameter in the account), and the Distributor/Patch Manager calls
 * the platform does not use (GetManifest, PutConfigurePackageResult, GetDeployablePatchSnapshotForInstance).
 * These actions have no resource-level permissions, hence "*".
 */
export function ssmAgentStatements(): PolicyStatement[] {
  return [
    {
      Sid: "SsmAgent",
      Effect: "Allow",
      Action: [
        "ssm:UpdateInstanceInformation",
        "ssm:ListAssociations",
        "ssm:ListInstanceAssociations",
        "ssm:DescribeAssociation",
        "ssm:UpdateAssociationStatus",
        "ssm:UpdateInstanceAssociationStatus",
        "ssm:GetDocument",
        "ssm:DescribeDocument",
        "ssm:PutInventory",
        "ssm:PutComplianceItems",
      ],
      Resource: "*",
    },
    {
      Sid: "SessionManagerChannels",
      Effect: "Allow",
      Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
      Resource: "*",
    },
  ];
}
