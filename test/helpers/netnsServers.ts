// The servers the real-Squid egress proxy test runs inside its own network namespace (run as a
// child process through `ip netns exec`): a DNS server answering from the test's table, so Squid
// resolves every name itself as in production; a TLS server on port 443 of every address of the
// namespace, which answers with the address it was reached on; and doors into the namespace (Unix
// sockets, each forwarded to a Squid's port) through which the test's NLB relay reaches Squid. The
// namespace has no route out, so whatever Squid connects to stays inside it.
// Settings come in NETNS_SERVERS (JSON, NetnsServersSettings); "ready" on stdout when all listen,
// then one "query <name> <type>" line per DNS question.
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";

/** A name's records; `later` replaces them from the second query of a type on (a rebinding name). */
export interface DnsRecords {
  readonly A?: readonly string[];
  readonly AAAA?: readonly string[];
  readonly later?: { readonly A?: readonly string[]; readonly AAAA?: readonly string[] };
}

export interface NetnsServersSettings {
  /** The address the DNS server listens on (port 53, UDP). */
  readonly dnsAddress: string;
  readonly records: Readonly<Record<string, DnsRecords>>;
  readonly tlsKey: string;
  readonly tlsCert: string;
  /** Unix sockets the test connects to, each with the TCP port on 127.0.0.1 inside the namespace it leads to. */
  readonly doors: readonly { readonly path: string; readonly port: number }[];
}

export const NETNS_SERVERS_ENV = "NETNS_SERVERS";

const TYPE = { A: 1, AAAA: 28 } as const;
/** Answers carry TTL 0, a rebinding name's best move; Squid still keeps them negative_dns_ttl (60 s). */
const ANSWER_TTL = 0;
const RCODE_NXDOMAIN = 3;

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split(".").map(Number));
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  // An embedded IPv4 address (::ffff:10.0.0.5) is the last two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const groupsOf = (part: string) => (part ? part.split(":") : []);
  const groups = tail === undefined
    ? groupsOf(head)
    : [...groupsOf(head), ...Array(8 - groupsOf(head).length - groupsOf(tail).length).fill("0"), ...groupsOf(tail)];
  if (groups.length !== 8) throw new Error(`not an IPv6 address: ${address}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** The question of a DNS query: name (lower case), type, and where the question section ends. */
function question(msg: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let i = 12;
  while (msg[i] !== 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString("latin1"));
    i += msg[i] + 1;
  }
  return { name: labels.join(".").toLowerCase(), type: msg.readUInt16BE(i + 1), end: i + 5 };
}

function answer(query: Buffer, rcode: number, records: { type: number; data: Buffer }[]): Buffer {
  const q = question(query);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, opcode 0, RD copied, RA; the rcode.
  header.writeUInt16BE(0x8000 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const rrs = records.map(({ type, data }) => {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(ANSWER_TTL, 6);
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return Buffer.concat([header, query.subarray(12, q.end), ...rrs]);
}

function main(): void {
  const settings = JSON.parse(process.env[NETNS_SERVERS_ENV] ?? "") as NetnsServersSettings;
  const asked = new Map<string, number>();
  let pending = 2;
  const listening = () => {
    if (--pending === 0) process.stdout.write("ready\n");
  };

  const dns = dgram.createSocket(settings.dnsAddress.includes(":") ? "udp6" : "udp4");
  dns.on("message", (msg, peer) => {
    const q = question(msg);
    const kind = q.type === TYPE.A ? "A" : q.type === TYPE.AAAA ? "AAAA" : String(q.type);
    process.stdout.write(`query ${q.name} ${kind}\n`);
    const entry = settings.records[q.name];
    if (!entry) {
      dns.send(answer(msg, RCODE_NXDOMAIN, []), peer.port, peer.address);
      return;
    }
    const seen = asked.get(`${q.name} ${kind}`) ?? 0;
    asked.set(`${q.name} ${kind}`, seen + 1);
    const current = seen > 0 && entry.later ? entry.later : entry;
    const records = kind === "A"
      ? (current.A ?? []).map((a) => ({ type: TYPE.A, data: ipv4Bytes(a) }))
      : kind === "AAAA" ? (current.AAAA ?? []).map((a) => ({ type: TYPE.AAAA, data: ipv6Bytes(a) })) : [];
    dns.send(answer(msg, 0, records), peer.port, peer.address);
  });
  dns.bind(53, settings.dnsAddress, listening);

  // Every address of the namespace, IPv4 and IPv6: "::" without ipv6Only takes both.
  const server = tls.createServer({ key: settings.tlsKey, cert: settings.tlsCert }, (socket) => {
    socket.on("error", () => socket.destroy());
    socket.once("data", () => socket.end(`reached ${socket.localAddress?.replace(/^::ffff:/, "")}`));
  });
  server.listen({ port: 443, host: "::", ipv6Only: false }, listening);

  pending += settings.doors.length;
  for (const { path, port } of settings.doors) {
    if (fs.existsSync(path)) fs.unlinkSync(path);
    const door = net.createServer((outside) => {
      const inside = net.connect(port, "127.0.0.1");
      outside.pipe(inside);
      inside.pipe(outside);
      const close = () => {
        outside.destroy();
        inside.destroy();
      };
      outside.on("error", close).on("close", close);
      inside.on("error", close).on("close", close);
    });
    door.listen(path, () => {
      // The test process (root, outside the namespace) connects; nobody else needs to.
      fs.chmodSync(path, 0o600);
      listening();
    });
  }
}

if (require.main === module) main();
