#!/usr/bin/env node
// `ops` as an installed command (package.json "bin") and `npm run ops`: the TypeScript entry run as
// JavaScript from the transpile cache (scripts/ts-hook.js), never staler than its sources.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher */
require("../scripts/ts-hook.js");
require("../scripts/ops.ts");
