// The task definitions a stack plans, in the ECS API's own shape: what RegisterTaskDefinition
// receives when `pulumi up` runs (the provider's mapping of aws.ecs.TaskDefinition's inputs), and
// so what DescribeTaskDefinition later returns. The container definitions pass verbatim. An input
// this mapping does not know fails loudly rather than being dropped.
import type { RegisterTaskDefinitionCommandInput, TaskDefinition, Volume } from "@aws-sdk/client-ecs";
import type { CapturedResource, StackGraph } from "../../offline/graph";

const TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition";
const KNOWN_INPUTS = new Set(["family", "containerDefinitions", "cpu", "memory", "networkMode", "executionRoleArn", "taskRoleArn", "requiresCompatibilities", "volumes", "placementConstraints", "tags", "pidMode", "ipcMode"]);

function volume(v: Record<string, any>): Volume {
  const unknown = Object.keys(v).filter((k) => !["name", "configureAtLaunch", "hostPath"].includes(k));
  if (unknown.length > 0) throw new Error(`planned task volume ${v.name}: inputs ${unknown.join(", ")} are not mapped here`);
  return {
    name: v.name,
    // The provider's configureAtLaunch is the API's configuredAtLaunch.
    ...(v.configureAtLaunch !== undefined ? { configuredAtLaunch: v.configureAtLaunch } : {}),
    ...(v.hostPath !== undefined ? { host: { sourcePath: v.hostPath } } : {}),
  };
}

/** RegisterTaskDefinition's input for a planned aws.ecs.TaskDefinition. */
export function registerTaskDefinitionInput(r: CapturedResource): RegisterTaskDefinitionCommandInput {
  if (r.type !== TASK_DEFINITION) throw new Error(`${r.id} is not a task definition`);
  const i = r.inputs;
  const unknown = Object.keys(i).filter((k) => !KNOWN_INPUTS.has(k));
  if (unknown.length > 0) throw new Error(`${r.id}: inputs ${unknown.join(", ")} are not mapped to RegisterTaskDefinition here`);
  return {
    family: i.family,
    containerDefinitions: JSON.parse(i.containerDefinitions),
    ...(i.cpu !== undefined ? { cpu: String(i.cpu) } : {}),
    ...(i.memory !== undefined ? { memory: String(i.memory) } : {}),
    ...(i.networkMode ? { networkMode: i.networkMode } : {}),
    ...(i.executionRoleArn ? { executionRoleArn: i.executionRoleArn } : {}),
    ...(i.taskRoleArn ? { taskRoleArn: i.taskRoleArn } : {}),
    ...(i.requiresCompatibilities ? { requiresCompatibilities: i.requiresCompatibilities } : {}),
    ...(i.volumes ? { volumes: (i.volumes as Record<string, any>[]).map(volume) } : {}),
    ...(i.placementConstraints ? { placementConstraints: i.placementConstraints } : {}),
    ...(i.pidMode ? { pidMode: i.pidMode } : {}),
    ...(i.ipcMode ? { ipcMode: i.ipcMode } : {}),
    ...(i.tags ? { tags: Object.entries(i.tags as Record<string, string>).map(([key, value]) => ({ key, value })) } : {}),
  };
}

/** The task definition as DescribeTaskDefinition would return it after registration (revision 1). */
export function plannedTaskDefinition(r: CapturedResource): TaskDefinition {
  const { tags: _tags, ...input } = registerTaskDefinitionInput(r);
  return { ...input, revision: 1, status: "ACTIVE" } as TaskDefinition;
}

/** The stack's task definitions by family. */
export function plannedTaskDefinitions(graph: StackGraph): Map<string, CapturedResource> {
  return new Map(graph.ofType(TASK_DEFINITION).map((r) => [r.inputs.family as string, r]));
}
