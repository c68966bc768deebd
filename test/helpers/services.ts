// Readers over the services layer's resources, shared by its tests.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import type { CapturedResource, StackGraph } from "../../offline/graph";
import type { Overrides } from "./stacks";

/** A task definition's containers, parsed back from the JSON the provider receives. */
export function containersOf(taskDefinition: CapturedResource): ContainerDefinition[] {
  return JSON.parse(taskDefinition.inputs.containerDefinitions as string) as ContainerDefinition[];
}

export function containerNamed(taskDefinition: CapturedResource, name: string): ContainerDefinition {
  const found = containersOf(taskDefinition).find((c) => c.name === name);
  if (!found) throw new Error(`${taskDefinition.id} has no container ${name}`);
  return found;
}

export function envOf(container: ContainerDefinition): Record<string, string> {
  return Object.fromEntries((container.environment ?? []).map((e) => [e.name as string, e.value as string]));
}

/** The statements of a role's inline policy (aws.iam.RolePolicy) with this logical name. */
export function inlineStatements(g: StackGraph, rolePolicyName: string): any[] {
  const policy = g.ofType("aws:iam/rolePolicy:RolePolicy").find((r) => r.name === rolePolicyName);
  if (!policy) throw new Error(`no RolePolicy ${rolePolicyName}`);
  return JSON.parse(policy.inputs.policy as string).Statement;
}

export function statementBySid(statements: any[], sid: string): any {
  const found = statements.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} (have ${statements.map((s) => s.Sid).join(", ")})`);
  return found;
}

export const STAGING_CERT = "arn:aws:acm:ap-northeast-1:123456789012:certificate/11111111-2222-4333-8444-555555555555";

/**
 * One staging variant that turns on the optional features at once (HTTPS, an alarm e-mail, a
 * proxy credential from config, an image built from a context, a digest-pinned image), so the
 * suite builds it once.
 */
export const FULL_STAGING: Overrides = {
  certificateArn: STAGING_CERT,
  alarmEmail: "oncall@example.com",
  credentialProxySecret: "sk-test-credential",
  backendBuildContext: "test/fixtures/backend-image",
  backendImage: "build-42",
  workspaceImage: `sha256:${"ab".repeat(32)}`,
};
