// Small readers over captured resources for assertions.
import type { CapturedResource, StackGraph } from "../../offline/graph";

/** A JSON policy input (assumeRolePolicy, policy, …) parsed back into an object. */
export function jsonInput(resource: CapturedResource, key: string): any {
  const value = resource.inputs[key];
  if (typeof value !== "string") throw new Error(`${resource.id}.${key} is not a JSON string`);
  return JSON.parse(value);
}

/** The resource a physical id (as an input elsewhere refers to it) belongs to; throws if none. */
export function resolveId(graph: StackGraph, physicalId: unknown): CapturedResource {
  const found = typeof physicalId === "string" ? graph.byPhysicalId(physicalId) ?? graph.byArn(physicalId) : undefined;
  if (!found) throw new Error(`no resource with id or ARN ${String(physicalId)}`);
  return found;
}
