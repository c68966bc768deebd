// The platform's workloads as the plan reads them from the graph: which task definition is the
// workspace one, and what its containers ask for.
import type { CapturedResource, StackGraph } from "./graph";

interface ContainerSize {
  readonly name: string;
  readonly cpu: number;
  readonly memoryMiB: number;
}

/** The workspace task definition: the stack output's family, else the one placed on the workspace pool. */
export function workspaceTaskDefinition(graph: StackGraph): CapturedResource | undefined {
  const family = graph.outputs.workspaceTaskDefinitionFamily;
  const defs = graph.ofType("aws:ecs/taskDefinition:TaskDefinition");
  return defs.find((d) => d.inputs.family === family) ??
    defs.find((d) => (d.inputs.placementConstraints ?? []).some((c: { expression?: string }) => /==\s*workspace\b/.test(c.expression ?? "")));
}

/** A task definition's container definitions, parsed; [] when they are not JSON. */
export function containerDefinitions(td: CapturedResource): Record<string, any>[] {
  try {
    const parsed = JSON.parse(String(td.inputs.containerDefinitions));
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/** What each container reserves: its memoryReservation, else its hard limit. */
export function containerSizes(td: CapturedResource): ContainerSize[] {
  return containerDefinitions(td).map((c) => ({ name: String(c.name), cpu: Number(c.cpu ?? 0), memoryMiB: Number(c.memoryReservation ?? c.memory ?? 0) }));
}
