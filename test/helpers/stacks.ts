// Builds stacks on the offline engine for tests: the real stack files, optionally with config
// overrides. Graphs are cached per process, so every test file shares one build per variant.
import { ConfigError, type StackConfig, fullKey, parseStackConfig } from "../../config";
import { runOffline } from "../../offline/engine";
import type { StackGraph } from "../../offline/graph";
import { PROJECT_DIR } from "../../offline/plan";
import { readStackFiles } from "../../offline/stackFiles";

export type StackName = "staging" | "prod";
export const STACKS: readonly StackName[] = ["staging", "prod"];

/** Short project keys ("azCount") or qualified ones ("aws:region"); `undefined` removes a key. */
export type Overrides = Readonly<Record<string, unknown>>;

function qualify(key: string): string {
  return key.includes(":") ? key : fullKey(key);
}

export function stackConfigValues(stack: StackName, overrides: Overrides = {}): { config: Record<string, string>; secretKeys: string[] } {
  const files = readStackFiles(PROJECT_DIR, stack);
  const config = { ...files.config };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete config[qualify(key)];
    else config[qualify(key)] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { config, secretKeys: files.secretKeys };
}

const cache = new Map<string, Promise<StackGraph>>();

/** The graph of a stack as its stack file defines it, plus overrides. */
export function buildStack(stack: StackName, overrides: Overrides = {}): Promise<StackGraph> {
  const cacheKey = `${stack}|${JSON.stringify(overrides)}`;
  let graph = cache.get(cacheKey);
  if (!graph) {
    const { config, secretKeys } = stackConfigValues(stack, overrides);
    graph = runOffline({ project: "remote-claude", stack, config, secretKeys });
    cache.set(cacheKey, graph);
  }
  return graph;
}

/** The validated config of a stack file plus overrides (no engine run). */
export function stackConfig(stack: StackName, overrides: Overrides = {}): StackConfig {
  return parseStackConfig({ stack, values: stackConfigValues(stack, overrides).config });
}

/** The ConfigError a stack with these overrides raises; fails the test when it raises none. */
export function configErrorOf(stack: StackName, overrides: Overrides): ConfigError {
  try {
    stackConfig(stack, overrides);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected a ConfigError for overrides ${JSON.stringify(overrides)}`);
}
