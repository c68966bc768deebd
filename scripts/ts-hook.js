// How the project's TypeScript runs in plain Node (`node -r ./scripts/ts-hook.js FILE.ts`, and the
// `ops` bin): a require hook that transpiles each .ts file as `ts-node --transpile-only` does
// (typescript's transpileModule with tsconfig.json's options) and keeps the JavaScript in a cache
// keyed on the file's content, the compiler options and the TypeScript version. A start whose files
// are all in the cache never loads TypeScript (about 1 s of a short command's start); an edited
// file is transpiled anew on its next require, so what runs is always the current source.
// `node scripts/ts-hook.js --warm` (npm's prepare step) fills the cache for every project file and
// drops entries no file has any more. Traces point at the transpiled lines unless Node runs with
// --enable-source-maps (the cached files carry inline source maps; mapping every stack Pulumi
// captures would cost seconds per plan).
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: it runs before any TypeScript can */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PROJECT_DIR = path.resolve(__dirname, "..");
/** Bumped when the hook's own output changes, so old entries stop matching. */
const HOOK_VERSION = "1";

let typescript;
let compilerOptions;
let cacheDir;
let keyPrefix;

function loadTypeScript() {
  if (!typescript) {
    typescript = require("typescript");
    const { config, error } = typescript.readConfigFile(path.join(PROJECT_DIR, "tsconfig.json"), typescript.sys.readFile);
    if (error) throw new Error(`tsconfig.json: ${typescript.flattenDiagnosticMessageText(error.messageText, "\n")}`);
    compilerOptions = typescript.convertCompilerOptionsFromJson(config.compilerOptions, PROJECT_DIR).options;
    // What ts-node sets for emitting: one CommonJS module per file, no declarations.
    Object.assign(compilerOptions, {
      noEmit: false,
      declaration: false,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: false,
      module: typescript.ModuleKind.CommonJS,
    });
  }
  return typescript;
}

/** What every entry's key starts with: the hook, the compiler and its options. */
function prefix() {
  if (keyPrefix === undefined) {
    const tsVersion = JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version;
    const tsconfig = fs.readFileSync(path.join(PROJECT_DIR, "tsconfig.json"), "utf8");
    keyPrefix = `${HOOK_VERSION}\0${tsVersion}\0${tsconfig}\0`;
  }
  return keyPrefix;
}

/** node_modules/.cache/ by convention; a temp directory where the project is read-only. */
function cacheDirectory() {
  if (cacheDir === undefined) {
    const candidates = [path.join(PROJECT_DIR, "node_modules", ".cache", "ts-hook"), path.join(os.tmpdir(), `remote-claude-ts-hook-${os.userInfo().uid}`)];
    for (const dir of candidates) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.accessSync(dir, fs.constants.W_OK);
        cacheDir = dir;
        break;
      } catch {
        // next candidate
      }
    }
    if (cacheDir === undefined) throw new Error(`ts-hook: no writable cache directory among ${candidates.join(", ")}`);
  }
  return cacheDir;
}

function cacheFile(fileName, source) {
  const key = crypto.createHash("sha256").update(prefix()).update(fileName).update("\0").update(source).digest("hex");
  return path.join(cacheDirectory(), `${key}.js`);
}

/** The JavaScript for one file, from the cache or transpiled now (and cached). */
function compiled(fileName, source) {
  const cached = cacheFile(fileName, source);
  try {
    return { file: cached, code: fs.readFileSync(cached, "utf8") };
  } catch {
    const ts = loadTypeScript();
    const code = ts.transpileModule(source, { compilerOptions, fileName }).outputText;
    // Written aside, then renamed: processes started together never read half a file.
    const partial = `${cached}.${process.pid}`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, cached);
    return { file: cached, code };
  }
}

function register() {
  require.extensions[".ts"] = function compileTypeScript(module, fileName) {
    module._compile(compiled(fileName, fs.readFileSync(fileName, "utf8")).code, fileName);
  };
}

/** Every TypeScript file of the project, outside node_modules. */
function projectFiles(dir = PROJECT_DIR, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) projectFiles(full, out);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Fills the cache for every project file and removes the entries none of them has any more. */
function warm() {
  const keep = new Set(projectFiles().map((file) => path.basename(compiled(file, fs.readFileSync(file, "utf8")).file)));
  let removed = 0;
  for (const name of fs.readdirSync(cacheDirectory())) {
    if (name.endsWith(".js") && !keep.has(name)) {
      fs.rmSync(path.join(cacheDirectory(), name), { force: true });
      removed++;
    }
  }
  console.error(`ts-hook: ${keep.size} files transpiled or cached in ${path.relative(PROJECT_DIR, cacheDirectory()) || cacheDirectory()}, ${removed} stale entries removed`);
}

if (require.main === module && process.argv.includes("--warm")) warm();
else register();
