// How TypeScript runs (scripts/ts-hook.js): a process runs the current source of every file, also
// right after an edit, and the plan's deferred modules answer as the real ones do. The judge is
// Node itself: real processes, real files, the real modules.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFERRED_MODULES } from "../scripts/deferredModules";

const ROOT = path.resolve(__dirname, "..");
const HOOK = path.join(ROOT, "scripts", "ts-hook.js");

function run(file: string): string {
  const r = spawnSync(process.execPath, ["-r", HOOK, file], { encoding: "utf8" });
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout.trim();
}

describe("scripts/ts-hook.js", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-hook-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs the file's current content: an edit is transpiled again, an edit undone runs the old output", () => {
    const file = path.join(dir, "main.ts");
    const version = (n: number) => `import { twice } from "./lib";\nconst n: number = ${n};\nconsole.log(twice(n));\n`;
    fs.writeFileSync(path.join(dir, "lib.ts"), "export function twice(n: number): number {\n  return 2 * n;\n}\n");
    fs.writeFileSync(file, version(1));
    expect(run(file)).to.equal("2");
    fs.writeFileSync(file, version(21));
    expect(run(file)).to.equal("42");
    fs.writeFileSync(path.join(dir, "lib.ts"), "export function twice(n: number): number {\n  return n + n + 1;\n}\n");
    expect(run(file)).to.equal("43");
    fs.writeFileSync(file, version(1));
    expect(run(file)).to.equal("3");
  });

  it("maps stack traces to the TypeScript lines under --enable-source-maps", () => {
    const file = path.join(dir, "throws.ts");
    fs.writeFileSync(file, "interface Unused { readonly x: number }\ntype Also = string;\n\nexport function fail(): never {\n  throw new Error(\"boom\");\n}\nfail();\n");
    const r = spawnSync(process.execPath, ["--enable-source-maps", "-r", HOOK, file], { encoding: "utf8" });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(`${file}:5:9`);
  });
});

describe("the plan's deferred modules", () => {
  it("name modules that exist where they are required from, and answer __esModule as the real module or its property reads", () => {
    for (const d of DEFERRED_MODULES) {
      const from = d.from.startsWith("/node_modules/") ? path.join(ROOT, d.from) : path.join(d.from, "retainedVolumes.ts");
      expect(fs.existsSync(from), from).to.equal(true);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module as its requirer gets it
      const real = require(require.resolve(d.request, { paths: [path.dirname(from)] }));
      // esModule true for a module without it is only sound when every use reads a property it has.
      if (!d.esModule) expect(Boolean(real.__esModule), d.request).to.equal(false);
      else if (!real.__esModule) expect(real.Arborist, d.request).to.not.equal(undefined);
    }
  });

  it("are never loaded by a plan of staging (the program uses none of them)", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "deferred-plan-")), "plan.json");
    const r = spawnSync(process.execPath, ["-r", HOOK, "-e", [
      `process.argv = [process.argv[0], 'plan', '--stack', 'staging', '--json', '--out', ${JSON.stringify(out)}];`,
      "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache).filter((k) => /node_modules\\/(@npmcli\\/arborist|@pulumi\\/awsx\\/classic|@aws-sdk\\/client-(ec2|cloudwatch)\\/)/.test(k)))));",
      "require('./scripts/plan.ts');",
    ].join("\n")], { cwd: ROOT, encoding: "utf8" });
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/LOADED \[\]/);
  });
});
