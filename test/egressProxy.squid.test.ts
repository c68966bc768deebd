// The egress proxy as the program configures it, run in the real Squid (Debian package): the
// configuration is taken from the proxy's task definition in the planned graph, only its listen
// address, log files, name resolution, error pages and load balancer network are pointed at the
// test, and Squid is started by the image's own entrypoint. Squid runs in a network namespace the
// test creates and which has no route out: every address Squid may connect to, "public" or not,
// is an address of that namespace, served by a TLS server that names the address it was reached
// on, and Squid resolves every name through a DNS server the test runs there. A relay in this
// process plays the NLB (PROXY protocol v2 header naming the client); the workspace probe's proxy
// checks run against it. A second Squid, the same configuration without the address check, shows
// what the check stops. Its log is also the judge of the egress report's Squid fixture
// (test/fixtures/egress).
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import type { Context } from "mocha";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { egressProxySquidConfig, SQUID_CONFIG_ENV } from "../lib/egressProxyContainer";
import { DECISION_FIELDS, DECISIONS_PATTERN, DENIED_PATTERN, matchesSpaceDelimited, NON_PUBLIC_DESTINATION_PATTERN } from "../lib/egressProxyDecisionLog";
import {
  NON_PUBLIC_DESTINATION_PAGE,
  NON_PUBLIC_DESTINATIONS,
  renderSquidConfig,
  type SquidOptions,
  squidDomains,
} from "../lib/squidConfig";
import { isDenied, parseDecision } from "../scripts/ops/egress/queries";
import { STAGING_EGRESS_PROXY } from "./helpers/egress";
import { SQUID_LINES } from "./ops/helpers/egress";
import { type DnsRecords, NETNS_SERVERS_ENV, type NetnsServersSettings } from "./helpers/netnsServers";
import { containerNamed } from "./helpers/services";
import { buildStack } from "./helpers/stacks";
import { tsNodeArgs } from "./helpers/tsProcess";

const ROOT = path.resolve(__dirname, "..");
const ENTRYPOINT = path.join(ROOT, "services/egressProxy/entrypoint.sh");
const ERROR_PAGES = path.join(ROOT, "services/egressProxy/errors");
const PROBE = path.join(ROOT, "probe/workspace_probe.py");
const NETNS_SERVERS = path.join(ROOT, "test/helpers/netnsServers.ts");
/** Debian's English error templates: the test's error directory holds them and the project's own. */
const SQUID_TEMPLATES = "/usr/share/squid/errors/templates";
const ALLOW_LIST = ["allowed.test", "*.wild.test", "github.com", "*.github.com"];
/** The network the test's "NLB" relay connects from (production: the private subnets). */
const LB_NETWORK = "127.0.0.0/8";
/** Inside the namespace: the DNS server, the program's Squid, and the control Squid. */
const DNS_ADDRESS = "127.0.0.53";
const SQUID_PORT = 3128;
const CONTROL_PORT = 3129;

/** A name and the addresses it resolves to, and the one Squid connects to when it may. */
interface Destination {
  readonly name: string;
  readonly what: string;
  readonly records: DnsRecords;
  /** Where a Squid without the address check ends up (the namespace lets it connect), if anywhere. */
  readonly reaches?: string;
}

// Public addresses (globally routable unicast), each just past the edge of a refused range: the
// edges of the refused ranges are where they are written. None is ever contacted: the namespace
// holds them all and has no route out.
const PUBLIC: readonly Destination[] = [
  { name: "allowed.test", what: "11.0.0.1, just above 10.0.0.0/8", records: { A: ["11.0.0.1"] }, reaches: "11.0.0.1" },
  { name: "sub.wild.test", what: "172.32.0.1, just above 172.16.0.0/12", records: { A: ["172.32.0.1"] }, reaches: "172.32.0.1" },
  { name: "loopback-edge.wild.test", what: "128.0.0.1, just above 127.0.0.0/8", records: { A: ["128.0.0.1"] }, reaches: "128.0.0.1" },
  { name: "cgnat-edge.wild.test", what: "100.128.0.1, just above 100.64.0.0/10", records: { A: ["100.128.0.1"] }, reaches: "100.128.0.1" },
  { name: "link-local-edge.wild.test", what: "169.255.0.1, just above 169.254.0.0/16", records: { A: ["169.255.0.1"] }, reaches: "169.255.0.1" },
  { name: "rfc1918-edge.wild.test", what: "192.169.0.1, just above 192.168.0.0/16", records: { A: ["192.169.0.1"] }, reaches: "192.169.0.1" },
  { name: "ipv6.wild.test", what: "2001:200::1 (IPv6 only), just above 2001::/23", records: { AAAA: ["2001:200::1"] }, reaches: "2001:200::1" },
];

