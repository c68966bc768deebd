#!/usr/bin/env python3
# Remote Claude workspace security probe; contract in probe/verdict.ts (PROBE_CHECKS).
# Runs INSIDE a workspace container only: it refuses its syscall checks unless it sees a container
# runtime, and runs each attempt in a forked child with a deadline. Stdlib only, compact: the ops
# tool ships it compressed in a RunTask command override. Prints exactly one verdict line.
import ctypes, errno, json, os, select, signal, socket, ssl, struct, sys, tempfile, time

PREFIX = "REMOTE_CLAUDE_PROBE_VERDICT "
SCHEMA = "remote-claude-workspace-probe/v1"
CFG = json.loads(os.environ.get("PROBE_CONFIG") or "{}")
T = max(0.1, CFG.get("timeoutMs", 2000) / 1000.0)
LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
# syscall numbers: (x86_64, aarch64)
NR = dict(unshare=(272, 97), mount=(165, 40), umount2=(166, 39), keyctl=(250, 219), add_key=(248, 217),
          request_key=(249, 218), bpf=(321, 280), ptrace=(101, 117), perf_event_open=(298, 241),
          userfaultfd=(323, 282), io_uring_setup=(425, 425), kexec_load=(246, 104), init_module=(175, 105),
          open_by_handle_at=(304, 265), chroot=(161, 51), setns=(308, 268), pivot_root=(155, 41),
          fanotify_init=(300, 262), capset=(126, 91), clone=(56, 220))
