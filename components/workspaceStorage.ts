// Workspace storage: what ECS needs to give every workspace its own encrypted EBS volume at launch
// and keep it after the task (and its host) is gone. A KMS key of its own for the volumes (and
// their snapshots), and the ECS infrastructure role that creates, attaches and detaches them.
// The volume settings themselves travel in every RunTask (lib/launchContract.ts).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountIamKeyStatement, type PolicyDocument, policyJson, serviceTrustPolicy } from "../lib/iam";
import { VOLUME_TAGS, type VolumeFilesystem, type WorkspaceVolumeOutputSettings } from "../lib/launchContract";
import { ECS_SERVICE, workspaceVolumeRolePolicy } from "../lib/workloadIam";

export interface WorkspaceStorageArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The stack name (staging, prod). */
  readonly stack: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** The ECS cluster's name. */
  readonly clusterName: string;
  /** The workspace pool's Auto Scaling group: the role attaches volumes to its instances only. */
  readonly workspaceAutoScalingGroup: string;
  /** The task definition's volume that is configured at launch. */
  readonly volumeName: string;
  /** Size of each workspace volume, GiB (config workspaceVolumeGiB). */
  readonly sizeGiB: number;
  /** gp3 IOPS of each volume (config workspaceVolumeIops). */
  readonly iops: number;
  /** gp3 throughput of each volume, MiB/s (config workspaceVolumeThroughputMiBps). */
  readonly throughputMiBps: number;
  /** Filesystem ECS formats a new volume with (config workspaceVolumeFilesystem). */
  readonly filesystem: VolumeFilesystem;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The volume key's policy: the account's IAM stays in charge (as for the platform key), and the
 * infrastructure role may use the key only through EC2 (EBS) in this region, and create grants
 * only for AWS resources, which is how EBS hands the attaching instance the right to decrypt.
 */
function workspaceVolumeKeyPolicy(args: { region: string; accountId: string; roleArn: pulumi.Input<string> }): PolicyDocument {
  const viaEbs = { "kms:ViaService": `ec2.${args.region}.amazonaws.com`, "kms:CallerAccount": args.accountId };
  return {
    Version: "2012-10-17",
    Statement: [
      accountIamKeyStatement(args.accountId),
      {
        Sid: "VolumeRoleEncryptsThroughEbs",
        Effect: "Allow",
        Principal: { AWS: args.roleArn },
        Action: ["kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext"],
        Resource: "*",
        Condition: { StringEquals: viaEbs },
      },
      {
        Sid: "VolumeRoleGrantsForEbsOnly",
        Effect: "Allow",
        Principal: { AWS: args.roleArn },
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: { StringEquals: viaEbs, Bool: { "kms:GrantIsForAWSResource": true } },
      },
      {
        // ECS checks the key before it asks EBS for a volume; DescribeKey reveals metadata only.
        Sid: "VolumeRoleDescribesKey",
        Effect: "Allow",
        Principal: { AWS: args.roleArn },
        Action: "kms:DescribeKey",
        Resource: "*",
      },
    ],
  };
}

export class WorkspaceStorage extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly role: aws.iam.Role;
  readonly keyArn: pulumi.Output<string>;
  /** The role's ARN once its policy is in place (ECS may assume it from the first RunTask on). */
  readonly roleArn: pulumi.Output<string>;
  readonly settings: WorkspaceVolumeOutputSettings;

  constructor(name: string, args: WorkspaceStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:storage:WorkspaceStorage", name, {}, opts);
    const parent = { parent: this };

    this.role = new aws.iam.Role(`${name}-role`, {
      name: `${args.prefix}-workspace-volumes`,
      description: "ECS creates, attaches and detaches this stack's workspace EBS volumes",
      // aws:SourceAccount: ECS may assume it only on behalf of this account (confused deputy).
      assumeRolePolicy: policyJson(serviceTrustPolicy(ECS_SERVICE, args.accountId)),
      tags: args.tags,
    }, parent);
    const policy = new aws.iam.RolePolicy(`${name}-role`, {
      role: this.role.id,
      name: "workspace-volumes",
      policy: policyJson(workspaceVolumeRolePolicy({
        region: args.region,
        accountId: args.accountId,
        clusterName: args.clusterName,
        stackTagKey: VOLUME_TAGS.stack,
        stack: args.stack,
        workspaceAutoScalingGroup: args.workspaceAutoScalingGroup,
      })),
    }, parent);

    this.key = new aws.kms.Key(`${name}-key`, {
      description: `${args.prefix}: workspace EBS volumes and their snapshots`,
      enableKeyRotation: true,
      deletionWindowInDays: args.isProd ? 30 : 7,
      policy: policyJson(workspaceVolumeKeyPolicy({ region: args.region, accountId: args.accountId, roleArn: this.role.arn })),
      tags: { ...args.tags, Name: `${args.prefix}-workspace-volumes` },
      // Losing the key loses every retained workspace volume and snapshot encrypted with it.
    }, { parent: this, protect: args.isProd });
    new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${args.prefix}-workspace-volumes`, targetKeyId: this.key.keyId }, parent);

    this.keyArn = this.key.arn;
    this.roleArn = pulumi.all([this.role.arn, policy.id, this.key.arn]).apply(([arn]) => arn);
    this.settings = {
      volumeName: args.volumeName,
      volumeType: "gp3",
      sizeGiB: args.sizeGiB,
      iops: args.iops,
      throughputMiBps: args.throughputMiBps,
      filesystem: args.filesystem,
      stackTag: args.stack,
    };
    this.registerOutputs({ keyArn: this.keyArn, roleArn: this.roleArn, settings: this.settings });
  }
}
