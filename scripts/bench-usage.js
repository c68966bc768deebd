// Preloaded into each process scripts/benchProcess.ts times (NODE_OPTIONS=--require): at exit, appends
// the process's own CPU seconds and peak memory to BENCH_USAGE_FILE, one JSON line.
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, preloaded before any TypeScript */
"use strict";
const fs = require("node:fs");

process.on("exit", () => {
  const usage = process.resourceUsage();
  const line = { cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakMiB: usage.maxRSS / 1024 };
  fs.appendFileSync(process.env.BENCH_USAGE_FILE, `${JSON.stringify(line)}\n`);
});
