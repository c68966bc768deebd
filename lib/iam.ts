// IAM policy documents as typed objects: tests read them back with JSON.parse, and no provider
// invoke (aws.iam.getPolicyDocument) is needed, so the program runs the same under mocks.
import * as pulumi from "@pulumi/pulumi";

type Strings = pulumi.Input<string> | pulumi.Input<string>[];

/** Strings may be outputs (ARNs of resources being created); policyJson resolves them. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { Service?: Strings; AWS?: Strings };
  Action: string | string[];
  NotAction?: string | string[];
  Resource?: Strings;
  Condition?: Record<string, Record<string, Strings | boolean>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Renders a document into the JSON string IAM expects, once every ARN in it is known. */
export function policyJson(doc: PolicyDocument): pulumi.Output<string> {
  return pulumi.output(doc).apply((resolved) => JSON.stringify(resolved));
}

/**
 * A trust policy for an AWS service. With `sourceAccount`, only requests on behalf of this account
 * may assume it (confused-deputy protection); EC2 instance roles take no such condition.
 */
export function serviceTrustPolicy(service: string, sourceAccount?: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(sourceAccount ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
      },
    ],
  };
}

/**
 * The key-policy statement that leaves a KMS key's use to the account's IAM policies; without it
 * no IAM policy could grant use of the key at all.
 */
export function accountIamKeyStatement(accountId: string): PolicyStatement {
  return {
    Sid: "AccountIamPolicies",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${accountId}:root` },
    Action: "kms:*",
    Resource: "*",
  };
}