// Allowed names leading where the egress proxy must never connect: one address at least in every
// range of NON_PUBLIC_DESTINATIONS (a test below checks that, with Python's ipaddress as judge),
// the AWS link-local services by their own addresses, and the tricks: an IPv4 address mapped into
// IPv6, and names with public and private records mixed.
const NOT_PUBLIC: readonly Destination[] = [
  { name: "loopback.wild.test", what: "127.0.0.1 (loopback)", records: { A: ["127.0.0.1"] }, reaches: "127.0.0.1" },
  { name: "this-network.wild.test", what: "0.0.0.0 (reaches the proxy's own host)", records: { A: ["0.0.0.0"] } },
  { name: "rfc1918-10.wild.test", what: "10.0.0.5 (RFC 1918)", records: { A: ["10.0.0.5"] }, reaches: "10.0.0.5" },
  { name: "rfc1918-172.wild.test", what: "172.31.255.254 (RFC 1918, top of 172.16.0.0/12)", records: { A: ["172.31.255.254"] }, reaches: "172.31.255.254" },
  { name: "rfc1918-192.wild.test", what: "192.168.0.5 (RFC 1918)", records: { A: ["192.168.0.5"] }, reaches: "192.168.0.5" },
  { name: "cgnat.wild.test", what: "100.127.255.254 (CGNAT, top of 100.64.0.0/10)", records: { A: ["100.127.255.254"] }, reaches: "100.127.255.254" },
  { name: "imds.wild.test", what: "169.254.169.254 (IMDS)", records: { A: ["169.254.169.254"] }, reaches: "169.254.169.254" },
  { name: "ecs-credentials.wild.test", what: "169.254.170.2 (ECS task credentials)", records: { A: ["169.254.170.2"] }, reaches: "169.254.170.2" },
  { name: "ietf.wild.test", what: "192.0.0.8 (IETF protocol assignments)", records: { A: ["192.0.0.8"] }, reaches: "192.0.0.8" },
  { name: "test-net-1.wild.test", what: "192.0.2.5 (documentation)", records: { A: ["192.0.2.5"] }, reaches: "192.0.2.5" },
  { name: "benchmarking.wild.test", what: "198.19.0.5 (benchmarking)", records: { A: ["198.19.0.5"] }, reaches: "198.19.0.5" },
  { name: "test-net-2.wild.test", what: "198.51.100.5 (documentation)", records: { A: ["198.51.100.5"] }, reaches: "198.51.100.5" },
  { name: "test-net-3.wild.test", what: "203.0.113.5 (documentation)", records: { A: ["203.0.113.5"] }, reaches: "203.0.113.5" },
  { name: "multicast.wild.test", what: "239.255.255.250 (multicast)", records: { A: ["239.255.255.250"] } },
  { name: "reserved.wild.test", what: "240.0.0.5 (reserved)", records: { A: ["240.0.0.5"] } },
  { name: "broadcast.wild.test", what: "255.255.255.255 (broadcast)", records: { A: ["255.255.255.255"] } },
  { name: "unspecified6.wild.test", what: ":: (IPv6 unspecified)", records: { AAAA: ["::"] } },
  { name: "loopback6.wild.test", what: "::1 (IPv6 loopback)", records: { AAAA: ["::1"] }, reaches: "::1" },
  { name: "nat64.wild.test", what: "64:ff9b::a00:5 (NAT64 of 10.0.0.5)", records: { AAAA: ["64:ff9b::a00:5"] }, reaches: "64:ff9b::a00:5" },
  { name: "nat64-local.wild.test", what: "64:ff9b:1::5 (local-use NAT64)", records: { AAAA: ["64:ff9b:1::5"] }, reaches: "64:ff9b:1::5" },
  { name: "discard6.wild.test", what: "100::5 (discard-only)", records: { AAAA: ["100::5"] }, reaches: "100::5" },
  { name: "teredo.wild.test", what: "2001::5 (Teredo, IETF protocol assignments)", records: { AAAA: ["2001::5"] }, reaches: "2001::5" },
  { name: "documentation6.wild.test", what: "2001:db8::5 (documentation)", records: { AAAA: ["2001:db8::5"] }, reaches: "2001:db8::5" },
  { name: "6to4.wild.test", what: "2002:a00:5::1 (6to4 of 10.0.0.5)", records: { AAAA: ["2002:a00:5::1"] }, reaches: "2002:a00:5::1" },
  { name: "imds6.wild.test", what: "fd00:ec2::254 (IMDS over IPv6, ULA)", records: { AAAA: ["fd00:ec2::254"] }, reaches: "fd00:ec2::254" },
  { name: "ula.wild.test", what: "fc00::5 (ULA, lower half of fc00::/7)", records: { AAAA: ["fc00::5"] }, reaches: "fc00::5" },
  { name: "link-local6.wild.test", what: "fe80::1 (IPv6 link-local)", records: { AAAA: ["fe80::1"] } },
  { name: "site-local6.wild.test", what: "fec0::5 (IPv6 site-local)", records: { AAAA: ["fec0::5"] }, reaches: "fec0::5" },
  { name: "multicast6.wild.test", what: "ff02::1 (IPv6 multicast)", records: { AAAA: ["ff02::1"] } },
  { name: "mapped.wild.test", what: "::ffff:10.0.0.6 (10.0.0.6 mapped into an AAAA record)", records: { AAAA: ["::ffff:10.0.0.6"] }, reaches: "10.0.0.6" },
  { name: "mixed.wild.test", what: "11.0.0.2 and 10.0.0.7 (public and private A records)", records: { A: ["11.0.0.2", "10.0.0.7"] } },
  { name: "mixed-family.wild.test", what: "11.0.0.3 and fd00:ec2::254 (public A, private AAAA)", records: { A: ["11.0.0.3"], AAAA: ["fd00:ec2::254"] } },
];

