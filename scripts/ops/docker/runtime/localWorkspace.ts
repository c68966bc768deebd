// The workspace task on a local Docker engine: its containers and volumes come from the same
// pure builders as the ECS task definition (lib/workspaceContainers.ts), with the stack
// config's default sizes, and each container is created through the one mapping in
// containerSettings.ts. Like the ECS agent, it creates the task's volumes (one named volume per
// workspace for the workspace volume), starts the containers in dependency order (the agent as
// soon as the credential proxy has started: dependsOn START), and the containers share one network
// namespace (awsvpc: one per task): the first container started holds it and the others join it.
import type { ContainerDefinition, ContainerOverride, Volume } from "@aws-sdk/client-ecs";
import { serviceKeys } from "../../../../config/services";
import { CONTAINERS } from "../../../../lib/names";
import { TASK_PIDS_LIMIT } from "../../../../lib/taskLimits";
import { CREDENTIAL_PROXY_URL_ENV, workspaceContainers, workspaceTaskCpu, workspaceVolumes } from "../../../../lib/workspaceContainers";
import { type ContainerInspect, type DockerApi, DockerApiError, memoryInUse } from "./api";
import { type LocalContainerSettings, applyOverride, dockerContainerSettings } from "./containerSettings";
import type { ContainerEvents, ContainerStatus } from "./events";

export { LOCAL_IMAGES } from "../../../../lib/names";
/** Stands for the credential proxy secret's ARN: a local run generates the value. */
export const LOCAL_CREDENTIAL_PROXY_SECRET = "local:credential-proxy";
/** Labels on everything a local workspace consists of (besides the run's own labels). */
export const WORKSPACE_LABEL = "remote-claude.workspace";
export const CONTAINER_LABEL = "remote-claude.container";
/**
 * How long a container waits for its dependencies when the definition sets no startTimeout. ECS
 * then sets no limit of its own (a task can wait for ever); locally the wait ends after 3 minutes.
 */
const DEFAULT_START_TIMEOUT_S = 180;
const POLL_MS = 100;

export interface LocalTask {
  readonly containers: readonly ContainerDefinition[];
  readonly volumes: readonly Volume[];
  /** The task's process budget: what ECS_TASK_PIDS_LIMIT gives every task on the hosts. */
  readonly pidsLimit?: number;
  /** The task-level CPU units the task definition sets (a CFS quota), or undefined: CPU shares only. */
  readonly taskCpu?: number;
  /** What differs from the task definition, and why. */
  readonly notes: readonly string[];
}

/**
 * The workspace task's containers and volumes as the task definition declares them (the config's
 * default sizes and workspaceCpuHardLimit unless `cpuHardLimit` says otherwise), with local images.
 * Without a credential proxy image the agent runs alone: no dependency on the credential proxy and no
 * CREDENTIAL_PROXY_URL, so its image waits for nothing (said in `notes`).
 */
export function localWorkspaceTask(
  images: { readonly agent: string; readonly credentialProxy?: string },
  cpuHardLimit = serviceKeys.workspaceCpuHardLimit.default as boolean,
): LocalTask {
  const containers = workspaceContainers({
    agentImage: images.agent,
    credentialProxyImage: images.credentialProxy ?? "(none)",
    agentCpu: serviceKeys.workspaceAgentCpu.default as number,
    agentMemoryMiB: serviceKeys.workspaceAgentMemoryMiB.default as number,
    tmpfsMiB: serviceKeys.workspaceTmpfsMiB.default as number,
    credentialProxySecretArn: LOCAL_CREDENTIAL_PROXY_SECRET,
    logGroup: "(local)",
    region: "(local)",
  });
  // The task definition's own figure: with the credential proxy left out it stays the same.
  const taskCpu = workspaceTaskCpu(containers, cpuHardLimit);
  if (images.credentialProxy) return { containers, volumes: workspaceVolumes(), taskCpu, pidsLimit: TASK_PIDS_LIMIT, notes: [] };
  const credentialProxy = CONTAINERS.credentialProxy;
  return {
    containers: containers.filter((c) => c.name !== credentialProxy).map((c) => ({
      ...c,
      dependsOn: (c.dependsOn ?? []).filter((d) => d.containerName !== credentialProxy),
      environment: (c.environment ?? []).filter((e) => e.name !== CREDENTIAL_PROXY_URL_ENV),
    })),
    volumes: workspaceVolumes(),
    pidsLimit: TASK_PIDS_LIMIT,
    taskCpu,
    notes: [`no credential-proxy image: the workspace runs without its sidecar, and ${CONTAINERS.workspaceAgent} gets no ${CREDENTIAL_PROXY_URL_ENV} and does not wait for it`],
  };
}

