// The static task-definition audit over the task definitions both stacks really plan (their
// container definitions verbatim, as RegisterTaskDefinition would receive them), not a hand-made
// one: the planned stacks pass every row, and the secret-in-plain-environment rule flags secrets
// by name and by value without flagging references such as CREDENTIAL_PROXY_URL.
import { expect } from "chai";
import { ReportBuilder, failedChecks } from "../../scripts/ops/report";
import { auditBackendTaskDefinition, auditWorkspaceTaskDefinition, secretLikeVariables } from "../../scripts/ops/security/audit/taskDefinitions";
import { plannedTaskDefinition, plannedTaskDefinitions } from "../helpers/plannedTaskDefinitions";
import { STACKS, buildStack } from "../helpers/stacks";

describe("static audit of the planned task definitions", () => {
  for (const stack of STACKS) {
    it(`passes every row on ${stack}'s workspace and backend task definitions`, async () => {
      const graph = await buildStack(stack);
      const byFamily = plannedTaskDefinitions(graph);
      const workspace = plannedTaskDefinition(byFamily.get(graph.outputs.workspaceTaskDefinitionFamily)!);
      const backend = plannedTaskDefinition(byFamily.get(graph.outputs.backendTaskDefinitionFamily)!);
      const report = new ReportBuilder("security", "audit");
      auditWorkspaceTaskDefinition(report, workspace);
      auditBackendTaskDefinition(report, backend);
      expect(failedChecks(report.checks).map((c) => `${c.name}: ${c.observed}`)).to.deep.equal([]);
      // The rows that were at fault: the agent's reference to its credential proxy is a URL, not a secret.
      const agentEnv = workspace.containerDefinitions!.find((c) => c.name === "workspace-agent")!.environment!.map((e) => e.name);
      expect(agentEnv).to.include("CREDENTIAL_PROXY_URL");
      expect(report.checks.filter((c) => c.name.endsWith("secret-like variables in plain environment")).map((c) => c.result)).to.have.length.greaterThan(1).and.satisfy((r: string[]) => r.every((x) => x === "pass"));
    });
  }

  it("flags secret-like names and secret-looking values, not references to them", () => {
    const env = (pairs: Record<string, string>) => Object.entries(pairs).map(([name, value]) => ({ name, value }));
    expect(secretLikeVariables(env({
      CREDENTIAL_PROXY_URL: "http://127.0.0.1:8080",
      DATABASE_PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:db",
      TOKEN_FILE: "/run/secrets/token",
      WORKSPACE_VOLUME_KMS_KEY_ARN: "arn:aws:kms:ap-northeast-1:123456789012:key/1",
      HTTPS_PROXY: "http://internal-egress.elb.amazonaws.com:3128",
      AGENT_PORT: "9000",
    }))).to.deep.equal([]);
    expect(secretLikeVariables(env({
      GITHUB_TOKEN: "x",
      DATABASE_PASSWORD: "hunter2",
      ANTHROPIC_API_KEY: "y",
      apiKey: "z",
      PRIVATE_KEY: "-----BEGIN",
      AWS_SECRET_ACCESS_KEY: "w",
      PROXY_CREDENTIALS: "v",
      // A reference by name, but the value carries a password.
      DATABASE_URL: "postgres://app:s3cr3t@db.internal:5432/app",
      // A plain name holding a well-known secret shape.
      SETTING: "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
      OTHER: "AKIAIOSFODNN7EXAMPLE",
    }))).to.deep.equal(["GITHUB_TOKEN", "DATABASE_PASSWORD", "ANTHROPIC_API_KEY", "apiKey", "PRIVATE_KEY", "AWS_SECRET_ACCESS_KEY", "PROXY_CREDENTIALS", "DATABASE_URL", "SETTING", "OTHER"]);
  });
});
