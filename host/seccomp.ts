// The hosts' Docker seccomp profile: Docker's own default (20.10, as Debian ships it in
// golang-github-docker-docker-dev, copied to host/seccomp/docker-20.10-default.json) with its
// capability-conditional rules kept, so the ECS agent and its CNI plugins (which hold
// CAP_SYS_ADMIN and CAP_NET_ADMIN) can still unshare, setns and mount, plus the unconditional
// denials below. The rendered profile is committed (host/files/seccomp.json, written by
// `npm run gen:host`); a test checks it is exactly what this module renders.
import base from "./seccomp/docker-20.10-default.json";

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: unknown[] | null;
  comment?: string;
  includes?: Record<string, unknown>;
  excludes?: Record<string, unknown>;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap: unknown[];
  syscalls: SeccompRule[];
}

/** Where the base profile came from, for the README and the reference test. */
export const BASE_PROFILE = {
  file: "host/seccomp/docker-20.10-default.json",
  debianPackage: "golang-github-docker-docker-dev",
  debianPath: "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json",
  dockerVersion: "20.10.24",
} as const;

/**
 * ENOSYS, not EPERM: a program treats the call as absent and falls back (libuv to epoll instead
 * of io_uring, keyring users to files), and EPERM is what a missing capability gives, so ENOSYS
 * proves that the profile, not the capability set, refused the call.
 */
export const DENY_ERRNO = 38;

export interface Denial {
  readonly names: readonly string[];
  /** One line: why a workspace never needs it (and what Docker's default did). */
  readonly why: string;
}

/** Every syscall the project's profile refuses outright, whatever capabilities a container holds. */
export const DENIALS: readonly Denial[] = [
  { names: ["keyctl", "add_key", "request_key"], why: "kernel keyrings are not namespaced: keys would be shared with the host and other containers" },
  { names: ["bpf"], why: "eBPF programs reach into the kernel; Docker 20.10 allows bpf with CAP_SYS_ADMIN" },
  { names: ["perf_event_open"], why: "performance counters leak host-wide timing and kernel addresses; Docker 20.10 allows it with CAP_SYS_ADMIN" },
  { names: ["fanotify_init"], why: "filesystem-wide event watching across mounts; Docker 20.10 allows it with CAP_SYS_ADMIN" },
  { names: ["userfaultfd"], why: "lets a process stall the kernel on a page fault: a classic primitive for widening kernel race exploits" },
  { names: ["io_uring_setup", "io_uring_enter", "io_uring_register"], why: "large kernel attack surface whose queued operations bypass seccomp; Docker 20.10 allows it unconditionally" },
  { names: ["kexec_load", "kexec_file_load"], why: "loading a new kernel is never a workspace's business" },
  { names: ["init_module", "finit_module", "delete_module"], why: "kernel modules; Docker 20.10 allows them with CAP_SYS_MODULE" },
  { names: ["open_by_handle_at"], why: "the 'Shocker' breakout opens host files by handle; Docker 20.10 allows it with CAP_DAC_READ_SEARCH" },
  { names: ["pivot_root"], why: "root switching is for the runtime, not for code inside a container" },
  { names: ["ptrace"], why: "Docker 20.10 allows ptrace without any capability on kernels >= 4.8; a workspace never debugs other processes" },
];

export function deniedSyscalls(): string[] {
  return DENIALS.flatMap((d) => [...d.names]);
}

/** Docker's default profile, as shipped; tests compare it with the Debian package's copy. */
export function baseProfile(): SeccompProfile {
  return structuredClone(base) as SeccompProfile;
}

/**
 * The project's profile: the base with every denied syscall removed from all of its ALLOW rules
 * (capability-conditional ones included), then one ERRNO rule per denial. Everything else of the
 * base, including the CAP_SYS_ADMIN namespace and mount rules the ECS agent needs, is unchanged.
 */
export function renderSeccompProfile(from: SeccompProfile = baseProfile()): SeccompProfile {
  const denied = new Set(deniedSyscalls());
  const kept = from.syscalls
    .map((rule) => (rule.action === "SCMP_ACT_ALLOW" ? { ...rule, names: rule.names.filter((n) => !denied.has(n)) } : rule))
    .filter((rule) => rule.names.length > 0);
  const denials: SeccompRule[] = DENIALS.map((d) => ({
    names: [...d.names],
    action: "SCMP_ACT_ERRNO",
    errnoRet: DENY_ERRNO,
    args: [],
    comment: `remote-claude: ${d.why}`,
    includes: {},
    excludes: {},
  }));
  return { ...from, syscalls: [...kept, ...denials] };
}

/** The committed file's text: stable key order, two-space indent, trailing newline. */
export function seccompProfileText(): string {
  return `${JSON.stringify(renderSeccompProfile(), null, 2)}\n`;
}
