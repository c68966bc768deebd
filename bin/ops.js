#!/usr/bin/env node
// `ops` as an installed command (package.json "bin"): runs the TypeScript entry through ts-node.
require("ts-node").register({ transpileOnly: true });
require("../scripts/ops.ts");
