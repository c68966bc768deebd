// The stack config: one typed, validated object for everything the program reads.
// Keys live in config/<section>.ts; this file joins them, reads them from Pulumi and reports
// every problem at once (ConfigError) before any resource is created.
import * as pulumi from "@pulumi/pulumi";
import { hostChecks, hostKeys } from "./config/hosts";
import { networkChecks, networkKeys } from "./config/network";
import { ConfigError, type ConfigProblem, type CrossCheck, RENAMED_KEYS, showProblemValue } from "./config/problems";
import { type ConfigValues, type KeySpec, showValue, string } from "./config/schema";
import { secretKeys } from "./config/secrets";
import { dataChecks, dataKeys } from "./config/data";
import { serviceChecks, serviceKeys } from "./config/services";
import { storageChecks, storageKeys } from "./config/storage";
// Cost assumptions of the plan's estimate.
import { costKeys } from "./config/cost";
import { egressChecks, egressKeys } from "./config/egress";
// AWS quotas and the capacity the plan sizes for.
import { capacityChecks, capacityKeys } from "./config/capacity";
import { isProdStack } from "./lib/names";

export { ConfigError } from "./config/problems";

export const PROJECT = "remote-claude";

/** Every project config key, by section. Add a section's keys here and its checks below. */
export const configSchema = {
  ...networkKeys,
  ...hostKeys,
  ...secretKeys,
  ...serviceKeys,
  ...dataKeys,
  ...storageKeys,
  ...costKeys,
  ...egressKeys,
  ...capacityKeys,
};

const crossChecks: readonly CrossCheck[] = [...networkChecks, ...hostChecks, ...serviceChecks, ...dataChecks, ...storageChecks, ...egressChecks, ...capacityChecks];

export interface StackConfig extends ConfigValues<typeof configSchema> {
  readonly project: string;
  readonly stack: string;
  /** aws:region, the provider's region. */
  readonly region: string;
  /** Production stacks ("prod", "prod-*") get the stricter defaults and guards. */
  readonly isProd: boolean;
  /** Tags every taggable resource carries. */
  readonly tags: Readonly<Record<string, string>>;
}

const regionKey = string({
  description: "AWS region of the stack (the AWS provider's own key).",
  required: true,
  expected: "an AWS region name such as ap-northeast-1",
  check: (v) => (/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(v) ? undefined : "is not a region name"),
});

export interface RawStackConfig {
  readonly stack: string;
  /** Fully qualified keys ("remote-claude:azCount", "aws:region") to the strings Pulumi passes. */
  readonly values: Readonly<Record<string, string>>;
}

export { isProdStack };

export function fullKey(key: string): string {
  return `${PROJECT}:${key}`;
}

/** Parses and validates a stack's raw config; throws ConfigError listing every problem. */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
  const problems: ConfigProblem[] = [];
  const failedKeys = new Set<string>();
  const report = (key: string, value: string, expected: string) => {
    problems.push({ key, value, expected });
    failedKeys.add(key);
  };

  const parseKey = <T>(key: string, spec: KeySpec<T>): T | undefined => {
    const text = raw.values[key];
    if (text === undefined) {
      if (spec.required) report(key, "(unset)", spec.expected);
      return spec.default;
    }
    const parsed = spec.parse(text);
    if (parsed.ok) return parsed.value;
    report(key, showValue(spec as KeySpec<unknown>, text), parsed.expected);
    return spec.default;
  };

  const known = new Set(Object.keys(configSchema).map(fullKey));
  for (const key of Object.keys(raw.values)) {
    if (!key.startsWith(`${PROJECT}:`) || known.has(key)) continue;
    const renamed = RENAMED_KEYS[key.slice(PROJECT.length + 1)];
    if (renamed !== undefined) {
      const spec = configSchema[renamed as keyof typeof configSchema] as KeySpec<unknown>;
      report(key, showValue(spec, raw.values[key]), `no such key: it is now ${fullKey(renamed)}, which takes the same value`);
      continue;
    }
    const near = [...known].find((k) => k.toLowerCase() === key.toLowerCase());
    report(key, showProblemValue(raw.values[key]), near ? `no such key: did you mean ${near}?` : `one of the known keys (see the README's config reference); ${key} is not one`);
  }

  const region = parseKey("aws:region", regionKey) ?? "";
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(configSchema)) {
    values[key] = parseKey(fullKey(key), spec as KeySpec<unknown>);
  }

  const cfg = {
    ...values,
    project: PROJECT,
    stack: raw.stack,
    region,
    isProd: isProdStack(raw.stack),
    tags: { Project: PROJECT, Stack: raw.stack, ManagedBy: "pulumi" },
  } as unknown as StackConfig;

  for (const check of crossChecks) runCrossCheck(check, cfg, failedKeys, problems);

  if (problems.length > 0) throw new ConfigError(raw.stack, problems);
  return cfg;
}

/** A cross check that reads a key which already failed would judge a stand-in value: skip it. */
function runCrossCheck(check: CrossCheck, cfg: StackConfig, failedKeys: Set<string>, problems: ConfigProblem[]) {
  const read = new Set<string>();
  const watched = new Proxy(cfg, {
    get(target, prop, receiver) {
      if (typeof prop === "string") read.add(prop === "region" ? "aws:region" : fullKey(prop));
      return Reflect.get(target, prop, receiver);
    },
  });
  const found: ConfigProblem[] = [];
  check(watched, (key, value, expected) => found.push({ key: fullKey(key), value: showProblemValue(value), expected }));
  if ([...read].some((key) => failedKeys.has(key))) return;
  problems.push(...found);
}

/** Reads the running stack's config from the Pulumi runtime (CLI or offline engine). */
export function readStackConfig(): StackConfig {
  return parseStackConfig({ stack: pulumi.getStack(), values: pulumi.runtime.allConfig() });
}