/** Containers in the order the ECS agent starts them: every container after those it depends on. */
export function startOrder(containers: readonly ContainerDefinition[]): ContainerDefinition[] {
  const byName = new Map(containers.map((c) => [c.name ?? "", c]));
  const ordered: ContainerDefinition[] = [];
  const visiting = new Set<string>();
  const visit = (c: ContainerDefinition) => {
    const name = c.name ?? "";
    if (ordered.includes(c)) return;
    if (visiting.has(name)) throw new Error(`dependsOn cycle through ${name}`);
    visiting.add(name);
    for (const d of c.dependsOn ?? []) {
      const dep = byName.get(d.containerName ?? "");
      if (!dep) throw new Error(`${name} depends on ${d.containerName}, which the task does not have`);
      visit(dep);
    }
    visiting.delete(name);
    ordered.push(c);
  };
  containers.forEach(visit);
  return ordered;
}

/** The task's volumes that this engine provides as one named local volume per workspace. */
function localVolumeDriver(v: Volume): string {
  // A task-scoped Docker volume, or a volume ECS configures at launch (an EBS volume on the
  // hosts): locally both are a named volume of the local driver, removed with the workspace.
  if (v.dockerVolumeConfiguration) return v.dockerVolumeConfiguration.driver ?? "local";
  if (v.configuredAtLaunch) return "local";
  throw new Error(`task volume ${v.name} has no local equivalent (only Docker volumes and volumes configured at launch)`);
}

export interface LocalRuntime {
  readonly api: DockerApi;
  /** Network of the workspace's network namespace: a network name, or "none". */
  readonly network: string;
  /** Seccomp profile JSON (or "unconfined"); unset: the engine's default. */
  readonly seccompProfile?: string;
  /** The run's labels, on every container and volume. */
  readonly labels: Readonly<Record<string, string>>;
  /** Secret values by valueFrom (LOCAL_CREDENTIAL_PROXY_SECRET for the credential proxy's secret). */
  readonly secretValues: Readonly<Record<string, string>>;
  readonly ulimitCeilings?: Readonly<Record<string, number>>;
  /** The run's event stream; without one, dependencies are polled. */
  readonly events?: ContainerEvents;
}

interface LocalContainer {
  readonly def: ContainerDefinition;
  readonly name: string;
  readonly dockerName: string;
  id?: string;
  settings?: LocalContainerSettings;
}

export type WorkspaceContainers = ReadonlyMap<string, ContainerInspect | undefined>;

export class LocalWorkspace {
  readonly containers: LocalContainer[];
  readonly volumes: { readonly taskName: string; readonly dockerName: string; readonly driver: string; created: boolean }[];
  readonly pidsLimit?: number;
  /** Why the workspace failed to start (ECS-style stop reason), once it has. */
  failure?: string;
  private readonly taskCpu?: number;
  private readonly startAbort = new AbortController();
  private starting?: Promise<void>;