/** Answers public first, private from the second question on: a rebinding name. */
const REBINDING: Destination = {
  name: "rebinding.wild.test",
  what: "11.0.0.4 first, then 10.0.0.8",
  records: { A: ["11.0.0.4"], later: { A: ["10.0.0.8"] } },
  reaches: "11.0.0.4",
};

/** An allowed name at a public address the namespace does not hold: no route, the connection fails. */
const UNREACHABLE: Destination = { name: "unreachable.wild.test", what: "11.0.0.99, not in the namespace", records: { A: ["11.0.0.99"] } };

/** Every address the namespace holds, so that a Squid allowed to connect there would. */
function namespaceAddresses(): string[] {
  const all = [...PUBLIC, ...NOT_PUBLIC, REBINDING].flatMap((d) => [
    ...(d.records.A ?? []), ...(d.records.AAAA ?? []), ...(d.records.later?.A ?? []), ...(d.records.later?.AAAA ?? []),
  ]);
  // Not assignable, or the kernel's own (0.0.0.0, ::, ::1, 127/8 reach the namespace's loopback anyway).
  const skip = (a: string) => a === "0.0.0.0" || a === "::" || a === "::1" || a.startsWith("127.") ||
    /^(22[4-9]|23\d|24\d|25[0-5])\./.test(a) || /^ff/i.test(a) || /^fe80:/i.test(a);
  // An IPv4 address mapped into IPv6 is reached as the IPv4 address.
  return [...new Set(all.map((a) => a.replace(/^::ffff:/i, "")).filter((a) => !skip(a)))];
}

