// The data perimeter on the VPC endpoints: an endpoint serves this account's principals acting on this
// account's resources, plus the AWS-owned resources the platform's callers need, named one by one.
// Without it an endpoint keeps AWS's default policy, which serves any account's credentials: code in
// a workspace holding another account's keys could move data out through the platform's own
// endpoints (CloudWatch Logs, Secrets Manager, Bedrock, …), even where the egress proxy is the only
// other way out. Patterned on AWS's data perimeter examples
// (github.com/aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies/, 2026-03) with the
// account in place of the organization.
import type { PolicyDocument, PolicyStatement } from "./iam";

/** AWS-owned resources the callers of one interface endpoint touch, and why. */
interface AwsOwnedResources {
  readonly actions: readonly string[];
  readonly resources: (region: string) => readonly string[];
  readonly why: string;
}

/**
 * By interface endpoint id (lib/awsServices.ts). Endpoints not listed serve only this account's
 * resources: ECR (the platform's own repositories; the ECS AMI carries its pause image), CloudWatch
 * Logs and metrics, Secrets Manager, ECS and its agent channels, SSM's message channels, EC2.
 */
export const AWS_OWNED_BY_ENDPOINT: Readonly<Record<string, readonly AwsOwnedResources[]>> = {
  ssm: [{
    actions: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetDocument", "ssm:DescribeDocument"],
    resources: (region) => [`arn:aws:ssm:${region}::parameter/aws/*`, `arn:aws:ssm:${region}::document/*`],
    why: "public parameters (the ECS-optimized AMI's /aws/service/ecs/…) and AWS-owned documents the SSM agent runs (Run Command, Session Manager)",
  }],
  imagebuilder: [{
    actions: ["imagebuilder:GetComponent", "imagebuilder:GetImage"],
    resources: (region) => [`arn:aws:imagebuilder:${region}:aws:component/*`, `arn:aws:imagebuilder:${region}:aws:image/*`],
    why: "Image Builder's AWS-managed components and images (AWSTOE fetches them on the build instance)",
  }],
  "bedrock-runtime": [{
    actions: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:CountTokens"],
    // Any region: a cross-region inference profile routes to foundation models elsewhere.
    resources: () => ["arn:aws:bedrock:*::foundation-model/*"],
    why: "foundation models are AWS-owned (their ARNs carry no account)",
  }],
};

/** An interface endpoint's policy: this account's principals on this account's resources, and the AWS-owned resources it needs. */
export function interfaceEndpointPolicy(endpointId: string, region: string, accountId: string): PolicyDocument {
  const thisAccount = { "aws:PrincipalAccount": accountId };
  const statements: PolicyStatement[] = [
    {
      Sid: "ThisAccountsPrincipalsOnThisAccountsResources",
      Effect: "Allow",
      Principal: "*",
      Action: "*",
      Resource: "*",
      Condition: { StringEquals: { ...thisAccount, "aws:ResourceAccount": accountId } },
    },
    ...(AWS_OWNED_BY_ENDPOINT[endpointId] ?? []).map((owned, i): PolicyStatement => ({
      Sid: `ThisAccountsPrincipalsOnAwsOwnedResources${i > 0 ? i + 1 : ""}`,
      Effect: "Allow",
      Principal: "*",
      Action: [...owned.actions],
      Resource: [...owned.resources(region)],
      Condition: { StringEquals: thisAccount },
    })),
    {
      // AWS services acting on the account's behalf with their own principals (rare through an
      // endpoint, and no credential a workspace can hold).
      Sid: "AwsServicePrincipals",
      Effect: "Allow",
      Principal: "*",
      Action: "*",
      Resource: "*",
      Condition: { Bool: { "aws:PrincipalIsAWSService": true } },
    },
  ];
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The S3 gateway's policy: only objects of the AWS-owned buckets the platform reads (ECR's layers,
 * the AL2023 packages, AWSTOE). Those reads are unauthenticated or signed by ECR's own account
 * (a presigned URL), so no principal condition can hold for them; the platform has no bucket of
 * its own, so nothing of this account (or any other) is reachable through the gateway at all.
 */
export function s3GatewayPolicy(buckets: readonly string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{
      Sid: "AwsOwnedBucketsReadOnly",
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:GetObject"],
      Resource: buckets.map((b) => `arn:aws:s3:::${b}/*`),
    }],
  };
}

interface PerimeterStatement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const listOf = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The values a condition tests a key for with StringEquals (or Bool), keys compared case-insensitively. */
function conditionValues(s: PerimeterStatement, operator: string, key: string): string[] {
  const block = Object.entries(s.Condition ?? {}).find(([op]) => op.toLowerCase() === operator.toLowerCase())?.[1] ?? {};
  const entry = Object.entries(block).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return entry ? listOf(entry[1] as string | string[]).map(String) : [];
}

/** Read-only action names: a statement that names AWS-owned resources for any principal may only read them. */
const READ_ONLY = /^[a-z0-9-]+:(Get|List|Describe)[A-Za-z]*$/;

/**
 * What in an endpoint (or gateway) policy would let another account's credentials through, one line
 * per offending Allow statement; empty when the document is a perimeter. An Allow must be conditioned
 * on aws:PrincipalAccount (with aws:ResourceAccount too unless it names its resources one by one),
 * or serve AWS service principals only, or name AWS-owned resources explicitly for reading only.
 * Also returns the accounts the document trusts.
 */
export function perimeterGaps(document: { Statement?: PerimeterStatement | PerimeterStatement[] } | undefined): { gaps: string[]; accounts: string[] } {
  if (!document) return { gaps: ["no policy: AWS's default policy serves every principal of every account"], accounts: [] };
  const gaps: string[] = [];
  const accounts = new Set<string>();
  for (const [i, s] of listOf(document.Statement).entries()) {
    if (s.Effect !== "Allow") continue;
    const name = s.Sid ?? `#${i}`;
    const principals = conditionValues(s, "StringEquals", "aws:PrincipalAccount");
    const resourceAccounts = conditionValues(s, "StringEquals", "aws:ResourceAccount");
    const services = conditionValues(s, "Bool", "aws:PrincipalIsAWSService");
    const actions = listOf(s.Action);
    const resources = listOf(s.Resource);
    const named = resources.length > 0 && resources.every((r) => r !== "*" && !r.startsWith("arn:aws:s3:::*"));
    if (services.length > 0) {
      if (!services.every((v) => v === "true")) gaps.push(`${name}: aws:PrincipalIsAWSService must be true`);
      continue;
    }
    if (principals.length > 0) {
      principals.forEach((a) => accounts.add(a));
      if (!principals.every((a) => /^\d{12}$/.test(a))) gaps.push(`${name}: aws:PrincipalAccount must name 12-digit accounts, not ${principals.join(", ")}`);
      if (!named && resourceAccounts.length === 0) gaps.push(`${name}: this account's principals may reach any account's resources (no aws:ResourceAccount, and resources not named)`);
      resourceAccounts.forEach((a) => accounts.add(a));
      continue;
    }
    if (!named || !actions.every((a) => READ_ONLY.test(a))) {
      gaps.push(`${name}: serves every account's principals (no aws:PrincipalAccount condition) on ${resources.join(", ") || "everything"} for ${actions.join(", ")}`);
    }
  }
  return { gaps, accounts: [...accounts].sort() };
}
