// The contract between the in-task security probe (probe/workspace_probe.py, which runs inside a
// workspace container) and the ops tool's security drill (which launches it and reads its verdict
// back from CloudWatch Logs). The probe prints exactly one line: VERDICT_PREFIX + JSON(ProbeVerdict).
import type { PtraceChoice } from "../host/seccomp";
import type { EgressMode } from "../lib/egress";

export const VERDICT_PREFIX = "REMOTE_CLAUDE_PROBE_VERDICT ";
export const PROBE_SCHEMA = "remote-claude-workspace-probe/v1";
/** The probe reads its targets from this environment variable (JSON ProbeConfig). */
export const PROBE_CONFIG_ENV = "PROBE_CONFIG";

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** What the probe tries to reach; every field is optional and its checks are skipped when unset. */
export interface ProbeConfig {
  /** Instance metadata address; default 169.254.169.254. Tests point it into their own namespaces. */
  readonly imdsAddress?: string;
  /** ECS task credentials endpoint address; default 169.254.170.2. */
  readonly ecsCredentialsAddress?: string;
  /** A name the DNS Firewall must block, and one it must allow. */
  readonly blockedDomain?: string;
  readonly allowedDomain?: string;
  /** A public IPv4 address off the allow list, tried on TCP 443. */
  readonly publicIp?: string;
  /** A public DNS-over-HTTPS resolver, reached by IP (name = TLS server name and Host). */
  readonly dohResolver?: { readonly host: string; readonly port?: number; readonly name?: string };
  /** The egress proxy as http://host:port; default the task's own HTTPS_PROXY (proxy mode). */
  readonly egressProxy?: string;
  readonly postgres?: Endpoint;
  readonly redis?: Endpoint;
  /** Another workspace's agent (:9000). */
  readonly peerWorkspace?: Endpoint;
  /** Environment variable names and file-content markers that would reveal the credential proxy's secret. */
  readonly secretEnvNames?: readonly string[];
  readonly secretMarkers?: readonly string[];
  /** Per-attempt network timeout. */
  readonly timeoutMs?: number;
}

type CheckCategory =
  | "metadata"
  | "dns"
  | "network"
  | "egress"
  | "secrets"
  | "syscall"
  | "capabilities"
  | "filesystem"
  | "identity";

export interface ProbeCheck {
  /** One of PROBE_CHECKS' ids. */
  readonly id: string;
  readonly category: CheckCategory;
  /** True when the attempt was refused/failed (what the hardening should make happen). */
  readonly blocked: boolean;
  /** What the probe saw: an errno name, a status code, an address, … */
  readonly detail: string;
  /** Set when the probe could not run the check (target not configured, tool missing). */
  readonly skipped?: boolean;
}

export interface ProbeVerdict {
  readonly schema: typeof PROBE_SCHEMA;
  readonly startedAt: string;
  readonly uid: number;
  readonly checks: readonly ProbeCheck[];
}

/** Where the probe lives; the ops tool ships this file (compressed) in a RunTask command override. */
export const PROBE_SCRIPT = "probe/workspace_probe.py";

/**
 * What a check must show. "gap": a known gap of the egress mode, reported but not failing the run
 * (blocked is still a pass); "n/a": the check does not apply in that mode (the probe skips it).
 */
export type Expectation = "blocked" | "allowed" | "gap" | "n/a";

/** What the expectations depend on: the stack's egress mode and its ptrace choice (stack outputs). */
export interface ProbeContext {
  readonly egressMode: EgressMode;
  readonly seccompPtrace: PtraceChoice;
}

interface ProbeCheckSpec {
  readonly id: string;
  readonly category: CheckCategory;
  /** One expectation, or one per egress mode (lib/egress.ts), or one per ptrace choice (config seccompPtrace). */
  readonly expect:
    | Expectation
    | { readonly egressMode: Readonly<Record<EgressMode, Expectation>> }
    | { readonly seccompPtrace: Readonly<Record<PtraceChoice, Expectation>> };
  readonly what: string;
}

export function expectationFor(spec: ProbeCheckSpec, ctx: ProbeContext): Expectation {
  if (typeof spec.expect === "string") return spec.expect;
  return "egressMode" in spec.expect ? spec.expect.egressMode[ctx.egressMode] : spec.expect.seccompPtrace[ctx.seccompPtrace];
}

/** Blocked in proxy mode; the DNS-only baseline leaves it open (lib/egress.ts EGRESS_MODE_FACTS). */
const BYPASS = { egressMode: { proxy: "blocked", "dns-firewall": "gap" } } as const;

