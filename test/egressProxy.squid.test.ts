// The egress proxy as the program configures it, run in the real Squid (Debian package) on
// loopback: the configuration is taken from the proxy's task definition in the planned graph, only
// its listen address, log files, hosts file and load balancer network are pointed at the test, and
// Squid is started by the image's own entrypoint. A small relay plays the NLB (PROXY protocol v2
// header naming the client), a local TLS server plays the allowed host, and the workspace probe's
// proxy checks run against it all. Names resolve through a hosts file; nothing leaves the machine.
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { egressProxySquidConfig, SQUID_CONFIG_ENV } from "../services/egressProxy/container";
import { DECISION_FIELDS, DECISIONS_PATTERN, DENIED_PATTERN, matchesSpaceDelimited } from "../services/egressProxy/decisionLog";
import { renderSquidConfig, type SquidOptions, squidDomains } from "../services/egressProxy/squidConfig";
import { STAGING_PROXY } from "./helpers/egress";
import { containerNamed } from "./helpers/services";
import { buildStack } from "./helpers/stacks";

const ROOT = path.resolve(__dirname, "..");
const ENTRYPOINT = path.join(ROOT, "services/egressProxy/entrypoint.sh");
const PROBE = path.join(ROOT, "probe/workspace_probe.py");
const ALLOW_LIST = ["allowed.test", "*.wild.test", "github.com", "*.github.com"];
const SERVER_IP = "127.77.0.1";
/** The network the test's "NLB" relay connects from (production: the private subnets). */
const LB_NETWORK = "127.0.0.0/8";
/** Loopback addresses the test's "workspaces" connect from. */
const CLIENTS = ["127.0.0.1", "127.0.0.11", "127.0.0.12", ...[1, 2, 3, 4, 5, 6].map((i) => `127.0.1.${i}`)];

describe("egress proxy configuration", () => {
  it("maps DNS Firewall names to Squid domains without overlaps", () => {
    expect(squidDomains(["github.com", "*.github.com", "api.github.com", "registry.npmjs.org", "*.a.b.test", "*.b.test"]))
      .to.deep.equal([".b.test", ".github.com", "registry.npmjs.org"]);
  });

  it("allows only CONNECT to 443 of listed names, denying IP literals, and logs to stdout", () => {
    const conf = renderSquidConfig(["github.com"]);
    expect(conf).to.include("acl allowed_names dstdomain -n github.com\n");
    const access = conf.split("\n").filter((l) => l.startsWith("http_access"));
    expect(access).to.deep.equal([
      "http_access deny !CONNECT",
      "http_access deny !https_port",
      "http_access deny ip_literal",
      "http_access allow CONNECT allowed_names",
      "http_access deny all",
    ]);
    expect(conf).to.include("http_port 3128\n");
    expect(conf).to.include("access_log stdio:/dev/stdout decisions received_request");
    expect(() => renderSquidConfig([])).to.throw(/at least one allowed name/);
  });

  it("behind a load balancer requires its PROXY protocol header and trusts it from that network only", () => {
    const conf = renderSquidConfig(["github.com"], { proxyProtocolFrom: ["10.0.0.0/19", "10.0.32.0/19"] });
    expect(conf.split("\n").slice(1, 5)).to.deep.equal([
      "http_port 3128 require-proxy-header",
      "acl load_balancer src 10.0.0.0/19 10.0.32.0/19",
      "proxy_protocol_access allow load_balancer",
      "proxy_protocol_access deny all",
    ]);
  });
});

/** The program's squid.conf pointed at the test: listen address, logs, hosts file, LB network. */
function localize(conf: string, o: Required<Pick<SquidOptions, "listen" | "accessLog" | "cacheLog" | "hostsFile" | "dnsNameservers" | "coredumpDir">>): string {
  const lines = conf.split("\n");
  const replace = (pattern: RegExp, next: (line: string) => string[]) => {
    const i = lines.findIndex((l) => pattern.test(l));
    if (i < 0) throw new Error(`the program's squid.conf has no line matching ${pattern}`);
    lines.splice(i, 1, ...next(lines[i]));
  };
  replace(/^http_port 3128 require-proxy-header$/, () => [`http_port ${o.listen} require-proxy-header`]);
  replace(/^acl load_balancer src /, () => [`acl load_balancer src ${LB_NETWORK}`]);
  replace(/^access_log stdio:\/dev\/stdout /, (l) => [l.replace("stdio:/dev/stdout", o.accessLog)]);
  replace(/^cache_log stdio:\/dev\/stderr$/, () => [`cache_log ${o.cacheLog}`, `hosts_file ${o.hostsFile}`, `dns_nameservers ${o.dnsNameservers.join(" ")}`]);
  replace(/^coredump_dir \/tmp$/, () => [`coredump_dir ${o.coredumpDir}`]);
  return lines.join("\n");
}

