import { expect } from "chai";
import { workspaceRunTaskRequest } from "../lib/launchContract";

const target = {
  cluster: "remote-claude-staging",
  taskDefinition: "remote-claude-staging-workspace",
  subnets: ["subnet-a", "subnet-b"],
  securityGroups: ["sg-workspace"],
  capacityProvider: "remote-claude-staging-workspace",
};

describe("workspace launch contract", () => {
  it("builds the RunTask request the backend sends: awsvpc, no public IP, capacity provider, binpack", () => {
    const request = workspaceRunTaskRequest(target, { count: 3, startedBy: "ops/r1", tags: { "remote-claude:drill-run": "r1" } });
    expect(request).to.deep.equal({
      cluster: "remote-claude-staging",
      taskDefinition: "remote-claude-staging-workspace",
      count: 3,
      capacityProviderStrategy: [{ capacityProvider: "remote-claude-staging-workspace", weight: 1, base: 0 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-workspace"], assignPublicIp: "DISABLED" } },
      placementStrategy: [{ type: "binpack", field: "memory" }],
      enableECSManagedTags: true,
      propagateTags: "TASK_DEFINITION",
      tags: [{ key: "remote-claude:drill-run", value: "r1" }],
      startedBy: "ops/r1",
    });
    expect(request).to.not.have.property("launchType");
  });

  it("refuses more than RunTask's ten tasks per call", () => {
    expect(() => workspaceRunTaskRequest(target, { count: 11 })).to.throw(/1 to 10/);
    expect(() => workspaceRunTaskRequest(target, { count: 0 })).to.throw(/1 to 10/);
  });
});