/** Every check the probe runs, what the hardened workspace must show, and why. */
export const PROBE_CHECKS: readonly ProbeCheckSpec[] = [
  { id: "imds-v1-get", category: "metadata", expect: "blocked", what: "IMDSv1 GET http://169.254.169.254/latest/meta-data/" },
  { id: "imds-v2-token", category: "metadata", expect: "blocked", what: "IMDSv2 token PUT http://169.254.169.254/latest/api/token" },
  { id: "ecs-credentials", category: "metadata", expect: "blocked", what: "ECS task credentials endpoint 169.254.170.2 (no task role)" },
  { id: "dns-blocked-domain", category: "dns", expect: "blocked", what: "resolving a name off the allow list" },
  { id: "dns-allowed-domain", category: "dns", expect: "allowed", what: "resolving a name on the allow list" },
  { id: "doh-public-resolver", category: "dns", expect: BYPASS, what: "DNS over HTTPS to a public resolver's IP (resolves any name, past the DNS Firewall)" },
  { id: "tcp-public-ip-443", category: "network", expect: BYPASS, what: "TCP 443 to a public IP literal (bypasses DNS filtering)" },
  { id: "proxy-allowed-name", category: "egress", expect: { egressMode: { proxy: "allowed", "dns-firewall": "n/a" } }, what: "CONNECT :443 through the egress proxy to a name on the allow list" },
  { id: "proxy-denied-name", category: "egress", expect: { egressMode: { proxy: "blocked", "dns-firewall": "n/a" } }, what: "CONNECT :443 through the egress proxy to a name off the allow list" },
  { id: "tcp-postgres", category: "network", expect: "blocked", what: "TCP to the PostgreSQL endpoint" },
  { id: "tcp-redis", category: "network", expect: "blocked", what: "TCP to the Redis endpoint" },
  { id: "tcp-peer-workspace", category: "network", expect: "blocked", what: "TCP to another workspace's :9000" },
  { id: "secret-in-environment", category: "secrets", expect: "blocked", what: "the proxy's credential in the agent's environment" },
  { id: "secret-in-files", category: "secrets", expect: "blocked", what: "the proxy's credential in readable files" },
  { id: "unshare-user", category: "syscall", expect: "blocked", what: "unshare(CLONE_NEWUSER)" },
  { id: "unshare-mount", category: "syscall", expect: "blocked", what: "unshare(CLONE_NEWNS)" },
  { id: "unshare-net", category: "syscall", expect: "blocked", what: "unshare(CLONE_NEWNET)" },
  { id: "unshare-pid", category: "syscall", expect: "blocked", what: "unshare(CLONE_NEWPID)" },
  { id: "unshare-ipc", category: "syscall", expect: "blocked", what: "unshare(CLONE_NEWIPC)" },
  { id: "unshare-uts", category: "syscall", expect: "blocked", what: "unshare(CLONE_NEWUTS)" },
  { id: "unshare-cgroup", category: "syscall", expect: "blocked", what: "unshare(CLONE_NEWCGROUP)" },
  { id: "mount", category: "syscall", expect: "blocked", what: "mount a tmpfs" },
  { id: "keyctl", category: "syscall", expect: "blocked", what: "keyctl(KEYCTL_GET_KEYRING_ID)" },
  { id: "add-key", category: "syscall", expect: "blocked", what: "add_key()" },
  { id: "request-key", category: "syscall", expect: "blocked", what: "request_key()" },
  { id: "bpf", category: "syscall", expect: "blocked", what: "bpf(BPF_PROG_LOAD)" },
  { id: "ptrace", category: "syscall", expect: { seccompPtrace: { allowed: "allowed", denied: "blocked" } }, what: "ptrace(PTRACE_ATTACH) of a process of its own, as the stack's seccompPtrace choice says" },
  { id: "perf-event-open", category: "syscall", expect: "blocked", what: "perf_event_open()" },
  { id: "userfaultfd", category: "syscall", expect: "blocked", what: "userfaultfd()" },
  { id: "io-uring-setup", category: "syscall", expect: "blocked", what: "io_uring_setup()" },
  { id: "kexec-load", category: "syscall", expect: "blocked", what: "kexec_load()" },
  { id: "init-module", category: "syscall", expect: "blocked", what: "init_module()" },
  { id: "open-by-handle-at", category: "syscall", expect: "blocked", what: "open_by_handle_at()" },
  { id: "chroot", category: "syscall", expect: "blocked", what: "chroot()" },
  { id: "setns", category: "syscall", expect: "blocked", what: "setns() into another namespace" },
  { id: "pivot-root", category: "syscall", expect: "blocked", what: "pivot_root()" },
  { id: "fanotify-init", category: "syscall", expect: "blocked", what: "fanotify_init() (filesystem-wide event watching)" },
  { id: "clone-newuser", category: "syscall", expect: "blocked", what: "clone(CLONE_NEWUSER) (a namespace through clone, not unshare)" },
  { id: "raw-socket", category: "syscall", expect: "blocked", what: "a raw socket (packet crafting, ARP/ICMP spoofing)" },
  { id: "mknod-device", category: "syscall", expect: "blocked", what: "mknod() of a character device" },
  { id: "capabilities", category: "capabilities", expect: "blocked", what: "any effective or permitted capability (CapEff/CapPrm non-zero)" },
  { id: "raise-capability", category: "capabilities", expect: "blocked", what: "raising a capability (setuid to root / capset)" },
  { id: "no-new-privileges", category: "capabilities", expect: "blocked", what: "gaining privileges through exec (NoNewPrivs must be 1)" },
  { id: "write-root", category: "filesystem", expect: "blocked", what: "writing a file under /" },
  { id: "run-as-root", category: "identity", expect: "blocked", what: "running as uid 0" },
];