function squidAvailable(): boolean {
  return spawnSync("squid", ["-v"], { encoding: "utf8" }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on("error", reject);
  });
}

/** A PROXY protocol v2 header for a TCP/IPv4 connection, as an NLB sends it. */
function proxyV2Header(src: string, srcPort: number, dst: string, dstPort: number): Buffer {
  const ip = (a: string) => Buffer.from(a.split(".").map(Number));
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(srcPort, 0);
  ports.writeUInt16BE(dstPort, 2);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(12, 0);
  return Buffer.concat([Buffer.from("0d0a0d0a000d0a515549540a", "hex"), Buffer.from([0x21, 0x11]), length, ip(src), ip(dst), ports]);
}

/** The NLB's part: accept, prepend the PROXY v2 header naming the client, relay both ways. */
function startLoadBalancer(targetPort: number): Promise<{ server: net.Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((client) => {
      const upstream = net.connect(targetPort, "127.0.0.1", () => {
        upstream.write(proxyV2Header(client.remoteAddress!.replace(/^::ffff:/, ""), client.remotePort!, "127.0.0.1", (server.address() as net.AddressInfo).port));
        client.pipe(upstream);
        upstream.pipe(client);
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as net.AddressInfo).port })).on("error", reject);
  });
}

/** Sends one raw request from `from` (a loopback address: the "workspace") and returns the status line. */
function ask(port: number, request: string, from = "127.0.0.1"): Promise<{ status: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress: from }, () => socket.write(request));
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      const end = buffer.indexOf("\r\n\r\n");
      if (end >= 0) {
        socket.off("data", onData);
        resolve({ status: buffer.split("\r\n")[0], socket });
      }
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.on("close", () => resolve({ status: buffer.split("\r\n")[0] || "(closed without an answer)", socket }));
    socket.setTimeout(5000, () => reject(new Error(`proxy did not answer ${JSON.stringify(request.split("\r\n")[0])}`)));
  });
}

const connect = (target: string) => `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`;

interface Decision {
  client: string;
  method: string;
  target: string;
  status: string;
  verdict: string;
}

