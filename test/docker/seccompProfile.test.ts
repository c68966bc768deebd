// The project's profile on today's Docker default, in a real engine, with the workspace's
// runtime settings (the task definition's, as the local target creates them): the socket
// families it refuses, ENOSYS above the newest syscall it names, the default action below, the
// calls today's default added, and socketcall from 32-bit code. The judges are the kernel (an
// unconfined run of the same calls shows what the kernel itself answers) and runc.
import { expect } from "chai";
import { PTRACE_CHOICES, baseProfile } from "../../host/seccomp";
import { MMAP_FAILED, socketcallProgram } from "../helpers/socketcallProgram";
import { DOCKER_DEFAULT_PROFILE, engine, image, PROFILES, profileText, runInWorkspace, unavailable } from "../helpers/docker";

/** Families a workspace must not open, with a socket type each family accepts. */
const REFUSED_FAMILIES: Readonly<Record<string, readonly [number, number]>> = {
  AF_ALG: [38, 5], AF_VSOCK: [40, 1], AF_RDS: [21, 5], AF_CAN: [29, 2], AF_TIPC: [30, 4], AF_BLUETOOTH: [31, 5], AF_QIPCRTR: [42, 2], AF_MCTP: [45, 2],
};
const ALLOWED_FAMILIES: Readonly<Record<string, readonly [number, number]>> = { AF_UNIX: [1, 1], AF_INET: [2, 1], AF_INET6: [10, 2], AF_NETLINK: [16, 3] };

/**
 * x86_64 syscall numbers (the kernel's arch/x86/entry/syscalls/syscall_64.tbl). removexattrat is
 * the newest syscall the base names; open_tree_attr, file_getattr and file_setattr (Linux 6.15,
 * 6.17) are newer than every name in the profile.
 */
const NR = {
  name_to_handle_at: 303, pkey_alloc: 330, set_mempolicy_home_node: 450, cachestat: 451, fchmodat2: 452,
  removexattrat: 466, open_tree_attr: 467, file_getattr: 468, file_setattr: 469,
} as const;
const NEWER_THAN_PROFILE = ["open_tree_attr", "file_getattr", "file_setattr"] as const;

const PROBE = `
import ctypes, errno, json
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(nr, *a):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(x) for x in a])
    return "ok" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
fams = ${JSON.stringify({ ...REFUSED_FAMILIES, ...ALLOWED_FAMILIES })}
nrs = ${JSON.stringify(NR)}
print(json.dumps({"families": {k: call(41, f, t, 0) for k, (f, t) in fams.items()}, "syscalls": {k: call(n, 0, 0, 0, 0, 0) for k, n in nrs.items()}}))
`;

interface Answers {
  families: Record<string, string>;
  syscalls: Record<keyof typeof NR, string>;
}

async function answers(ctx: Mocha.Context, profile: string): Promise<Answers> {
  if (process.arch !== "x64") unavailable(ctx, `the syscall numbers here are x86_64's (this is ${process.arch})`);
  const e = await engine(ctx);
  const tag = await image(e, "python");
  const run = await runInWorkspace(e, { image: tag, seccompProfile: profileText(profile), command: ["python3", "-c", PROBE] });
  expect(run.exitCode, run.stderr).to.equal(0);
  return JSON.parse(run.stdout.trim());
}