describe("egress proxy configuration", () => {
  it("maps DNS Firewall names to Squid domains without overlaps", () => {
    expect(squidDomains(["github.com", "*.github.com", "api.github.com", "registry.npmjs.org", "*.a.b.test", "*.b.test"]))
      .to.deep.equal([".b.test", ".github.com", "registry.npmjs.org"]);
  });

  it("allows only CONNECT to 443 of listed names that resolve to public addresses, and logs to stdout", () => {
    const conf = renderSquidConfig(["github.com"]);
    expect(conf).to.include("acl allowed_names dstdomain -n github.com\n");
    const access = conf.split("\n").filter((l) => l.startsWith("http_access") || l.startsWith("deny_info"));
    expect(access).to.deep.equal([
      "http_access deny !CONNECT",
      "http_access deny !https_port",
      "http_access deny ip_literal",
      "http_access deny allowed_names non_public_destination",
      "http_access allow CONNECT allowed_names",
      "http_access deny all",
      `deny_info ${NON_PUBLIC_DESTINATION_PAGE} non_public_destination`,
    ]);
    const ranges = conf.split("\n").filter((l) => l.startsWith("acl non_public_destination ")).map((l) => l.split(" ").slice(2));
    expect(ranges).to.deep.equal(NON_PUBLIC_DESTINATIONS.map((r) => ["dst", r.cidr]));
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

  it("ships the error page it names, and the image copies it where Squid looks for it", () => {
    expect(fs.readFileSync(path.join(ERROR_PAGES, NON_PUBLIC_DESTINATION_PAGE), "utf8")).to.match(/not public/);
    expect(fs.readFileSync(path.join(ROOT, "services/egressProxy/Dockerfile"), "utf8")).to.include(`COPY errors/ ${SQUID_TEMPLATES}/\n`);
  });
});

/** Debian's python3 (its ipaddress module knows IANA's special-purpose registries), or nothing. */
function python(): string | undefined {
  return spawnSync("/usr/bin/python3", ["-c", "import ipaddress"]).status === 0 ? "/usr/bin/python3" : undefined;
}

describe("the egress proxy's refused ranges, judged by Python's ipaddress (IANA's special-purpose registries)", function () {
  const ranges = NON_PUBLIC_DESTINATIONS.map((r) => r.cidr);
  const judge = (script: string, input: unknown) => {
    const py = python();
    if (!py) throw new Error("Debian's python3 is not installed (npm run test:ci installs it)");
    const out = spawnSync(py, ["-c", script], { input: JSON.stringify(input), encoding: "utf8" });
    expect(out.status, out.stderr).to.equal(0);
    return JSON.parse(out.stdout);
  };

  it("lists nothing Python calls globally reachable", () => {
    const global = judge([
      "import ipaddress, json, sys",
      "out = []",
      "for cidr in json.load(sys.stdin):",
      "    n = ipaddress.ip_network(cidr)",
      "    for a in (n.network_address, n.broadcast_address):",
      "        public = a.is_global and not a.is_multicast and not a.is_reserved and not getattr(a, 'is_site_local', False)",
      "        if public: out.append(str(a))",
      "print(json.dumps(out))",
    ].join("\n"), ranges);
    expect(global).to.deep.equal([]);
  });

  it("covers every block Python knows is not globally reachable (IPv4-mapped IPv6 aside: Squid judges those as IPv4)", () => {
    const uncovered = judge([
      "import ipaddress, json, sys",
      "ours = [ipaddress.ip_network(c) for c in json.load(sys.stdin)]",
      "C4, C6 = ipaddress._IPv4Constants, ipaddress._IPv6Constants",
      "theirs = C4._private_networks + [C4._public_network, C4._multicast_network, C4._reserved_network]",
      "theirs += C6._private_networks + [C6._multicast_network, C6._sitelocal_network]",
      "covered = lambda a: any(a.version == n.version and a in n for n in ours)",
      "print(json.dumps([str(n) for n in theirs if str(n) != '::ffff:0:0/96' and not (covered(n.network_address) and covered(n.broadcast_address))]))",
    ].join("\n"), ranges);
    expect(uncovered).to.deep.equal([]);
  });

  it("is exercised by the real-Squid test below: each range holds at least one of its refused addresses", () => {
    const addresses = NOT_PUBLIC.flatMap((d) => [...(d.records.A ?? []), ...(d.records.AAAA ?? [])]);
    const untested = judge([
      "import ipaddress, json, sys",
      "d = json.load(sys.stdin)",
      "addrs = [ipaddress.ip_address(a) for a in d['addresses']]",
      "print(json.dumps([c for c in d['ranges'] if not any(a.version == ipaddress.ip_network(c).version and a in ipaddress.ip_network(c) for a in addrs)]))",
    ].join("\n"), { ranges, addresses });
    expect(untested).to.deep.equal([]);
    // ...and every public address there is public by Python's judgement, outside every range.
    const notPublic = judge([
      "import ipaddress, json, sys",
      "d = json.load(sys.stdin)",
      "nets = [ipaddress.ip_network(c) for c in d['ranges']]",
      "print(json.dumps([a for a in d['addresses'] if not ipaddress.ip_address(a).is_global or any(ipaddress.ip_address(a) in n for n in nets if n.version == ipaddress.ip_address(a).version)]))",
    ].join("\n"), { ranges, addresses: PUBLIC.flatMap((d) => [...(d.records.A ?? []), ...(d.records.AAAA ?? [])]) });
    expect(notPublic).to.deep.equal([]);
  });
});

/** The program's squid.conf pointed at the test: listen address, logs, resolution, error pages, LB network. */
function localize(conf: string, o: Required<Pick<SquidOptions, "listen" | "accessLog" | "cacheLog" | "hostsFile" | "dnsNameservers" | "coredumpDir" | "errorDirectory">>): string {
  const lines = conf.split("\n");
  const replace = (pattern: RegExp, next: (line: string) => string[]) => {
    const i = lines.findIndex((l) => pattern.test(l));
    if (i < 0) throw new Error(`the program's squid.conf has no line matching ${pattern}`);
    lines.splice(i, 1, ...next(lines[i]));
  };
  replace(/^http_port 3128 require-proxy-header$/, () => [`http_port ${o.listen} require-proxy-header`]);
  replace(/^acl load_balancer src /, () => [`acl load_balancer src ${LB_NETWORK}`]);
  replace(/^access_log stdio:\/dev\/stdout /, (l) => [l.replace("stdio:/dev/stdout", o.accessLog)]);
  replace(/^cache_log stdio:\/dev\/stderr$/, () => [
    `cache_log ${o.cacheLog}`, `hosts_file ${o.hostsFile}`, `dns_nameservers ${o.dnsNameservers.join(" ")}`, `error_directory ${o.errorDirectory}`,
  ]);
  replace(/^coredump_dir \/tmp$/, () => [`coredump_dir ${o.coredumpDir}`]);
  return lines.join("\n");
}

/** The configuration as it was before the address check: names checked, never where they lead. */
function withoutAddressCheck(conf: string): string {
  const check = "http_access deny allowed_names non_public_destination\n";
  if (!conf.includes(check)) throw new Error("the program's squid.conf has no address check to take out");
  return conf.replace(check, "");
}

/** Skips loudly, or fails under CI=true, when this machine cannot run the real-Squid test. */
function unavailable(ctx: Context, reason: string): never {
  if (process.env.CI === "true") throw new Error(`the real-Squid egress proxy test cannot run in CI: ${reason}`);
  console.warn(`\n  !!! SKIPPING the real-Squid egress tests: ${reason} !!!\n`);
  ctx.skip();
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

/** The NLB's part: accept on loopback, prepend the PROXY v2 header naming the client, relay both ways through the door. */
function startLoadBalancer(door: string): Promise<{ server: net.Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((client) => {
      const upstream = net.connect(door, () => {
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

interface Answer {
  /** The status line, or "(closed without an answer)". */
  readonly status: string;
  /** Whatever followed the headers in the same reads (a 403's page). */
  readonly body: string;
  readonly socket: net.Socket;
}

/** Sends one raw request from `from` (a loopback address: the "workspace") through the relay, or straight through a door. */
function ask(to: { port: number; from?: string } | { door: string }, request: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = "door" in to
      ? net.connect(to.door, () => socket.write(request))
      : net.connect({ port: to.port, host: "127.0.0.1", localAddress: to.from ?? "127.0.0.1" }, () => socket.write(request));
    let buffer = "";
    let settled = false;
    const settle = (status: string) => {
      if (settled) return;
      settled = true;
      socket.off("data", onData);
      const end = buffer.indexOf("\r\n\r\n");
      resolve({ status, body: end >= 0 ? buffer.slice(end + 4) : "", socket });
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, end));
      // A 200 to CONNECT is followed by the tunnel; an error by its page.
      if (!length || buffer.length - end - 4 >= Number(length[1])) settle(buffer.split("\r\n")[0]);
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.on("close", () => settle(buffer.split("\r\n")[0] || "(closed without an answer)"));
    socket.setTimeout(5000, () => reject(new Error(`proxy did not answer ${JSON.stringify(request.split("\r\n")[0])}`)));
  });
}

const connect = (target: string) => `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`;

/** TLS through an open tunnel to the namespace's server: which address it was reached on. */
function reachedThrough(socket: net.Socket, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, servername, ca }, () => secure.write("which address?\n"));
    let text = "";
    secure.on("data", (c) => (text += c));
    secure.on("end", () => resolve(text.replace(/^reached /, "")));
    secure.on("error", reject);
  });
}

interface Decision {
  client: string;
  method: string;
  target: string;
  status: string;
  verdict: string;
  error: string;
}

function sh(cmd: string[]): void {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8", timeout: 20000 });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr}`);
}

describe("egress proxy in the real Squid, configured and started as the program does", function () {
  this.timeout(30000);
  const ns = `rc${process.pid}-squid`;
  let nsCreated = false;
  let dir: string;
  const children: ChildProcess[] = [];
  let squidLog = "";
  const dnsQueries: string[] = [];
  let lb: { server: net.Server; port: number } | undefined;
  let controlLb: { server: net.Server; port: number } | undefined;
  let cert: string;
  let programConf: string;
  let privateCidrs: string[];
  /** What each test sent through the program's Squid and what its decision log must show for it. */
  const expected: Decision[] = [];
  const door = (port: number) => path.join(dir, `door-${port}.sock`);

  const testOptions = (port: number) => ({
    listen: `127.0.0.1:${port}`,
    accessLog: `stdio:${path.join(dir, `access-${port}.log`)}`,
    cacheLog: `stdio:${path.join(dir, `cache-${port}.log`)}`,
    hostsFile: path.join(dir, "hosts"),
    dnsNameservers: [DNS_ADDRESS],
    coredumpDir: dir,
    errorDirectory: path.join(dir, "errors"),
  });
  const localized = (port = SQUID_PORT) => localize(programConf, testOptions(port));

  /** Runs `command` inside the namespace; its output feeds `onLine`; resolves once a line says `ready` (or at once). */
  const startInNamespace = (command: string[], env: NodeJS.ProcessEnv, waitFor?: RegExp): Promise<ChildProcess> => {
    const child = spawn("ip", ["netns", "exec", ns, ...command], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let pending = "";
      child.stdout!.on("data", (d) => {
        pending += String(d);
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith("query ")) dnsQueries.push(line.slice("query ".length));
          if (waitFor?.test(line)) resolve(child);
        }
      });
      child.stderr!.on("data", (d) => (squidLog += String(d)));
      child.on("exit", (code) => reject(new Error(`${command.join(" ")} exited ${code}: ${squidLog}`)));
      if (!waitFor) resolve(child);
    });
  };

  /** Starts Squid through the image's entrypoint and waits until its cache log says it accepts connections. */
  const startSquid = async (port: number, conf: string) => {
    const squid = await startInNamespace(["sh", ENTRYPOINT], { [SQUID_CONFIG_ENV]: conf, SQUID_CONFIG_FILE: path.join(dir, `squid-${port}.conf`) });
    const cacheLog = path.join(dir, `cache-${port}.log`);
    const listening = new RegExp(`Accepting HTTP Socket connections at \\S+ local=127\\.0\\.0\\.1:${port} `);
    for (let i = 0; i < 200 && squid.exitCode === null; i++) {
      if (fs.existsSync(cacheLog) && listening.test(fs.readFileSync(cacheLog, "utf8"))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`squid did not start (exit ${squid.exitCode}): ${squidLog}${fs.existsSync(cacheLog) ? fs.readFileSync(cacheLog, "utf8") : ""}`);
  };

  before(async function () {
    this.timeout(90000);
    if (spawnSync("squid", ["-v"]).status !== 0) unavailable(this, "`squid` is not installed (npm run test:ci installs it)");
    if (typeof process.getuid === "function" && process.getuid() !== 0) unavailable(this, "network namespaces need root");
    if (spawnSync("ip", ["-V"]).status !== 0) unavailable(this, "`ip` is not installed (Debian package iproute2)");

    // The configuration the program hands the proxy container, for this allow list.
    const g = await buildStack("staging", { ...STAGING_EGRESS_PROXY, dnsAllowedDomains: ALLOW_LIST });
    const task = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-staging-egress-proxy")!;
    programConf = containerNamed(task, "egress-proxy").environment!.find((e) => e.name === SQUID_CONFIG_ENV)!.value!;
    privateCidrs = g.ofType(aws.ec2.Subnet).filter((s) => s.inputs.tags.Tier === "private").map((s) => s.inputs.cidrBlock);

    dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-squid-"));
    // Squid started as root drops to the proxy user, which must be able to write its logs here.
    fs.chmodSync(dir, 0o777);
    const made = spawnSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=allowed.test",
      "-addext", "subjectAltName=DNS:allowed.test,DNS:*.wild.test",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    cert = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    // Names come from the test's DNS server only, never from this machine's /etc/hosts.
    fs.writeFileSync(path.join(dir, "hosts"), "");
    // Debian's English pages and the project's own, as the image lays them out.
    fs.mkdirSync(path.join(dir, "errors"));
    for (const from of [SQUID_TEMPLATES, ERROR_PAGES]) {
      for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(dir, "errors", f));
    }

    // The namespace: loopback only, holding every address a name may lead to, no route out.
    sh(["ip", "netns", "add", ns]);
    nsCreated = true;
    sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    for (const address of namespaceAddresses()) {
      sh(["ip", "-n", ns, "addr", "add", `${address}/${address.includes(":") ? 128 : 32}`, "dev", "lo"]);
    }
    sh(["ip", "-n", ns, "addr", "add", `${DNS_ADDRESS}/32`, "dev", "lo"]);

    const records = Object.fromEntries([...PUBLIC, ...NOT_PUBLIC, REBINDING, UNREACHABLE].map((d) => [d.name, d.records]));
    const settings: NetnsServersSettings = {
      dnsAddress: DNS_ADDRESS,
      records,
      tlsKey: fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
      tlsCert: cert,
      doors: [SQUID_PORT, CONTROL_PORT].map((port) => ({ path: door(port), port })),
    };
    await startInNamespace([process.execPath, ...tsNodeArgs(NETNS_SERVERS)],
      { [NETNS_SERVERS_ENV]: JSON.stringify(settings) }, /^ready$/);

    await startSquid(SQUID_PORT, localized());
    await startSquid(CONTROL_PORT, withoutAddressCheck(localized(CONTROL_PORT)));
    lb = await startLoadBalancer(door(SQUID_PORT));
    controlLb = await startLoadBalancer(door(CONTROL_PORT));
  });

  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
    for (const relay of [lb, controlLb]) await new Promise<void>((resolve) => (relay ? relay.server.close(() => resolve()) : resolve()));
    if (nsCreated) spawnSync("ip", ["netns", "del", ns]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs exactly the program's configuration: renderSquidConfig(allow list) behind the NLB, test addresses aside", () => {
    expect(programConf).to.equal(renderSquidConfig(ALLOW_LIST, { proxyProtocolFrom: privateCidrs }));
    expect(programConf).to.equal(egressProxySquidConfig({ allowList: ALLOW_LIST, loadBalancerCidrs: privateCidrs }));
    expect(localized()).to.equal(renderSquidConfig(ALLOW_LIST, { ...testOptions(SQUID_PORT), proxyProtocolFrom: [LB_NETWORK] }));
    // What the entrypoint wrote is what it was given.
    expect(fs.readFileSync(path.join(dir, `squid-${SQUID_PORT}.conf`), "utf8")).to.equal(`${localized()}\n`);
  });

  it("accepts the production configuration", () => {
    const file = path.join(dir, "production.conf");
    fs.writeFileSync(file, programConf);
    const parsed = spawnSync("squid", ["-k", "parse", "-f", file], { encoding: "utf8" });
    expect(parsed.status, parsed.stderr).to.equal(0);
    expect(parsed.stderr).to.not.match(/FATAL|ERROR|WARNING: (?!HTTP requires the use of Via)/);
  });

  it("loads its error pages without an error or warning (Squid's cache log at startup)", () => {
    // Squid builds every page in error_directory at startup and logs what it cannot (e.g.
    // "ERROR: …/ERR_NON_PUBLIC_DESTINATION: Unsupported error page %code", announced by "WARNING:
    // The following configuration error will be fatal in future Squid versions").
    for (const port of [SQUID_PORT, CONTROL_PORT]) {
      const log = fs.readFileSync(path.join(dir, `cache-${port}.log`), "utf8").split("\n");
      const startup = log.slice(0, log.findIndex((l) => /Accepting HTTP Socket connections/.test(l)));
      expect(startup.length, `cache-${port}.log`).to.be.greaterThan(5);
      expect(startup.filter((l) => /\b(ERROR|WARNING|FATAL)\b/.test(l)), `cache-${port}.log`).to.deep.equal([]);
    }
  });

  it("tunnels to an allowed name on 443, resolving it itself, and logs the workspace's own address", async () => {
    const { status, socket } = await ask({ port: lb!.port, from: "127.0.0.11" }, connect("allowed.test:443"));
    expect(status).to.match(/^HTTP\/1\.1 200/);
    expect(await reachedThrough(socket, "allowed.test", cert)).to.equal("11.0.0.1");
    expect(dnsQueries).to.include("allowed.test A");
    expected.push({ client: "127.0.0.11", method: "CONNECT", target: "allowed.test:443", status: "200", verdict: "TCP_TUNNEL", error: "-" });
  });

  for (const d of PUBLIC.slice(1)) {
    it(`tunnels to an allowed name at a public address: ${d.what}`, async () => {
      const { status, socket } = await ask({ port: lb!.port, from: "127.0.0.12" }, connect(`${d.name}:443`));
      expect(status).to.match(/^HTTP\/1\.1 200/);
      expect(await reachedThrough(socket, d.name, cert)).to.equal(d.reaches);
      expected.push({ client: "127.0.0.12", method: "CONNECT", target: `${d.name}:443`, status: "200", verdict: "TCP_TUNNEL", error: "-" });
    });
  }

  for (const d of NOT_PUBLIC) {
    it(`refuses an allowed name that resolves to ${d.what}, and says why`, async () => {
      const { status, body, socket } = await ask({ port: lb!.port, from: "127.0.0.12" }, connect(`${d.name}:443`));
      socket.destroy();
      expect(status).to.equal("HTTP/1.1 403 Forbidden");
      expect(body).to.include(`The egress proxy will not connect to <b>${d.name}</b>`);
      expected.push({ client: "127.0.0.12", method: "CONNECT", target: `${d.name}:443`, status: "403", verdict: "TCP_DENIED", error: NON_PUBLIC_DESTINATION_PAGE });
    });
  }

  it("without the address check (names only, as before), the same names lead into the namespace: the check is what stops them", async () => {
    const results: Record<string, string> = {};
    for (const d of NOT_PUBLIC.filter((x) => x.reaches)) {
      const { status, socket } = await ask({ port: controlLb!.port }, connect(`${d.name}:443`));
      results[d.name] = status.startsWith("HTTP/1.1 200") ? await reachedThrough(socket, d.name, cert) : status;
      socket.destroy();
    }
    expect(results).to.deep.equal(Object.fromEntries(NOT_PUBLIC.filter((x) => x.reaches).map((x) => [x.name, x.reaches])));
  });

  it("judges the addresses it connects to: one lookup serves the check and the connection, so a rebinding name cannot switch between them", async () => {
    const before = dnsQueries.filter((q) => q === `${REBINDING.name} A`).length;
    for (let i = 0; i < 2; i++) {
      const { status, socket } = await ask({ port: lb!.port, from: "127.0.0.12" }, connect(`${REBINDING.name}:443`));
      expect(status).to.match(/^HTTP\/1\.1 200/);
      expect(await reachedThrough(socket, REBINDING.name, cert)).to.equal(REBINDING.reaches);
      expected.push({ client: "127.0.0.12", method: "CONNECT", target: `${REBINDING.name}:443`, status: "200", verdict: "TCP_TUNNEL", error: "-" });
    }
    // One question for the name, whose answer (TTL 0) Squid keeps negative_dns_ttl: the second
    // answer, private, was never asked for while the first was in use.
    expect(dnsQueries.filter((q) => q === `${REBINDING.name} A`).length - before).to.equal(1);
  });

  it("says in its log why an allowed name went nowhere: no such name, or no answer from its address", async () => {
    const missing = await ask({ port: lb!.port, from: "127.0.0.12" }, connect("missing.wild.test:443"));
    missing.socket.destroy();
    const unreachable = await ask({ port: lb!.port, from: "127.0.0.12" }, connect(`${UNREACHABLE.name}:443`));
    unreachable.socket.destroy();
    expect([missing.status, unreachable.status]).to.deep.equal(["HTTP/1.1 500 Internal Server Error", "HTTP/1.1 503 Service Unavailable"]);
    expected.push({ client: "127.0.0.12", method: "CONNECT", target: "missing.wild.test:443", status: "500", verdict: "NONE_NONE", error: "ERR_CANNOT_FORWARD" });
    expected.push({ client: "127.0.0.12", method: "CONNECT", target: `${UNREACHABLE.name}:443`, status: "503", verdict: "NONE_NONE", error: "ERR_CONNECT_FAIL" });
  });

  // What is sent, and the method and target the decision log records for it.
  const refused: [string, string, string, string][] = [
    ["a name off the list", connect("denied.test:443"), "CONNECT", "denied.test:443"],
    ["a raw IPv4 address", connect("11.0.0.1:443"), "CONNECT", "11.0.0.1:443"],
    ["a decimal IPv4 address", connect("2138898433:443"), "CONNECT", "127.125.0.1:443"],
    ["a raw IPv6 address", connect("[::1]:443"), "CONNECT", "[::1]:443"],
    ["another port of an allowed name", connect("allowed.test:8443"), "CONNECT", "allowed.test:8443"],
    ["plain HTTP to an allowed name", "GET http://allowed.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n", "GET", "http://allowed.test/"],
  ];
  refused.forEach(([what, request, method, target], i) => {
    it(`refuses ${what}`, async () => {
      const client = `127.0.1.${i + 1}`;
      const { status, socket } = await ask({ port: lb!.port, from: client }, request);
      socket.destroy();
      expect(status).to.equal("HTTP/1.1 403 Forbidden");
      expected.push({ client, method, target, status: "403", verdict: "TCP_DENIED", error: "ERR_ACCESS_DENIED" });
    });
  });

  it("resolves no name off the list (it is refused before any lookup)", () => {
    expect(dnsQueries.filter((q) => q.startsWith("denied.test "))).to.deep.equal([]);
  });

  it("answers nobody who bypasses the load balancer (no PROXY header), and logs a health check as no decision", async () => {
    const { status, socket } = await ask({ door: door(SQUID_PORT) }, connect("allowed.test:443"));
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
    const config = { egressProxy: `http://127.0.0.1:${lb!.port}`, allowedDomain: "allowed.test", blockedDomain: "denied.test", timeoutMs: 3000 };
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
    expected.push({ client: "127.0.0.1", method: "CONNECT", target: "allowed.test:443", status: "200", verdict: "TCP_TUNNEL", error: "-" });
    expected.push({ client: "127.0.0.1", method: "CONNECT", target: "denied.test:443", status: "403", verdict: "TCP_DENIED", error: "ERR_ACCESS_DENIED" });
  });

  it("records every decision in its log, and the stack's metric filters count them", async () => {
    const logFile = path.join(dir, `access-${SQUID_PORT}.log`);
    let lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean) : [];
      if (lines.length >= expected.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const decisions = lines.map((l) => l.split(" ")).map((f) => ({ client: f[1], method: f[2], target: f[3], status: f[4], verdict: f[5], error: f[6] }));
    // Every request, refused or not, with the client the NLB named; nothing else (no health check,
    // no header-less connection).
    expect(decisions).to.have.deep.members(expected);
    expect(lines.every((l) => l.split(" ").length === DECISION_FIELDS.length)).to.equal(true);
    // The CloudWatch Logs metric filters the stack deploys, over these very lines.
    expect(lines.filter((l) => matchesSpaceDelimited(DECISIONS_PATTERN, l))).to.have.length(expected.length);
    const denied = lines.filter((l) => matchesSpaceDelimited(DENIED_PATTERN, l));
    expect(denied).to.have.length(expected.filter((d) => d.verdict === "TCP_DENIED").length);
    expect(denied.length).to.equal(refused.length + 1 + NOT_PUBLIC.length);
    const nonPublic = lines.filter((l) => matchesSpaceDelimited(NON_PUBLIC_DESTINATION_PATTERN, l)).map((l) => l.split(" ")[3]);
    expect(nonPublic).to.have.members(NOT_PUBLIC.map((d) => `${d.name}:443`));
  });

  it("writes exactly the decisions of the egress report's fixture, which the report's parser reads and no cache log line passes for", () => {
    const lines = fs.readFileSync(path.join(dir, `access-${SQUID_PORT}.log`), "utf8").trim().split("\n");
    // The fixture (test/fixtures/egress) was captured from this suite: the same requests give the same decisions.
    const withoutTime = (d: ReturnType<typeof parseDecision>) => d && { client: d.client, method: d.method, target: d.target, status: d.status, verdict: d.verdict, error: d.error };
    const fixture = SQUID_LINES.map(parseDecision).filter((d) => d !== undefined);
    expect(lines.map((l) => withoutTime(parseDecision(l)))).to.have.deep.members(fixture.map(withoutTime));
    expect(lines.map(parseDecision).filter((d) => d && isDenied(d))).to.have.length(lines.filter((l) => matchesSpaceDelimited(DENIED_PATTERN, l)).length);
    const cacheLog = fs.readFileSync(path.join(dir, `cache-${SQUID_PORT}.log`), "utf8").trim().split("\n");
    expect(cacheLog.length).to.be.greaterThan(10);
    expect(cacheLog.filter((l) => parseDecision(l) !== undefined)).to.deep.equal([]);
  });
});