  constructor(
    readonly id: string,
    task: LocalTask,
    private readonly rt: LocalRuntime,
    overrides: readonly ContainerOverride[] = [],
  ) {
    this.containers = startOrder(task.containers).map((def) => {
      const name = def.name ?? "";
      return { def: applyOverride(def, overrides.find((o) => o.name === name)), name, dockerName: `${id}-${name}` };
    });
    this.volumes = task.volumes.map((v) => ({ taskName: v.name ?? "", dockerName: `${id}-${v.name}`, driver: localVolumeDriver(v), created: false }));
    this.pidsLimit = task.pidsLimit;
    // A container override's cpu changes that container's shares, not the task-level cpu (as RunTask).
    this.taskCpu = task.taskCpu;
  }

  get labels(): Record<string, string> {
    return { ...this.rt.labels, [WORKSPACE_LABEL]: this.id };
  }

  /** Containers whose definition has a health check. */
  get healthChecked(): string[] {
    return this.containers.filter((c) => c.def.healthCheck?.command?.length).map((c) => c.name);
  }

  /** Adaptations and unmapped fields of every container (identical for every workspace of a run). */
  get fidelity(): { adaptations: string[]; notMapped: string[] } {
    return {
      adaptations: this.containers.flatMap((c) => c.settings?.adaptations ?? []),
      notMapped: this.containers.flatMap((c) => c.settings?.notMapped ?? []),
    };
  }

  /** The create body of each container (what `--dry-run` shows), without creating anything. */
  settings(): Map<string, LocalContainerSettings> {
    return new Map(this.containers.map((c, i) => [c.name, this.settingsOf(c, i === 0 ? this.rt.network : `container:${this.containers[0].dockerName}`)]));
  }

  private settingsOf(c: LocalContainer, networkMode: string): LocalContainerSettings {
    return dockerContainerSettings(c.def, {
      networkMode,
      volumes: Object.fromEntries(this.volumes.map((v) => [v.taskName, v.dockerName])),
      labels: { ...this.labels, [CONTAINER_LABEL]: c.name },
      seccompProfile: this.rt.seccompProfile,
      secretValues: this.rt.secretValues,
      ulimitCeilings: this.rt.ulimitCeilings,
      taskCpu: this.taskCpu,
      taskPidsLimit: this.pidsLimit,
    });
  }

  /** Creates the volumes and every container (none started). On failure, what was created stays recorded for remove(). */
  async create(): Promise<void> {
    for (const v of this.volumes) {
      await this.rt.api.createVolume(v.dockerName, this.labels, v.driver);
      v.created = true;
    }
    for (const [i, c] of this.containers.entries()) {
      // The first container holds the task's network namespace; the others join it.
      c.settings = this.settingsOf(c, i === 0 ? this.rt.network : `container:${this.containers[0].id}`);
      c.id = await this.rt.api.createContainer(c.dockerName, c.settings.body);
    }
  }

  /**
   * Starts the first container and resolves; the rest start in the background as their
   * dependencies allow, and not before `holdUntil` (a caller's own precondition) has settled.
   */
  async start(holdUntil?: Promise<unknown>): Promise<void> {
    const [first, ...rest] = this.containers;
    try {
      await this.rt.api.startContainer(first.id as string);
    } catch (err) {
      this.failure = `CannotStartContainerError: ${first.name}: ${errorText(err)}`;
      throw err;
    }
    this.starting = this.startRest(rest, holdUntil);
  }

  /** Resolves once every container has started, or the workspace failed or is being removed. */
  async settled(): Promise<void> {
    await this.starting;
  }

