// The require hook the tests run TypeScript with (mocha's workers and every process a test starts):
// the project's one transpile cache (scripts/ts-hook.js, which the plan and the ops bin use too),
// with traces mapped back to the TypeScript lines, as a failing test should show them.
// Node's own mapping (setSourceMapsEnabled) looks every frame of every captured stack up in its
// source map cache, and Pulumi captures a stack for each promise and resource it makes (with no
// depth limit): that was a third of a stack build's CPU. So Node keeps the maps (the cache must be
// on to hold them), but the trace is formatted here, and only frames in the project's own
// TypeScript files are looked up; every other frame is V8's own text, as Node would print it.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS require hook */
"use strict";
const { findSourceMap } = require("node:module");
const path = require("node:path");

const PROJECT_DIR = path.resolve(__dirname, "..", "..") + path.sep;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

process.setSourceMapsEnabled(true);

/** A project TypeScript file's source map (absent until the file has loaded); kept per file, as a loaded module's code does not change. */
const maps = new Map();
function projectMap(fileName) {
  if (!fileName || !fileName.endsWith(".ts") || !fileName.startsWith(PROJECT_DIR) || fileName.includes(NODE_MODULES)) return undefined;
  let map = maps.get(fileName);
  if (map === undefined) {
    map = findSourceMap(fileName) ?? null;
    if (map) maps.set(fileName, map);
  }
  return map ?? undefined;
}

/** One frame as V8 prints it, with the TypeScript position where the file is the project's. */
function frame(site) {
  const text = site.toString();
  const map = projectMap(site.getFileName());
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!map || line === null || column === null) return text;
  const entry = map.findEntry(line - 1, column - 1);
  if (!entry || entry.originalLine === undefined) return text;
  const at = `${site.getFileName()}:${line}:${column}`;
  const mapped = `${site.getFileName()}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return text.includes(at) ? text.replace(at, mapped) : text;
}

Error.prepareStackTrace = (error, sites) => {
  let head;
  try {
    head = Error.prototype.toString.call(error);
  } catch {
    head = "<error>";
  }
  return sites.length === 0 ? head : `${head}\n${sites.map((s) => `    at ${frame(s)}`).join("\n")}`;
};

require("../../scripts/ts-hook.js");
