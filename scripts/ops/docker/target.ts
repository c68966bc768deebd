// The local Docker engine as a WorkspaceTarget: launching one workspace creates its volume and
// containers and starts the first (the credential proxy); the rest follows as the task's
// dependencies allow, in the background, as the ECS agent does after RunTask. describe() reads
// the containers' state into the observations the drill already understands (ECS task states,
// health per container), with the engine's own timestamps: start from the launch call, RUNNING
// when every container has started, ready when the last health check first passed.
import { type ContainerInspect, DockerApiError, dockerTime } from "./runtime/api";
import { type LocalWorkspace, WORKSPACE_LABEL, type WorkspaceContainers } from "./runtime/localWorkspace";
import type { Clock } from "../clock";
import { mapLimit } from "../concurrency";
import { AbortedError, errorMessage, errorName } from "../errors";
import type { ContainerHealth, HostInfo, LaunchFailure, LaunchOptions, LaunchResult, StopOutcome, TaskObservation, WorkspaceTarget } from "../load/target";
import { type LocalRun, runLabel } from "./run";

/** Docker keeps the last five health check results. */
const HEALTH_LOG_LENGTH = 5;

/** When the container's health check first passed after it started, if the log still shows it. */
export function firstHealthyAt(c: ContainerInspect): number | undefined {
  if (c.State.Health?.Status !== "healthy") return undefined;
  const started = dockerTime(c.State.StartedAt) ?? 0;
  const log = (c.State.Health.Log ?? []).filter((e) => (dockerTime(e.Start) ?? 0) >= started);
  const first = log.findIndex((e) => e.ExitCode === 0);
  // With a full log whose oldest entry passed, an earlier pass may have rolled off: unknown.
  if (first < 0 || (first === 0 && log.length >= HEALTH_LOG_LENGTH)) return undefined;
  return dockerTime(log[first].End);
}

function health(c: ContainerInspect | undefined): ContainerHealth {
  const status = c?.State.Health?.Status;
  return status === "healthy" ? "HEALTHY" : status === "unhealthy" ? "UNHEALTHY" : "UNKNOWN";
}

/** A workspace's containers as an ECS-style task observation. */
export function observeWorkspace(ws: LocalWorkspace, containers: WorkspaceContainers, requestedAt: number, host: string): TaskObservation {
  const base = { id: ws.id, createdAt: requestedAt, host, health: Object.fromEntries([...containers].map(([name, c]) => [name, health(c)])) };
  if (ws.failure) return { ...base, lastStatus: "STOPPED", desiredStatus: "STOPPED", stopReason: ws.failure };
  const states = [...containers.values()];
  if (states.every((c) => c === undefined)) return { ...base, lastStatus: "MISSING", stopReason: "MISSING: the workspace's containers are gone" };
  for (const c of ws.containers) {
    const state = containers.get(c.name)?.State;
    const exited = state && !state.Running && ["exited", "dead"].includes(state.Status);
    if (c.def.essential !== false && (exited || (state === undefined && c.id))) {
      const how = state ? `exited ${state.ExitCode}${state.OOMKilled ? " (OOMKilled)" : ""}${state.Error ? `: ${state.Error}` : ""}` : "is gone";
      return { ...base, lastStatus: "STOPPED", desiredStatus: "STOPPED", stopReason: `EssentialContainerExited: ${c.name} ${how}` };
    }
  }
  if (!states.every((c) => c?.State.Running)) return { ...base, lastStatus: "PENDING" };
  const startedAt = Math.max(...states.map((c) => dockerTime(c?.State.StartedAt) ?? 0));
  const checked = ws.healthChecked.map((name) => containers.get(name) as ContainerInspect);
  const healthyAt = checked.map(firstHealthyAt);
  const readyAt = checked.length > 0 && healthyAt.every((t) => t !== undefined) ? Math.max(...(healthyAt as number[])) : undefined;
  return { ...base, lastStatus: "RUNNING", startedAt, ...(readyAt !== undefined ? { readyAt } : {}) };
}