  private async startRest(rest: LocalContainer[], holdUntil?: Promise<unknown>): Promise<void> {
    const signal = this.startAbort.signal;
    if (holdUntil) {
      await Promise.race([holdUntil.catch(() => undefined), new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
      if (signal.aborted) return;
    }
    for (const c of rest) {
      const timeoutMs = (c.def.startTimeout ?? DEFAULT_START_TIMEOUT_S) * 1000;
      for (const d of c.def.dependsOn ?? []) {
        const dep = this.containers.find((x) => x.name === d.containerName) as LocalContainer;
        const problem = await this.waitForCondition(dep, d.condition ?? "START", timeoutMs, signal);
        if (signal.aborted) return;
        if (problem) {
          this.failure = `DependencyFailed: ${c.name} waits for ${dep.name} ${d.condition}: ${problem}`;
          return;
        }
      }
      try {
        await this.rt.api.startContainer(c.id as string);
      } catch (err) {
        if (!signal.aborted) this.failure = `CannotStartContainerError: ${c.name}: ${errorText(err)}`;
        return;
      }
    }
  }

  /** undefined when the condition holds; else why it never will. */
  private async waitForCondition(dep: LocalContainer, condition: string, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
    const verdict = (s: ContainerStatus): string | null | undefined => {
      const exited = s.exitCode !== undefined;
      switch (condition) {
        case "START": return s.started ? null : undefined;
        case "COMPLETE": return exited ? null : undefined;
        case "SUCCESS": return exited ? (s.exitCode === 0 ? null : `exited ${s.exitCode}`) : undefined;
        case "HEALTHY":
          if (s.health === "healthy") return null;
          if (s.health === "unhealthy") return "it is UNHEALTHY";
          return exited ? `it exited ${s.exitCode}${s.oomKilled ? " (OOM)" : ""} before it was HEALTHY` : undefined;
        default: return `condition ${condition} is not supported locally`;
      }
    };
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    const result = this.rt.events
      ? await this.rt.events.waitFor(dep.id as string, verdict, both)
      : await this.pollCondition(dep.id as string, verdict, both);
    if (result === undefined) return signal.aborted ? "removed" : `not ${condition} within ${timeoutMs / 1000} s (startTimeout)`;
    return result ?? undefined;
  }

  private async pollCondition<T>(id: string, pick: (s: ContainerStatus) => T | undefined, signal: AbortSignal): Promise<T | undefined> {
    while (!signal.aborted) {
      const c = await this.rt.api.inspectContainer(id);
      const picked = pick(statusOf(c));
      if (picked !== undefined) return picked;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return undefined;
  }

  /** Every container's state (undefined: not created or already gone). */
  async inspect(): Promise<WorkspaceContainers> {
    const out = new Map<string, ContainerInspect | undefined>();
    for (const c of this.containers) {
      if (!c.id) {
        out.set(c.name, undefined);
        continue;
      }
      try {
        out.set(c.name, await this.rt.api.inspectContainer(c.id));
      } catch (err) {
        if (err instanceof DockerApiError && err.status === 404) out.set(c.name, undefined);
        else throw err;
      }
    }
    return out;
  }

  /** Memory the workspace's running containers use now (as `docker stats` counts it), in bytes. */
  async memoryBytes(): Promise<number> {
    let total = 0;
    for (const c of this.containers) if (c.id) total += memoryInUse(await this.rt.api.memory(c.id)) ?? 0;
    return total;
  }

  /** Stops the start sequence and removes every container and volume of the workspace (also half-created ones). */
  async remove(): Promise<{ containers: number; volumes: number }> {
    this.startAbort.abort();
    await this.starting;
    let containers = 0;
    let volumes = 0;
    for (const c of [...this.containers].reverse()) {
      // Removal by name also catches a container whose create answer was lost.
      if (await this.rt.api.removeContainer(c.id ?? c.dockerName)) containers++;
    }
    for (const v of this.volumes) if (await this.rt.api.removeVolume(v.dockerName)) volumes++;
    return { containers, volumes };
  }
}

function statusOf(c: ContainerInspect): ContainerStatus {
  const started = !!c.State.StartedAt && !c.State.StartedAt.startsWith("0001");
  const health = c.State.Health?.Status;
  return {
    started,
    health: health === "healthy" || health === "unhealthy" || health === "starting" ? health : undefined,
    ...(started && !c.State.Running && ["exited", "dead"].includes(c.State.Status) ? { exitCode: c.State.ExitCode, oomKilled: c.State.OOMKilled } : {}),
  };
}

function errorText(err: unknown): string {
  return err instanceof DockerApiError ? err.engineMessage : err instanceof Error ? err.message : String(err);
}
