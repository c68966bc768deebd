// Whether a program written to /tmp may run there, in a real engine, with workspaces created from
// the task definition's settings as the local target creates them. The ECS agent hands Docker the
// task's tmpfs as ECS sent it (agent/api/task/task.go, dockerHostConfig), and Docker lays the given
// options over its own noexec,nosuid,nodev (moby daemon/oci_linux.go): so a tmpfs whose options do
// not say "exec" is noexec on ECS as it is here. The one step no source shows is how the ECS
// control plane turns mountOptions into that HostConfig string (closed source; AWS documents it as
// docker run's --tmpfs options), which is why every tmpfs of the platform states exec or noexec.
// The judge is the kernel: the mount's options in /proc/self/mountinfo, and an exec of a copied binary.
import { expect } from "chai";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import type { DockerEngine } from "../../scripts/ops/docker/runtime/engine";
import { localWorkspaceTask } from "../../scripts/ops/docker/runtime/localWorkspace";
import { CONTAINERS } from "../../lib/names";
import { engine, image, runInWorkspace } from "../helpers/docker";

/**
 * Prints /tmp's per-mount options (mountinfo field 6), copies busybox into /tmp as `true` (busybox
 * picks its applet by that name) and runs it: "ran", or the shell's error (EACCES on noexec).
 */
const PROBE = [
  "sh", "-c",
  "awk '$5 == \"/tmp\" { print \"OPTIONS \" $6 }' /proc/self/mountinfo; " +
  "cp /bin/busybox /tmp/true || echo 'COPY failed'; " +
  "/tmp/true 2>/tmp/err && echo 'EXEC ran' || echo \"EXEC refused: $(cat /tmp/err)\"",
];

interface Seen { readonly options: string[]; readonly exec: string }

function seen(stdout: string): Seen {
  const options = /^OPTIONS (.*)$/m.exec(stdout)?.[1];
  const exec = /^EXEC (.*)$/m.exec(stdout)?.[1];
  if (!options || !exec || stdout.includes("COPY failed")) throw new Error(`the probe could not judge: ${stdout}`);
  return { options: options.split(","), exec };
}

describe("/tmp: exec in the workspace, noexec elsewhere, as the kernel mounts it (real engine)", function () {
  this.timeout(180000);
  let e: DockerEngine;
  let tag: string;
  const task = () => localWorkspaceTask({ agent: tag, credentialProxy: "credential-proxy:local" });
  const container = (name: string): ContainerDefinition => task().containers.find((c) => c.name === name)!;
  /** Runs the probe in a workspace-agent container whose linuxParameters are `linux` (default: its own). */
  const probe = async (linux?: ContainerDefinition["linuxParameters"]) => {
    const run = await runInWorkspace(e, { image: tag, command: PROBE, ...(linux ? { definition: { linuxParameters: linux } } : {}) });
    expect(run.exitCode, run.stderr).to.equal(0);
    return { ...seen(run.stdout), tmpfs: run.settings.body.HostConfig.Tmpfs };
  };

  before(async function () {
    this.timeout(300000);
    e = await engine(this);
    tag = await image(e, "busybox");
  });

  it("the workspace agent's /tmp, as the task definition says (exec): a program built there runs", async () => {
    const agent = container(CONTAINERS.workspaceAgent);
    expect(agent.linuxParameters?.tmpfs?.[0].mountOptions).to.include("exec");
    const s = await probe();
    expect(s.tmpfs?.["/tmp"]).to.match(/(^|,)exec(,|$)/);
    expect(s.options).to.include.members(["nosuid", "nodev"]).and.not.include("noexec");
    expect(s.exec).to.equal("ran");
  });

  it("the credential proxy's /tmp (noexec): nothing written there runs", async () => {
    const s = await probe(container(CONTAINERS.credentialProxy).linuxParameters);
    expect(s.options).to.include.members(["nosuid", "nodev", "noexec"]);
    expect(s.exec).to.match(/^refused: .*Permission denied/);
  });

  it("a tmpfs whose options do not say exec or noexec is noexec: Docker's default, on ECS as here", async () => {
    const own = container(CONTAINERS.workspaceAgent).linuxParameters!;
    const s = await probe({ ...own, tmpfs: [{ containerPath: "/tmp", size: 64, mountOptions: ["nosuid", "nodev"] }] });
    expect(s.tmpfs).to.deep.equal({ "/tmp": "rw,nosuid,nodev,size=64m" });
    expect(s.options).to.include("noexec");
    expect(s.exec).to.match(/^refused: .*Permission denied/);
  });
});
