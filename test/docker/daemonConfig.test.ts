// A dockerd started with the project's daemon.json (only the profile's path adapted to the test)
// applies the project's seccomp profile to containers that name none.
import { expect } from "chai";
import * as fs from "node:fs";
import { HOST_PATHS, hostFile } from "../../host/render";
import { image, PROBE_DIR, PROJECT_PROFILE, projectDaemonConfig, projectDaemonEngine, VERDICT_LINE } from "../helpers/docker";

describe("the project's daemon.json in a real dockerd", function () {
  this.timeout(120000);
  const nofile = projectDaemonConfig()["default-ulimits"].nofile.Hard;

  async function daemon(ctx: Mocha.Context) {
    // Same settings as the hosts'; only the profile's path is the test's copy (host/files/seccomp-ptrace-allowed.json, the default choice).
    expect(JSON.parse(hostFile("daemon.json"))["seccomp-profile"]).to.equal(HOST_PATHS.seccompProfile);
    expect(fs.existsSync(PROJECT_PROFILE)).to.equal(true);
    return projectDaemonEngine(ctx);
  }

  it("starts, and reports the project's profile as the default", async function () {
    const e = await daemon(this);
    const info = await e.docker(["info", "--format", "{{json .SecurityOptions}}"]);
    // install.sh --verify checks exactly this on the hosts.
    expect(info.stdout).to.include(`profile=${PROJECT_PROFILE}`);
  });

  it("confines a container that names no profile: Seccomp 2, no new privileges, the default ulimits", async function () {
    const e = await daemon(this);
    const tag = await image(e, "busybox");
    const run = await e.docker(["run", "--rm", "--network", "none", tag, "sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; ulimit -n; ulimit -c"]);
    expect(run.stdout.trim().split("\n").map((l) => l.replace(/\s+/g, " "))).to.deep.equal(["NoNewPrivs: 1", "Seccomp: 2", String(nofile), "0"]);
    const unconfined = await e.docker(["run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined", tag, "grep", "^Seccomp:", "/proc/self/status"]);
    expect(unconfined.stdout.replace(/\s+/g, " ").trim()).to.equal("Seccomp: 0");
  });

  it("refuses the profile's denials in that container (ENOSYS), and ptrace as the default choice says (allowed)", async function () {
    const e = await daemon(this);
    const tag = await image(e, "python");
    const run = await e.docker([
      "run", "--rm", "--network", "none", "--user", "1000:1000",
      "--mount", `type=bind,src=${PROBE_DIR},dst=/probe,readonly`,
      "-e", 'PROBE_CONFIG={"imdsAddress":"127.0.0.1","ecsCredentialsAddress":"127.0.0.1","timeoutMs":300}',
      tag, "python3", "/probe/workspace_probe.py",
    ]);
    const checks = new Map<string, { blocked: boolean; detail: string }>(JSON.parse(VERDICT_LINE.exec(run.stdout)![1]).checks.map((c: any) => [c.id, c]));
    for (const id of ["io-uring-setup", "keyctl", "userfaultfd", "bpf"]) {
      expect(checks.get(id), id).to.deep.include({ blocked: true, detail: "ENOSYS" });
    }
    expect(checks.get("ptrace"), "ptrace").to.deep.include({ blocked: false });
    // Capability-conditional rules stay: without CAP_SYS_ADMIN a namespace is refused with EPERM.
    expect(checks.get("unshare-user"), "unshare-user").to.deep.include({ blocked: true, detail: "EPERM" });
  });
});
