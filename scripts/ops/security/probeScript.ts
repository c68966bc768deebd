// Packs the in-task probe (probe/workspace_probe.py) into a RunTask command override: the source
// is deflated and base64-encoded into a `python3 -c` one-liner, so no image change is needed to
// run it. RunTask allows at most 8192 characters of overrides JSON; a probe too large for that is
// refused here with its size, before anything is launched.
import type { ContainerOverride } from "@aws-sdk/client-ecs";
import * as fs from "node:fs";
import * as path from "node:path";
import { deflateSync } from "node:zlib";
import { CONTAINERS } from "../../../lib/names";
import { PROBE_CONFIG_ENV, type ProbeConfig } from "../../../probe/verdict";
import { UsageError, errorMessage } from "../errors";

export const PROBE_PATH = path.join("probe", "workspace_probe.py");
/** RunTask: "the total amount of characters in the overrides JSON must not exceed 8192". */
export const MAX_OVERRIDES_CHARS = 8192;

export function readProbe(projectDir: string): string {
  const file = path.join(projectDir, PROBE_PATH);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`the in-task probe ${PROBE_PATH} is missing or unreadable (${errorMessage(err)}): it is part of this repository; restore it or run with --only audit`);
  }
}

/**
 * The probe as shipped: comment lines, one-line docstrings and blank lines dropped, indentation cut
 * to one space per level (the probe keeps 4-space levels and has no multi-line strings). Python
 * sees the same program; test/probe.test.ts compares the two syntax trees.
 */
export function compactPython(source: string): string {
  return source
    .split("\n")
    .filter((line) => !/^\s*#/.test(line) && !/^\s*"""[^"]*"""\s*$/.test(line) && line.trim() !== "")
    .map((line) => {
      const indent = /^ */.exec(line)![0].length;
      return " ".repeat(Math.floor(indent / 4) + (indent % 4)) + line.trim();
    })
    .join("\n") + "\n";
}

export function probeCommand(source: string, python: string): string[] {
  const packed = deflateSync(Buffer.from(compactPython(source), "utf8"), { level: 9 }).toString("base64");
  return [python, "-c", `import base64,zlib;exec(zlib.decompress(base64.b64decode('${packed}')))`];
}

export interface ProbeOverrides {
  readonly containerOverrides: ContainerOverride[];
  /** Characters of the overrides JSON, as RunTask counts them. */
  readonly size: number;
}

export function probeOverrides(source: string, config: ProbeConfig, python: string): ProbeOverrides {
  const containerOverrides: ContainerOverride[] = [{
    name: CONTAINERS.workspaceAgent,
    command: probeCommand(source, python),
    environment: [{ name: PROBE_CONFIG_ENV, value: JSON.stringify(config) }],
  }];
  const size = JSON.stringify({ containerOverrides }).length;
  if (size > MAX_OVERRIDES_CHARS) {
    throw new UsageError(`the probe's RunTask overrides are ${size} characters, over RunTask's ${MAX_OVERRIDES_CHARS}: shorten ${PROBE_PATH} (${source.length} characters, ${compactPython(source).length} compacted) or the probe config (${JSON.stringify(config).length})`);
  }
  return { containerOverrides, size };
}
