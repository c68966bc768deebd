// How a test starts one of the project's TypeScript entries (scripts/ops.ts, scripts/plan.ts, …) as
// a Node process of its own: through the require hook mocha's workers use (tsRequire.js), so a
// child finds its files already transpiled and starts without loading TypeScript.
import * as path from "node:path";

const TS_REQUIRE = path.join(__dirname, "tsRequire.js");

/** Node's arguments that run `entry` (a .ts file) with `args`. */
export function tsNodeArgs(entry: string, ...args: readonly string[]): string[] {
  return ["-r", TS_REQUIRE, entry, ...args];
}
