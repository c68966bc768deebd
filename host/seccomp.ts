// The hosts' Docker seccomp profile: today's Docker default (moby's, vendored byte for byte in
// host/seccomp/moby-default.json; BASE_PROFILE says from where) with its capability-conditional
// rules kept, so the ECS agent and its CNI plugins (which hold CAP_SYS_ADMIN and CAP_NET_ADMIN)
// can still unshare, setns, mount and run dhclient, plus the project's rules: unconditional
// denials (DENIALS), an allow-list of socket families for every container that does not
// administer the network (SOCKET_FAMILIES), and ptrace as a per-stack choice (config
// `seccompPtrace`). Both renderings are committed (host/files/seccomp-ptrace-*.json, written by
// `npm run gen:host`); a test checks they are exactly what this module renders.
import base from "./seccomp/moby-default.json";

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; op: string; valueTwo?: number }[] | null;
  comment?: string;
  includes?: SeccompFilter | null;
  excludes?: SeccompFilter | null;
}

interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap: unknown[];
  syscalls: SeccompRule[];
}

/**
 * Where the base profile came from. moby moved the profile out of moby/moby into the
 * github.com/moby/profiles module; moby/moby vendors it unchanged (Docker Engine 29.5.0 onwards).
 * `gitBlob` is git's object id of the file: a test recomputes it from the vendored bytes.
 */
export const BASE_PROFILE = {
  file: "host/seccomp/moby-default.json",
  repository: "https://github.com/moby/profiles",
  path: "seccomp/default.json",
  release: "seccomp/v0.2.3",
  commit: "836ae4d37ef2ec995c77c99fc55f5b5f3af3a897",
  date: "2026-05-06",
  gitBlob: "ea5a494afb8d64898fa0f4f47ae0c4f5ba9cbbc9",
  vendoredBy: "moby/moby b985e2313a8676e18072b442911fc8f64f17d440 (2026-08-23), vendor/github.com/moby/profiles/seccomp/default.json",
} as const;

/**
 * ENOSYS, not EPERM: a program treats the call as absent and falls back (libuv to epoll instead
 * of io_uring, keyring users to files), and EPERM is what a missing capability gives, so ENOSYS
 * proves that the profile, not the capability set, refused the call.
 */
export const DENY_ERRNO = 38;

/** Marks every rule the project adds, so the posture and the tests can tell them from the base's. */
export const RULE_COMMENT_PREFIX = "remote-claude:";

interface Denial {
  readonly names: readonly string[];
  /** One line: why a workspace never needs it (and what Docker's default does). */
  readonly why: string;
}

/** Every syscall the project's profile refuses outright, whatever capabilities a container holds. */
export const DENIALS: readonly Denial[] = [
  { names: ["keyctl", "add_key", "request_key"], why: "kernel keyrings are not namespaced: keys would be shared with the host and other containers (Docker's default leaves them unlisted: EPERM)" },
  { names: ["bpf"], why: "eBPF programs reach into the kernel; Docker's default allows bpf with CAP_SYS_ADMIN or CAP_BPF" },
  { names: ["perf_event_open"], why: "performance counters leak host-wide timing and kernel addresses; Docker's default allows it with CAP_SYS_ADMIN or CAP_PERFMON" },
  { names: ["fanotify_init"], why: "filesystem-wide event watching across mounts; Docker's default allows it with CAP_SYS_ADMIN" },
  { names: ["userfaultfd"], why: "lets a process stall the kernel on a page fault: a classic primitive for widening kernel race exploits" },
  { names: ["io_uring_setup", "io_uring_enter", "io_uring_register"], why: "large kernel attack surface whose queued operations bypass seccomp; ENOSYS (Docker's default: EPERM) makes libuv and tokio fall back to epoll" },
  { names: ["kexec_load", "kexec_file_load"], why: "loading a new kernel is never a workspace's business" },
  { names: ["init_module", "finit_module", "delete_module"], why: "kernel modules; Docker's default allows them with CAP_SYS_MODULE" },
  { names: ["open_by_handle_at"], why: "the 'Shocker' breakout opens host files by handle; Docker's default allows it with CAP_DAC_READ_SEARCH" },
  { names: ["pivot_root"], why: "root switching is for the runtime, not for code inside a container" },
  { names: ["socketcall"], why: "seccomp cannot see socketcall's arguments (behind a pointer), so 32-bit x86 code would open any socket family through it; 64-bit code never calls it (Docker's default allows it)" },
];

/**
 * Socket families a container without CAP_NET_ADMIN may open: what a workspace, the backend and
 * the egress proxy use (unix sockets, IPv4, IPv6, and netlink for getifaddrs and getaddrinfo's
 * AI_ADDRCONFIG). Every other family is refused with the profile's default errno (EPERM), so
 * rarely used protocol code (AF_ALG, AF_VSOCK, AF_KEY, AF_TIPC, AF_RDS, AF_CAN, Bluetooth …,
 * each a source of kernel bugs and loaded on first use) never runs for them. Containers that hold
 * CAP_NET_ADMIN (the ECS agent, its CNI plugins and their dhclient, which needs AF_PACKET) keep
 * Docker's rules: every family but AF_ALG and AF_VSOCK.
 */
