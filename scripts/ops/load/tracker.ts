// Follows every launched task until it is ready (RUNNING and every health-checked container
// HEALTHY), or failed (stopped, UNHEALTHY, missing, or not ready within the start timeout).
// Only tasks still starting are described, in batches of the target's maximum, so the cost of a
// poll round shrinks as tasks settle (see `npm run bench:ops`).
import type { Clock } from "../clock";
import { chunk } from "../concurrency";
import type { TaskObservation, WorkspaceTarget } from "./target";

type TaskPhase = "starting" | "ready" | "failed";

interface TrackedTask {
  readonly id: string;
  /** Local time just before the RunTask call that created it. */
  readonly requestedAt: number;
  phase: TaskPhase;
  lastStatus: string;
  /** Time to RUNNING: ECS's createdAt → startedAt when both are known, else observed. */
  runningMs?: number;
  /** Time to ready: RunTask call → first poll that saw it ready (resolution: the poll interval), or → readyAt where the target knows it. */
  readyMs?: number;
  failure?: string;
  host?: string;
  /** Set when a task that was ready stopped later (seen by a sweep during --hold). */
  stoppedAfterReady?: string;
  /** ECS's createdAt (epoch ms). */
  createdAt?: number;
  /** Its workspace volume: the id, and RunTask call → first poll that saw it ATTACHED. */
  volumeId?: string;
  volumeAttachedMs?: number;
}

interface TrackerOptions {
  /** Containers with a health check; empty → ready at RUNNING. */
  readonly healthContainers: readonly string[];
  readonly startTimeoutMs: number;
  readonly pollIntervalMs: number;
}

export interface TrackerResults {
  readonly tracked: number;
  readonly ready: number;
  readonly failed: number;
  readonly starting: number;
  readonly runningMs: number[];
  readonly readyMs: number[];
  /** RunTask call → the task's volume attachment first seen ATTACHED. */
  readonly volumeAttachedMs: number[];
  /** Failures after launch, by normalized reason. */
  readonly failuresByReason: Record<string, number>;
  readonly stoppedAfterReady: Record<string, number>;
  readonly pollRounds: number;
}

/** Reasons carry task-specific ids and addresses; strip them so equal causes group together. */
export function normalizeReason(reason: string): string {
  return reason
    .replace(/arn:aws[\w-]*:[^\s,;)]+/g, "<arn>")
    .replace(/\b[0-9a-f]{32}\b/g, "<id>")
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, "<ip>")
    .replace(/\bi-[0-9a-f]{8,17}\b/g, "<instance>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 160);
}

export class TaskTracker {
  private readonly tasks = new Map<string, TrackedTask>();
  /** The tasks still starting, so that a poll round costs what is left, not what was launched. */
  private readonly starting = new Set<TrackedTask>();
  private rounds = 0;

  constructor(
    private readonly target: WorkspaceTarget,
    private readonly clock: Clock,
    private readonly options: TrackerOptions,
  ) {}

  /** Registers tasks RunTask returned (call this before anything else can fail). */
  add(observations: readonly TaskObservation[], requestedAt: number): void {
    for (const obs of observations) {
      if (!obs.id || this.tasks.has(obs.id)) continue;
      const task: TrackedTask = { id: obs.id, requestedAt, phase: "starting", lastStatus: obs.lastStatus };
      this.tasks.set(obs.id, task);
      this.starting.add(task);
      this.apply(task, obs, this.clock.now());
    }
  }

  get ids(): string[] {
    return [...this.tasks.keys()];
  }

  get startingCount(): number {
    return this.starting.size;
  }

  task(id: string): TrackedTask | undefined {
    return this.tasks.get(id);
  }

  all(): TrackedTask[] {
    return [...this.tasks.values()];
  }

