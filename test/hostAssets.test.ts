import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import {
  BUNDLE_FILES, bundleHash, COMPONENT_DATA_LIMIT, componentDocument, ecsConfigOfUserData, HOST_PATHS, hostFile, USER_DATA_LIMIT, userData,
} from "../host/render";
import {
  BASE_PROFILE, baseProfile, DENIALS, DENY_ERRNO, deniedSyscalls, effectiveRules, PTRACE_CHOICES, PTRACE_SYSCALLS, type PtraceChoice, renderSeccompProfile,
  REVIEWED_ALLOWS, RULE_COMMENT_PREFIX, SOCKET_FAMILIES, seccompProfileFile, seccompProfileText,
} from "../host/seccomp";
import { POOLS } from "../lib/names";
import { TASK_PIDS_LIMIT } from "../lib/taskLimits";

const root = path.resolve(__dirname, "..");
const settings = (pool: (typeof POOLS)[number], spot = false, seccompPtrace: PtraceChoice = "allowed") =>
  ({ pool, cluster: "remote-claude-staging", spot, stopTimeoutSeconds: 30, reservedMemoryMiB: 512, seccompPtrace });

function have(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

describe("host hardening assets", () => {
  describe("seccomp profile", () => {
    const base = baseProfile();
    const render = (ptrace: PtraceChoice) => renderSeccompProfile(ptrace);

    it("each committed host/files/seccomp-ptrace-*.json is what host/seccomp.ts renders (run `npm run gen:host` after changing it)", () => {
      for (const ptrace of PTRACE_CHOICES) expect(hostFile(seccompProfileFile(ptrace)), ptrace).to.equal(seccompProfileText(ptrace));
    });

    it("starts from today's Docker default byte for byte: git's object id of the vendored file is moby/profiles' at seccomp/v0.2.3", () => {
      // The judge is upstream's git: `git hash-object` of the vendored bytes must be the blob
      // moby/profiles (and moby/moby's vendor/ copy) hold for seccomp/default.json.
      const bytes = fs.readFileSync(path.join(root, BASE_PROFILE.file));
      const blob = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
      expect(blob).to.equal(BASE_PROFILE.gitBlob);
      expect(JSON.parse(bytes.toString("utf8"))).to.deep.equal(base);
    });

    it("denies every project denial with ENOSYS and allows none of them in any rule, whatever the capabilities", () => {
      for (const ptrace of PTRACE_CHOICES) {
        const profile = render(ptrace);
        const denied = new Set([...deniedSyscalls(), ...(ptrace === "denied" ? PTRACE_SYSCALLS : [])]);
        for (const rule of profile.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW")) {
          for (const name of rule.names) expect(denied.has(name), `${ptrace}: ${name} still allowed by ${JSON.stringify(rule.includes)}`).to.equal(false);
        }
        const errnoRules = profile.syscalls.filter((r) => r.action === "SCMP_ACT_ERRNO" && r.errnoRet === DENY_ERRNO && r.comment?.startsWith(RULE_COMMENT_PREFIX));
        expect(errnoRules.flatMap((r) => r.names).sort(), ptrace).to.deep.equal([...denied].sort());
      }
      for (const d of [...DENIALS, ...REVIEWED_ALLOWS]) expect(d.why, d.names.join()).to.match(/^\S.{20,}$/);
      expect(deniedSyscalls()).to.include.members(["keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "kexec_load", "init_module", "finit_module", "open_by_handle_at", "socketcall"]);
    });

    it("keeps every rule of the base, unchanged apart from the denied names and the socket rules' CAP_NET_ADMIN condition", () => {
      for (const ptrace of PTRACE_CHOICES) {
        const denied = new Set([...deniedSyscalls(), ...(ptrace === "denied" ? PTRACE_SYSCALLS : [])]);
        const expected = base.syscalls
          .map((r) => (r.action === "SCMP_ACT_ALLOW" ? { ...r, names: r.names.filter((n) => !denied.has(n)) } : r))
          .filter((r) => r.names.length > 0)
          .map((r) => (r.names[0] === "socket" ? { ...r, includes: { caps: ["CAP_NET_ADMIN"] } } : r));
        const profile = render(ptrace);
        expect(profile.syscalls.slice(0, expected.length), ptrace).to.deep.equal(expected);
        expect(profile.syscalls.slice(expected.length).every((r) => r.comment?.startsWith(RULE_COMMENT_PREFIX)), ptrace).to.equal(true);
        expect({ ...profile, syscalls: [] }).to.deep.equal({ ...base, syscalls: [] });
      }
      // The capability-conditional rules the ECS agent and its CNI plugins need are still there.
      const sysAdmin = render("allowed").syscalls.find((r) => r.action === "SCMP_ACT_ALLOW" && JSON.stringify(r.includes) === JSON.stringify({ caps: ["CAP_SYS_ADMIN"] }));
      expect(sysAdmin?.names).to.include.members(["unshare", "setns", "mount", "umount2", "clone", "sethostname"]);
      expect(sysAdmin?.names).to.not.include.members(["bpf", "perf_event_open", "fanotify_init"]);
    });

    it("allows a container without capabilities everything Docker's default allows it, but for each project denial, other socket families and the ptrace choice", () => {
      const docker = effectiveRules(base);
      for (const ptrace of PTRACE_CHOICES) {
        const project = effectiveRules(render(ptrace));
        const narrowed = [...docker].filter(([name, v]) => v === "allow" && project.get(name) !== "allow").map(([name]) => name).sort();
        expect(narrowed, ptrace).to.deep.equal([...deniedSyscalls().filter((n) => docker.get(n) === "allow"), ...(ptrace === "denied" ? PTRACE_SYSCALLS : [])].sort());
        // Nothing is allowed that Docker's default refuses such a container.
        const widened = [...project].filter(([name, v]) => v === "allow" && docker.get(name) !== "allow").map(([name]) => name);
        expect(widened, ptrace).to.deep.equal([]);
      }
      // The reviewed additions of today's default are allowed, as are the *at and futex2 calls glibc reaches for.
      for (const name of REVIEWED_ALLOWS.flatMap((r) => r.names)) {
        expect(docker.get(name), name).to.equal("allow");
        for (const ptrace of PTRACE_CHOICES) expect(effectiveRules(render(ptrace)).get(name), `${ptrace}: ${name}`).to.equal("allow");
      }
    });

    it("lets a container without CAP_NET_ADMIN open only unix, inet, inet6 and netlink sockets; CAP_NET_ADMIN holders keep Docker's rules (all but AF_ALG and AF_VSOCK)", () => {
      const socketRules = (caps: string[]) => render("allowed").syscalls.filter((r) => r.names.includes("socket") && r.action === "SCMP_ACT_ALLOW" &&
        (r.includes?.caps ?? []).every((c) => caps.includes(c)) && !(r.excludes?.caps ?? []).some((c) => caps.includes(c)));
      const workspace = socketRules([]);
      expect(workspace.map((r) => r.args)).to.deep.equal(Object.values(SOCKET_FAMILIES).map((value) => [{ index: 0, value, op: "SCMP_CMP_EQ" }]));
      expect(Object.values(SOCKET_FAMILIES)).to.deep.equal([1, 2, 10, 16]);
      const agent = socketRules(["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]);
      expect(agent.map((r) => r.args)).to.deep.equal(base.syscalls.filter((r) => r.names.includes("socket")).map((r) => r.args));
      // Docker's own rules: below AF_ALG (38), between AF_ALG and AF_VSOCK (39), above AF_VSOCK (40).
      expect(agent.map((r) => r.args?.[0])).to.deep.equal([{ index: 0, value: 38, op: "SCMP_CMP_LT" }, { index: 0, value: 39, op: "SCMP_CMP_EQ" }, { index: 0, value: 40, op: "SCMP_CMP_GT" }]);
    });

    it("renders ptrace as the choice says: Docker's kernel >= 4.8 rule kept, or ptrace and process_vm_readv/writev refused with ENOSYS", () => {
      const allowed = render("allowed").syscalls.find((r) => r.names.includes("ptrace") && r.includes?.minKernel === "4.8");
      expect(allowed?.names.sort()).to.deep.equal([...PTRACE_SYSCALLS].sort());
      expect(effectiveRules(render("allowed")).get("ptrace")).to.equal("allow");
      for (const name of PTRACE_SYSCALLS) expect(effectiveRules(render("denied")).get(name), name).to.equal(DENY_ERRNO);
      expect(render("denied").syscalls.some((r) => r.action === "SCMP_ACT_ALLOW" && r.names.some((n) => (PTRACE_SYSCALLS as readonly string[]).includes(n)))).to.equal(false);
    });
  });

  describe("daemon.json", () => {
    it("makes the project's profile the default and hardens the daemon", () => {
      const daemon = JSON.parse(hostFile("daemon.json"));
      expect(daemon["seccomp-profile"]).to.equal(HOST_PATHS.seccompProfile);
      expect(daemon).to.include({ "no-new-privileges": true, icc: false, "userland-proxy": false, "live-restore": true, "log-driver": "json-file" });
      expect(daemon["log-opts"]).to.deep.equal({ "max-size": "10m", "max-file": "3" });
      expect(daemon["default-ulimits"].core).to.deep.equal({ Name: "core", Soft: 0, Hard: 0 });
      expect(daemon["default-ulimits"].nofile.Hard).to.be.greaterThan(1024);
    });
  });

  describe("IMDS rules", () => {
    it("reject forwarded traffic to the metadata service (IPv4 and IPv6) from a chain FORWARD jumps to", () => {
      expect(hostFile("imds-block.rules")).to.match(/^-A REMOTE-CLAUDE-IMDS -d 169\.254\.169\.254\/32 -j REJECT/m);
      expect(hostFile("imds-block6.rules")).to.match(/^-A REMOTE-CLAUDE-IMDS -d fd00:ec2::254\/128 -j REJECT/m);
      expect(hostFile("imds-block.sh")).to.include('"$tool" -I FORWARD 1 -j "$chain"');
      // The credentials endpoint of ECS task roles must stay reachable for the backend.
      const rules = hostFile("imds-block.rules").split("\n").filter((l) => l.startsWith("-A "));
      expect(rules.join("\n")).to.not.include("169.254.170.2");
    });

    it("are applied at boot before Docker, which requires them", () => {
      const unit = hostFile("remote-claude-imds-block.service");
      expect(unit).to.match(/^Before=network-pre\.target docker\.service ecs\.service$/m);
      expect(unit).to.match(/^RequiredBy=docker\.service$/m);
      expect(unit).to.match(/^WantedBy=multi-user\.target$/m);
      expect(unit).to.include(`ExecStart=${HOST_PATHS.imdsScript} ${HOST_PATHS.imdsRulesDir}`);
    });
  });

  describe("user data and AMI component", () => {
    it("unpack to exactly the files of host/files, the stack's ptrace choice as seccomp.json (one source for the AMI and the launch template)", function () {
      this.timeout(20000);
      for (const ptrace of PTRACE_CHOICES) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-bundle-"));
        try {
          // Run only the unpack part of the component's build step, into a scratch directory.
          const build = parse(componentDocument(ptrace)).phases[0].steps[0].inputs.commands[0] as string;
          const unpackOnly = build.split("\n").filter((l) => !l.startsWith("bash ") && !l.startsWith("rm -rf")).join("\n")
            .replace('bundle_dir="$(mktemp -d)"', `bundle_dir=${JSON.stringify(dir)}`);
          const result = spawnSync("bash", ["-c", unpackOnly], { encoding: "utf8" });
          expect(result.status, result.stderr).to.equal(0);
          expect(fs.readdirSync(dir).sort()).to.deep.equal([...BUNDLE_FILES].sort());
          for (const name of BUNDLE_FILES) {
            expect(fs.readFileSync(path.join(dir, name), "utf8"), name).to.equal(hostFile(name === "seccomp.json" ? seccompProfileFile(ptrace) : name));
          }
          for (const pool of POOLS) expect(userData(settings(pool, false, ptrace))).to.include(build.split("\n").find((l) => l.startsWith("unpack seccomp.json"))!);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
      expect(bundleHash("allowed")).to.not.equal(bundleHash("denied"));
    });

    it("write ecs.config with the per-task process budget the ECS agent puts on each task's cgroup", () => {
      for (const pool of POOLS) {
        const config = ecsConfigOfUserData(userData(settings(pool)));
        expect(config).to.include({ ECS_TASK_PIDS_LIMIT: String(TASK_PIDS_LIMIT), ECS_ENABLE_TASK_CPU_MEM_LIMIT: "true" });
      }
      // The agent accepts 1 to 4194304 (agent/config/parse_linux.go) and ignores anything else.
      expect(TASK_PIDS_LIMIT).to.be.within(1, 4194304);
    });

    it("fit AWS's size limits", () => {
      for (const pool of POOLS) expect(Buffer.byteLength(userData(settings(pool, true)))).to.be.lessThan(USER_DATA_LIMIT);
      for (const ptrace of PTRACE_CHOICES) expect(componentDocument(ptrace).length, ptrace).to.be.lessThan(COMPONENT_DATA_LIMIT);
      const doc = parse(componentDocument("allowed"));
      expect(doc.schemaVersion).to.equal(1);
      expect(componentDocument("allowed")).to.match(/^schemaVersion: 1\.0$/m);
      expect(doc.phases.map((p: any) => p.name)).to.deep.equal(["build", "validate", "test"]);
      expect(doc.phases[2].steps[0].inputs.commands).to.deep.equal([`bash ${HOST_PATHS.installer} --verify`]);
    });

    it("pass shellcheck: the rendered user data of both pools and every script in host/files", function () {
      this.timeout(30000);
      if (!have("shellcheck")) {
        console.warn("    SKIPPED: shellcheck is not installed (Debian package shellcheck; scripts/ci.sh installs it)");
        this.skip();
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-shellcheck-"));
      try {
        const files = POOLS.map((pool) => {
          const file = path.join(dir, `user-data-${pool}.sh`);
          fs.writeFileSync(file, userData(settings(pool, pool === "backend")));
          return file;
        });
        files.push(...["install.sh", "imds-block.sh"].map((f) => path.join(root, "host", "files", f)));
        const result = spawnSync("shellcheck", ["--severity=style", ...files], { encoding: "utf8" });
        expect(result.status, result.stdout + result.stderr).to.equal(0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