export const SOCKET_FAMILIES = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16 } as const;
const NETWORK_ADMIN = "CAP_NET_ADMIN";

/** The per-stack choice (config `seccompPtrace`). */
export const PTRACE_CHOICES = ["allowed", "denied"] as const;
export type PtraceChoice = (typeof PTRACE_CHOICES)[number];

/**
 * The calls the ptrace choice decides together: process_vm_readv/writev read and write another
 * process's memory under the same permission check as ptrace (py-spy uses them), so they follow it.
 */
export const PTRACE_SYSCALLS = ["ptrace", "process_vm_readv", "process_vm_writev"] as const;
const PTRACE_DENIED_WHY =
  "ptrace denied by config seccompPtrace: strace, gdb, lldb, delve, rr, py-spy and AddressSanitizer's leak check fail; Docker's default allows it on kernels >= 4.8";

/**
 * Syscalls today's Docker default allows a container without capabilities that Docker 20.10's
 * refused; each is kept, for the reason given. (process_vm_readv/writev follow the ptrace choice.)
 */
export const REVIEWED_ALLOWS: readonly Denial[] = [
  { names: ["cachestat"], why: "page-cache state of files the caller can already open (Linux 6.5): what mincore() and read timing tell anyway" },
  { names: ["fchmodat2"], why: "chmod with flags (Linux 6.6); glibc >= 2.39 uses it for fchmodat(AT_SYMLINK_NOFOLLOW)" },
  { names: ["futex_wait", "futex_wake", "futex_requeue"], why: "the futex2 forms (Linux 6.7) of futex(), which every threaded program already uses" },
  { names: ["getxattrat", "setxattrat", "listxattrat", "removexattrat"], why: "the *at forms (Linux 6.13) of the extended-attribute calls already allowed" },
  { names: ["listmount", "statmount"], why: "list and describe the mounts of the caller's own mount namespace (Linux 6.8): what /proc/self/mountinfo shows" },
  { names: ["map_shadow_stack"], why: "user-space shadow stacks (Linux 6.6, x86 CET): hardening glibc enables for the caller itself" },
  { names: ["mseal"], why: "seals the caller's own mappings against change (Linux 6.10): hardening glibc and Chromium use" },
  { names: ["pkey_alloc", "pkey_free", "pkey_mprotect"], why: "memory protection keys for the caller's own pages (Linux 4.9); V8 (node) and glibc use them" },
  { names: ["name_to_handle_at"], why: "returns a file handle and nothing more; opening by handle (open_by_handle_at) stays denied" },
  { names: ["uretprobe"], why: "the return-probe trampoline's call (Linux 6.11): from anywhere else the kernel kills the caller" },
  { names: ["riscv_hwprobe"], why: "RISC-V only: describes the CPU to the caller; absent on the hosts' x86_64" },
];

export function deniedSyscalls(): string[] {
  return DENIALS.flatMap((d) => [...d.names]);
}

/** Today's Docker default profile, as vendored. */
export function baseProfile(): SeccompProfile {
  return structuredClone(base) as SeccompProfile;
}

function projectRule(rule: Omit<SeccompRule, "comment">, why: string): SeccompRule {
  return { ...rule, comment: `${RULE_COMMENT_PREFIX} ${why}` };
}

/**
 * The project's profile: the base with every denied syscall (and, when ptrace is denied, the
 * ptrace calls) removed from all of its ALLOW rules, capability-conditional ones included; the
 * base's socket rules kept for CAP_NET_ADMIN holders only, and the family allow-list for everyone
 * else; then one ENOSYS rule per denial. Everything else of the base, including the CAP_SYS_ADMIN
 * namespace and mount rules the ECS agent needs, is unchanged.
 */
