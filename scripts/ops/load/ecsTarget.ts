// The ECS implementation of WorkspaceTarget: RunTask exactly as the backend sends it
// (workspaceRunTaskRequest, each task with its own EBS volume), DescribeTasks in batches of 100,
// StopTask, ListTasks by startedBy, DescribeContainerInstances; RunTask and StopTask draw from one
// bucket, Describe/List from another. The run's volumes are found and deleted through the stack's
// VolumeStore (EC2) by their drill-run tag.
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  paginateListTasks,
} from "@aws-sdk/client-ecs";
import { type WorkspaceLaunchTarget, MAX_TASKS_PER_RUNTASK, workspaceRunTaskRequest } from "../../../lib/launchContract";
import type { VolumeStore } from "../volumes/store";
import type { ApiCaller } from "../api";
import { chunk } from "../concurrency";
import { errorName } from "../errors";
import type { TokenBucket } from "../rateLimiter";
import { drillTags, startedByFor } from "../runId";
import type { ContainerHealth, HostInfo, LaunchOptions, LaunchResult, RunVolume, RunVolumeCleanup, StopOutcome, TaskObservation, VolumeObservation, WorkspaceTarget } from "./target";

export const MAX_DESCRIBE_TASKS = 100;
const MAX_DESCRIBE_CONTAINER_INSTANCES = 100;

interface EcsTargetOptions {
  readonly ecs: ECSClient;
  readonly api: ApiCaller;
  readonly cluster: string;
  /** What launch() starts; a target without it only describes, stops and lists (cleanup). */
  readonly launch?: WorkspaceLaunchTarget;
  /** The stack's workspace volumes: the run's are listed and deleted through it. */
  readonly volumes?: VolumeStore;
  /** How long deleteRunVolumes waits for the run's volumes to detach after their tasks stopped. */
  readonly volumeTimeoutSeconds?: number;
  readonly runStopBucket: TokenBucket;
  readonly describeBucket: TokenBucket;
  /** Drill kind for the tags ("load", "security"). */
  readonly kind: string;
}

const time = (d: Date | undefined) => (d ? d.getTime() : undefined);

/** ECS's attachment type for a volume it created and attached at launch. */
const EBS_ATTACHMENT = "AmazonElasticBlockStorage";

function observeVolume(task: Task): VolumeObservation | undefined {
  const attachment = (task.attachments ?? []).find((a) => a.type === EBS_ATTACHMENT);
  if (!attachment) return undefined;
  const volumeId = attachment.details?.find((d) => d.name === "volumeId")?.value;
  return { status: attachment.status ?? "UNKNOWN", ...(volumeId ? { volumeId } : {}) };
}

function observeTask(task: Task): TaskObservation {
  const health: Record<string, ContainerHealth> = {};
  for (const c of task.containers ?? []) if (c.name) health[c.name] = (c.healthStatus as ContainerHealth | undefined) ?? "UNKNOWN";
  const containerReason = (task.containers ?? []).map((c) => c.reason).find((r) => r);
  const stopReason = task.lastStatus === "STOPPED" || task.desiredStatus === "STOPPED"
    ? [task.stopCode, task.stoppedReason, containerReason].filter(Boolean).join(": ") || undefined
    : undefined;
  return {
    id: task.taskArn ?? "",
    lastStatus: task.lastStatus ?? "UNKNOWN",
    desiredStatus: task.desiredStatus,
    createdAt: time(task.createdAt),
    startedAt: time(task.startedAt),
    health,
    stopReason,
    host: task.containerInstanceArn,
    ...(observeVolume(task) ? { volume: observeVolume(task) } : {}),
  };
}

export class EcsWorkspaceTarget implements WorkspaceTarget {
  readonly kind = "ecs";
  readonly describeBatchSize = MAX_DESCRIBE_TASKS;
  readonly launchBatchSize = MAX_TASKS_PER_RUNTASK;

  private launches = 0;

  constructor(private readonly o: EcsTargetOptions) {}

  private get launchTarget(): WorkspaceLaunchTarget {
    if (!this.o.launch) throw new Error("this ECS target was made to stop and list tasks only: it has no launch target");
    return this.o.launch;
  }

