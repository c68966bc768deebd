import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { spawnSync } from "node:child_process";
import { EGRESS_MODES } from "../lib/egress";
import { expectationFor, PROBE_CHECKS, PROBE_CONFIG_ENV, PROBE_SCHEMA, PROBE_SCRIPT, type ProbeConfig, VERDICT_PREFIX } from "../probe/verdict";
import { compactPython, MAX_OVERRIDES_CHARS, probeOverrides } from "../scripts/ops/security/probeScript";

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

  it("is stdlib-only", () => {
    const imports = /^import (.+)$/m.exec(source)![1].split(",").map((s) => s.trim());
    expect(imports.every((m) => ["ctypes", "errno", "json", "os", "select", "signal", "socket", "ssl", "struct", "sys", "tempfile", "time"].includes(m)), imports.join(",")).to.equal(true);
    expect(source.match(/^(import|from) /gm)).to.have.length(1);
  });

  it("fits RunTask's 8,192-character overrides with a worst-case config, as the ops tool packs it", () => {
    // Every target configured, with the longest names a real stack gives (RDS and ElastiCache
    // endpoints, a 63-character DNS label): the size RunTask would see.
    const label = "x".repeat(63);
    const config: ProbeConfig = {
      blockedDomain: `${label}.example.com`,
      allowedDomain: `${label}.githubusercontent.com`,
      publicIp: "255.255.255.255",
      dohResolver: { host: "255.255.255.255", port: 443, name: "cloudflare-dns.com" },
      postgres: { host: `remote-claude-prod-db.c0123456789a.ap-northeast-1.rds.amazonaws.com`, port: 5432 },
      redis: { host: "master.remote-claude-prod-redis.abcdef.ap-northeast-1.cache.amazonaws.com", port: 6379 },
      peerWorkspace: { host: "10.255.255.255", port: 9000 },
      secretEnvNames: ["PROXY_CREDENTIAL"],
      secretMarkers: ["rc-marker-0123456789abcdef", "sk-ant-api03-"],
      timeoutMs: 3000,
    };
    const { size } = probeOverrides(source, config, "/usr/local/bin/python3");
    console.log(`      packed probe: ${size} of ${MAX_OVERRIDES_CHARS} characters (source ${source.length}, compacted ${compactPython(source).length})`);
    expect(size).to.be.at.most(MAX_OVERRIDES_CHARS);
    // Uncompacted it would not fit: the compaction is what keeps the new checks affordable.
    expect(gzipSync(source, { level: 9 }).toString("base64").length).to.be.greaterThan(gzipSync(compactPython(source), { level: 9 }).toString("base64").length);
  });

  it("is the same program once compacted (Python's own syntax trees, docstrings aside)", function () {
    // Parsing only: the probe never runs on the test host.
    const compare = [
      "import ast, sys",
      "def tree(text):",
      "    t = ast.parse(text)",
      "    for n in ast.walk(t):",
      "        body = getattr(n, 'body', None)",
      "        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], 'value', None), ast.Constant) and isinstance(body[0].value.value, str):",
      "            n.body = body[1:]",
      "    return ast.dump(t)",
      "a, b = sys.stdin.read().split('\\0')",
      "print(tree(a) == tree(b), len(a), len(b))",
    ].join("\n");
    const out = spawnSync("python3", ["-c", compare], { input: `${source}\0${compactPython(source)}`, encoding: "utf8" });
    if (out.error) this.skip();
    expect(out.stderr).to.equal("");
    expect(out.stdout.split(" ")[0]).to.equal("True");
    expect(compactPython(source)).to.not.match(/^\s*#/m);
    expect(compactPython(source).length).to.be.lessThan(source.length * 0.9);
  });

  it("holds the egress bypasses to blocked in proxy mode and reports them as known gaps in dns-firewall mode", () => {
    const byMode = (mode: (typeof EGRESS_MODES)[number]) => PROBE_CHECKS.map((c) => `${c.id}:${expectationFor(c, { egressMode: mode, seccompPtrace: "denied" })}`).filter((e) => !/:(blocked|allowed)$/.test(e) || /proxy-|doh-|public-ip/.test(e));
    expect(byMode("proxy")).to.deep.equal(["doh-public-resolver:blocked", "tcp-public-ip-443:blocked", "proxy-allowed-name:allowed", "proxy-denied-name:blocked"]);
    expect(byMode("dns-firewall")).to.deep.equal(["doh-public-resolver:gap", "tcp-public-ip-443:gap", "proxy-allowed-name:n/a", "proxy-denied-name:n/a"]);
    // Every other check means the same in both modes, but ptrace, which follows the stack's choice.
    const rest = PROBE_CHECKS.filter((c) => typeof c.expect === "string");
    expect(rest.length).to.equal(PROBE_CHECKS.length - 5);
  });

  it("expects ptrace of its own child to work where the stack allows ptrace, and to be refused where it denies it", () => {
    const ptrace = PROBE_CHECKS.find((c) => c.id === "ptrace")!;
    expect(expectationFor(ptrace, { egressMode: "proxy", seccompPtrace: "allowed" })).to.equal("allowed");
    expect(expectationFor(ptrace, { egressMode: "proxy", seccompPtrace: "denied" })).to.equal("blocked");
  });

  it("refuses its syscall checks outside a container and runs each attempt in a child with a deadline", () => {
    expect(source).to.include("not in a container: refusing to probe the host");
    expect(source).to.match(/blocked, detail = in_child\(fn\) if category in \(SYSCALL, "capabilities", "filesystem"\)/);
  });
});
