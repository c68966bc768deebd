// The resources every ECS workload of the platform has besides its task definition: an encrypted
// log group with the stack's retention, an execution role the ECS agent uses to pull its images,
// write that log group and read its secrets (nothing else), and for services on a host pool the
// same placement (one task per AZ first, then one per host).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, serviceTrustPolicy } from "../lib/iam";
import { ECS_TASKS_SERVICE, executionRolePolicy } from "../lib/workloadIam";

export function taskLogGroup(
  name: string,
  args: { readonly logGroupName: string; readonly logRetentionDays: number; readonly kmsKeyArn: pulumi.Input<string>; readonly tags: Readonly<Record<string, string>> },
  parent: pulumi.Resource,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(`${name}-logs`, {
    name: args.logGroupName,
    retentionInDays: args.logRetentionDays,
    kmsKeyId: args.kmsKeyArn,
    tags: { ...args.tags, Name: args.logGroupName },
  }, { parent });
}

export interface ExecutionRoleArgs {
  /** The workload's short name: the role is <prefix>-<workload>-execution. */
  readonly workload: string;
  /** What the role is for, in its description. */
  readonly description: string;
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** ECR repositories the execution role may pull from. */
  readonly repositoryArns: pulumi.Input<string>[];
  /** The log group the execution role may write to. */
  readonly logGroupArn: pulumi.Input<string>;
  /** Secrets the execution role may read to inject into containers. */
  readonly secretArns: pulumi.Input<string>[];
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export function executionRole(name: string, args: ExecutionRoleArgs, parent: pulumi.Resource): aws.iam.Role {
  const role = new aws.iam.Role(`${name}-execution`, {
    name: `${args.prefix}-${args.workload}-execution`,
    description: args.description,
    assumeRolePolicy: policyJson(serviceTrustPolicy(ECS_TASKS_SERVICE, args.accountId)),
    tags: args.tags,
  }, { parent });
  new aws.iam.RolePolicy(`${name}-execution`, {
    role: role.id,
    name: `${args.workload}-execution`,
    policy: policyJson(executionRolePolicy({
      region: args.region,
      repositoryArns: args.repositoryArns,
      logGroupArn: args.logGroupArn,
      secretArns: args.secretArns,
      kmsKeyArn: args.kmsKeyArn,
    })),
  }, { parent });
  return role;
}

/** Placement of a service on one host pool: its capacity provider, spread over AZs, then hosts. */
export function poolServicePlacement(capacityProvider: pulumi.Input<string>): Pick<aws.ecs.ServiceArgs, "capacityProviderStrategies" | "orderedPlacementStrategies"> {
  return {
    // launchType stays unset: it conflicts with a capacity provider strategy.
    capacityProviderStrategies: [{ capacityProvider, weight: 1, base: 0 }],
    // One task per AZ first, then one per host: an AZ or a host takes down as few as possible.
    orderedPlacementStrategies: [
      { type: "spread", field: "attribute:ecs.availability-zone" },
      { type: "spread", field: "instanceId" },
    ],
  };
}