  /** Polls until nothing is starting and `launching()` is false, or the signal aborts. */
  async run(signal: AbortSignal, launching: () => boolean, onRound?: () => void): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      if (this.startingCount > 0) await this.pollStarting(signal);
      onRound?.();
      if (!launching() && this.startingCount === 0) return;
      await this.clock.sleep(this.options.pollIntervalMs, signal);
    }
  }

  /** One round over the tasks still starting. */
  async pollStarting(signal?: AbortSignal): Promise<void> {
    this.rounds++;
    const starting = [...this.starting].map((t) => t.id);
    for (const batch of chunk(starting, this.target.describeBatchSize)) {
      if (signal?.aborted) return;
      const observations = await this.target.describe(batch);
      const now = this.clock.now();
      for (const obs of observations) {
        const task = this.tasks.get(obs.id);
        if (task) this.apply(task, obs, now);
      }
    }
    const now = this.clock.now();
    for (const task of this.starting) {
      if (now - task.requestedAt > this.options.startTimeoutMs) {
        this.fail(task, `TIMEOUT: not ready after ${Math.round(this.options.startTimeoutMs / 1000)} s (last ${task.lastStatus})`);
      }
    }
  }

  /** Describes the ready tasks and notes any that stopped (used while holding). */
  async sweepReady(signal?: AbortSignal): Promise<number> {
    const ready = this.all().filter((t) => t.phase === "ready" && !t.stoppedAfterReady).map((t) => t.id);
    let stopped = 0;
    for (const batch of chunk(ready, this.target.describeBatchSize)) {
      if (signal?.aborted) break;
      for (const obs of await this.target.describe(batch)) {
        const task = this.tasks.get(obs.id);
        if (task && (obs.lastStatus === "STOPPED" || obs.lastStatus === "MISSING" || obs.desiredStatus === "STOPPED")) {
          task.stoppedAfterReady = normalizeReason(obs.stopReason ?? obs.lastStatus);
          stopped++;
        }
      }
    }
    return stopped;
  }

  results(): TrackerResults {
    const all = this.all();
    const failuresByReason: Record<string, number> = {};
    const stoppedAfterReady: Record<string, number> = {};
    for (const t of all) {
      if (t.failure) failuresByReason[t.failure] = (failuresByReason[t.failure] ?? 0) + 1;
      if (t.stoppedAfterReady) stoppedAfterReady[t.stoppedAfterReady] = (stoppedAfterReady[t.stoppedAfterReady] ?? 0) + 1;
    }
    return {
      tracked: all.length,
      ready: all.filter((t) => t.phase === "ready").length,
      failed: all.filter((t) => t.phase === "failed").length,
      starting: all.filter((t) => t.phase === "starting").length,
      runningMs: all.flatMap((t) => (t.runningMs === undefined ? [] : [t.runningMs])),
      readyMs: all.flatMap((t) => (t.readyMs === undefined ? [] : [t.readyMs])),
      volumeAttachedMs: all.flatMap((t) => (t.volumeAttachedMs === undefined ? [] : [t.volumeAttachedMs])),
      failuresByReason,
      stoppedAfterReady,
      pollRounds: this.rounds,
    };
  }

  private apply(task: TrackedTask, obs: TaskObservation, observedAt: number): void {
    if (task.phase !== "starting") return;
    task.lastStatus = obs.lastStatus;
    if (obs.host) task.host = obs.host;
    if (obs.createdAt !== undefined) task.createdAt = obs.createdAt;
    if (obs.volume?.volumeId) task.volumeId = obs.volume.volumeId;
    // The volume is attached before the containers start: from the task's attachment details.
    if (task.volumeAttachedMs === undefined && obs.volume?.status === "ATTACHED") task.volumeAttachedMs = observedAt - task.requestedAt;
    if (obs.lastStatus === "MISSING") return this.fail(task, "MISSING: ECS does not know the task");
    const stopping = obs.lastStatus === "STOPPED" || obs.desiredStatus === "STOPPED" || obs.lastStatus === "DEACTIVATING"
      || obs.lastStatus === "STOPPING" || obs.lastStatus === "DEPROVISIONING";
    if (stopping) return this.fail(task, normalizeReason(obs.stopReason ?? `stopped (${obs.lastStatus})`));
    if (obs.lastStatus !== "RUNNING") return;
    if (task.runningMs === undefined) {
      task.runningMs = obs.createdAt !== undefined && obs.startedAt !== undefined
        ? Math.max(0, obs.startedAt - obs.createdAt)
        : observedAt - task.requestedAt;
    }
    const unhealthy = this.options.healthContainers.filter((c) => obs.health[c] === "UNHEALTHY");
    if (unhealthy.length > 0) return this.fail(task, `UNHEALTHY: ${unhealthy.join(", ")}`);
    if (this.options.healthContainers.every((c) => obs.health[c] === "HEALTHY")) {
      task.phase = "ready";
      this.starting.delete(task);
      if (this.options.healthContainers.length > 0) task.readyMs = (obs.readyAt ?? observedAt) - task.requestedAt;
    }
  }

  private fail(task: TrackedTask, reason: string): void {
    task.phase = "failed";
    this.starting.delete(task);
    task.failure = reason;
  }
}
