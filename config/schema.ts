// The config key builder. Each key knows its Pulumi type, default, description and how to parse
// and check the string Pulumi hands the program, so one table drives validation, Pulumi.yaml's
// `config:` block and the README's reference table.
import * as pulumi from "@pulumi/pulumi";
import { SECRET_SHOWN } from "./problems";

export type PulumiConfigType = "string" | "integer" | "boolean" | "array";

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

export interface KeySpec<T> {
  readonly type: PulumiConfigType;
  readonly description: string;
  /** Absent for keys without a default: those are optional (undefined) unless `required`. */
  readonly default?: T;
  readonly required?: boolean;
  /** Secret keys are read as Pulumi secrets and never printed. */
  readonly secret?: boolean;
  /** What a valid value looks like, for error messages and docs. */
  readonly expected: string;
  parse(raw: string): Parsed<T>;
}

export type ValueOf<S> = S extends KeySpec<infer T> ? T : never;
export type ConfigValues<Schema> = { readonly [K in keyof Schema]: ValueOf<Schema[K]> };

interface Common<T> {
  description: string;
  default?: T;
  required?: boolean;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

export function integer(
  opts: Common<number> & ({ min: number; max: number; unit?: string } | { allowed: readonly number[]; unit: string }),
): KeySpec<number> {
  const expected =
    "allowed" in opts
      ? `${opts.unit}: one of ${opts.allowed.join(", ")}`
      : `an integer from ${opts.min} to ${opts.max}${opts.unit ? ` (${opts.unit})` : ""}`;
  const accepts = (value: number) =>
    "allowed" in opts ? opts.allowed.includes(value) : value >= opts.min && value <= opts.max;
  return {
    type: "integer",
    description: opts.description,
    default: opts.default,
    required: opts.required,
    expected,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) return bad(expected);
      const value = Number(raw);
      return accepts(value) ? ok(value) : bad(expected);
    },
  };
}

export function boolean(opts: Common<boolean>): KeySpec<boolean> {
  return {
    type: "boolean",
    description: opts.description,
    default: opts.default,
    required: opts.required,
    expected: "true or false",
    parse(raw) {
      const value = raw.trim();
      if (value === "true") return ok(true);
      if (value === "false") return ok(false);
      return bad("true or false");
    },
  };
}

/** A string checked by `check`, which returns the reason it is wrong or undefined. */
export function string(
  opts: Common<string> & { expected: string; check?: (value: string) => string | undefined; secret?: boolean },
): KeySpec<string> {
  return {
    type: "string",
    description: opts.description,
    default: opts.default,
    required: opts.required,
    secret: opts.secret,
    expected: opts.expected,
    parse(raw) {
      const reason = opts.check?.(raw);
      return reason === undefined ? ok(raw) : bad(`${opts.expected} (${reason})`);
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[], opts: Common<V>): KeySpec<V> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
  return {
    type: "string",
    description: opts.description,
    default: opts.default,
    required: opts.required,
    expected,
    parse(raw) {
      return (values as readonly string[]).includes(raw) ? ok(raw as V) : bad(expected);
    },
  };
}

/** A list of strings, each checked by `item`; Pulumi passes arrays to programs as JSON. */
export function stringList(
  opts: Common<string[]> & { expected: string; minItems?: number; maxItems?: number; item?: (value: string) => string | undefined },
): KeySpec<string[]> {
  const bounds = [
    opts.minItems ? `at least ${opts.minItems}` : "",
    opts.maxItems !== undefined ? `at most ${opts.maxItems}` : "",
  ].filter(Boolean).join(" and ");
  const expected = `a list of ${opts.expected}${bounds ? `, ${bounds}` : ""}`;
  return {
    type: "array",
    description: opts.description,
    default: opts.default,
    required: opts.required,
    expected,
    parse(raw) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return bad(`${expected} (written as a YAML list)`);
      }
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) return bad(`${expected} of strings`);
      if (opts.minItems && value.length < opts.minItems) return bad(expected);
      if (opts.maxItems !== undefined && value.length > opts.maxItems) return bad(expected);
      const reasons = value
        .map((v: string) => ({ v, reason: opts.item?.(v) }))
        .filter((r) => r.reason !== undefined)
        .map((r) => `${JSON.stringify(r.v)} ${r.reason}`);
      if (new Set(value).size !== value.length) reasons.push("has duplicates");
      return reasons.length === 0 ? ok(value as string[]) : bad(`${expected}; ${reasons.join("; ")}`);
    },
  };
}

/** How a value looks in a message: lists and strings as JSON, secrets never. */
export function showValue(spec: KeySpec<unknown>, raw: string): string {
  if (spec.secret) return SECRET_SHOWN;
  if (spec.type === "array") return raw;
  const bareScalar = spec.type === "integer" ? /^-?\d+$/.test(raw) : spec.type === "boolean" && /^(true|false)$/.test(raw);
  return bareScalar ? raw : JSON.stringify(raw);
}

/** Marks a key without a default as optional: its value is undefined when unset. */
export function optional<T>(spec: KeySpec<T>): KeySpec<T | undefined> {
  if (spec.default !== undefined || spec.required) throw new Error("optional keys have no default and are not required");
  return spec;
}

/** A secret string: validated like `string`, then carried as a Pulumi secret output. */
export function secretString(opts: {
  description: string;
  expected: string;
  check?: (value: string) => string | undefined;
}): KeySpec<pulumi.Output<string>> {
  const plain = string({ ...opts, secret: true });
  return {
    ...plain,
    default: undefined,
    parse(raw) {
      const parsed = plain.parse(raw);
      return parsed.ok ? { ok: true, value: pulumi.secret(parsed.value) } : parsed;
    },
  };
}
