// One command in a workspace-agent container created exactly as the local workspace target
// creates it (the task definition's settings through containerSettings.ts), on its own volume,
// without the proxy: how the Docker hardening tests and the seccomp benchmark run their
// workloads and the probe. Everything is removed afterwards.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { randomBytes } from "node:crypto";
import { CONTAINERS } from "../../../../lib/names";
import type { DockerApi } from "./api";
import type { LocalContainerSettings } from "./containerSettings";
import { LocalWorkspace, localWorkspaceTask } from "./localWorkspace";

export interface WorkspaceCommand {
  readonly image: string;
  readonly command: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  /** The seccomp profile's text, or "unconfined"; unset: the engine's default. */
  readonly seccompProfile?: string;
  /** Default "none": no network but loopback. */
  readonly network?: string;
  /** Test-only additions to the agent's definition (a DNS server, sysctls), mapped like the rest. */
  readonly definition?: Partial<ContainerDefinition>;
  readonly ulimitCeilings?: Readonly<Record<string, number>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** What the container was created with. */
  readonly settings: LocalContainerSettings;
}

export async function runWorkspaceCommand(api: DockerApi, cmd: WorkspaceCommand): Promise<CommandResult> {
  const base = localWorkspaceTask({ agent: cmd.image });
  const task = { ...base, containers: base.containers.map((c) => (c.name === CONTAINERS.workspaceAgent ? { ...c, ...cmd.definition } : c)) };
  const ws = new LocalWorkspace(`rc-cmd-${randomBytes(4).toString("hex")}`, task, {
    api,
    network: cmd.network ?? "none",
    seccompProfile: cmd.seccompProfile,
    labels: { "remote-claude.purpose": "workspace-command", ...cmd.labels },
    secretValues: {},
    ulimitCeilings: cmd.ulimitCeilings,
  }, [{ name: CONTAINERS.workspaceAgent, command: [...cmd.command], environment: Object.entries(cmd.environment ?? {}).map(([name, value]) => ({ name, value })) }]);
  const agent = ws.containers.find((c) => c.name === CONTAINERS.workspaceAgent)!;
  try {
    await ws.create();
    await ws.start();
    await ws.settled();
    const exitCode = await api.waitContainer(agent.id as string, AbortSignal.timeout(cmd.timeoutMs ?? 120_000));
    const { stdout, stderr } = await api.logs(agent.id as string);
    return { exitCode, stdout, stderr, settings: agent.settings as LocalContainerSettings };
  } finally {
    await ws.remove();
  }
}
