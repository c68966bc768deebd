#!/usr/bin/env node
// `npm run ops -- <command>`: the ops tool's process entry. Everything else is in scripts/ops/.
import * as path from "node:path";

// The pinned SDK runs on Node 20; its notice that releases after January 2027 need Node 22 would
// break the tool's one-line error output on every run (docs/drills.md notes the upgrade).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { runOps } from "./ops/cli";
import { systemClock } from "./ops/clock";

runOps(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  projectDir: path.resolve(__dirname, ".."),
  clock: systemClock,
  signals: process,
  forceExit: (code) => process.exit(code),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ops: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 3;
  },
);
