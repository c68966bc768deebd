import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { type ServiceOutputs, STACK_OUTPUT_DOCS } from "../stackOutputs";
import { buildStack, STACKS } from "./helpers/stacks";

// Every key of ServiceOutputs, checked against the interface by the type annotation.
const SERVICE_OUTPUTS: Record<keyof ServiceOutputs, "string" | "array" | "object"> = {
  backendServiceName: "string",
  backendTaskDefinitionFamily: "string",
  workspaceTaskDefinitionFamily: "string",
  workspaceTaskDefinitionArn: "string",
  workspaceExecutionRoleArn: "string",
  albDnsName: "string",
  albArnSuffix: "string",
  backendTargetGroupArn: "string",
  backendTargetGroupArnSuffix: "string",
  backendTargetGroupArns: "array",
  backendLogGroupName: "string",
  workspaceLogGroupName: "string",
  ecrRepositoryUrls: "object",
  dbInstanceIdentifier: "string",
  redisReplicationGroupId: "string",
  proxySecretArn: "string",
  alarmTopicArn: "string",
  alarmNames: "array",
  dashboardName: "string",
  fisTemplateIds: "object",
  metricsNamespace: "string",
};

for (const stack of STACKS) {
  describe(`service stack outputs (${stack})`, () => {
    it("exports every service output with a value of the documented shape", async () => {
      const g = await buildStack(stack);
      for (const [key, shape] of Object.entries(SERVICE_OUTPUTS)) {
        const value = g.outputs[key];
        expect(value, key).to.not.equal(undefined);
        if (shape === "array") expect(value, key).to.be.an("array").with.length.greaterThan(0);
        else if (shape === "object") expect(Object.keys(value), key).to.have.length.greaterThan(0);
        else expect(value, key).to.be.a("string").with.length.greaterThan(0);
      }
      expect(g.outputs.workspaceTaskDefinitionArn).to.match(new RegExp(`:task-definition/remote-claude-${stack}-workspace:\\d+$`));
      expect(g.outputs.albArnSuffix).to.match(/^app\//);
      expect(g.outputs.backendTargetGroupArnSuffix).to.match(/^targetgroup\//);
    });
  });
}

describe("stack output documentation", () => {
  it("documents every output in stackOutputs.ts and names every service output in the README", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../README.md"), "utf8");
    for (const key of Object.keys(SERVICE_OUTPUTS)) {
      expect(STACK_OUTPUT_DOCS[key as keyof ServiceOutputs], key).to.be.a("string").with.length.greaterThan(0);
      expect(readme, key).to.include(`\`${key}\``);
    }
  });
});
