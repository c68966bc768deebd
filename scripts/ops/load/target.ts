// Where the load drill launches workspaces. The drill (launcher, tracker, stopper, density) only
// sees this interface and normalized observations; ecsTarget.ts is the ECS implementation and
// docker/target.ts the local Docker engine's (`--target docker`).
import type { ContainerOverride } from "@aws-sdk/client-ecs";
import type { WorkspaceResume } from "../../../lib/launchContract";

export type ContainerHealth = "HEALTHY" | "UNHEALTHY" | "UNKNOWN";

/** One task as the target last saw it. Times are epoch milliseconds on the target's clock. */
export interface TaskObservation {
  readonly id: string;
  /** ECS lifecycle: PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED; or MISSING. */
  readonly lastStatus: string;
  readonly desiredStatus?: string;
  readonly createdAt?: number;
  readonly startedAt?: number;
  /** Health per container name, for the containers the target reports. */
  readonly health: Readonly<Record<string, ContainerHealth>>;
  /** Why it stopped: stop code, reason and the first container's reason. */
  readonly stopReason?: string;
  /** Host it was placed on (container instance ARN). */
  readonly host?: string;
  /** When the target itself says the task became ready (a local engine's health check log); ECS does not say. */
  readonly readyAt?: number;
  /** The workspace volume attached at launch, as the task's attachment details say. */
  readonly volume?: VolumeObservation;
}

export interface VolumeObservation {
  /** Attachment status: PRECREATED, CREATED, ATTACHING, ATTACHED, DETACHING, DETACHED, DELETED, FAILED. */
  readonly status: string;
  readonly volumeId?: string;
}

/** A run's volume as its store saw it: which task it was made for and when EC2 attached it. */
export interface RunVolume {
  readonly volumeId: string;
  readonly taskId?: string;
  readonly state: string;
  /** EC2's attach time (epoch ms), while attached. */
  readonly attachTime?: number;
}

export interface RunVolumeCleanup {
  readonly found: number;
  readonly deleted: number;
  readonly alreadyGone: number;
  readonly failed: readonly { readonly id: string; readonly error: string }[];
  /** Volumes that did not detach in time (still there). */
  readonly leftBehind: readonly { readonly id: string; readonly state: string }[];
}

export interface LaunchFailure {
  /** e.g. RESOURCE:MEMORY, RESOURCE:ENI, AGENT, or an API error name. */
  readonly reason: string;
  readonly detail?: string;
}

export interface LaunchResult {
  readonly requested: number;
  /** When the launch call was really sent (after any wait for a rate-limit token). */
  readonly requestedAt: number;
  readonly tasks: readonly TaskObservation[];
  readonly failures: readonly LaunchFailure[];
}

export interface LaunchOptions {
  /** Container overrides (the security probe's command and environment). */
  readonly containerOverrides?: readonly ContainerOverride[];
  /** Abort while waiting for a launch token: the call is then not made. */
  readonly signal?: AbortSignal;
  /** Start from a snapshot of an earlier workspace volume (the restore drill). */
  readonly resume?: WorkspaceResume;
  /** The workspace id to tag the volume with (default: one per launch call, from the run id). */
  readonly workspaceId?: string;
}

export interface HostInfo {
  readonly id: string;
  readonly instanceId?: string;
  readonly instanceType?: string;
  readonly availabilityZone?: string;
  /** Every task running on the host, the drill's and others. */
  readonly runningTasks?: number;
}

export type StopOutcome = "stopped" | "gone";

export interface WorkspaceTarget {
  readonly kind: string;
  /** Largest batch describe() accepts. */
  readonly describeBatchSize: number;
  /** Largest count launch() accepts. */
  readonly launchBatchSize: number;
  /** Containers that have a health check: a task is ready when every one is HEALTHY. */
  healthCheckedContainers(): Promise<string[]>;
  launch(count: number, runId: string, options?: LaunchOptions): Promise<LaunchResult>;
  describe(ids: readonly string[]): Promise<TaskObservation[]>;
  stop(id: string, reason: string): Promise<StopOutcome>;
  /** Tasks of a run that are still running or starting (for cleanup after a killed run). */
  listRunTasks(runId: string): Promise<string[]>;
  hosts(ids: readonly string[]): Promise<HostInfo[]>;
  /**
   * Workspace storage, for targets whose workspaces get a volume of their own: the
   * run's volumes (attach times), and deleting all of them once the run's tasks are stopped.
   */
  runVolumes?(runId: string): Promise<RunVolume[]>;
  deleteRunVolumes?(runId: string): Promise<RunVolumeCleanup>;
}