ARCH = 1 if os.uname().machine in ("aarch64", "arm64") else 0
# A refusal: what a missing capability (EPERM, EACCES) or a seccomp denial (ENOSYS here) gives.
# Any other error means the kernel let the call past its permission checks.
REFUSED = (errno.EPERM, errno.EACCES, errno.ENOSYS)
IN_CONTAINER = os.path.exists("/.dockerenv") or "ECS_CONTAINER_METADATA_URI_V4" in os.environ or os.path.exists("/run/.containerenv")
# The egress proxy (proxy mode): config, else the task's own HTTPS_PROXY; (host, port) or None.
_P = (CFG.get("egressProxy") or os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy") or "").split("://")[-1].strip("/")
PROXY = (_P.rsplit(":", 1)[0], int(_P.rsplit(":", 1)[1])) if ":" in _P else None


def ename(e):
    return errno.errorcode.get(e, str(e))


def arg(x):
    if isinstance(x, bytes):
        return ctypes.c_char_p(x)
    if isinstance(x, int):
        return ctypes.c_long(x)
    return x


def sys_(name, *a):
    ctypes.set_errno(0)
    r = LIBC.syscall(ctypes.c_long(NR[name][ARCH]), *[arg(x) for x in a])
    return r, ctypes.get_errno()


def refused(name, *a):
    r, e = sys_(name, *a)
    if r < 0:
        return e in REFUSED, ename(e)
    return False, "returned %d" % r


def in_child(fn):
    """Runs fn() in a forked child; returns its (blocked, detail), or blocked on death/timeout."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rd)
        try:
            res = fn()
        except OSError as ex:
            res = (ex.errno in REFUSED, ename(ex.errno))
        except Exception as ex:
            res = (True, "error: %s" % ex)
        os.write(wr, json.dumps(res).encode())
        os._exit(0)
    os.close(wr)
    data, end = b"", time.time() + T + 1
    while time.time() < end:
        if select.select([rd], [], [], max(0, end - time.time()))[0]:
            chunk = os.read(rd, 4096)
            if not chunk:
                break
            data += chunk
    os.close(rd)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    os.waitpid(pid, 0)
    return tuple(json.loads(data)) if data else (True, "no answer (child died or timed out)")


def buf(data, size):
    return ctypes.create_string_buffer(data.ljust(size, b"\0"), size)


def tmpdir():
    return tempfile.mkdtemp(prefix="rc-probe-").encode()


def mount_tmpfs():
    d = tmpdir()
    r, e = sys_("mount", b"none", d, b"tmpfs", 0, 0)
    if r == 0:
        sys_("umount2", d, 2)
    os.rmdir(d)
    return (False, "mounted") if r == 0 else (e in REFUSED, ename(e))


def bpf():
    insns = buf(bytes([0xB7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), 16)
    lic = buf(b"GPL", 4)
    attr = buf(struct.pack("=IIQQ", 1, 2, ctypes.addressof(insns), ctypes.addressof(lic)), 128)
    return refused("bpf", 5, attr, 128)


def ptrace():
    pid = os.fork()
    if pid == 0:
        time.sleep(T + 2)
        os._exit(0)
    try:
        return refused("ptrace", 16, pid, 0, 0)
    finally:
        os.kill(pid, signal.SIGKILL)


def perf():
    attr = buf(struct.pack("=IIQQQQQ", 1, 112, 0, 0, 0, 0, (1 << 5) | (1 << 6)), 112)
    return refused("perf_event_open", attr, 0, -1, -1, 0)


def open_by_handle():
    fd = os.open("/", os.O_RDONLY)
    return refused("open_by_handle_at", fd, buf(struct.pack("=Ii", 8, 1), 16), 0)


def setns():
    return refused("setns", os.open("/proc/self/ns/net", os.O_RDONLY), 0x40000000)


def clone_newuser():
    r, e = sys_("clone", 0x10000000 | signal.SIGCHLD, 0, 0, 0, 0)
    if r == 0:
        os._exit(0)
    if r > 0:
        os.waitpid(r, 0)
        return False, "cloned"
    return e in REFUSED, ename(e)


def raw_socket():
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    return False, "opened"


def mknod():
    d = tmpdir()
    try:
        os.mknod(os.path.join(d, b"null"), 0o20600, os.makedev(1, 3))
        os.unlink(os.path.join(d, b"null"))
        return False, "created"
    finally:
        os.rmdir(d)


def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def capabilities():
    eff, prm = status("CapEff"), status("CapPrm")
    return int(eff or "0", 16) == 0 and int(prm or "0", 16) == 0, "CapEff=%s CapPrm=%s" % (eff, prm)


def raise_capability():
    hdr = buf(struct.pack("=Ii", 0x20080522, 0), 8)
    data = buf(struct.pack("=IIIIII", 1 << 21, 1 << 21, 0, 0, 0, 0), 24)
    cap_blocked, cap_detail = refused("capset", hdr, data)
    uid_blocked, uid_detail = True, "already uid 0"
    if os.getuid() != 0:
        try:
            os.setuid(0)
            uid_blocked, uid_detail = False, "setuid(0) worked"
        except OSError as ex:
            uid_detail = "setuid(0): " + ename(ex.errno)
    return cap_blocked and uid_blocked, "capset: %s; %s" % (cap_detail, uid_detail)


def write_root():
    path = "/.rc-probe-%d" % os.getpid()
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as ex:
        return True, ename(ex.errno)
    os.unlink(path)
    return False, "wrote " + path


def http(host, port, request):
    try:
        s = socket.create_connection((host, port), T)
        s.settimeout(T)
        s.sendall(request.encode())
        data = b""
        while len(data) < 65536:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
    except socket.timeout:
        return None, "timeout"
    except OSError as ex:
        return None, ename(ex.errno) if ex.errno else str(ex)
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), body


def imds(method, path, headers):
    host = CFG.get("imdsAddress", "169.254.169.254")
    code, body = http(host, 80, "%s %s HTTP/1.0\r\nHost: %s\r\n%sContent-Length: 0\r\n\r\n" % (method, path, host, headers))
    if code is None:
        return True, body
    return not (code == 200 and body), "HTTP %d" % code


def ecs_credentials():
    host = CFG.get("ecsCredentialsAddress", "169.254.170.2")
    path = os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/")
    code, body = http(host, 80, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host))
    if code is None:
        return True, body
    return not (code == 200 and b"AccessKeyId" in body), "HTTP %d" % code


def query(name):
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", 0x5243, 0x100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)


def dns(name):
    servers = [l.split()[1] for l in open("/etc/resolv.conf") if l.startswith("nameserver")] if os.path.exists("/etc/resolv.conf") else []
    if not servers:
        return True, "no nameserver"
    try:
        s = socket.socket(socket.AF_INET6 if ":" in servers[0] else socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(T)
        s.sendto(query(name), (servers[0], 53))
        r = s.recv(4096)
        s.close()
    except socket.timeout:
        return True, "timeout"
    except OSError as ex:
        return True, ename(ex.errno) if ex.errno else str(ex)
    rcode, answers = r[3] & 15, struct.unpack(">H", r[6:8])[0]
    return rcode != 0 or answers == 0, "rcode=%d answers=%d" % (rcode, answers)


def tcp(target):
    try:
        socket.create_connection((target["host"], target["port"]), T).close()
        return False, "connected"
    except socket.timeout:
        return True, "timeout"
    except OSError as ex:
        return True, ename(ex.errno) if ex.errno else str(ex)


def head(sock, request):
    """Sends request and reads up to the end of the response headers: (status, data)."""
    sock.settimeout(T)
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    parts = data.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), data


def via_proxy(name):
    """CONNECT name:443 through the egress proxy: Squid answers 200 only once it reached the name."""
    try:
        s = socket.create_connection(PROXY, T)
        code, _ = head(s, ("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (name, name)).encode())
        s.close()
    except OSError as ex:
        return True, ename(ex.errno) if ex.errno else str(ex)
    return code != 200, "HTTP %d from %s:%d" % (code, PROXY[0], PROXY[1])


def doh(t):
    """A DNS-over-HTTPS query (RFC 8484 POST) for blockedDomain straight to a public resolver's IP."""
    q = query(CFG.get("blockedDomain") or "example.com")
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname, c.verify_mode = False, ssl.CERT_NONE
    name = t.get("name") or t["host"]
    try:
        s = c.wrap_socket(socket.create_connection((t["host"], t.get("port", 443)), T), server_hostname=name)
        code, data = head(s, ("POST /dns-query HTTP/1.1\r\nHost: %s\r\nContent-Type: application/dns-message\r\n"
                              "Accept: application/dns-message\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (name, len(q))).encode() + q)
        s.close()
    except OSError as ex:
        return True, ename(ex.errno) if ex.errno else str(ex)
    return code != 200, "HTTP %d from %s" % (code, t["host"])



# The markers arrive in PROBE_CONFIG itself: that one variable is the probe's, not a leak.
def secret_env():
    names, markers = CFG.get("secretEnvNames") or [], CFG.get("secretMarkers") or []
    found = [n for n in names if n in os.environ] + ["value of %s" % k for k, v in os.environ.items() if k != "PROBE_CONFIG" and any(m in v for m in markers)]
    return not found, ", ".join(found) or "none of %d names / %d markers" % (len(names), len(markers))


def secret_files():
    markers, seen, end = [m.encode() for m in CFG["secretMarkers"]], 0, time.time() + 3 * T
    for top in ("/proc/self/environ", "/etc", "/run", "/tmp", "/home", "/workspace", "/var/run/secrets", os.getcwd()):
        walk = [(top, [], [""])] if os.path.isfile(top) else os.walk(top)
        for base, _, files in walk:
            for f in files:
                path = os.path.join(base, f) if f else base
                seen += 1
                if seen > 3000 or time.time() > end:
                    return True, "no marker in %d files (budget reached)" % seen
                try:
                    with open(path, "rb") as fh:
                        data = fh.read(262144)
                except OSError:
                    continue
                if path.endswith("/environ"):
                    data = b"\0".join(e for e in data.split(b"\0") if not e.startswith(b"PROBE_CONFIG="))
                if any(m in data for m in markers):
                    return False, "marker in " + path
    return True, "no marker in %d files" % seen


NS = dict(user=0x10000000, mount=0x20000, net=0x40000000, pid=0x20000000, ipc=0x8000000, uts=0x4000000, cgroup=0x2000000)
SYSCALL = "syscall"
CHECKS = [
    ("imds-v1-get", "metadata", None, lambda: imds("GET", "/latest/meta-data/", "")),
    ("imds-v2-token", "metadata", None, lambda: imds("PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n")),
    ("ecs-credentials", "metadata", None, ecs_credentials),
    ("dns-blocked-domain", "dns", "blockedDomain", lambda: dns(CFG["blockedDomain"])),
    ("dns-allowed-domain", "dns", "allowedDomain", lambda: dns(CFG["allowedDomain"])),
    ("doh-public-resolver", "dns", "dohResolver", lambda: doh(CFG["dohResolver"])),
    ("tcp-public-ip-443", "network", "publicIp", lambda: tcp({"host": CFG["publicIp"], "port": 443})),
    ("proxy-allowed-name", "egress", "egressProxy allowedDomain", lambda: via_proxy(CFG["allowedDomain"])),
    ("proxy-denied-name", "egress", "egressProxy blockedDomain", lambda: via_proxy(CFG["blockedDomain"])),
    ("tcp-postgres", "network", "postgres", lambda: tcp(CFG["postgres"])),
    ("tcp-redis", "network", "redis", lambda: tcp(CFG["redis"])),
    ("tcp-peer-workspace", "network", "peerWorkspace", lambda: tcp(CFG["peerWorkspace"])),
    ("secret-in-environment", "secrets", "secret", secret_env),
    ("secret-in-files", "secrets", "secretMarkers", secret_files),
] + [("unshare-" + k, SYSCALL, None, (lambda f: lambda: refused("unshare", f))(v)) for k, v in NS.items()] + [
    ("mount", SYSCALL, None, mount_tmpfs),
    ("keyctl", SYSCALL, None, lambda: refused("keyctl", 0, -3, 1)),
    ("add-key", SYSCALL, None, lambda: refused("add_key", b"user", b"rc-probe", b"x", 1, -2)),
    ("request-key", SYSCALL, None, lambda: refused("request_key", b"user", b"rc-probe-absent", 0, 0)),
    ("bpf", SYSCALL, None, bpf),
    ("ptrace", SYSCALL, None, ptrace),
    ("perf-event-open", SYSCALL, None, perf),
    ("userfaultfd", SYSCALL, None, lambda: refused("userfaultfd", 0x80001)),
    ("io-uring-setup", SYSCALL, None, lambda: refused("io_uring_setup", 1, buf(b"", 120))),
    ("kexec-load", SYSCALL, None, lambda: refused("kexec_load", 0, 0, 0, 40 << 16)),
    ("init-module", SYSCALL, None, lambda: refused("init_module", buf(b"", 16), 0, b"")),
    ("open-by-handle-at", SYSCALL, None, open_by_handle),
    ("chroot", SYSCALL, None, lambda: refused("chroot", b"/")),
    ("setns", SYSCALL, None, setns),
    ("pivot-root", SYSCALL, None, lambda: refused("pivot_root", b"/rc-probe-absent", b"/rc-probe-absent")),
    ("fanotify-init", SYSCALL, None, lambda: refused("fanotify_init", 0, 0)),
    ("clone-newuser", SYSCALL, None, clone_newuser),
    ("raw-socket", SYSCALL, None, raw_socket),
    ("mknod-device", SYSCALL, None, mknod),
    ("capabilities", "capabilities", None, capabilities),
    ("raise-capability", "capabilities", None, raise_capability),
    ("no-new-privileges", "capabilities", None, lambda: (status("NoNewPrivs") == "1", "NoNewPrivs=" + status("NoNewPrivs"))),
    ("write-root", "filesystem", None, write_root),
    ("run-as-root", "identity", None, lambda: (os.getuid() != 0, "uid=%d" % os.getuid())),
]


def run(cid, category, needs, fn):
    check = {"id": cid, "category": category}
    for need in (needs or "").split():
        if need == "secret":
            need = "secretEnvNames" if CFG.get("secretEnvNames") else "secretMarkers"
        if not (PROXY if need == "egressProxy" else CFG.get(need)):
            return dict(check, blocked=False, skipped=True, detail="%s not configured" % need)
    if category in (SYSCALL, "capabilities", "filesystem") and not IN_CONTAINER:
        return dict(check, blocked=False, skipped=True, detail="not in a container: refusing to probe the host")
    blocked, detail = in_child(fn) if category in (SYSCALL, "capabilities", "filesystem") else fn()
    return dict(check, blocked=bool(blocked), detail=str(detail))


def main():
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    checks = []
    for cid, category, needs, fn in CHECKS:
        try:
            checks.append(run(cid, category, needs, fn))
        except Exception as ex:
            checks.append({"id": cid, "category": category, "blocked": False, "skipped": True, "detail": "probe error: %s" % ex})
    verdict = {"schema": SCHEMA, "startedAt": started, "uid": os.getuid(), "checks": checks}
    sys.stdout.write(PREFIX + json.dumps(verdict, separators=(",", ":")) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
