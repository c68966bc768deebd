// The project's seccomp profile with the workspace's runtime settings (derived from the task
// definition, as the local drill target creates workspaces), in a real Docker engine: the in-task
// probe (probe/workspace_probe.py, in the command override the security drill sends) runs inside
// containers only, and its verdicts are checked against what is really blocked (an unconfined run
// shows the same calls succeed), under both ptrace choices and against today's Docker default.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DENY_ERRNO } from "../../host/seccomp";
import { PROBE_CHECKS, type ProbeCheck, type ProbeConfig, type ProbeVerdict, PROBE_SCHEMA, VERDICT_PREFIX } from "../../probe/verdict";
import { probeCommand } from "../../scripts/ops/security/probeScript";
import { DOCKER_DEFAULT_PROFILE, engine, image, PROBE_DIR, PROFILES, PROJECT_PROFILE, profileText, runInWorkspace, VERDICT_LINE } from "../helpers/docker";

const PROBE_SOURCE = fs.readFileSync(path.join(PROBE_DIR, "workspace_probe.py"), "utf8");

/** Targets that exist nowhere: no traffic leaves the container's own (empty) network namespace. */
const OFFLINE_CONFIG: ProbeConfig = { imdsAddress: "127.0.0.1", ecsCredentialsAddress: "127.0.0.1", timeoutMs: 500 };
const HOST_ONLY = new Set(["syscall", "capabilities", "filesystem", "identity"]);

interface ProbeRunOptions {
  readonly environment?: Record<string, string>;
  /** Test-only additions to the agent's definition (DNS server, sysctls). */
  readonly definition?: Partial<ContainerDefinition>;
  /** A shell command to run instead of the probe alone. */
  readonly command?: string;
}

async function runProbe(ctx: Mocha.Context, seccomp: string, config: ProbeConfig = OFFLINE_CONFIG, opts: ProbeRunOptions = {}) {
  const e = await engine(ctx);
  const tag = await image(e, "python");
  const result = await runInWorkspace(e, {
    image: tag,
    seccompProfile: profileText(seccomp),
    command: opts.command ? ["sh", "-c", opts.command] : probeCommand(PROBE_SOURCE, "python3"),
    environment: { PROBE_CONFIG: JSON.stringify(config), ...opts.environment },
    definition: opts.definition,
    timeoutMs: 60000,
  });
  const lines = result.stdout.split("\n").filter((l) => l.startsWith(VERDICT_PREFIX));
  expect(lines, `exactly one verdict line in:\n${result.stdout}\n${result.stderr}`).to.have.length(1);
  const verdict = JSON.parse(VERDICT_LINE.exec(lines[0])![1]) as ProbeVerdict;
  return { verdict, byId: new Map<string, ProbeCheck>(verdict.checks.map((c) => [c.id, c])) };
}

