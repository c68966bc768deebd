// The stack outputs the tool reads: `pulumi stack output --json --stack NAME` when the Pulumi CLI
// is on PATH, or the same JSON from --outputs FILE. A missing output is named together with what
// it means (STACK_OUTPUT_DOCS), so the message says which part of the stack is not deployed.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RENAMED_OUTPUTS, STACK_OUTPUT_DOCS, type StackOutputs } from "../../stackOutputs";
import { UsageError, errorMessage } from "./errors";

type Outputs = Partial<StackOutputs>;
export type OutputName = keyof StackOutputs;

export interface LoadedOutputs {
  readonly outputs: Outputs;
  readonly stack: string;
  /** Where they came from, for messages: "outputs.json" or "pulumi stack output --stack staging". */
  readonly source: string;
}

interface OutputSourceArgs {
  readonly stack?: string;
  readonly outputs?: string;
}

export interface OutputsDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Runs the Pulumi CLI and returns stdout (tests replace it). */
  readonly runPulumi?: (executable: string, args: string[]) => string;
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const defaultRunPulumi = (executable: string, args: string[]) =>
  execFileSync(executable, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 16 * 1024 * 1024 });

function parseOutputsJson(text: string, source: string): Outputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not JSON (${errorMessage(err)}): expected the output of \`pulumi stack output --json\``);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${source} must hold one JSON object of stack outputs (\`pulumi stack output --json\`)`);
  }
  return parsed as Outputs;
}

export function loadOutputs(args: OutputSourceArgs, deps: OutputsDeps): LoadedOutputs {
  if (args.outputs) {
    const file = path.resolve(deps.cwd, args.outputs);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read --outputs ${args.outputs}: ${errorMessage(err)}`);
    }
    const outputs = parseOutputsJson(text, args.outputs);
    if (args.stack && outputs.stack && outputs.stack !== args.stack) {
      throw new UsageError(`--outputs ${args.outputs} is stack "${outputs.stack}", not --stack ${args.stack}`);
    }
    const stack = args.stack ?? outputs.stack;
    if (!stack) throw new UsageError(`${args.outputs} has no "stack" output: add --stack NAME`);
    return { outputs, stack, source: args.outputs };
  }
  if (!args.stack) {
    throw new UsageError("no stack given: pass --stack NAME (read with `pulumi stack output --json`) or --outputs FILE");
  }
  const pulumi = findOnPath("pulumi", deps.env);
  if (!pulumi) {
    throw new UsageError(
      `no Pulumi CLI on PATH to read stack "${args.stack}": pass --outputs FILE holding \`pulumi stack output --json --stack ${args.stack}\``,
    );
  }
  const source = `pulumi stack output --json --stack ${args.stack}`;
  let text: string;
  try {
    text = (deps.runPulumi ?? defaultRunPulumi)(pulumi, ["stack", "output", "--json", "--stack", args.stack]);
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim().split("\n")[0];
    throw new UsageError(`\`${source}\` failed: ${stderr || errorMessage(err)}`);
  }
  const outputs = parseOutputsJson(text, source);
  return { outputs, stack: args.stack, source };
}

function present(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** "securityGroupIds.workspace" style paths into the outputs. */
export type OutputPath = OutputName | `${OutputName}.${string}`;

function lookup(outputs: Outputs, p: OutputPath): unknown {
  const [head, ...rest] = p.split(".");
  let value: unknown = (outputs as Record<string, unknown>)[head];
  for (const key of rest) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function describeOutput(p: OutputPath): string {
  const head = p.split(".")[0] as OutputName;
  return `${p} (${STACK_OUTPUT_DOCS[head] ?? "not a known output"})`;
}

/** A missing output the stack has under its name before a rename: says so, and how to re-export it. */
function renamedFrom(outputs: Outputs, p: OutputPath): string {
  const old = RENAMED_OUTPUTS[p.split(".")[0] as OutputName];
  return old !== undefined && (outputs as Record<string, unknown>)[old] !== undefined
    ? ` — the stack has ${old}, this output's name before it was renamed: run \`pulumi up\` on the stack to export ${p.split(".")[0]}`
    : "";
}

/** Throws one UsageError naming every missing output and what it means. */
export function requireOutputs<K extends OutputName>(loaded: LoadedOutputs, paths: readonly (K | `${K}.${string}`)[]): Pick<StackOutputs, K> {
  const missing = paths.filter((p) => !present(lookup(loaded.outputs, p as OutputPath)));
  if (missing.length > 0) {
    const what = missing.map((p) => `${describeOutput(p as OutputPath)}${renamedFrom(loaded.outputs, p as OutputPath)}`).join("; ");
    throw new UsageError(`missing stack output${missing.length > 1 ? "s" : ""} in ${loaded.source}: ${what}`);
  }
  return loaded.outputs as Pick<StackOutputs, K>;
}
