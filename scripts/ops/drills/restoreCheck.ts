// What `drill terminate-instance --verify-restore` proves about workspace storage: a dead host's
// workspace volumes are still there, and a workspace started from a snapshot of one of them comes
// up HEALTHY elsewhere. Everything the check makes (the canary workspace that pins a volume to the
// host, the snapshot, the resumed workspace and the volumes) carries the drill's run id and is
// removed by cleanup(), which runDrill calls as the rollback: on success, failure and Ctrl-C.
import type { WorkspaceLaunchTarget } from "../../../lib/launchContract";
import type { OpsContext } from "../context";
import { EcsWorkspaceTarget } from "../load/ecsTarget";
import { TaskTracker } from "../load/tracker";
import { ECS_API_LIMITS, TokenBucket } from "../rateLimiter";
import { drillTags } from "../runId";
import type { WorkspaceSnapshot, WorkspaceVolume } from "../volumes/store";
import type { DrillVerdict } from "./drill";

interface StartedWorkspace {
  readonly taskId: string;
  /** Container instance ARN it runs on. */
  readonly host?: string;
  readonly ready: boolean;
  readonly readyMs?: number;
  readonly failure?: string;
  readonly volumeId?: string;
}

export class RestoreCheck {
  private readonly target: EcsWorkspaceTarget;
  private readonly started: string[] = [];
  readonly rows: DrillVerdict[] = [];
  /** The host's volumes as they were right before it died. */
  hostVolumes: WorkspaceVolume[] = [];
  canary?: StartedWorkspace;
  restored?: StartedWorkspace;
  snapshot?: WorkspaceSnapshot;

  constructor(
    private readonly ctx: OpsContext,
    launch: WorkspaceLaunchTarget,
    private readonly runId: string,
    private readonly timeoutSeconds: number,
  ) {
    this.target = new EcsWorkspaceTarget({
      ecs: ctx.aws.ecs,
      api: ctx.api,
      cluster: launch.cluster,
      launch,
      volumes: ctx.volumes(),
      volumeTimeoutSeconds: timeoutSeconds,
      runStopBucket: new TokenBucket(10, 5, ctx.clock),
      describeBucket: new TokenBucket(ECS_API_LIMITS.describe.burst, 5, ctx.clock),
      kind: "term",
    });
  }

  /** Starts one workspace through the launch contract and follows it until HEALTHY, stopped or timed out. */
  async startWorkspace(workspaceId: string, resume?: { snapshot: WorkspaceSnapshot; filesystem?: string }): Promise<StartedWorkspace> {
    const health = await this.target.healthCheckedContainers();
    const launched = await this.target.launch(1, this.runId, {
      workspaceId,
      ...(resume ? { resume: { snapshotId: resume.snapshot.id, snapshotSizeGiB: resume.snapshot.sizeGiB, ...(resume.filesystem === "xfs" || resume.filesystem === "ext4" ? { filesystem: resume.filesystem } : {}) } } : {}),
      signal: this.ctx.signal,
    });
    const task = launched.tasks[0];
    if (!task) return { taskId: "", ready: false, failure: launched.failures.map((f) => `${f.reason}${f.detail ? ` (${f.detail})` : ""}`).join(", ") || "RunTask started nothing" };
    this.started.push(task.id);
    const tracker = new TaskTracker(this.target, this.ctx.clock, { healthContainers: health, startTimeoutMs: this.timeoutSeconds * 1000, pollIntervalMs: 2000 });
    tracker.add(launched.tasks, launched.requestedAt);
    await tracker.run(this.ctx.signal, () => false);
    const t = tracker.task(task.id);
    return {
      taskId: task.id,
      host: t?.host,
      ready: t?.phase === "ready",
      ...(t?.readyMs !== undefined ? { readyMs: t.readyMs } : {}),
      ...(t?.failure ? { failure: t.failure } : {}),
      ...(t?.volumeId ? { volumeId: t.volumeId } : {}),
    };
  }

  /** A canary workspace pins a volume of the run to a host (the drill then terminates that host). */
  async startCanary(): Promise<StartedWorkspace> {
    this.canary = await this.startWorkspace(`${this.runId}-canary`);
    return this.canary;
  }

