// The workspace task's CPU, held against AWS's own words and code. Judges from outside the
// project: botocore's ECS model (the API Reference's text: a container's cpu is Docker CPU shares,
// a task-level cpu is optional on EC2) and the ECS agent's source at the commit
// lib/workspaceContainers.ts cites (a task cpu becomes a CFS quota on the task's cgroup, its
// absence the containers' summed shares; the instance's resources are debited by the one or the
// other). The agent's source is read with ECS_AGENT_GIT_DIR pointing at a clone of
// aws/amazon-ecs-agent; without one that part skips loudly, as test/awsNames.test.ts's does (these
// machines and CI cannot fetch GitHub; the citations are pinned to a commit and cannot drift).
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import type { Context } from "mocha";
import * as fs from "node:fs";
import * as path from "node:path";
import { workspaceCapacity } from "../offline/cost/capacity";
import { containerSizes } from "../offline/workloads";
import { docText, requireBotocore, serviceModel } from "./helpers/botocore";
import { buildStack, STACKS } from "./helpers/stacks";
import { lineProblems, uncitedLines } from "./helpers/upstreamCitations";

const CITING = fs.readFileSync(path.resolve(__dirname, "..", "lib", "workspaceContainers.ts"), "utf8");
const AGENT = {
  repo: "aws/amazon-ecs-agent",
  commit: "8dfceca6cf380a83c3007349317566f2862f0673",
  citations: [
    { file: "agent/api/task/task_linux.go", line: 160, says: "if task.CPU > 0 {" },
    { file: "agent/api/task/task_linux.go", line: 196, says: "taskCPUQuota := int64(task.CPU * float64(taskCPUPeriod))" },
    { file: "agent/api/task/task_linux.go", line: 214, says: "taskCPUShares += uint64(container.CPU)" },
    { file: "agent/api/task/task_linux.go", line: 224, says: "Shares: &taskCPUShares," },
    { file: "agent/api/task/task.go", line: 3833, says: "if task.CPU > 0 {" },
    { file: "agent/api/task/task.go", line: 3846, says: "containerCPUint32 += int32(container.CPU)" },
  ],
} as const;

describe("the workspace task's CPU: a share, not a cap (ECS on EC2)", () => {
  it("rests on what AWS's ECS model says: container cpu is CPU shares, task cpu optional on EC2", function (this: Context) {
    const model = serviceModel(requireBotocore(this), "ecs");
    const container = docText(model.shapes.ContainerDefinition.members.cpu.documentation);
    expect(container).to.include("This parameter maps to CpuShares");
    expect(container).to.include("Linux containers share unallocated CPU units with other containers on the container instance with the same ratio as their allocated amount");
    const register = model.shapes.RegisterTaskDefinitionRequest;
    expect(docText(register.members.cpu.documentation)).to.include("If you're using the EC2 launch type or external launch type, this field is optional");
    expect(register.required).to.not.include("cpu");
  });

  it("cites the ECS agent's lines at a pinned commit", () => {
    expect(CITING).to.include(`${AGENT.repo} ${AGENT.commit.slice(0, 12)}`);
    expect(uncitedLines(CITING, "lib/workspaceContainers.ts", AGENT.citations)).to.deep.equal([]);
  });

  it(`says what ${AGENT.repo} says at ${AGENT.commit.slice(0, 12)} (ECS_AGENT_GIT_DIR)`, function (this: Context) {
    const gitDir = process.env.ECS_AGENT_GIT_DIR;
    if (!gitDir) {
      console.warn(`\n    !!! SKIPPED (${AGENT.repo} is the judge): set ECS_AGENT_GIT_DIR to a clone of github.com/${AGENT.repo} to read the cited lines\n`);
      this.skip();
    }
    expect(lineProblems(gitDir, AGENT.commit, AGENT.citations)).to.deep.equal([]);
  });

  for (const stack of STACKS) {
    it(`${stack}: no task-level cpu, so the capacity model reserves the containers' sum, as the agent does; with workspaceCpuHardLimit the task's cpu`, async () => {
      for (const hardLimit of [false, true]) {
        const g = await buildStack(stack, { workspaceCpuHardLimit: hardLimit });
        const td = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === `remote-claude-${stack}-workspace`)!;
        const sum = containerSizes(td).reduce((s, c) => s + c.cpu, 0);
        expect(containerSizes(td).every((c) => c.cpu >= 128), "every container has a weight").to.equal(true);
        expect(td.inputs.cpu, `task-level cpu, hard limit ${hardLimit}`).to.equal(hardLimit ? String(sum) : undefined);
        const c = workspaceCapacity(g, 0.7)!;
        expect(c.task.cpu).to.equal(sum);
        expect(c.task.cpuLimit).to.equal(hardLimit ? sum : undefined);
      }
    });
  }
});