  async healthCheckedContainers(): Promise<string[]> {
    const { taskDefinition } = await this.o.api.call("DescribeTaskDefinition", () =>
      this.o.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: this.launchTarget.taskDefinition })));
    return (taskDefinition?.containerDefinitions ?? []).filter((c) => c.healthCheck?.command?.length).map((c) => c.name ?? "");
  }

  async launch(count: number, runId: string, options: LaunchOptions = {}): Promise<LaunchResult> {
    const request = workspaceRunTaskRequest(this.launchTarget, {
      count,
      // One workspace id per call: its (up to 10) volumes share it; their task ARNs tell them apart.
      workspaceId: options.workspaceId ?? `${runId}-${++this.launches}`,
      startedBy: startedByFor(runId),
      tags: drillTags(runId, this.o.kind),
      // The volumes carry the run id too: deleteRunVolumes and `ops cleanup --run-id` find them by it.
      volumeTags: drillTags(runId, this.o.kind),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.containerOverrides ? { overrides: { containerOverrides: [...options.containerOverrides] } } : {}),
    });
    let requestedAt = this.o.api.clock.now();
    const response = await this.o.api.call("RunTask", () => {
      // Start times count from the call itself, not from the wait for a launch token.
      requestedAt = this.o.api.clock.now();
      return this.o.ecs.send(new RunTaskCommand(request));
    }, { bucket: this.o.runStopBucket, signal: options.signal });
    return {
      requested: count,
      requestedAt,
      tasks: (response.tasks ?? []).map(observeTask),
      failures: (response.failures ?? []).map((f) => ({ reason: f.reason ?? "UNKNOWN", detail: f.detail ?? f.arn })),
    };
  }

  async describe(ids: readonly string[]): Promise<TaskObservation[]> {
    if (ids.length > MAX_DESCRIBE_TASKS) throw new RangeError(`DescribeTasks takes at most ${MAX_DESCRIBE_TASKS} tasks, got ${ids.length}`);
    const response = await this.o.api.call("DescribeTasks", () =>
      this.o.ecs.send(new DescribeTasksCommand({ cluster: this.o.cluster, tasks: [...ids] })), { bucket: this.o.describeBucket });
    const seen = (response.tasks ?? []).map(observeTask);
    // A task ECS no longer knows (long stopped, or never created) comes back in failures[] as MISSING.
    const missing = (response.failures ?? []).filter((f) => f.arn).map((f): TaskObservation => ({
      id: f.arn ?? "", lastStatus: "MISSING", health: {}, stopReason: f.reason ?? "MISSING",
    }));
    return [...seen, ...missing];
  }

  async stop(id: string, reason: string): Promise<StopOutcome> {
    try {
      await this.o.api.call("StopTask", () => this.o.ecs.send(new StopTaskCommand({ cluster: this.o.cluster, task: id, reason })), {
        bucket: this.o.runStopBucket,
      });
      return "stopped";
    } catch (err) {
      // StopTask on a task ECS has already forgotten: nothing is left to stop.
      if (errorName(err) === "InvalidParameterException" && /not found|does not exist/i.test(String((err as Error).message))) return "gone";
      throw err;
    }
  }

  async listRunTasks(runId: string): Promise<string[]> {
    const arns: string[] = [];
    // ListTasks filters on startedBy; desiredStatus RUNNING (the default) includes tasks still starting.
    const pages = paginateListTasks({ client: this.o.ecs }, { cluster: this.o.cluster, startedBy: startedByFor(runId) });
    for await (const page of this.o.api.pages("ListTasks", pages, { bucket: this.o.describeBucket })) arns.push(...(page.taskArns ?? []));
    return arns;
  }

  async runVolumes(runId: string): Promise<RunVolume[]> {
    if (!this.o.volumes) return [];
    return (await this.o.volumes.list({ runId })).map((v) => ({
      volumeId: v.id,
      ...(v.taskArn ? { taskId: v.taskArn } : {}),
      state: v.state,
      ...(v.attachTime !== undefined ? { attachTime: v.attachTime } : {}),
    }));
  }

  async deleteRunVolumes(runId: string): Promise<RunVolumeCleanup> {
    if (!this.o.volumes) return { found: 0, deleted: 0, alreadyGone: 0, failed: [], leftBehind: [] };
    const c = await this.o.volumes.cleanupRun({ runId }, this.o.volumeTimeoutSeconds ?? 600);
    return { found: c.found, deleted: c.deleted.length, alreadyGone: c.alreadyGone.length, failed: c.failed, leftBehind: c.leftBehind };
  }

  async hosts(ids: readonly string[]): Promise<HostInfo[]> {
    const out: HostInfo[] = [];
    for (const batch of chunk([...new Set(ids)], MAX_DESCRIBE_CONTAINER_INSTANCES)) {
      const response = await this.o.api.call("DescribeContainerInstances", () =>
        this.o.ecs.send(new DescribeContainerInstancesCommand({ cluster: this.o.cluster, containerInstances: batch })));
      for (const ci of response.containerInstances ?? []) {
        const attr = (name: string) => ci.attributes?.find((a) => a.name === name)?.value;
        out.push({
          id: ci.containerInstanceArn ?? "",
          instanceId: ci.ec2InstanceId,
          instanceType: attr("ecs.instance-type"),
          availabilityZone: attr("ecs.availability-zone"),
          runningTasks: ci.runningTasksCount,
        });
      }
    }
    return out;
  }
}