  async recordHostVolumes(instanceId: string): Promise<WorkspaceVolume[]> {
    this.hostVolumes = await this.ctx.volumes().list({ instanceId });
    return this.hostVolumes;
  }

  private row(name: string, expected: string, observed: string, pass: boolean): boolean {
    this.rows.push({ name, expected, observed, pass });
    return pass;
  }

  /** After the host died and the pool recovered: the volumes, a snapshot of one, a workspace resumed from it. */
  async verify(): Promise<void> {
    const store = this.ctx.volumes();
    const ids = this.hostVolumes.map((v) => v.id);
    const now = ids.length > 0 ? await store.list({ volumeIds: ids }) : [];
    const alive = now.filter((v) => v.state !== "deleting" && v.state !== "deleted");
    const lost = ids.filter((id) => !alive.some((v) => v.id === id));
    this.row("workspace volumes survived the host", `${ids.length} of ${ids.length} exist`, `${alive.length} of ${ids.length} exist${lost.length ? `; lost: ${lost.join(", ")}` : ""}`, ids.length > 0 && lost.length === 0);

    // The canary's volume when there is one (the drill's own); else one of the host's.
    const pick = alive.find((v) => v.id === this.canary?.volumeId) ?? alive[0];
    if (!pick) return void this.row("workspace resumed from a snapshot is HEALTHY", "HEALTHY", "not attempted: no volume left to snapshot", false);
    const detached = await store.waitAvailable([pick.id], this.timeoutSeconds, this.ctx.signal);
    const state = detached.available[0]?.state ?? detached.notAvailable[0]?.state ?? "gone";
    if (!this.row(`${pick.id} detached from the dead host`, "available", state, state === "available")) return;

    this.snapshot = await store.snapshot(pick, `ops drill terminate-instance ${this.runId}: restore check`, drillTags(this.runId, "term"));
    const [snap] = await store.waitSnapshots([this.snapshot.id], this.timeoutSeconds, this.ctx.signal);
    this.snapshot = snap ?? this.snapshot;
    if (!this.row(`snapshot ${this.snapshot.id} of ${pick.id}`, "completed", this.snapshot.state, this.snapshot.state === "completed") || this.ctx.signal.aborted) return;

    this.restored = await this.startWorkspace(`${this.runId}-restored`, { snapshot: this.snapshot, filesystem: this.snapshot.filesystem ?? pick.filesystem });
    this.row("workspace resumed from the snapshot is HEALTHY", "HEALTHY", this.restored.ready
      ? `HEALTHY ${((this.restored.readyMs ?? 0) / 1000).toFixed(1)} s after RunTask, on a new volume ${this.restored.volumeId ?? "?"}`
      : this.restored.failure ?? "not ready", this.restored.ready);
  }

  /** Stops the workspaces it started and deletes the run's volumes and snapshots (never anyone else's). */
  async cleanup(): Promise<string[]> {
    const done: string[] = [];
    for (const id of this.started) {
      const outcome = await this.target.stop(id, `ops drill terminate-instance ${this.runId}: restore check finished`);
      done.push(`${outcome} workspace ${id.split("/").pop()}`);
    }
    const volumes = await this.target.deleteRunVolumes(this.runId);
    const store = this.ctx.volumes();
    const snapshots = await store.listSnapshots({ runId: this.runId });
    const pending = snapshots.filter((s) => s.state === "pending").map((s) => s.id);
    if (pending.length > 0) await store.waitSnapshots(pending, this.timeoutSeconds);
    for (const s of snapshots) await store.deleteSnapshot(s.id);
    const left = [...volumes.leftBehind.map((v) => `${v.id} (${v.state})`), ...volumes.failed.map((f) => `${f.id} (${f.error})`)];
    if (left.length > 0) throw new Error(`volumes of run ${this.runId} left: ${left.join(", ")}`);
    if (volumes.found > 0 || snapshots.length > 0) done.push(`deleted ${volumes.deleted + volumes.alreadyGone} drill volumes and ${snapshots.length} snapshots`);
    return done;
  }

  details(): Record<string, unknown> {
    return { hostVolumes: this.hostVolumes.map((v) => ({ id: v.id, workspaceId: v.workspaceId, runId: v.runId })), canary: this.canary, snapshot: this.snapshot, restored: this.restored };
  }
}
