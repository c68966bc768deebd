// The require hook the tests run TypeScript with (mocha's workers and every process a test starts):
// the project's one transpile cache (scripts/ts-hook.js, which the plan and the ops bin use too),
// with Node mapping traces back to the TypeScript lines, as a failing test should show them.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS require hook */
"use strict";
process.setSourceMapsEnabled(true);
require("../../scripts/ts-hook.js");
