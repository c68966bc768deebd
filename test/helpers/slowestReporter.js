// A mocha reporter: the configured output (dot) plus, at the end, the slowest tests and hooks and
// each file's summed time, so the suite's real costs are visible after every run. Plain
// JavaScript because mocha loads reporters before any require hook (ts-node) is in place.
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS mocha reporter */
const path = require("node:path");
const Mocha = require("mocha");

const { EVENT_TEST_END, EVENT_HOOK_END, EVENT_RUN_END, EVENT_RUN_BEGIN } = Mocha.Runner.constants;
/** How many of the slowest tests and hooks to name: the issue asks for ten. */
const SHOW = Number(process.env.SLOWEST_SHOW || 10);
const ROOT = path.resolve(__dirname, "..", "..");

class SlowestReporter extends Mocha.reporters.Dot {
  constructor(runner, options) {
    super(runner, options);
    const tests = [];
    const hooks = [];
    let started = 0;
    runner.on(EVENT_RUN_BEGIN, () => (started = Date.now()));
    runner.on(EVENT_TEST_END, (t) => tests.push({ title: t.fullTitle(), file: t.file, ms: t.duration || 0 }));
    runner.on(EVENT_HOOK_END, (h) => hooks.push({ title: h.fullTitle ? h.fullTitle() : h.title, file: h.file, ms: h.duration || 0 }));
    runner.once(EVENT_RUN_END, () => {
      const rel = (f) => (f ? path.relative(ROOT, f) : "?");
      const secs = (ms) => `${(ms / 1000).toFixed(2).padStart(7)} s`;
      const files = new Map();
      for (const r of [...tests, ...hooks]) files.set(rel(r.file), (files.get(rel(r.file)) || 0) + r.ms);
      const out = [];
      out.push(`\n  slowest ${SHOW} tests:`);
      for (const t of [...tests].sort((a, b) => b.ms - a.ms).slice(0, SHOW)) out.push(`  ${secs(t.ms)}  ${t.title}  (${rel(t.file)})`);
      out.push(`  slowest ${SHOW} hooks:`);
      for (const h of [...hooks].sort((a, b) => b.ms - a.ms).slice(0, SHOW)) out.push(`  ${secs(h.ms)}  ${h.title}  (${rel(h.file)})`);
      out.push(`  slowest ${SHOW} files (tests + hooks, module loading not included):`);
      for (const [f, ms] of [...files].sort((a, b) => b[1] - a[1]).slice(0, SHOW)) out.push(`  ${secs(ms)}  ${f}`);
      out.push(`  mocha wall ${secs(Date.now() - started)}, ${tests.length} tests`);
      console.log(out.join("\n"));
    });
  }
}

module.exports = SlowestReporter;
