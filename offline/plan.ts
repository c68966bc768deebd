// The offline plan of a stack: run the program on the offline engine and describe what `pulumi up`
// would build, as text for people and as JSON for tools. Later sections (posture, cost) plug in
// through PLAN_SECTIONS.
import * as path from "node:path";
import { runOffline } from "./engine";
import type { CapturedResource, ResourceOptions, StackGraph } from "./graph";
import { allPolicies, POLICY_PACK_NAME } from "../policy/policies";
import { policySection } from "./policies";
import { readStackFiles } from "./stackFiles";
import { summarize } from "./summaries";
// posture, cost and capacity sections; the config they read.
import { parseStackConfig, type StackConfig } from "../config";
import { advisorSection, capacitySection, costSection } from "./cost/section";
import { postureSection } from "./posture/section";
import { egressSection } from "./egress";

export const PROJECT_DIR = path.resolve(__dirname, "..");

interface PlanResource {
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly inputs: Record<string, unknown>;
  readonly options: ResourceOptions;
}

export interface PlanSection {
  readonly title: string;
  readonly lines: readonly string[];
  readonly data: unknown;
}

interface PlanJson {
  readonly stack: string;
  readonly resources: PlanResource[];
  readonly outputs: Record<string, unknown>;
  readonly sections?: Record<string, unknown>;
}

/** A section computed from the graph (and the stack's validated config, when given); the plan prints it after the resources. */
type PlanSectionBuilder = (graph: StackGraph, config?: StackConfig) => PlanSection;

export const PLAN_SECTIONS: PlanSectionBuilder[] = [
  // Security posture: the policy pack (policy/) over the planned graph.
  (graph) => policySection(graph, allPolicies, POLICY_PACK_NAME),
  // The egress mode in force and what it leaves open; the security layers the graph carries, the
  // monthly cost estimate, the capacity model with the stack's ceilings, the instance-type advisor.
  egressSection,
  postureSection,
  costSection,
  capacitySection,
  advisorSection,
];

const MASK = "[secret]";

/** Replaces every secret input with MASK. */
export function maskSecrets(resource: CapturedResource): Record<string, unknown> {
  const inputs = structuredClone(resource.inputs) as Record<string, any>;
  for (const secretPath of resource.secretPaths) {
    const keys = secretPath.split(".");
    let node: any = inputs;
    for (const key of keys.slice(0, -1)) node = node?.[key];
    if (node && keys.length > 0) node[keys[keys.length - 1]] = MASK;
  }
  return inputs;
}

/** Config values set over the stack file's ("what if"), by fully qualified key, as Pulumi passes them. */
type ConfigOverrides = Readonly<Record<string, string>>;

export async function planStack(stack: string, projectDir = PROJECT_DIR, overrides: ConfigOverrides = {}): Promise<StackGraph> {
  const files = readStackFiles(projectDir, stack);
  return runOffline({ project: files.project, stack, config: { ...files.config, ...overrides }, secretKeys: files.secretKeys });
}

/** The stack's validated config, as the program reads it (the sections need the cost assumptions). */
export function planConfig(stack: string, projectDir = PROJECT_DIR, overrides: ConfigOverrides = {}): StackConfig {
  return parseStackConfig({ stack, values: { ...readStackFiles(projectDir, stack).config, ...overrides } });
}

export function planJson(graph: StackGraph, sections: readonly PlanSection[] = []): PlanJson {
  return {
    stack: graph.stack,
    resources: graph.resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent,
      inputs: maskSecrets(r),
      options: r.options,
    })),
    outputs: graph.outputs,
    ...(sections.length > 0 ? { sections: Object.fromEntries(sections.map((s) => [s.title, s.data])) } : {}),
  };
}

function optionFlags(o: ResourceOptions): string {
  const flags = [
    o.protect ? "protect" : "",
    o.retainOnDelete ? "retain-on-delete" : "",
    o.ignoreChanges.length ? `ignore-changes=${o.ignoreChanges.join(",")}` : "",
  ].filter(Boolean);
  return flags.length ? ` [${flags.join(" ")}]` : "";
}

export function planText(graph: StackGraph, sections: readonly PlanSection[] = []): string {
  const out: string[] = [];
  const custom = graph.customResources;
  const byComponent = new Map<string, CapturedResource[]>();
  for (const r of custom) {
    const component = graph.component(r);
    const key = component && component.id !== r.id ? `${component.name} (${component.type})` : "(stack)";
    byComponent.set(key, [...(byComponent.get(key) ?? []), r]);
  }
  out.push(`Offline plan of stack "${graph.stack}" (project ${graph.project}): what \`pulumi up -s ${graph.stack}\` would create.`, "");
  for (const [component, members] of byComponent) {
    out.push(`${component}: ${members.length} resources`);
    const typeWidth = Math.max(...members.map((m) => shortType(m.type).length));
    for (const r of members) {
      const settings = summarize(r, graph);
      out.push(`  ${shortType(r.type).padEnd(typeWidth)}  ${r.name}${settings ? `  ${settings}` : ""}${optionFlags(r.options)}`);
    }
    out.push("");
  }
  out.push("Stack outputs:");
  for (const [key, value] of Object.entries(graph.outputs)) out.push(`  ${key}: ${JSON.stringify(value)}`);
  out.push("");
  for (const section of sections) {
    out.push(`${section.title}:`, ...section.lines.map((l) => `  ${l}`), "");
  }
  const components = graph.resources.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack").length;
  const outputs = graph.outputs as Record<string, unknown>;
  out.push(
    `Summary: stack ${graph.stack} plans ${custom.length} AWS resources in ${components} components` +
      `${outputs.region ? ` in ${outputs.region}` : ""}${Array.isArray(outputs.availabilityZones) ? ` across ${outputs.availabilityZones.length} AZs` : ""}; config valid.`,
  );
  return out.join("\n");
}

/** "aws:ec2/securityGroup:SecurityGroup" → "ec2.SecurityGroup". */
export function shortType(type: string): string {
  const [pkg, module, name] = type.split(":");
  return pkg === "aws" ? `${module.split("/")[0]}.${name}` : type;
}