describe("egress proxy in the real Squid, configured and started as the program does", function () {
  let dir: string;
  let squid: ChildProcess | undefined;
  let squidLog = "";
  let server: https.Server | undefined;
  let lb: { server: net.Server; port: number } | undefined;
  let squidPort: number;
  let cert: string;
  let programConf: string;
  let privateCidrs: string[];
  /** What each test sent and what the decision log must show for it. */
  const expected: Decision[] = [];

  before(async function () {
    this.timeout(60000);
    if (!squidAvailable()) {
      console.warn("\n  !!! SKIPPING the real-Squid egress tests: `squid` is not installed (npm run test:ci installs it) !!!\n");
      this.skip();
    }
    // The configuration the program hands the proxy container, for this allow list.
    const g = await buildStack("staging", { ...STAGING_PROXY, dnsAllowedDomains: ALLOW_LIST });
    const task = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-staging-egress-proxy")!;
    programConf = containerNamed(task, "egress-proxy").environment!.find((e) => e.name === SQUID_CONFIG_ENV)!.value!;
    privateCidrs = g.ofType(aws.ec2.Subnet).filter((s) => s.inputs.tags.Tier === "private").map((s) => s.inputs.cidrBlock);

    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-squid-"));
    // Squid started as root drops to the proxy user, which must be able to write its logs here.
    fs.chmodSync(dir, 0o777);
    const made = spawnSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=allowed.test",
      "-addext", "subjectAltName=DNS:allowed.test,DNS:sub.wild.test",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    cert = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert }, (_req, res) => res.end("reached-allowed-server"));
    await new Promise<void>((resolve, reject) => server!.listen(443, SERVER_IP, resolve).on("error", reject));

    // Every name Squid looks up, forward and reverse (it asks for each client's name), is in the
    // hosts file; its resolver is loopback, so nothing it asks leaves the machine.
    fs.writeFileSync(path.join(dir, "hosts"), [
      `${SERVER_IP} allowed.test sub.wild.test denied.test`,
      ...CLIENTS.map((ip, i) => `${ip} workspace-${i}.test`),
    ].join("\n") + "\n");
    squidPort = await freePort();
    // The image's entrypoint writes SQUID_CONFIG to a file, checks it and execs Squid.
    squid = spawn("sh", [ENTRYPOINT], {
      env: { ...process.env, [SQUID_CONFIG_ENV]: localized(), SQUID_CONFIG_FILE: path.join(dir, "squid.conf") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    squid.stdout?.on("data", (d) => (squidLog += String(d)));
    squid.stderr?.on("data", (d) => (squidLog += String(d)));
    lb = await startLoadBalancer(squidPort);
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(squidPort, "127.0.0.1", () => { s.destroy(); resolve(true); }).on("error", () => resolve(false));
      });
      if (up) return;
      if (squid.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`squid did not start (exit ${squid.exitCode}): ${squidLog}${fs.existsSync(path.join(dir, "cache.log")) ? fs.readFileSync(path.join(dir, "cache.log"), "utf8") : ""}`);
  });

  after(async () => {
    squid?.kill("SIGKILL");
    await new Promise<void>((resolve) => (lb ? lb.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const testOptions = () => ({
    listen: `127.0.0.1:${squidPort}`,
    accessLog: `stdio:${path.join(dir, "access.log")}`,
    cacheLog: `stdio:${path.join(dir, "cache.log")}`,
    hostsFile: path.join(dir, "hosts"),
    dnsNameservers: ["127.0.0.1"],
    coredumpDir: dir,
  });
  const localized = () => localize(programConf, testOptions());

  it("runs exactly the program's configuration: renderSquidConfig(allow list) behind the NLB, test addresses aside", () => {
    expect(programConf).to.equal(renderSquidConfig(ALLOW_LIST, { proxyProtocolFrom: privateCidrs }));
    expect(programConf).to.equal(egressProxySquidConfig({ allowList: ALLOW_LIST, loadBalancerCidrs: privateCidrs }));
    expect(localized()).to.equal(renderSquidConfig(ALLOW_LIST, { ...testOptions(), proxyProtocolFrom: [LB_NETWORK] }));
    // What the entrypoint wrote is what it was given.
    expect(fs.readFileSync(path.join(dir, "squid.conf"), "utf8")).to.equal(`${localized()}\n`);
  });

  it("accepts the production configuration", () => {
    const file = path.join(dir, "production.conf");
    fs.writeFileSync(file, programConf);
    const parsed = spawnSync("squid", ["-k", "parse", "-f", file], { encoding: "utf8" });
    expect(parsed.status, parsed.stderr).to.equal(0);
    expect(parsed.stderr).to.not.match(/FATAL|ERROR/);
  });

  it("tunnels to an allowed name on 443, resolving it itself, and logs the workspace's own address", async () => {
    const { status, socket } = await ask(lb!.port, connect("allowed.test:443"), "127.0.0.11");
    expect(status).to.match(/^HTTP\/1\.1 200/);
    const body = await new Promise<string>((resolve, reject) => {
      const secure = tls.connect({ socket, servername: "allowed.test", ca: cert }, () => {
        secure.write("GET / HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n");
      });
      let text = "";
      secure.on("data", (c) => (text += c));
      secure.on("end", () => resolve(text));
      secure.on("error", reject);
    });
    expect(body).to.include("reached-allowed-server");
    expected.push({ client: "127.0.0.11", method: "CONNECT", target: "allowed.test:443", status: "200", verdict: "TCP_TUNNEL" });
  });

  it("tunnels to a subdomain of a wildcard entry", async () => {
    const { status, socket } = await ask(lb!.port, connect("sub.wild.test:443"), "127.0.0.12");
    socket.destroy();
    expect(status).to.match(/^HTTP\/1\.1 200/);
    expected.push({ client: "127.0.0.12", method: "CONNECT", target: "sub.wild.test:443", status: "200", verdict: "TCP_TUNNEL" });
  });

  // What is sent, and the method and target the decision log records for it.
  const refused: [string, string, string, string][] = [
    ["a name off the list", connect("denied.test:443"), "CONNECT", "denied.test:443"],
    ["a raw IPv4 address", connect(`${SERVER_IP}:443`), "CONNECT", `${SERVER_IP}:443`],
    ["a decimal IPv4 address", connect("2138898433:443"), "CONNECT", "127.125.0.1:443"],
    ["a raw IPv6 address", connect("[::1]:443"), "CONNECT", "[::1]:443"],
    ["another port of an allowed name", connect("allowed.test:8443"), "CONNECT", "allowed.test:8443"],
    ["plain HTTP to an allowed name", "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n", "GET", "http://allowed.test/"],
  ];
  refused.forEach(([what, request, method, target], i) => {
    it(`refuses ${what}`, async () => {
      const client = `127.0.1.${i + 1}`;
      const { status, socket } = await ask(lb!.port, request, client);
      socket.destroy();
      expect(status).to.equal("HTTP/1.1 403 Forbidden");
      expected.push({ client, method, target, status: "403", verdict: "TCP_DENIED" });
    });
  });

  it("answers nobody who bypasses the load balancer (no PROXY header), and logs a health check as no decision", async () => {
    const { status, socket } = await ask(squidPort, connect("allowed.test:443"));
    socket.destroy();
    expect(status).to.equal("(closed without an answer)");
    // The NLB's TCP health check: connect, then close.
    await new Promise<void>((resolve) => {
      const probe = net.connect(lb!.port, "127.0.0.1", () => probe.end(() => resolve()));
    });
  });

  it("gives the workspace probe's proxy checks their verdicts (allowed name through, denied name refused)", async function () {
    const harness = [
      "import importlib.util, json, sys",
      "spec = importlib.util.spec_from_file_location('probe', sys.argv[1])",
      "probe = importlib.util.module_from_spec(spec); spec.loader.exec_module(probe)",
      "picked = [c for c in probe.CHECKS if c[0] in sys.argv[2].split(',')]",
      // Network checks through the proxy only: nothing that probes the host runs here.
      "assert picked and all(c[1] == 'egress' for c in picked), picked",
      "print(json.dumps([probe.run(*c) for c in picked]))",
    ].join("\n");
    const config = { proxy: `http://127.0.0.1:${lb!.port}`, allowedDomain: "allowed.test", blockedDomain: "denied.test", timeoutMs: 3000 };
    // Asynchronously: the relay playing the NLB runs in this process.
    const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("python3", ["-c", harness, PROBE, "proxy-allowed-name,proxy-denied-name"], {
        // No __pycache__ next to the probe.
        env: { PATH: process.env.PATH, PROBE_CONFIG: JSON.stringify(config), PYTHONDONTWRITEBYTECODE: "1" },
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 20000,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += String(d)));
      child.stderr.on("data", (d) => (stderr += String(d)));
      child.on("error", reject).on("close", (status) => resolve({ status, stdout, stderr }));
    });
    expect(out.status, out.stderr).to.equal(0);
    const checks = JSON.parse(out.stdout);
    expect(checks).to.deep.equal([
      { id: "proxy-allowed-name", category: "egress", blocked: false, detail: `HTTP 200 from 127.0.0.1:${lb!.port}` },
      { id: "proxy-denied-name", category: "egress", blocked: true, detail: `HTTP 403 from 127.0.0.1:${lb!.port}` },
    ]);
    expected.push({ client: "127.0.0.1", method: "CONNECT", target: "allowed.test:443", status: "200", verdict: "TCP_TUNNEL" });
    expected.push({ client: "127.0.0.1", method: "CONNECT", target: "denied.test:443", status: "403", verdict: "TCP_DENIED" });
  });

  it("records every decision in its log, and the stack's metric filters count them", async () => {
    const logFile = path.join(dir, "access.log");
    let lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean) : [];
      if (lines.length >= expected.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const decisions = lines.map((l) => l.split(" ")).map((f) => ({ client: f[1], method: f[2], target: f[3], status: f[4], verdict: f[5] }));
    // Every request, refused or not, with the client the NLB named; nothing else (no health check,
    // no header-less connection).
    expect(decisions).to.have.deep.members(expected);
    expect(lines.every((l) => l.split(" ").length === DECISION_FIELDS.length)).to.equal(true);
    // The CloudWatch Logs metric filters the stack deploys, over these very lines.
    expect(lines.filter((l) => matchesSpaceDelimited(DECISIONS_PATTERN, l))).to.have.length(expected.length);
    const denied = lines.filter((l) => matchesSpaceDelimited(DENIED_PATTERN, l));
    expect(denied).to.have.length(expected.filter((d) => d.verdict === "TCP_DENIED").length);
    expect(denied.length).to.equal(refused.length + 1);
  });
});
