// The egress proxy's generated configuration, run in the real Squid (Debian package) on loopback in
// front of a local TLS server. Names resolve through a hosts file the test writes; nothing leaves
// the machine.
import { expect } from "chai";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { renderSquidConfig, squidDomains } from "../services/egressProxy/squidConfig";

const ALLOW_LIST = ["allowed.test", "*.wild.test", "github.com", "*.github.com"];
const SERVER_IP = "127.77.0.1";

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
    expect(conf).to.include("access_log stdio:/dev/stdout decisions");
    expect(() => renderSquidConfig([])).to.throw(/at least one allowed name/);
  });
});

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

/** Sends one raw request to the proxy and returns its status line (and the socket, still open). */
function ask(port: number, request: string): Promise<{ status: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
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
    socket.setTimeout(5000, () => reject(new Error(`proxy did not answer ${JSON.stringify(request.split("\r\n")[0])}`)));
  });
}

const connect = (target: string) => `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`;

describe("egress proxy in the real Squid", function () {
  let dir: string;
  let squid: ChildProcess | undefined;
  let server: https.Server | undefined;
  let port: number;
  let cert: string;

  before(async function () {
    if (!squidAvailable()) {
      console.warn("\n  !!! SKIPPING the real-Squid egress tests: `squid` is not installed (npm run test:ci installs it) !!!\n");
      this.skip();
    }
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

    fs.writeFileSync(path.join(dir, "hosts"), `${SERVER_IP} allowed.test sub.wild.test denied.test\n`);
    port = await freePort();
    fs.writeFileSync(path.join(dir, "squid.conf"), renderSquidConfig(ALLOW_LIST, {
      listen: `127.0.0.1:${port}`,
      accessLog: `stdio:${path.join(dir, "access.log")}`,
      cacheLog: `stdio:${path.join(dir, "cache.log")}`,
      hostsFile: path.join(dir, "hosts"),
      coredumpDir: dir,
    }));
    squid = spawn("squid", ["-N", "-f", path.join(dir, "squid.conf")], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); }).on("error", () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`squid did not start: ${fs.existsSync(path.join(dir, "cache.log")) ? fs.readFileSync(path.join(dir, "cache.log"), "utf8") : "no log"}`);
  });

  after(async () => {
    squid?.kill("SIGKILL");
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("accepts the production configuration", () => {
    const file = path.join(dir, "production.conf");
    fs.writeFileSync(file, renderSquidConfig(ALLOW_LIST));
    const parsed = spawnSync("squid", ["-k", "parse", "-f", file], { encoding: "utf8" });
    expect(parsed.status, parsed.stderr).to.equal(0);
    expect(parsed.stderr).to.not.match(/FATAL|ERROR/);
  });

  it("tunnels to an allowed name on 443, resolving it itself", async () => {
    const { status, socket } = await ask(port, connect("allowed.test:443"));
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
  });

  it("tunnels to a subdomain of a wildcard entry", async () => {
    const { status, socket } = await ask(port, connect("sub.wild.test:443"));
    socket.destroy();
    expect(status).to.match(/^HTTP\/1\.1 200/);
  });

  const refused: [string, string][] = [
    ["a name off the list", connect("denied.test:443")],
    ["a raw IPv4 address", connect(`${SERVER_IP}:443`)],
    ["a decimal IPv4 address", connect("2138898433:443")],
    ["a raw IPv6 address", connect("[::1]:443")],
    ["another port of an allowed name", connect("allowed.test:8443")],
    ["plain HTTP to an allowed name", "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n"],
  ];
  for (const [what, request] of refused) {
    it(`refuses ${what}`, async () => {
      const { status, socket } = await ask(port, request);
      socket.destroy();
      expect(status).to.equal("HTTP/1.1 403 Forbidden");
    });
  }

  it("records every decision in its log", async () => {
    const logFile = path.join(dir, "access.log");
    let lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n") : [];
      if (lines.length >= refused.length + 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const decisions = lines.map((l) => l.split(" ")).map((f) => ({ method: f[2], target: f[3], status: f[4], verdict: f[5] }));
    expect(decisions).to.deep.include({ method: "CONNECT", target: "allowed.test:443", status: "200", verdict: "TCP_TUNNEL" });
    expect(decisions).to.deep.include({ method: "CONNECT", target: "sub.wild.test:443", status: "200", verdict: "TCP_TUNNEL" });
    for (const target of ["denied.test:443", `${SERVER_IP}:443`, "[::1]:443", "allowed.test:8443"]) {
      expect(decisions).to.deep.include({ method: "CONNECT", target, status: "403", verdict: "TCP_DENIED" });
    }
    expect(decisions).to.deep.include({ method: "GET", target: "http://allowed.test/", status: "403", verdict: "TCP_DENIED" });
    expect(decisions.filter((d) => d.verdict === "TCP_DENIED")).to.have.length(refused.length);
  });
});
