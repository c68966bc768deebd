#!/usr/bin/env node
// `npm run ops -- <command>`: the ops tool's process entry. Everything else is in scripts/ops/.
import * as path from "node:path";
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