export class DockerWorkspaceTarget implements WorkspaceTarget {
  readonly kind = "docker";
  readonly describeBatchSize = 100;
  /** One workspace per launch: --concurrency is the number of workspaces being created at once. */
  readonly launchBatchSize = 1;
  private readonly workspaces = new Map<string, { ws: LocalWorkspace; requestedAt: number }>();

  constructor(
    private readonly run: LocalRun,
    private readonly clock: Clock,
    private readonly engineName: string,
  ) {}

  async healthCheckedContainers(): Promise<string[]> {
    return this.run.workspace().healthChecked;
  }

  workspace(id: string): LocalWorkspace | undefined {
    return this.workspaces.get(id)?.ws;
  }

  async launch(count: number, _runId: string, options: LaunchOptions = {}): Promise<LaunchResult> {
    if (options.signal?.aborted) throw new AbortedError();
    const requestedAt = this.clock.now();
    const tasks: TaskObservation[] = [];
    const failures: LaunchFailure[] = [];
    for (let i = 0; i < count; i++) {
      const ws = this.run.workspace(options.containerOverrides);
      // Known before anything exists, so a stop after a signal finds it.
      this.workspaces.set(ws.id, { ws, requestedAt });
      try {
        await ws.create();
        await ws.start();
        tasks.push({ id: ws.id, lastStatus: "PENDING", createdAt: requestedAt, health: {}, host: this.engineName });
      } catch (err) {
        failures.push({ reason: launchReason(err), detail: errorMessage(err) });
        await ws.remove().catch(() => undefined);
        this.workspaces.delete(ws.id);
      }
    }
    return { requested: count, requestedAt, tasks, failures };
  }

  async describe(ids: readonly string[]): Promise<TaskObservation[]> {
    return mapLimit(ids, 8, async (id) => {
      const known = this.workspaces.get(id);
      if (!known) return { id, lastStatus: "MISSING", health: {}, stopReason: "MISSING: not a workspace of this run" };
      return observeWorkspace(known.ws, await known.ws.inspect(), known.requestedAt, this.engineName);
    });
  }

  async stop(id: string): Promise<StopOutcome> {
    const known = this.workspaces.get(id);
    if (known) {
      const removed = await known.ws.remove();
      return removed.containers + removed.volumes > 0 ? "stopped" : "gone";
    }
    // A workspace found by its label only (its launch answer was lost): remove by label.
    const label = [`${WORKSPACE_LABEL}=${id}`];
    const [containers, volumes] = await Promise.all([this.run.api.listContainers({ label }), this.run.api.listVolumes({ label })]);
    for (const c of containers) await this.run.api.removeContainer(c.Id);
    for (const v of volumes) await this.run.api.removeVolume(v.Name);
    return containers.length + volumes.length > 0 ? "stopped" : "gone";
  }

  async listRunTasks(runId: string): Promise<string[]> {
    const label = [runLabel(runId)];
    const [containers, volumes] = await Promise.all([this.run.api.listContainers({ label }), this.run.api.listVolumes({ label })]);
    const ids = [...containers.map((c) => c.Labels[WORKSPACE_LABEL]), ...volumes.map((v) => v.Labels?.[WORKSPACE_LABEL])];
    return [...new Set(ids.filter((id): id is string => !!id))];
  }

  async hosts(): Promise<HostInfo[]> {
    return [{ id: this.engineName }];
  }

  /** Memory each workspace uses now, in bytes (undefined where it could not be read). */
  async memory(ids: readonly string[]): Promise<Map<string, number | undefined>> {
    const sizes = await mapLimit(ids, 8, async (id) => {
      try {
        return await this.workspaces.get(id)?.ws.memoryBytes();
      } catch {
        return undefined;
      }
    });
    return new Map(ids.map((id, i) => [id, sizes[i]]));
  }
}

/** ECS-like reasons for a workspace the engine would not create or start. */
function launchReason(err: unknown): string {
  if (err instanceof DockerApiError) {
    if (err.status === 404 && /image/i.test(err.engineMessage)) return "CannotPullContainerError";
    if (/memory/i.test(err.engineMessage)) return "RESOURCE:MEMORY";
    return `CannotStartContainerError (HTTP ${err.status})`;
  }
  return errorName(err);
}
