// Helpers the policies share: type tokens, reading a stack name from a URN, IAM documents and
// action patterns, resource references through property dependencies. Only types come from
// @pulumi/policy, so the policies load the same in the pack and in the repository's tests.
import * as zlib from "node:zlib";
import type { PolicyResource } from "@pulumi/policy";

export const TYPES = {
  sgIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  albLoadBalancer: "aws:alb/loadBalancer:LoadBalancer",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  vpc: "aws:ec2/vpc:Vpc",
  firewallAssociation: "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
  firewallRuleGroup: "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup",
  firewallRule: "aws:route53/resolverFirewallRule:ResolverFirewallRule",
  firewallDomainList: "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList",
  firewallConfig: "aws:route53/resolverFirewallConfig:ResolverFirewallConfig",
  rdsInstance: "aws:rds/instance:Instance",
  rdsCluster: "aws:rds/cluster:Cluster",
  rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
  cacheCluster: "aws:elasticache/cluster:Cluster",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policy: "aws:iam/policy:Policy",
  role: "aws:iam/role:Role",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
} as const;

/** "urn:pulumi:<stack>::<project>::<type>::<name>" → "<stack>". */
export function stackOfUrn(urn: string): string {
  return urn.split(":")[2] ?? "";
}

/** Production stacks: "prod" and "prod-*" (the same rule as config.ts's isProdStack). */
export function isProdStack(stack: string): boolean {
  return stack === "prod" || stack.startsWith("prod-");
}

export function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** IAM-style wildcard match (* and ?), case-insensitive as IAM actions are. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return regex.test(value);
}

export interface IamStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of an IAM policy document given as a JSON string or an object. */
export function statementsOf(document: unknown): IamStatement[] {
  const doc = typeof document === "string" ? JSON.parse(document) : document;
  if (!doc || typeof doc !== "object") return [];
  return asList((doc as { Statement?: IamStatement | IamStatement[] }).Statement);
}

/** Allow statements that grant `action`, directly or through a wildcard or NotAction. */
export function grantsOf(statements: IamStatement[], action: string): IamStatement[] {
  return statements.filter((s) => s.Effect === "Allow" && (
    asList(s.Action).some((a) => wildcardMatch(a, action)) ||
    (s.NotAction !== undefined && !asList(s.NotAction).some((a) => wildcardMatch(a, action)))
  ));
}

/** The condition keys a statement tests (any operator), lower-cased. */
export function conditionKeys(statement: IamStatement): string[] {
  return Object.values(statement.Condition ?? {}).flatMap((block) => Object.keys(block ?? {})).map((k) => k.toLowerCase());
}

/** IAM policy documents a resource carries: a policy's or role policy's `policy`, a role's inline policies. */
export function policyDocumentsOf(type: string, props: Record<string, any>): unknown[] {
  if (type === TYPES.rolePolicy || type === TYPES.policy) return props.policy === undefined ? [] : [props.policy];
  if (type === TYPES.role) return asList(props.inlinePolicies).map((p: { policy?: unknown }) => p.policy).filter((p) => p !== undefined);
  return [];
}

/** The resources a property of `resource` refers to (its property dependencies). */
export function referenced(resource: PolicyResource, property: string): PolicyResource[] {
  return resource.propertyDependencies?.[property] ?? [];
}

export function refersTo(resource: PolicyResource, property: string, target: PolicyResource): boolean {
  return referenced(resource, property).some((r) => r.urn === target.urn);
}

/** Decodes launch template user data: base64, gzip, and base64 MIME parts, all as text. */
export function decodeUserData(userData: string): string {
  let bytes = Buffer.from(userData, "base64");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  const text = bytes.toString("utf8");
  // A multipart MIME document may carry base64 parts (cloud-init): decode them too.
  const parts = [...text.matchAll(/Content-Transfer-Encoding:\s*base64\s*\r?\n\r?\n([A-Za-z0-9+/=\r\n]+)/gi)]
    .map((m) => Buffer.from(m[1].replace(/\s+/g, ""), "base64").toString("utf8"));
  return [text, ...parts].join("\n");
}
