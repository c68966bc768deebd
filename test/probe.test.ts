import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { PROBE_CHECKS, PROBE_CONFIG_ENV, PROBE_SCHEMA, PROBE_SCRIPT, VERDICT_PREFIX } from "../probe/verdict";

// Static checks of the probe's source (it never runs on the test host: see test/docker/).
const source = fs.readFileSync(path.resolve(__dirname, "..", PROBE_SCRIPT), "utf8");

describe("workspace probe (source)", () => {
  it("speaks the contract of probe/verdict.ts: prefix, schema, config variable", () => {
    expect(source).to.include(`PREFIX = ${JSON.stringify(VERDICT_PREFIX)}`);
    expect(source).to.include(`SCHEMA = ${JSON.stringify(PROBE_SCHEMA)}`);
    expect(source).to.include(`os.environ.get(${JSON.stringify(PROBE_CONFIG_ENV)})`);
  });

  it("implements every check of PROBE_CHECKS with its category, and no other", () => {
    const named = [...source.matchAll(/\("([a-z0-9-]+)", (?:"([a-z]+)"|SYSCALL), /g)].map((m) => `${m[1]}/${m[2] ?? "syscall"}`);
    const namespaces = [...source.matchAll(/NS = dict\(([^)]*)\)/g)][0][1].split(",").map((kv) => `unshare-${kv.split("=")[0].trim()}/syscall`);
    const implemented = [...named.filter((n) => !n.startsWith("unshare-")), ...namespaces].sort();
    expect(implemented).to.deep.equal(PROBE_CHECKS.map((c) => `${c.id}/${c.category}`).sort());
  });

  it("is stdlib-only and small enough for a RunTask override (8 KB) once compressed", () => {
    const imports = /^import (.+)$/m.exec(source)![1].split(",").map((s) => s.trim());
    expect(imports.every((m) => ["ctypes", "errno", "json", "os", "select", "signal", "socket", "struct", "sys", "tempfile", "time"].includes(m))).to.equal(true);
    expect(gzipSync(source, { level: 9 }).toString("base64").length).to.be.lessThan(7000);
  });

  it("refuses its syscall checks outside a container and runs each attempt in a child with a deadline", () => {
    expect(source).to.include("not in a container: refusing to probe the host");
    expect(source).to.match(/blocked, detail = in_child\(fn\) if category in \(SYSCALL, "capabilities", "filesystem"\)/);
  });
});
