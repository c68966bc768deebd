// A require hook for the ops CLI processes the moto suite starts: TypeScript transpiled exactly as
// `ts-node --transpile-only` does (typescript's transpileModule with the project's compiler
// options), cached on disk by file name and content (OPS_TRANSPILE_CACHE), so only a process that
// meets a new or changed file loads TypeScript; the others start in about half the time.
// The program that runs is the same scripts/ops.ts `npm run ops` runs.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS require hook */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const cacheDir = process.env.OPS_TRANSPILE_CACHE;
if (!cacheDir) throw new Error("transpileCache.js needs OPS_TRANSPILE_CACHE (a directory)");
const projectDir = path.resolve(__dirname, "..", "..", "..", "..");

let ts;
let compilerOptions;

function transpile(source, fileName) {
  if (!ts) {
    ts = require("typescript");
    const config = ts.readConfigFile(path.join(projectDir, "tsconfig.json"), ts.sys.readFile).config;
    compilerOptions = ts.convertCompilerOptionsFromJson(config.compilerOptions, projectDir).options;
    // What ts-node sets for emitting: one CommonJS module per file, no declarations.
    Object.assign(compilerOptions, { noEmit: false, declaration: false, sourceMap: false, inlineSourceMap: false, module: ts.ModuleKind.CommonJS });
  }
  return ts.transpileModule(source, { compilerOptions, fileName }).outputText;
}

require.extensions[".ts"] = function compileTs(module, fileName) {
  const source = fs.readFileSync(fileName, "utf8");
  const key = crypto.createHash("sha256").update(fileName).update("\0").update(source).digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
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
