// ptrace under each of the stack's choices (config seccompPtrace), in a real engine, in a
// workspace created with the task definition's settings: allowed, a workspace traces and reads
// its own processes (strace, PTRACE_ATTACH, process_vm_readv) and still reaches nothing outside
// its container: not another container's process of the same uid (the credential proxy's
// position), not the engine on the host; denied, the same calls answer ENOSYS and strace fails.
// The judges are the kernel (its PID namespace and ptrace access checks) and a real strace.
import { expect } from "chai";
import type { DockerEngine } from "../../scripts/ops/docker/runtime/engine";
import { WORKSPACE_USER } from "../../lib/workspaceContainers";
import { engine, image, PROFILES, profileText, runInWorkspace } from "../helpers/docker";

/** Host pids a workspace must not reach, handed to it in TARGETS. */
const TRACE = `
import ctypes, errno, json, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
def err(r):
    return "ok" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
def ptrace(req, pid):
    ctypes.set_errno(0)
    return err(libc.syscall(101, ctypes.c_long(req), ctypes.c_long(pid), None, None))
def vm_read(pid, addr, size):
    buf = ctypes.create_string_buffer(size)
    local, remote = IOVec(ctypes.cast(buf, ctypes.c_void_p), size), IOVec(addr, size)
    ctypes.set_errno(0)
    r = libc.syscall(310, ctypes.c_long(pid), ctypes.byref(local), ctypes.c_ulong(1), ctypes.byref(remote), ctypes.c_ulong(1), ctypes.c_ulong(0))
    return err(r), buf.raw[:max(r, 0)]
out = {}
marker = ctypes.create_string_buffer(b"rc-own-memory-7f3a")
child = os.fork()
if child == 0:
    time.sleep(60); os._exit(0)
out["attach-own-child"] = ptrace(16, child)
if out["attach-own-child"] == "ok":
    os.waitpid(child, 0)
    out["detach-own-child"] = ptrace(17, child)
status, data = vm_read(child, ctypes.addressof(marker), len(marker.value))
out["read-own-child"] = status if status != "ok" else data.decode()
os.kill(child, signal.SIGKILL); os.waitpid(child, 0)
own = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out["own-pids"] = own
for name, pid in json.loads(os.environ["TARGETS"]).items():
    if pid in own:
        out[name] = "pid %d is also one of this container's own" % pid
        continue
    try:
        os.kill(pid, 0); seen = "ok"
    except OSError as e:
        seen = errno.errorcode[e.errno]
    out[name] = {"signal": seen, "attach": ptrace(16, pid), "read": vm_read(pid, 4096, 8)[0]}
print(json.dumps(out))
`;

const STRACE = "strace -f -qq -e trace=execve -o /tmp/trace true; echo \"status=$?\"; grep -c execve /tmp/trace 2>/dev/null";

describe("ptrace as the stack chooses (config seccompPtrace), in a real engine", function () {
  this.timeout(180000);
  let e: DockerEngine;
  let tag: string;
  const targets: Record<string, number> = {};
  let neighbour: string | undefined;

  before(async function () {
    this.timeout(300000);
    e = await engine(this);
    tag = await image(e, "tracer");
    // Another container of the same uid, like the credential proxy beside the agent (a task's
    // containers each have their own PID namespace: the workspace task sets no pidMode).
    neighbour = (await e.docker(["run", "-d", "--network", "none", "--user", WORKSPACE_USER, "--cap-drop", "ALL", "--security-opt", "no-new-privileges", tag, "sleep", "600"])).stdout.trim();
    targets["neighbour container (same uid)"] = Number((await e.docker(["inspect", "--format", "{{.State.Pid}}", neighbour])).stdout.trim());
    targets["dockerd on the host"] = e.pid;
    targets["the test runner on the host"] = process.pid;
  });

  after(async () => {
    if (neighbour) await e.docker(["rm", "-f", neighbour], { allowFail: true });
  });

  async function trace(profile: string): Promise<Record<string, any>> {
    const run = await runInWorkspace(e, { image: tag, seccompProfile: profileText(profile), environment: { TARGETS: JSON.stringify(targets) }, command: ["python3", "-c", TRACE] });
    expect(run.exitCode, run.stderr).to.equal(0);
    return JSON.parse(run.stdout.trim());
  }

  async function strace(profile: string) {
    const run = await runInWorkspace(e, { image: tag, seccompProfile: profileText(profile), command: ["sh", "-c", STRACE] });
    return { status: Number(/status=(\d+)/.exec(run.stdout)?.[1]), execves: Number(run.stdout.trim().split("\n").pop()), stderr: run.stderr };
  }

  it("allowed: strace works, and a workspace attaches to and reads its own processes", async () => {
    const s = await strace(PROFILES.allowed);
    expect(s.status, s.stderr).to.equal(0);
    expect(s.execves, "execve lines in strace's output").to.be.greaterThanOrEqual(1);
    const t = await trace(PROFILES.allowed);
    expect(t).to.include({ "attach-own-child": "ok", "detach-own-child": "ok", "read-own-child": "rc-own-memory-7f3a" });
  });

  it("allowed: nothing outside the container is in reach, not a same-uid process of another container, not the host (ESRCH: not in its PID namespace)", async () => {
    const t = await trace(PROFILES.allowed);
    console.log(`    targets ${JSON.stringify(targets)}; the workspace sees pids ${JSON.stringify(t["own-pids"])}`);
    for (const name of Object.keys(targets)) {
      expect(t[name], name).to.deep.equal({ signal: "ESRCH", attach: "ESRCH", read: "ESRCH" });
    }
  });

  it("denied: strace fails ('Function not implemented') and ptrace and process_vm_readv answer ENOSYS, even on its own child", async () => {
    const s = await strace(PROFILES.denied);
    expect(s.status).to.not.equal(0);
    expect(s.stderr).to.match(/Function not implemented/);
    const t = await trace(PROFILES.denied);
    expect(t).to.include({ "attach-own-child": "ENOSYS", "read-own-child": "ENOSYS" });
    for (const name of Object.keys(targets)) expect(t[name], name).to.deep.include({ attach: "ENOSYS", read: "ENOSYS" });
  });
});
