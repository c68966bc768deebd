// The platform's customer managed KMS key: every log group of the stack (containers, VPC flow
// logs, DNS queries, AMI builds), secrets, the alarm topic, ECR and the data stores. A key of our own adds what AWS-owned keys lack: its policy says who may use it
// (CloudWatch Logs only for this stack's log groups), its use is in CloudTrail, and disabling it
// makes every copy of the data unreadable at once.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountIamKeyStatement, type PolicyDocument, policyJson } from "../lib/iam";

export interface PlatformKeyArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** The key policy: IAM decides for principals of the account; two services get narrow grants. */
function platformKeyPolicy(args: { prefix: string; region: string; accountId: string }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      accountIamKeyStatement(args.accountId),
      {
        Sid: "CloudWatchLogsForThisStack",
        Effect: "Allow",
        Principal: { Service: `logs.${args.region}.amazonaws.com` },
        // AWS's example for CloudWatch Logs also lists kms:Describe*, which this condition can never
        // grant: DescribeKey carries no encryption context (test/iamSimulation.test.ts checks every key).
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: {
          ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${args.region}:${args.accountId}:log-group:/${args.prefix}/*` },
        },
      },
      {
        // CloudWatch alarms publish to the KMS-encrypted alarm topic.
        Sid: "CloudWatchAlarmsToEncryptedTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
      },
    ],
  };
}

export class PlatformKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly arn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;

  constructor(name: string, args: PlatformKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:security:PlatformKey", name, {}, opts);
    this.key = new aws.kms.Key(`${name}-key`, {
      description: `${args.prefix}: log groups, secrets, alarm topic, ECR images and data stores`,
      enableKeyRotation: true,
      deletionWindowInDays: args.isProd ? 30 : 7,
      policy: policyJson(platformKeyPolicy(args)),
      tags: { ...args.tags, Name: args.prefix },
      // Losing the key loses every database snapshot, secret and log encrypted with it.
    }, { parent: this, protect: args.isProd });
    new aws.kms.Alias(`${name}-alias`, { name: `alias/${args.prefix}`, targetKeyId: this.key.keyId }, { parent: this });
    this.arn = this.key.arn;
    this.keyId = this.key.keyId;
    this.registerOutputs({ arn: this.arn });
  }
}
