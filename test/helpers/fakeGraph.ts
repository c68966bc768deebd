// Small hand-made graphs for arithmetic tests: resources with just the inputs a rule reads.
import { type CapturedResource, StackGraph } from "../../offline/graph";

const NO_OPTIONS = {
  protect: false,
  retainOnDelete: false,
  deleteBeforeReplace: false,
  dependsOn: [],
  ignoreChanges: [],
  replaceOnChanges: [],
  additionalSecretOutputs: [],
  aliases: [],
};

export function fakeResource(
  type: string,
  name: string,
  inputs: Record<string, any>,
  extra: { physicalId?: string; state?: Record<string, any>; parent?: string; custom?: boolean } = {},
): CapturedResource {
  return {
    urn: `urn:pulumi:test::remote-claude::${type}::${name}`,
    id: `${type}::${name}`,
    type,
    name,
    custom: extra.custom ?? true,
    parent: extra.parent,
    inputs,
    secretPaths: [],
    options: NO_OPTIONS,
    propertyDependencies: {},
    physicalId: extra.physicalId ?? `${name}-id`,
    state: extra.state ?? {},
  };
}

export function fakeGraph(resources: CapturedResource[], outputs: Record<string, unknown> = { region: "ap-northeast-1" }, stack = "test"): StackGraph {
  return new StackGraph(stack, "remote-claude", resources, outputs);
}

/** A copy of a graph with some resources' inputs changed (and others added). */
export function withChanges(graph: StackGraph, change: (r: CapturedResource) => CapturedResource | undefined, added: CapturedResource[] = []): StackGraph {
  const resources = graph.resources.map((r) => change(r) ?? r);
  return new StackGraph(graph.stack, graph.project, [...resources, ...added], graph.outputs);
}
