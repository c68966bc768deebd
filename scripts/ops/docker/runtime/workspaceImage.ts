// The local workspace images, assembled from the host's own files without any registry: a root
// filesystem with busybox-static and Debian's python3 (rootfs.ts, as the hardening tests build
// theirs), plus stand-ins for the workspace agent and the credential proxy (workspaceImage/*.py).
// One import gives the agent image; a commit of it with another CMD gives the proxy image, so
// the two share every layer. `ops local image` and the Docker tests build them with this.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { DockerApi } from "./api";
import { LOCAL_IMAGES } from "./localWorkspace";
import { IMAGE_SPECS, type RootfsSpec, assembleRootfs } from "./rootfs";

const PROGRAM_DIR = "/opt/remote-claude";
const SOURCES = path.join(__dirname, "workspaceImage");

function workspaceImageSpec(): RootfsSpec {
  const python = IMAGE_SPECS.python();
  return {
    ...python,
    // With the compiled standard library: the root filesystem is read-only, so Python could never
    // cache what it compiles, and every start (and every health check) would compile its imports
    // from source again.
    trees: (python.trees ?? []).map((t) => ({ ...t, exclude: (t.exclude ?? []).filter((e) => e !== "__pycache__"), preserveTimestamps: true })),
    files: {
      ...Object.fromEntries(["agent.py", "proxy.py", "standin_http.py"].map((f) => [`${PROGRAM_DIR}/${f}`, fs.readFileSync(path.join(SOURCES, f), "utf8")])),
    },
  };
}

const cmd = (program: string) => `CMD ["python3", "${PROGRAM_DIR}/${program}"]`;

interface BuiltImages {
  readonly agent: { readonly tag: string; readonly id: string; readonly sizeBytes: number };
  readonly credentialProxy: { readonly tag: string; readonly id: string };
}

function splitTag(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(":");
  return at > ref.lastIndexOf("/") ? { repo: ref.slice(0, at), tag: ref.slice(at + 1) } : { repo: ref, tag: "latest" };
}

/** Builds (or rebuilds) the agent and credential proxy images under the given tags. */
export async function buildWorkspaceImages(api: DockerApi, tags: { agent: string; credentialProxy: string } = LOCAL_IMAGES): Promise<BuiltImages> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-workspace-rootfs-"));
  try {
    assembleRootfs(dir, workspaceImageSpec());
    const tar = spawn("tar", ["-C", dir, "--numeric-owner", "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
    let tarErr = "";
    tar.stderr.on("data", (d) => (tarErr += d));
    const tarDone = new Promise<void>((resolve, reject) => {
      tar.on("error", reject);
      tar.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`tar of the root filesystem failed: ${tarErr.trim()}`))));
    });
    const agent = splitTag(tags.agent);
    await Promise.all([api.importImage(tar.stdout, agent.repo, agent.tag, [cmd("agent.py"), "WORKDIR /workspace"]), tarDone]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const agentImage = await api.inspectImage(tags.agent);
  if (!agentImage) throw new Error(`the import did not produce ${tags.agent}`);
  // A container of the agent image, never started, committed with the credential proxy's command.
  const scratch = await api.createContainer("", { Image: tags.agent, HostConfig: { NetworkMode: "none" } });
  let credentialProxyId: string;
  try {
    const credentialProxy = splitTag(tags.credentialProxy);
    credentialProxyId = await api.commit(scratch, credentialProxy.repo, credentialProxy.tag, [cmd("proxy.py")]);
  } finally {
    await api.removeContainer(scratch);
  }
  return { agent: { tag: tags.agent, id: agentImage.Id, sizeBytes: agentImage.Size }, credentialProxy: { tag: tags.credentialProxy, id: credentialProxyId } };
}