export function renderSeccompProfile(ptrace: PtraceChoice, from: SeccompProfile = baseProfile()): SeccompProfile {
  const denied = new Set([...deniedSyscalls(), ...(ptrace === "denied" ? PTRACE_SYSCALLS : [])]);
  const kept: SeccompRule[] = [];
  for (const rule of from.syscalls) {
    if (rule.action !== "SCMP_ACT_ALLOW") {
      kept.push(rule);
      continue;
    }
    const names = rule.names.filter((n) => !denied.has(n));
    if (names.length === 0) continue;
    if (names.includes("socket") && names.length > 1) throw new Error("the base allows socket together with other calls in one rule: split it before restricting socket families");
    if (names[0] === "socket" && rule.args?.length) {
      if (rule.includes && Object.keys(rule.includes).length) throw new Error("the base's socket rules carry conditions of their own: review SOCKET_FAMILIES before merging them");
      kept.push({ ...rule, names, includes: { caps: [NETWORK_ADMIN] } });
      continue;
    }
    if (names.includes("socket")) throw new Error("the base allows every socket family: restrict it with SOCKET_FAMILIES");
    kept.push({ ...rule, names });
  }
  const families: SeccompRule[] = Object.entries(SOCKET_FAMILIES).map(([name, value]) => projectRule({
    names: ["socket"],
    action: "SCMP_ACT_ALLOW",
    args: [{ index: 0, value, op: "SCMP_CMP_EQ" }],
    excludes: { caps: [NETWORK_ADMIN] },
  }, `${name} for containers without ${NETWORK_ADMIN} (the socket families allowed are ${Object.keys(SOCKET_FAMILIES).join(", ")})`));
  const deny = (names: readonly string[], why: string) => projectRule({ names: [...names], action: "SCMP_ACT_ERRNO", errnoRet: DENY_ERRNO }, why);
  const denials = [
    ...DENIALS.map((d) => deny(d.names, d.why)),
    ...(ptrace === "denied" ? [deny(PTRACE_SYSCALLS, PTRACE_DENIED_WHY)] : []),
  ];
  return { ...from, syscalls: [...kept, ...families, ...denials] };
}

/** The committed file of one choice, under host/files/. */
export function seccompProfileFile(ptrace: PtraceChoice): string {
  return `seccomp-ptrace-${ptrace}.json`;
}

/** The committed file's text: stable key order, two-space indent, trailing newline. */
export function seccompProfileText(ptrace: PtraceChoice): string {
  return `${JSON.stringify(renderSeccompProfile(ptrace), null, 2)}\n`;
}

/**
 * What a container with `caps` on x86_64 gets for each syscall the profile names: "allow", or the
 * errno of the rule that refuses it (rules evaluated as Docker does when it creates a container;
 * a syscall whose only ALLOW rules compare arguments is "args"). Syscalls the profile does not
 * name are absent (the default action, or ENOSYS above the highest number named).
 */
export function effectiveRules(profile: SeccompProfile, caps: readonly string[] = []): Map<string, "allow" | "args" | number> {
  const applies = (r: SeccompRule) => {
    const inc = r.includes ?? {};
    const exc = r.excludes ?? {};
    if ((inc.caps ?? []).some((c) => !caps.includes(c))) return false;
    if (inc.arches?.length && !inc.arches.includes("amd64")) return false;
    if ((exc.caps ?? []).some((c) => caps.includes(c))) return false;
    if ((exc.arches ?? []).includes("amd64")) return false;
    return true;
  };
  const out = new Map<string, "allow" | "args" | number>();
  for (const rule of profile.syscalls.filter(applies)) {
    for (const name of rule.names) {
      const now = out.get(name);
      if (rule.action === "SCMP_ACT_ALLOW") {
        if (!rule.args?.length) out.set(name, "allow");
        else if (now === undefined) out.set(name, "args");
      } else if (rule.action === "SCMP_ACT_ERRNO" && now === undefined) {
        out.set(name, rule.errnoRet ?? profile.defaultErrnoRet ?? 1);
      }
    }
  }
  return out;
}

const COMPARE: Readonly<Record<string, (arg: number, value: number, valueTwo: number) => boolean>> = {
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_MASKED_EQ: (a, v, two) => (a & v) === two,
};

/** Whether `socket(family, …)` is allowed to a container with `caps` on x86_64 (every comparison of a rule must hold). */
export function socketFamilyAllowed(profile: SeccompProfile, family: number, caps: readonly string[] = []): boolean {
  return profile.syscalls.some((r) => {
    if (r.action !== "SCMP_ACT_ALLOW" || !r.names.includes("socket")) return false;
    if ((r.includes?.caps ?? []).some((c) => !caps.includes(c)) || (r.excludes?.caps ?? []).some((c) => caps.includes(c))) return false;
    if (r.includes?.arches?.length && !r.includes.arches.includes("amd64")) return false;
    return (r.args ?? []).every((a) => a.index !== 0 || (COMPARE[a.op] ?? (() => false))(family, a.value, a.valueTwo ?? 0));
  });
}

/** Names of the socket families the posture and the docs mention. */
export const FAMILY_NAMES: Readonly<Record<number, string>> = {
  1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 15: "AF_KEY", 16: "AF_NETLINK", 17: "AF_PACKET", 21: "AF_RDS", 29: "AF_CAN", 30: "AF_TIPC", 31: "AF_BLUETOOTH", 38: "AF_ALG", 40: "AF_VSOCK", 44: "AF_XDP",
};
/** AF_MAX on Linux 6.x: families are numbered below it. */
export const SOCKET_FAMILY_LIMIT = 46;
