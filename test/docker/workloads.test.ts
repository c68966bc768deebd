// What must keep working under the project's profile, with either ptrace choice: a workspace's
// everyday work (shell, node, processes, threads, timers, loopback sockets), and the namespace
// calls and socket families (AF_PACKET for dhclient) the ECS agent and its CNI plugins use with
// CAP_SYS_ADMIN and CAP_NET_ADMIN.
import { expect } from "chai";
import { agentRunArgs } from "../../scripts/ops/docker/runtime/runtime";
import { PTRACE_CHOICES } from "../../host/seccomp";
import { engine, image, PROFILES, profileText, runInWorkspace } from "../helpers/docker";

const NODE_WORK = `
const fs = require("fs"), cp = require("child_process"), net = require("net"), path = require("path");
const { Worker } = require("worker_threads");
(async () => {
  const dir = fs.mkdtempSync("/tmp/work-");
  fs.writeFileSync(path.join(dir, "a.txt"), "hello\\n".repeat(1000));
  const read = fs.readFileSync(path.join(dir, "a.txt"), "utf8").split("\\n").filter(Boolean).length;
  await fs.promises.writeFile(path.join(dir, "b.json"), JSON.stringify({ read }));
  const spawned = cp.execFileSync("sh", ["-c", "seq 1 500 | grep 7 | sort -r | head -n 3 | wc -l"]).toString().trim();
  const threads = await Promise.all([1, 2].map((n) => new Promise((res, rej) => {
    const w = new Worker("const { parentPort, workerData } = require('worker_threads'); let s = 0; for (let i = 0; i < 1e6; i++) s += i % workerData; parentPort.postMessage(s);", { eval: true, workerData: n + 1 });
    w.on("message", res); w.on("error", rej);
  })));
  const timers = await new Promise((res) => { let ticks = 0; const t = setInterval(() => { if (++ticks === 3) { clearInterval(t); res(ticks); } }, 10); });
  const echoed = await new Promise((res, rej) => {
    const server = net.createServer((s) => s.pipe(s)).listen(0, "127.0.0.1", () => {
      const c = net.connect(server.address().port, "127.0.0.1", () => c.end("ping"));
      let got = ""; c.on("data", (d) => (got += d)); c.on("end", () => { server.close(); res(got); }); c.on("error", rej);
    });
  });
  console.log(JSON.stringify({ read, spawned, threads, timers, echoed, json: JSON.parse(fs.readFileSync(path.join(dir, "b.json"))).read }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const AGENT_OPS = `
import ctypes, errno, json, os, socket
libc = ctypes.CDLL(None, use_errno=True)
def ok(r, what):
    if r != 0:
        raise OSError(ctypes.get_errno(), what)
out = {}
home = os.open("/proc/self/ns/net", os.O_RDONLY)
ok(libc.unshare(0x40000000 | 0x20000), "unshare(NEWNET|NEWNS)")
out["unshare"] = True
ok(libc.mount(b"none", b"/", None, 0x40000 | 0x4000, None), "mount --make-rprivate /")
os.makedirs("/run/netns", exist_ok=True)
ok(libc.mount(b"tmpfs", b"/run/netns", b"tmpfs", 0, None), "mount tmpfs")
open("/run/netns/task", "w").close()
ok(libc.mount(b"/proc/self/ns/net", b"/run/netns/task", None, 0x1000, None), "bind-mount the netns")
out["pinned"] = True
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.close()
# dhclient's raw packet socket (awsvpc ENIs), which a workspace's family list does not have.
socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()
out["packet"] = True
try:
    socket.socket(40, socket.SOCK_STREAM, 0).close()
    out["vsock"] = "opened"
except OSError as e:
    out["vsock"] = errno.errorcode[e.errno]
ok(os.system("ip link set lo up"), "ip link set lo up (NET_ADMIN)")
out["netlink"] = True
task = os.open("/run/netns/task", os.O_RDONLY)
ok(libc.setns(home, 0x40000000), "setns back")
ok(libc.setns(task, 0x40000000), "setns into the task netns")
out["setns"] = True
ok(libc.umount2(b"/run/netns/task", 2), "umount")
print(json.dumps(out))
`;

describe("work that must keep running under the project's profile", function () {
  this.timeout(120000);

  for (const choice of PTRACE_CHOICES) {
    it(`a workspace (ptrace ${choice}): shell pipelines and a node script with files, processes, threads, timers and a loopback socket`, async function () {
      const e = await engine(this);
      const tag = await image(e, "node");
      const seccompProfile = profileText(PROFILES[choice]);
      const shell = await runInWorkspace(e, { image: tag, seccompProfile, command: ["sh", "-c",
        "cd /tmp && seq 1 2000 | awk '{ s += $1 } END { print s }' > sum && cat sum | tr 0 o && ls /tmp | wc -l && echo kept > /workspace/file && cat /workspace/file"] });
      expect(shell.exitCode, shell.stderr).to.equal(0);
      expect(shell.stdout.trim().split("\n")).to.deep.equal(["2oo1ooo", "1", "kept"]);

      const node = await runInWorkspace(e, { image: tag, seccompProfile, command: ["node", "-e", NODE_WORK] });
      expect(node.exitCode, node.stderr).to.equal(0);
      expect(JSON.parse(node.stdout.trim())).to.deep.equal({ read: 1000, spawned: "3", threads: [500000, 999999], timers: 3, echoed: "ping", json: 1000 });
    });

    it(`the ECS agent (ptrace ${choice}): with CAP_SYS_ADMIN and CAP_NET_ADMIN it unshares, mounts, pins and enters network namespaces and opens dhclient's packet socket`, async function () {
      const e = await engine(this);
      const tag = await image(e, "python");
      const agent = await e.docker(["run", "--rm", ...agentRunArgs({ seccompProfile: PROFILES[choice] }), tag, "python3", "-c", AGENT_OPS], { allowFail: true });
      expect(agent.code, agent.stderr).to.equal(0);
      // AF_VSOCK stays refused (EPERM, the profile's default action) even with CAP_NET_ADMIN, as Docker's own default does.
      expect(JSON.parse(agent.stdout.trim())).to.deep.equal({ unshare: true, pinned: true, netlink: true, packet: true, vsock: "EPERM", setns: true });
      // The same calls fail for a workspace.
      const workspace = await runInWorkspace(e, { image: tag, seccompProfile: profileText(PROFILES[choice]), command: ["python3", "-c", AGENT_OPS] });
      expect(workspace.exitCode).to.not.equal(0);
      expect(workspace.stderr, workspace.stderr).to.match(/PermissionError: \[Errno 1\] unshare\(NEWNET\|NEWNS\)/);
    });
  }
});
