// Config problems: every one names the key, the bad value, what is allowed and how to fix it.
import type { StackConfig } from "../config";

export interface ConfigProblem {
  /** Fully qualified key, e.g. "remote-claude:azCount" or "aws:region". */
  readonly key: string;
  /** The offending value as the user wrote it (secrets masked). */
  readonly value: string;
  readonly expected: string;
}

export type Report = (key: string, value: unknown, expected: string) => void;

/** A rule over several keys; it reports against the key the user should change. */
export type CrossCheck = (cfg: StackConfig, report: Report) => void;

export function showProblemValue(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

export function fixHint(key: string, stack: string): string {
  const [namespace, name] = key.split(":");
  const cliKey = namespace === "aws" ? key : name;
  return `set ${key} in Pulumi.${stack}.yaml or run \`pulumi config set ${cliKey} <value> --stack ${stack}\``;
}

export class ConfigError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `Stack "${stack}" has ${problems.length} config problem${problems.length === 1 ? "" : "s"}; nothing was created:\n` +
        problems.map((p) => `  - ${p.key} = ${p.value}: expected ${p.expected}. Fix: ${fixHint(p.key, stack)}.`).join("\n"),
    );
    this.name = "ConfigError";
  }
}
