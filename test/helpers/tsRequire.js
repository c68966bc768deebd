// The require hook the tests run TypeScript with (mocha's workers and every process a test starts):
// each .ts file transpiled exactly as `ts-node --transpile-only` does (typescript's transpileModule
// with tsconfig.json's options), the JavaScript kept on disk keyed by the file's content, the
// compiler options and TypeScript's version. A process whose files are all cached never loads
// TypeScript, and none pays for ts-node's source-map-support, which maps every stack Pulumi
// captures (a stack's graph took twice the CPU under it). Traces still point at the TypeScript
// lines: the cached files carry inline source maps and Node maps them itself.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS require hook */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
/** Where the JavaScript is kept: with the installed dependencies, so `npm ci` starts it afresh. */
const CACHE_DIR = process.env.REMOTE_CLAUDE_TS_CACHE || path.join(PROJECT_DIR, "node_modules", ".cache", "remote-claude-ts");
/** Bumped when this hook's output changes, so older entries stop matching. */
const HOOK_VERSION = "1";

process.setSourceMapsEnabled(true);

let ts;
let compilerOptions;
let keyPrefix;

function prefix() {
  if (!keyPrefix) {
    const tsVersion = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json", { paths: [PROJECT_DIR] }), "utf8")).version;
    keyPrefix = `${HOOK_VERSION}\0${tsVersion}\0${fs.readFileSync(path.join(PROJECT_DIR, "tsconfig.json"), "utf8")}\0`;
  }
  return keyPrefix;
}

function transpile(source, fileName) {
  if (!ts) {
    ts = require(require.resolve("typescript", { paths: [PROJECT_DIR] }));
    const config = ts.readConfigFile(path.join(PROJECT_DIR, "tsconfig.json"), ts.sys.readFile).config;
    compilerOptions = ts.convertCompilerOptionsFromJson(config.compilerOptions, PROJECT_DIR).options;
    // What ts-node sets for emitting: one CommonJS module per file, no declarations; a map inline.
    Object.assign(compilerOptions, { noEmit: false, declaration: false, sourceMap: false, inlineSourceMap: true, inlineSources: false, module: ts.ModuleKind.CommonJS });
  }
  return ts.transpileModule(source, { compilerOptions, fileName }).outputText;
}

fs.mkdirSync(CACHE_DIR, { recursive: true });

require.extensions[".ts"] = function compileTs(module, fileName) {
  const source = fs.readFileSync(fileName, "utf8");
  const key = crypto.createHash("sha256").update(prefix()).update(fileName).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE_DIR, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, "utf8");
  } catch {
    code = transpile(source, fileName);
    // Written aside, then renamed: processes started together never read half a file.
    const partial = `${cached}.${process.pid}`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, cached);
  }
  module._compile(code, fileName);
};
