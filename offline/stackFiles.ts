// Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI does for a program: project
// defaults first, stack values over them, every value handed over as a string (lists and objects
// as JSON). `secure:` values cannot be decrypted here: they become a masked stand-in, marked secret.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const MASKED_SECRET = "[secret]";

interface StackFiles {
  readonly project: string;
  readonly stack: string;
  readonly config: Record<string, string>;
  readonly secretKeys: string[];
  readonly stackFile: string;
}

export class StackFileError extends Error {}

function readYaml(file: string): any {
  try {
    return parse(fs.readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw new StackFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function asConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** The project's declared keys and their defaults (Pulumi.yaml `config:`), namespaced. */
export function projectDefaults(projectDir: string): { project: string; defaults: Record<string, string> } {
  const projectFile = readYaml(path.join(projectDir, "Pulumi.yaml"));
  const project = String(projectFile.name);
  const defaults: Record<string, string> = {};
  for (const [key, declaration] of Object.entries<any>(projectFile.config ?? {})) {
    const qualified = key.includes(":") ? key : `${project}:${key}`;
    const isDeclaration = typeof declaration === "object" && declaration !== null && !Array.isArray(declaration);
    const value = isDeclaration ? (declaration.value ?? declaration.default) : declaration;
    if (value !== undefined) defaults[qualified] = asConfigString(value);
  }
  return { project, defaults };
}

function listStacks(projectDir: string): string[] {
  return fs.readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function readStackFiles(projectDir: string, stack: string): StackFiles {
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    const known = listStacks(projectDir);
    throw new StackFileError(`no stack "${stack}": ${stackFile} does not exist (stacks here: ${known.join(", ") || "none"})`);
  }
  const { project, defaults } = projectDefaults(projectDir);
  const config: Record<string, string> = { ...defaults };
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries<any>(readYaml(stackFile).config ?? {})) {
    const qualified = key.includes(":") ? key : `${project}:${key}`;
    if (isSecure(value)) {
      config[qualified] = MASKED_SECRET;
      secretKeys.push(qualified);
    } else {
      config[qualified] = asConfigString(value);
    }
  }
  return { project, stack, config, secretKeys, stackFile };
}
