import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import {
  BUNDLE_FILES, COMPONENT_DATA_LIMIT, componentDocument, HOST_PATHS, hostFile, USER_DATA_LIMIT, userData,
} from "../host/render";
import { BASE_PROFILE, baseProfile, DENIALS, DENY_ERRNO, deniedSyscalls, renderSeccompProfile, seccompProfileText } from "../host/seccomp";
import { POOLS } from "../lib/names";

const root = path.resolve(__dirname, "..");
const settings = (pool: (typeof POOLS)[number], spot = false) => ({ pool, cluster: "remote-claude-staging", spot, stopTimeoutSeconds: 30, reservedMemoryMiB: 512 });

function have(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

describe("host hardening assets", () => {
  describe("seccomp profile", () => {
    it("the committed host/files/seccomp.json is what host/seccomp.ts renders (run `npm run gen:host` after changing it)", () => {
      expect(hostFile("seccomp.json")).to.equal(seccompProfileText());
    });

    it("starts from Docker 20.10's default profile exactly as Debian ships it", function () {
      if (!fs.existsSync(BASE_PROFILE.debianPath)) {
        console.warn(`    SKIPPED: ${BASE_PROFILE.debianPath} is missing (Debian package ${BASE_PROFILE.debianPackage}; scripts/ci.sh installs it)`);
        this.skip();
      }
      expect(JSON.parse(fs.readFileSync(BASE_PROFILE.debianPath, "utf8"))).to.deep.equal(baseProfile());
    });

    it("denies every added syscall with ENOSYS and allows none of them in any rule, whatever the capabilities", () => {
      const profile = renderSeccompProfile();
      const denied = new Set(deniedSyscalls());
      for (const rule of profile.syscalls.filter((r) => r.action === "SCMP_ACT_ALLOW")) {
        for (const name of rule.names) expect(denied.has(name), `${name} still allowed by ${JSON.stringify(rule.includes)}`).to.equal(false);
      }
      const errnoRules = profile.syscalls.filter((r) => r.action === "SCMP_ACT_ERRNO" && r.errnoRet === DENY_ERRNO && r.comment?.startsWith("remote-claude:"));
      expect(errnoRules.flatMap((r) => r.names).sort()).to.deep.equal([...denied].sort());
      for (const d of DENIALS) expect(d.why, d.names.join()).to.match(/^\S.{20,}$/);
      expect(denied).to.include.keys(["keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "kexec_load", "init_module", "finit_module", "open_by_handle_at", "ptrace"]);
    });

    it("keeps Docker's capability-conditional rules the ECS agent and CNI plugins need", () => {
      const profile = renderSeccompProfile();
      const sysAdmin = profile.syscalls.find((r) => r.action === "SCMP_ACT_ALLOW" && JSON.stringify(r.includes) === JSON.stringify({ caps: ["CAP_SYS_ADMIN"] }));
      expect(sysAdmin?.names).to.include.members(["unshare", "setns", "mount", "umount2", "clone", "sethostname"]);
      expect(sysAdmin?.names).to.not.include.members(["bpf", "perf_event_open", "fanotify_init"]);
      const base = baseProfile();
      // Apart from the denied names, every rule of the base is still there, unchanged.
      const strip = (rules: typeof base.syscalls) => rules
        .map((r) => ({ ...r, names: r.names.filter((n) => !deniedSyscalls().includes(n)) }))
        .filter((r) => r.names.length > 0);
      expect(profile.syscalls.slice(0, strip(base.syscalls).length)).to.deep.equal(strip(base.syscalls));
      expect(profile.defaultAction).to.equal(base.defaultAction);
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
    it("unpack to exactly the files of host/files (one source for the AMI and the launch template)", function () {
      this.timeout(20000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-bundle-"));
      try {
        // Run only the unpack part of the component's build step, into a scratch directory.
        const build = parse(componentDocument()).phases[0].steps[0].inputs.commands[0] as string;
        const unpackOnly = build.split("\n").filter((l) => !l.startsWith("bash ") && !l.startsWith("rm -rf")).join("\n")
          .replace('bundle_dir="$(mktemp -d)"', `bundle_dir=${JSON.stringify(dir)}`);
        const result = spawnSync("bash", ["-c", unpackOnly], { encoding: "utf8" });
        expect(result.status, result.stderr).to.equal(0);
        expect(fs.readdirSync(dir).sort()).to.deep.equal([...BUNDLE_FILES].sort());
        for (const name of BUNDLE_FILES) expect(fs.readFileSync(path.join(dir, name), "utf8"), name).to.equal(hostFile(name));
        for (const pool of POOLS) expect(userData(settings(pool))).to.include(build.split("\n").find((l) => l.startsWith("unpack seccomp.json"))!);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("fit AWS's size limits", () => {
      for (const pool of POOLS) expect(Buffer.byteLength(userData(settings(pool, true)))).to.be.lessThan(USER_DATA_LIMIT);
      expect(componentDocument().length).to.be.lessThan(COMPONENT_DATA_LIMIT);
      const doc = parse(componentDocument());
      expect(doc.schemaVersion).to.equal(1);
      expect(componentDocument()).to.match(/^schemaVersion: 1\.0$/m);
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
