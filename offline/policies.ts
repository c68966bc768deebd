// Runs CrossGuard policies over a captured graph the way the Pulumi engine would: resource
// policies see each resource's inputs, stack policies see every resource's outputs with parents
// and property dependencies resolved. Used by the tests and the plan's policy section.
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { CapturedResource, StackGraph } from "./graph";
import type { PlanSection } from "./plan";

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

interface Violation {
  readonly policy: string;
  /** The resource's "type::name" id, when known. */
  readonly resource?: string;
  readonly message: string;
}

/** Thrown by notApplicable(); the runner swallows it like the engine does. */
class NotApplicable extends Error {}

function typeMatcher(type: string) {
  const matches = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;
  return matches;
}

function optionsOf(r: CapturedResource, urnOf: (id: string) => string | undefined): PolicyResourceOptions {
  const seconds = (t?: string) => (t ? Number.parseFloat(t) * (t.endsWith("m") ? 60 : t.endsWith("h") ? 3600 : 1) : 0);
  return {
    protect: r.options.protect,
    ignoreChanges: [...r.options.ignoreChanges],
    deleteBeforeReplace: r.options.deleteBeforeReplace,
    aliases: [...r.options.aliases],
    customTimeouts: {
      createSeconds: seconds(r.options.customTimeouts?.create),
      updateSeconds: seconds(r.options.customTimeouts?.update),
      deleteSeconds: seconds(r.options.customTimeouts?.delete),
    },
    additionalSecretOutputs: [...r.options.additionalSecretOutputs],
    parent: r.parent ? urnOf(r.parent) : undefined,
  };
}

/** The arguments a resource policy receives for one captured resource (props = inputs). */
export function resourceArgs(r: CapturedResource, graph?: StackGraph): ResourceValidationArgs {
  const urnOf = (id: string) => graph?.get(id)?.urn;
  const matches = typeMatcher(r.type);
  return {
    type: r.type,
    props: r.inputs as Record<string, any>,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r, urnOf),
    stackTags: new Map(),
    isType: (cls) => matches(cls),
    asType: ((cls: unknown) => (matches(cls) ? r.inputs : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
}

/** Every custom resource as a stack policy sees it (props = outputs), linked to the others. */
export function stackResources(graph: StackGraph): PolicyResource[] {
  const custom = graph.customResources;
  const byId = new Map<string, PolicyResource>();
  for (const r of custom) {
    const matches = typeMatcher(r.type);
    // A copy: a policy (or a test breaking a resource on purpose) must not alter the graph.
    const props = structuredClone(r.state) as Record<string, any>;
    byId.set(r.id, {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r, (id) => graph.get(id)?.urn),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => matches(cls),
      asType: ((cls: unknown) => (matches(cls) ? props : undefined)) as PolicyResource["asType"],
    });
  }
  for (const r of custom) {
    const resource = byId.get(r.id) as PolicyResource & { parent?: PolicyResource };
    const linked = (ids: readonly string[]) => ids.map((id) => byId.get(id)).filter((x): x is PolicyResource => x !== undefined);
    resource.propertyDependencies = Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, ids]) => [k, linked(ids)]));
    resource.dependencies = [...new Set([...Object.values(r.propertyDependencies).flat(), ...r.options.dependsOn])].flatMap((id) => linked([id]));
    if (r.parent && byId.has(r.parent)) resource.parent = byId.get(r.parent);
  }
  return [...byId.values()];
}

function isStackPolicy(p: AnyPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

function settle(result: unknown, policy: string) {
  if (result && typeof (result as Promise<void>).then === "function") {
    throw new Error(`policy ${policy} is asynchronous; the offline runner expects synchronous policies`);
  }
}

export interface PolicyOutcome {
  readonly violations: Violation[];
  /** False when the policy declared itself not applicable (args.notApplicable) everywhere. */
  readonly applicable: boolean;
}

/** Runs one resource policy on one resource's arguments. */
export function runResourcePolicy(policy: ResourceValidationPolicy, args: ResourceValidationArgs): PolicyOutcome {
  const violations: Violation[] = [];
  const report = (message: string) => violations.push({ policy: policy.name, resource: `${args.type}::${args.name}`, message });
  let applicable = true;
  for (const validate of [policy.validateResource ?? []].flat()) {
    try {
      settle(validate(args, report), policy.name);
    } catch (err) {
      if (!(err instanceof NotApplicable)) throw err;
      applicable = false;
    }
  }
  return { violations, applicable };
}

/** Runs one stack policy over a list of policy resources. */
export function runStackPolicy(policy: StackValidationPolicy, resources: PolicyResource[]): PolicyOutcome {
  const violations: Violation[] = [];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const report = (message: string, urn?: string) => {
    const r = urn ? byUrn.get(urn) : undefined;
    violations.push({ policy: policy.name, resource: r ? `${r.type}::${r.name}` : undefined, message });
  };
  const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
  };
  try {
    settle(policy.validateStack({ resources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T, notApplicable }, report), policy.name);
  } catch (err) {
    if (!(err instanceof NotApplicable)) throw err;
    return { violations, applicable: false };
  }
  return { violations, applicable: true };
}

/** Each policy's outcome over the whole graph. */
export function evaluatePolicies(graph: StackGraph, policies: readonly AnyPolicy[]): Map<string, PolicyOutcome> {
  const stack = stackResources(graph);
  const outcomes = new Map<string, PolicyOutcome>();
  for (const policy of policies) {
    if (isStackPolicy(policy)) {
      outcomes.set(policy.name, runStackPolicy(policy, stack));
    } else {
      const each = graph.customResources.map((r) => runResourcePolicy(policy, resourceArgs(r, graph)));
      outcomes.set(policy.name, { violations: each.flatMap((o) => o.violations), applicable: each.some((o) => o.applicable) });
    }
  }
  return outcomes;
}

/** Every violation of `policies` in the graph. */
export function runPolicies(graph: StackGraph, policies: readonly AnyPolicy[]): Violation[] {
  return [...evaluatePolicies(graph, policies).values()].flatMap((o) => o.violations);
}

/** The plan's "Policy pack" section: each policy and whether the stack passes it. */
export function policySection(graph: StackGraph, policies: readonly AnyPolicy[], packName: string): PlanSection {
  const outcomes = evaluatePolicies(graph, policies);
  const lines = policies.map((p) => {
    const o = outcomes.get(p.name) as PolicyOutcome;
    if (o.violations.length > 0) return `FAIL  ${p.name}: ${o.violations.map((v) => v.message).join("; ")}`;
    return o.applicable ? `pass  ${p.name}` : `n/a   ${p.name} (nothing in this stack it applies to)`;
  });
  const failed = [...outcomes.values()].filter((o) => o.violations.length > 0).length;
  lines.push(`${policies.length - failed} of ${policies.length} policies pass (pulumi preview --policy-pack policy runs the same pack).`);
  return {
    title: `Policy pack ${packName}`,
    lines,
    data: Object.fromEntries([...outcomes].map(([name, o]) => [name, { applicable: o.applicable, violations: o.violations }])),
  };
}