describe("the project's seccomp profile on today's Docker default, in a real engine", function () {
  this.timeout(180000);
  const results = new Map<string, Answers>();
  const of = (name: string) => results.get(name) as Answers;

  before(async function () {
    this.timeout(300000);
    for (const [name, file] of [...PTRACE_CHOICES.map((c) => [c, PROFILES[c]] as const), ["docker-default", DOCKER_DEFAULT_PROFILE] as const, ["unconfined", "unconfined"] as const]) {
      results.set(name, await answers(this, file));
    }
    console.log(`    kernel's own answers (unconfined, uid 1000, no capabilities): ${JSON.stringify(of("unconfined"))}`);
  });

  it("refuses every socket family but unix, inet, inet6 and netlink with EPERM before the kernel sees the call", () => {
    const kernel = of("unconfined").families;
    for (const choice of PTRACE_CHOICES) {
      const confined = of(choice).families;
      for (const name of Object.keys(ALLOWED_FAMILIES)) expect(confined[name], `${choice}: ${name}`).to.equal("ok");
      for (const name of Object.keys(REFUSED_FAMILIES)) expect(confined[name], `${choice}: ${name}`).to.equal("EPERM");
    }
    // Where the kernel itself answers otherwise (a socket, or EAFNOSUPPORT for a family it lacks),
    // EPERM can only be the profile's: the family's code never ran.
    const proven = Object.keys(REFUSED_FAMILIES).filter((name) => kernel[name] !== "EPERM");
    console.log(`    refused by the profile where the kernel says otherwise: ${proven.map((n) => `${n} (kernel: ${kernel[n]})`).join(", ")}`);
    expect(proven.length).to.be.greaterThanOrEqual(4);
    // Today's Docker default refuses AF_ALG and AF_VSOCK only: the rarer families reach the kernel.
    const docker = of("docker-default").families;
    expect([docker.AF_ALG, docker.AF_VSOCK]).to.deep.equal(["EPERM", "EPERM"]);
    for (const name of ["AF_RDS", "AF_CAN", "AF_TIPC", "AF_BLUETOOTH"]) expect(docker[name], name).to.equal(kernel[name]);
  });

  it("answers ENOSYS for syscalls newer than every name in the profile (glibc falls back), the default EPERM for an older unnamed one", function () {
    const named = new Set(baseProfile().syscalls.flatMap((r) => r.names));
    expect(named.has("removexattrat")).to.equal(true);
    for (const name of NEWER_THAN_PROFILE) expect(named.has(name), name).to.equal(false);
    const kernel = of("unconfined").syscalls;
    for (const choice of [...PTRACE_CHOICES, "docker-default"]) {
      for (const name of NEWER_THAN_PROFILE) expect(of(choice).syscalls[name], `${choice}: ${name}`).to.equal("ENOSYS");
      // Below the newest named number, an unnamed call (named here only for CAP_SYS_NICE) gets the default action.
      expect(of(choice).syscalls.set_mempolicy_home_node, choice).to.equal("EPERM");
    }
    const implemented = NEWER_THAN_PROFILE.filter((name) => kernel[name] !== "ENOSYS");
    if (implemented.length === 0) console.warn("    note: this kernel implements none of open_tree_attr/file_getattr/file_setattr itself; ENOSYS is then also the kernel's answer");
    else console.log(`    the kernel implements ${implemented.map((n) => `${n} (unconfined: ${kernel[n]})`).join(", ")}: ENOSYS is runc's, for a syscall above the profile's newest`);
    expect(kernel.set_mempolicy_home_node).to.not.equal("EPERM");
  });

  it("answers as the kernel does for the calls today's Docker default added (pkey_alloc, name_to_handle_at, cachestat, fchmodat2)", () => {
    const kernel = of("unconfined").syscalls;
    for (const name of ["pkey_alloc", "name_to_handle_at", "cachestat", "fchmodat2"] as const) {
      expect(kernel[name], `unconfined ${name}`).to.not.be.oneOf(["EPERM", "ENOSYS"]);
      for (const choice of PTRACE_CHOICES) expect(of(choice).syscalls[name], `${choice}: ${name}`).to.equal(kernel[name]);
    }
  });

  it("refuses socketcall from 32-bit code, which Docker's default allows and seccomp cannot look into", async function () {
    if (process.arch !== "x64") unavailable(this, `the program is x86_64 (this is ${process.arch})`);
    const e = await engine(this);
    const tag = await image(e, "python");
    const program = socketcallProgram(40, 1).toString("base64");
    const run = async (profile: string) => {
      const r = await runInWorkspace(e, { image: tag, seccompProfile: profileText(profile), environment: { PROGRAM: program },
        command: ["sh", "-c", 'printf %s "$PROGRAM" | base64 -d > /workspace/socketcall && chmod 700 /workspace/socketcall && /workspace/socketcall; echo "status=$?"'] });
      return Number(/status=(\d+)/.exec(r.stdout)?.[1]);
    };
    const kernel = await run("unconfined");
    // It ran to its system call (not 126, "cannot execute"; not MMAP_FAILED): 0 or an errno when the
    // kernel has 32-bit syscalls, SIGSEGV (139) when it has none.
    expect(kernel, "no memory below 4 GiB for the arguments").to.not.equal(MMAP_FAILED);
    expect(kernel < 126 || kernel === 139, `the program did not run to its system call (status ${kernel})`).to.equal(true);
    if (kernel === 139) {
      console.warn("    !!! this kernel runs no 32-bit syscalls (int 0x80 faults even unconfined): the socketcall path does not exist here; test/hostAssets.test.ts checks the rule itself");
      return;
    }
    console.log(`    socketcall(SYS_SOCKET, AF_VSOCK) from the 32-bit entry: unconfined ${kernel}, Docker's default ${await run(DOCKER_DEFAULT_PROFILE)}`);
    for (const choice of PTRACE_CHOICES) expect(await run(PROFILES[choice]), choice).to.equal(38); // ENOSYS
  });
});
