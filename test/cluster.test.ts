import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { buildStack, STACKS } from "./helpers/stacks";

for (const stack of STACKS) {
  describe(`ECS cluster (${stack})`, () => {
    it("is named after the stack, with Container Insights on, and exported", async () => {
      const g = await buildStack(stack);
      const cluster = g.one(aws.ecs.Cluster);
      expect(cluster.inputs.name).to.equal(`remote-claude-${stack}`);
      expect(cluster.inputs.settings).to.deep.equal([{ name: "containerInsights", value: "enabled" }]);
      expect(g.outputs.clusterArn).to.equal(cluster.state.arn);
      expect(g.outputs.clusterName).to.equal(`remote-claude-${stack}`);
    });
  });
}
