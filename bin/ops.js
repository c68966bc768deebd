#!/usr/bin/env node
// `ops` as an installed command (package.json "bin"): runs the TypeScript entry through ts-node.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS launcher */
require("ts-node").register({ transpileOnly: true });
require("../scripts/ops.ts");
