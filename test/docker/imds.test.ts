// The IMDS blocking rules (host/files/imds-block.sh + rules), applied by the real script in
// network namespaces this test creates: "meta" holds a fake metadata service on 169.254.169.254
// (and a fake credentials endpoint on 169.254.170.2), "host" routes between it and a Docker-like
// bridge, "ctr" is a container behind that bridge. Nothing is connected to the machine's own
// network namespace, so no packet leaves the test's namespaces.
import { expect } from "chai";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { debianPython } from "../../scripts/ops/docker/runtime/rootfs";
import { ROOT, unavailable } from "../helpers/docker";

const FILES = path.join(ROOT, "host", "files");
const SERVER = `
import http.server, socketserver, threading
class H(http.server.BaseHTTPRequestHandler):
    def _reply(self):
        body = b"ami-0fake" if self.server.server_address[0] == "169.254.169.254" else b'{"AccessKeyId":"AKIAFAKE"}'
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    do_GET = do_PUT = _reply
    def log_message(self, *a): pass
for addr in ("169.254.169.254", "169.254.170.2"):
    s = socketserver.ThreadingTCPServer((addr, 80), H); threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
`;
const CLIENT = `
import sys, urllib.request
req = urllib.request.Request("http://%s/latest/%s" % (sys.argv[1], sys.argv[2]), method=sys.argv[3])
try:
    print(urllib.request.urlopen(req, timeout=2).status)
except Exception as e:
    print("error", type(e).__name__)
`;

function sh(cmd: string[], allowFail = false): string {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8", timeout: 20000 });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

describe("IMDS blocking rules in test network namespaces", function () {
  this.timeout(60000);
  const tag = `rc${process.pid}`;
  const ns = { host: `${tag}-host`, meta: `${tag}-meta`, ctr: `${tag}-ctr` };
  let server: ChildProcess | undefined;
  let python = "";
  const inNs = (name: string, ...cmd: string[]) => ["ip", "netns", "exec", name, ...cmd];
  const fetch = (from: string, address: string, what: string, method = "GET") =>
    sh(inNs(from, python, "-c", CLIENT, address, what, method)).trim();

  before(async function () {
    if (typeof process.getuid === "function" && process.getuid() !== 0) unavailable(this, "network namespaces need root");
    for (const tool of ["ip", "iptables", "iptables-restore"]) {
      if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) unavailable(this, `${tool} is not installed (Debian packages iproute2, iptables)`);
    }
    const py = debianPython();
    if (!py) unavailable(this, "Debian's python3 is not installed");
    python = py.program;

    for (const n of Object.values(ns)) sh(["ip", "netns", "add", n]);
    for (const n of Object.values(ns)) sh(["ip", "-n", n, "link", "set", "lo", "up"]);
    // host <-> meta: the link to the metadata service (on EC2, the hypervisor behind eth0).
    sh(["ip", "-n", ns.host, "link", "add", "vh0", "type", "veth", "peer", "name", "vm0", "netns", ns.meta]);
    sh(["ip", "-n", ns.host, "addr", "add", "169.254.0.1/16", "dev", "vh0"]);
    sh(["ip", "-n", ns.meta, "addr", "add", "169.254.169.254/16", "dev", "vm0"]);
    sh(["ip", "-n", ns.meta, "addr", "add", "169.254.170.2/16", "dev", "vm0"]);
    sh(["ip", "-n", ns.host, "link", "set", "vh0", "up"]);
    sh(["ip", "-n", ns.meta, "link", "set", "vm0", "up"]);
    sh(["ip", "-n", ns.meta, "route", "add", "172.30.0.0/24", "via", "169.254.0.1"]);
    // host: a Docker-like bridge with the container behind it, forwarding on.
    sh(["ip", "-n", ns.host, "link", "add", "rcbr0", "type", "bridge"]);
    sh(["ip", "-n", ns.host, "addr", "add", "172.30.0.1/24", "dev", "rcbr0"]);
    sh(["ip", "-n", ns.host, "link", "set", "rcbr0", "up"]);
    sh(["ip", "-n", ns.host, "link", "add", "vb0", "type", "veth", "peer", "name", "vc0", "netns", ns.ctr]);
    sh(["ip", "-n", ns.host, "link", "set", "vb0", "master", "rcbr0", "up"]);
    sh(["ip", "-n", ns.ctr, "addr", "add", "172.30.0.2/24", "dev", "vc0"]);
    sh(["ip", "-n", ns.ctr, "link", "set", "vc0", "up"]);
    sh(["ip", "-n", ns.ctr, "route", "add", "default", "via", "172.30.0.1"]);
    sh(inNs(ns.host, "sysctl", "-qw", "net.ipv4.ip_forward=1"));

    server = spawn("ip", ["netns", "exec", ns.meta, python, "-c", SERVER], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once("data", () => resolve());
      server!.once("exit", (code) => reject(new Error(`fake metadata server exited ${code}`)));
    });
  });

  after(() => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    for (const n of Object.values(ns)) spawnSync("ip", ["netns", "del", n]);
  });

  it("without the rules, the container side reaches the fake metadata service (the topology works)", () => {
    expect(fetch(ns.ctr, "169.254.169.254", "meta-data/")).to.equal("200");
    expect(fetch(ns.host, "169.254.169.254", "meta-data/")).to.equal("200");
  });

  it("with the project's rules, the container side cannot reach IMDS (v1 or v2); the host and the ECS credentials endpoint still can", () => {
    sh(inNs(ns.host, "bash", path.join(FILES, "imds-block.sh"), FILES));
    expect(fetch(ns.ctr, "169.254.169.254", "meta-data/")).to.match(/^error /);
    expect(fetch(ns.ctr, "169.254.169.254", "api/token", "PUT")).to.match(/^error /);
    expect(fetch(ns.host, "169.254.169.254", "meta-data/")).to.equal("200");
    expect(fetch(ns.host, "169.254.169.254", "api/token", "PUT")).to.equal("200");
    expect(fetch(ns.ctr, "169.254.170.2", "credentials")).to.equal("200");
  });

  it("applies idempotently (as the boot unit re-runs it): one jump from FORWARD, one rule, IPv6 too", () => {
    sh(inNs(ns.host, "bash", path.join(FILES, "imds-block.sh"), FILES));
    sh(inNs(ns.host, "bash", path.join(FILES, "imds-block.sh"), FILES));
    const forward = sh(inNs(ns.host, "iptables", "-S", "FORWARD")).split("\n").filter((l) => l.includes("REMOTE-CLAUDE-IMDS"));
    expect(forward).to.deep.equal(["-A FORWARD -j REMOTE-CLAUDE-IMDS"]);
    const chain = sh(inNs(ns.host, "iptables", "-S", "REMOTE-CLAUDE-IMDS")).split("\n").filter((l) => l.startsWith("-A"));
    expect(chain).to.deep.equal(["-A REMOTE-CLAUDE-IMDS -d 169.254.169.254/32 -j REJECT --reject-with icmp-admin-prohibited"]);
    const chain6 = sh(inNs(ns.host, "ip6tables", "-S", "REMOTE-CLAUDE-IMDS"), true);
    expect(chain6).to.include("-A REMOTE-CLAUDE-IMDS -d fd00:ec2::254/128 -j REJECT --reject-with icmp6-adm-prohibited");
    expect(fetch(ns.ctr, "169.254.169.254", "meta-data/")).to.match(/^error /);
  });
});