describe("workspace hardening in a real Docker engine (probe)", function () {
  this.timeout(120000);
  /** The default choice's profile (ptrace allowed), what the local target and the stacks use. */
  let confined: Awaited<ReturnType<typeof runProbe>>;
  let ptraceDenied: Awaited<ReturnType<typeof runProbe>>;
  let unconfined: Awaited<ReturnType<typeof runProbe>>;
  let dockerDefault: Awaited<ReturnType<typeof runProbe>>;

  before(async function () {
    this.timeout(240000);
    expect(PROJECT_PROFILE).to.equal(PROFILES.allowed);
    confined = await runProbe(this, PROJECT_PROFILE);
    ptraceDenied = await runProbe(this, PROFILES.denied);
    unconfined = await runProbe(this, "unconfined");
    dockerDefault = await runProbe(this, DOCKER_DEFAULT_PROFILE);
  });

  it("prints one verdict with every check of the contract, in order, as the non-root workspace user", () => {
    expect(confined.verdict.schema).to.equal(PROBE_SCHEMA);
    expect(confined.verdict.uid).to.equal(1000);
    expect(confined.verdict.checks.map((c) => [c.id, c.category])).to.deep.equal(PROBE_CHECKS.map((c) => [c.id, c.category]));
    // Targets that are not configured are skipped, never reported as blocked.
    for (const id of ["dns-blocked-domain", "tcp-postgres", "secret-in-files", "doh-public-resolver", "proxy-allowed-name", "proxy-denied-name"]) {
      expect(confined.byId.get(id)).to.include({ skipped: true, blocked: false });
    }
    // No HTTPS_PROXY in the task and none configured: the egress proxy checks say so (dns-firewall mode).
    expect(confined.byId.get("proxy-denied-name")?.detail).to.equal("egressProxy not configured");
  });

  it("reports the egress bypasses and the egress proxy as blocked when nothing answers (a workspace with no route out)", async function () {
    const { byId } = await runProbe(this, PROJECT_PROFILE, {
      ...OFFLINE_CONFIG,
      publicIp: "127.0.0.1",
      dohResolver: { host: "127.0.0.1", port: 443, name: "dns.example" },
      egressProxy: "http://127.0.0.1:3128",
      allowedDomain: "allowed.example",
      blockedDomain: "blocked.example",
    });
    for (const id of ["tcp-public-ip-443", "doh-public-resolver", "proxy-denied-name", "proxy-allowed-name"]) {
      expect(byId.get(id), id).to.include({ blocked: true });
      expect(byId.get(id)?.skipped, id).to.equal(undefined);
    }
    expect(byId.get("doh-public-resolver")?.detail).to.equal("ECONNREFUSED");
  });

  it("blocks at least 20 forbidden operations under the project's profile and the workspace settings", () => {
    const forbidden = PROBE_CHECKS.filter((c) => HOST_ONLY.has(c.category) && c.expect === "blocked");
    const notBlocked = forbidden.filter((c) => !confined.byId.get(c.id)?.blocked).map((c) => `${c.id}: ${confined.byId.get(c.id)?.detail}`);
    expect(notBlocked, "operations that were not blocked").to.deep.equal([]);
    expect(forbidden.length).to.be.greaterThanOrEqual(20);
    // The metadata checks too (nothing listens: the container has no network but loopback).
    for (const id of ["imds-v1-get", "imds-v2-token", "ecs-credentials"]) expect(confined.byId.get(id)?.blocked, id).to.equal(true);
  });

  it("is the profile, not a missing capability, that refuses the added syscalls (ENOSYS only the profile gives; they work unconfined)", () => {
    const enosys = "ENOSYS";
    expect(DENY_ERRNO).to.equal(38);
    for (const id of ["keyctl", "add-key", "request-key", "bpf", "perf-event-open", "userfaultfd", "io-uring-setup", "open-by-handle-at", "pivot-root", "fanotify-init"]) {
      expect(confined.byId.get(id)?.detail, id).to.equal(enosys);
      expect(ptraceDenied.byId.get(id)?.detail, `${id} (ptrace denied)`).to.equal(enosys);
      const free = unconfined.byId.get(id)!;
      expect(free.blocked && free.detail === enosys, `${id} unconfined: ${free.detail}`).to.equal(false);
    }
    // Succeed outright without seccomp (same user, no capabilities): only the profile stops them.
    for (const id of ["keyctl", "add-key", "perf-event-open", "userfaultfd", "io-uring-setup", "unshare-user", "clone-newuser"]) {
      expect(unconfined.byId.get(id)?.blocked, `${id} unconfined: ${unconfined.byId.get(id)?.detail}`).to.equal(false);
      expect(confined.byId.get(id)?.blocked, id).to.equal(true);
    }
  });

  it("ptrace of its own child: works under the allowed choice as unconfined, ENOSYS under the denied one", () => {
    expect(unconfined.byId.get("ptrace")).to.include({ blocked: false, detail: "returned 0" });
    expect(confined.byId.get("ptrace")).to.include({ blocked: false, detail: "returned 0" });
    expect(ptraceDenied.byId.get("ptrace")).to.include({ blocked: true, detail: "ENOSYS" });
    // Apart from ptrace, both choices refuse exactly the same operations.
    const refused = (p: typeof confined) => p.verdict.checks.filter((c) => c.blocked && c.id !== "ptrace").map((c) => `${c.id}:${c.detail}`);
    expect(refused(ptraceDenied)).to.deep.equal(refused(confined));
  });

  it("answers ENOSYS where today's Docker default answers EPERM (io_uring, keyrings, userfaultfd): programs fall back instead of failing", () => {
    for (const id of ["io-uring-setup", "keyctl", "add-key", "userfaultfd"]) {
      expect(dockerDefault.byId.get(id), `${id} under Docker's default`).to.include({ blocked: true, detail: "EPERM" });
      expect(confined.byId.get(id), id).to.include({ blocked: true, detail: "ENOSYS" });
    }
    // Docker's default allows ptrace as the allowed choice does.
    expect(dockerDefault.byId.get("ptrace")).to.include({ blocked: false });
  });

  it("reports reachable targets as not blocked: the probe's verdicts follow what really happens", async function () {
    // A fake metadata service, credentials endpoint, database port and DNS server on the
    // container's own loopback; a marker in the environment and in a file.
    const fake = [
      "import socket, struct, threading, time",
      "def http():",
      "  s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 80)); s.listen(8)",
      "  while True:",
      "    c, _ = s.accept(); req = c.recv(4096)",
      "    body = b'{\"AccessKeyId\":\"AKIAFAKE\"}' if b'/v2/credentials' in req else b'token-or-metadata'",
      "    c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(body) + body); c.close()",
      "def pg():",
      "  s = socket.socket(); s.bind(('127.0.0.1', 5432)); s.listen(8)",
      "  while True: s.accept()[0].close()",
      "def dns():",
      "  s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 53))",
      "  while True:",
      "    q, a = s.recvfrom(512); ok = b'allowed' in q",
      "    head = q[:2] + struct.pack('>HHHHH', 0x8180 if ok else 0x8183, 1, 1 if ok else 0, 0, 0)",
      "    ans = b'\\xc0\\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + bytes([127, 0, 0, 9]) if ok else b''",
      "    s.sendto(head + q[12:] + ans, a)",
      // A TLS server on 443 answering DNS over HTTPS (RFC 8484 POST), as a public resolver would.
      "import ssl",
      "def doh():",
      "  ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain('/tmp/cert.pem', '/tmp/key.pem')",
      "  s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 443)); s.listen(8)",
      "  while True:",
      "    c, _ = s.accept()",
      "    try:",
      "      t = ctx.wrap_socket(c, server_side=True); req = t.recv(4096)",
      "      ok = req.startswith(b'POST /dns-query') and b'application/dns-message' in req",
      "      body = req.split(b'\\r\\n\\r\\n', 1)[1][:2] + b'\\x81\\x80\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x00'",
      "      t.sendall((b'HTTP/1.1 200 OK\\r\\nContent-Type: application/dns-message\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(body) + body) if ok else b'HTTP/1.1 400 Bad Request\\r\\n\\r\\n'); t.close()",
      "    except Exception: c.close()",
      // A forward proxy on 3128 that tunnels only allowed.example (a stand-in for Squid; the real one is test/egressProxy.squid.test.ts).
      "def proxy():",
      "  s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 3128)); s.listen(8)",
      "  while True:",
      "    c, _ = s.accept(); req = c.recv(4096)",
      "    c.sendall(b'HTTP/1.1 200 Connection established\\r\\n\\r\\n' if req.startswith(b'CONNECT allowed.example:443 ') else b'HTTP/1.1 403 Forbidden\\r\\nContent-Length: 0\\r\\n\\r\\n'); time.sleep(0.2); c.close()",
      "for f in (http, pg, dns, doh, proxy): threading.Thread(target=f, daemon=True).start()",
      "time.sleep(30)",
    ].join("\n");
    const config: ProbeConfig = {
      ...OFFLINE_CONFIG,
      blockedDomain: "blocked.example",
      allowedDomain: "allowed.example",
      postgres: { host: "127.0.0.1", port: 5432 },
      redis: { host: "127.0.0.1", port: 6379 },
      secretMarkers: ["rc-marker-7f3a"],
      publicIp: "127.0.0.1",
      dohResolver: { host: "127.0.0.1", port: 443, name: "dns.example" },
    };
    const tls = selfSignedCert();
    const file = (name: string, text: string) => `printf '%s' '${Buffer.from(text).toString("base64")}' | base64 -d > /tmp/${name}`;
    const command = `${file("probe.py", PROBE_SOURCE)} && ${file("fake.py", fake)} && ${file("cert.pem", tls.cert)} && ${file("key.pem", tls.key)} && ` +
      "(python3 /tmp/fake.py &) && echo rc-marker-7f3a > /tmp/leak.txt; sleep 1; python3 /tmp/probe.py";
    const { byId } = await runProbe(this, PROJECT_PROFILE, config, {
      command,
      // A workspace task in proxy mode gets the proxy from HTTPS_PROXY, not from the probe config.
      environment: { LEAKED: "rc-marker-7f3a", HTTPS_PROXY: "http://127.0.0.1:3128" },
      definition: { dnsServers: ["127.0.0.1"], systemControls: [{ namespace: "net.ipv4.ip_unprivileged_port_start", value: "0" }] },
    });
    const reached = (id: string) => expect(byId.get(id), id).to.include({ blocked: false });
    const refused = (id: string) => expect(byId.get(id), id).to.include({ blocked: true });
    reached("imds-v1-get");
    reached("imds-v2-token");
    reached("ecs-credentials");
    reached("tcp-postgres");
    refused("tcp-redis");
    reached("dns-allowed-domain");
    refused("dns-blocked-domain");
    expect(byId.get("dns-blocked-domain")?.detail).to.equal("rcode=3 answers=0");
    reached("secret-in-environment");
    reached("secret-in-files");
    expect(byId.get("secret-in-files")?.detail).to.match(/marker in \/(proc\/self\/environ|tmp\/leak\.txt)/);
    // The dns-firewall mode's gaps, as a workspace with a route out sees them, and the proxy's verdicts.
    reached("tcp-public-ip-443");
    reached("doh-public-resolver");
    expect(byId.get("doh-public-resolver")?.detail).to.equal("HTTP 200 from 127.0.0.1");
    reached("proxy-allowed-name");
    refused("proxy-denied-name");
    expect(byId.get("proxy-denied-name")?.detail).to.equal("HTTP 403 from 127.0.0.1:3128");
  });
});

/** A throwaway key and self-signed certificate (openssl, as the Squid test uses). */
function selfSignedCert(): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-probe-tls-"));
  try {
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=dns.example", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    return { cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "key.pem"), "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
