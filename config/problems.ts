// Config problems: every one names the key, the bad value, what is allowed and how to fix it.
import type { StackConfig } from "../config";

export interface ConfigProblem {
  /** Fully qualified key, e.g. "remote-claude:azCount" or "aws:region". */
  readonly key: string;
  /** The offending value as the user wrote it (secrets masked). */
  readonly value: string;
  readonly expected: string;
}

/** How a secret value appears in a problem: never its text. */
export const SECRET_SHOWN = "[secret]";

type Report = (key: string, value: unknown, expected: string) => void;

/** A rule over several keys; it reports against the key the user should change. */
export type CrossCheck = (cfg: StackConfig, report: Report) => void;

export function showProblemValue(value: unknown): string {
  return value === undefined ? "(unset)" : JSON.stringify(value);
}

/**
 * Keys the program once read under another name: old name → new name. A stack file that still
 * has the old one gets a problem naming the new key and the commands that move the value.
 */
export const RENAMED_KEYS: Readonly<Record<string, string>> = { proxyCredential: "credentialProxySecret" };

/** The two commands that move a renamed key's value to its new name (as a secret where it is one). */
function moveKeyCommands(oldName: string, newName: string, stack: string, secret: boolean): string {
  return `pulumi config set${secret ? " --secret" : ""} ${newName} "$(pulumi config get ${oldName} --stack ${stack})" --stack ${stack} && pulumi config rm ${oldName} --stack ${stack}`;
}

function fixHint(key: string, stack: string, secret = false): string {
  const [namespace, name] = key.split(":");
  const renamed = namespace !== "aws" ? RENAMED_KEYS[name] : undefined;
  if (renamed !== undefined) return `run \`${moveKeyCommands(name, renamed, stack, secret)}\``;
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
        problems.map((p) => `  - ${p.key} = ${p.value}: expected ${p.expected}. Fix: ${fixHint(p.key, stack, p.value === SECRET_SHOWN)}.`).join("\n"),
    );
    this.name = "ConfigError";
  }
}
