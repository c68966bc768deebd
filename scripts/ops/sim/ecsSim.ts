// A simulated ECS control plane for the workspace drill: tasks move through PROVISIONING →
// PENDING → RUNNING → HEALTHY on a script, per task, against a Clock; RunTask can place fewer
// tasks than asked (with failures[] as ECS gives them); StopTask stops; ListTasks filters by
// startedBy. The tests drive the real CLI through it (via aws-sdk-client-mock) and the benchmark
// measures the tracker against it. Not used against AWS.
import type {
  DescribeContainerInstancesCommandInput,
  DescribeContainerInstancesCommandOutput,
  DescribeTaskDefinitionCommandOutput,
  DescribeTasksCommandInput,
  DescribeTasksCommandOutput,
  ListContainerInstancesCommandInput,
  ListContainerInstancesCommandOutput,
  ListTasksCommandInput,
  ListTasksCommandOutput,
  RunTaskCommandInput,
  RunTaskCommandOutput,
  StopTaskCommandInput,
  StopTaskCommandOutput,
  Task,
} from "@aws-sdk/client-ecs";
import type { Clock } from "../clock";
import type { Ec2Sim, SimVolume } from "./ec2Sim";

export interface TaskScript {
  /** Milliseconds after creation when the task leaves PROVISIONING / becomes RUNNING / HEALTHY. */
  readonly pendingAfter: number;
  readonly runningAfter: number;
  readonly healthyAfter?: number;
  /** The task stops by itself at this time with this reason (e.g. a failed image pull). */
  readonly stopsAfter?: number;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  /** The health check fails instead of passing. */
  readonly unhealthy?: boolean;
  /** Milliseconds after creation when its volume is attached (default: when it leaves PROVISIONING). */
  readonly volumeAttachedAfter?: number;
}

export interface SimOptions {
  readonly clock: Clock;
  /** Progression of the n-th task created (0-based). */
  readonly script: (n: number) => TaskScript;
  /** How many of a RunTask call's tasks are refused, and why (call index 0-based). */
  readonly refuse?: (call: number, count: number) => { count: number; reason: string } | undefined;
  readonly containerInstances?: number;
  readonly containers?: readonly string[];
  readonly healthChecked?: readonly string[];
  /** Volumes: every task RunTask configures one for gets an EBS volume here. */
  readonly ec2?: Ec2Sim;
  /** DescribeVolumes reads a stopped task's volume stays attached for (ECS detaching it). */
  readonly volumeDetachReads?: number;
  /** The remote-claude.pool attribute of the container instances (default workspace). */
  readonly pool?: string;
  /** The pool of the i-th container instance, when the cluster has both (overrides `pool`). */
  readonly hostPool?: (i: number) => string;
  /** Attributes the i-th container instance's agent registers besides its type, AZ and pool. */
  readonly agentAttributes?: (i: number) => readonly { readonly name: string; readonly value?: string }[];
  readonly agentVersion?: string;
}

interface SimTask {
  readonly arn: string;
  readonly createdAt: number;
  script: TaskScript;
  readonly startedBy?: string;
  readonly tags: { key?: string; value?: string }[];
  readonly host: string;
  stoppedAt?: number;
  stopReason?: string;
  volume?: SimVolume;
  volumeName?: string;
}

const CLUSTER_ARN = "arn:aws:ecs:ap-northeast-1:123456789012:cluster/remote-claude-staging";

export class EcsSim {
  readonly tasks = new Map<string, SimTask>();
  readonly calls: Record<string, number> = {};
  private created = 0;
  private runCalls = 0;
  /** Container instances, in registration order; terminated ones stay listed here but not in ECS. */
  private readonly hostArns: string[];
  private readonly terminated = new Set<string>();

  constructor(private readonly o: SimOptions) {
    this.hostArns = Array.from({ length: o.containerInstances ?? 4 }, (_, i) => this.hostArn(i));
  }

  /** Hosts ECS can place on. */
  liveHosts(): string[] {
    return this.hostArns.filter((h) => !this.terminated.has(h));
  }

  /** The EC2 instance dies: its tasks stop (and their volumes detach); ECS forgets the host. */
  terminateInstance(instanceId: string): void {
    const host = this.hostArns.find((h) => this.instanceIdOf(h) === instanceId);
    if (!host) throw new Error(`no host ${instanceId} in the simulation`);
    this.terminated.add(host);
    for (const t of this.tasks.values()) {
      if (t.host === host && t.stoppedAt === undefined) {
        t.stoppedAt = this.o.clock.now();
        t.stopReason = `Host EC2 (instance ${instanceId}) terminated.`;
      }
    }
  }

  /** A replacement host registers. */
  addHost(): string {
    const arn = this.hostArn(this.hostArns.length);
    this.hostArns.push(arn);
    return arn;
  }

  /** ListContainerInstances, with the one cluster query the ops tool writes: `attribute:remote-claude.pool == X`. */
  listContainerInstances(input: ListContainerInstancesCommandInput = {}): ListContainerInstancesCommandOutput {
    this.count("ListContainerInstances");
    const pool = /attribute:remote-claude\.pool == (\S+)/.exec(input.filter ?? "")?.[1];
    return { containerInstanceArns: this.liveHosts().filter((h) => !pool || this.poolOf(h) === pool), $metadata: {} };
  }

  poolOf(hostArn: string): string {
    const i = Number(hostArn.slice(-4));
    return this.o.hostPool?.(i) ?? this.o.pool ?? "workspace";
  }

  /** Where RunTask places a workspace: the workspace pool's hosts when the cluster has both pools. */
  private placeable(): string[] {
    const live = this.liveHosts();
    const workspace = this.o.hostPool ? live.filter((h) => this.poolOf(h) === "workspace") : live;
    return workspace.length > 0 ? workspace : live;
  }

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  hostArn(i: number): string {
    return `arn:aws:ecs:ap-northeast-1:123456789012:container-instance/remote-claude-staging/ci${String(i).padStart(4, "0")}`;
  }

  /** The EC2 instance behind a container instance of the simulation. */
  instanceIdOf(hostArn: string): string {
    return `i-0sim${String(Number(hostArn.slice(-4))).padStart(12, "0")}`;
  }

  /**
   * The task's volume, as ECS would make it from RunTask's volumeConfigurations: the request's
   * tags plus ECS's own, attached while the task runs, detached once it stopped. A volume from a
   * snapshot that is missing, not completed, or of another filesystem fails the task at start.
   */
  private attachVolume(task: SimTask, input: RunTaskCommandInput): TaskScript {
    const config = input.volumeConfigurations?.[0];
    const ebs = config?.managedEBSVolume;
    const ec2 = this.o.ec2;
    if (!ebs || !ec2) return task.script;
    const tags = Object.fromEntries((ebs.tagSpecifications ?? []).flatMap((t) => t.tags ?? []).map((t) => [t.key ?? "", t.value ?? ""]));
    let script = task.script;
    if (ebs.snapshotId) {
      const snap = ec2.snapshots.get(ebs.snapshotId);
      const problem = !snap || snap.deleted ? "snapshot not found" : snap.pendingReads > 0 || snap.fails ? "snapshot not completed"
        : snap.tags["remote-claude:filesystem"] && snap.tags["remote-claude:filesystem"] !== ebs.filesystemType ? `filesystem ${ebs.filesystemType} does not match the snapshot's ${snap.tags["remote-claude:filesystem"]}` : undefined;
      if (problem) script = { pendingAfter: 100, runningAfter: 10 ** 9, stopsAfter: 2000, stopCode: "TaskFailedToStart", stoppedReason: `EBS volume ${config?.name}: ${problem}` };
    }
    const attachAfter = script.volumeAttachedAfter ?? script.pendingAfter;
    let detachReads = this.o.volumeDetachReads ?? 0;
    task.volumeName = config?.name;
    task.volume = ec2.createVolume({
      sizeGiB: ebs.sizeInGiB ?? 20,
      tags: { ...tags, AmazonECSCreated: task.arn, AmazonECSManaged: "true" },
      ...(ebs.snapshotId ? { snapshotId: ebs.snapshotId } : {}),
      derive: () => {
        const age = this.o.clock.now() - task.createdAt;
        if (this.desired(task) === "STOPPED") {
          if (detachReads > 0) {
            detachReads--;
            return { state: "in-use", instanceId: this.instanceIdOf(task.host), attachTime: task.createdAt + attachAfter };
          }
          return { state: age >= attachAfter ? "available" : "error" };
        }
        return age < attachAfter ? { state: "creating" } : { state: "in-use", instanceId: this.instanceIdOf(task.host), attachTime: task.createdAt + attachAfter };
      },
    });
    return script;
  }

  runTask(input: RunTaskCommandInput): RunTaskCommandOutput {
    this.count("RunTask");
    const call = this.runCalls++;
    const asked = input.count ?? 1;
    const refused = this.o.refuse?.(call, asked);
    const placed = asked - (refused?.count ?? 0);
    const tasks: Task[] = [];
    for (let i = 0; i < placed; i++) {
      const n = this.created++;
      const id = `${n.toString(16).padStart(8, "0")}aaaabbbbccccddddeeeeffff`;
      const task: SimTask = {
        arn: `arn:aws:ecs:ap-northeast-1:123456789012:task/remote-claude-staging/${id}`,
        createdAt: this.o.clock.now(),
        script: this.o.script(n),
        startedBy: input.startedBy,
        tags: input.tags ?? [],
        host: this.placeable()[n % this.placeable().length],
      };
      task.script = this.attachVolume(task, input);
      this.tasks.set(task.arn, task);
      tasks.push(this.view(task));
    }
    const failures = Array.from({ length: refused?.count ?? 0 }, (_, i) => ({ arn: this.hostArn(i), reason: refused?.reason }));
    return { tasks, failures, $metadata: {} };
  }

  describeTasks(input: DescribeTasksCommandInput): DescribeTasksCommandOutput {
    this.count("DescribeTasks");
    if ((input.tasks?.length ?? 0) > 100) throw new Error("DescribeTasks: at most 100 tasks");
    const tasks: Task[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const arn of input.tasks ?? []) {
      const t = this.tasks.get(arn);
      if (t) tasks.push(this.view(t));
      else failures.push({ arn, reason: "MISSING" });
    }
    return { tasks, failures, $metadata: {} };
  }

  stopTask(input: StopTaskCommandInput): StopTaskCommandOutput {
    this.count("StopTask");
    const t = this.tasks.get(input.task ?? "");
    if (!t) {
      const err = new Error("The referenced task was not found.");
      err.name = "InvalidParameterException";
      throw err;
    }
    if (t.stoppedAt === undefined) {
      t.stoppedAt = this.o.clock.now();
      t.stopReason = input.reason ?? "Task stopped by user";
    }
    return { task: this.view(t), $metadata: {} };
  }

  listTasks(input: ListTasksCommandInput): ListTasksCommandOutput {
    this.count("ListTasks");
    const arns = [...this.tasks.values()].filter((t) => (!input.startedBy || t.startedBy === input.startedBy) && this.desired(t) === "RUNNING").map((t) => t.arn);
    return { taskArns: arns, $metadata: {} };
  }

  describeContainerInstances(input: DescribeContainerInstancesCommandInput): DescribeContainerInstancesCommandOutput {
    this.count("DescribeContainerInstances");
    return {
      containerInstances: (input.containerInstances ?? []).map((arn) => {
        const i = Number(arn.slice(-4));
        return {
          containerInstanceArn: arn,
          ec2InstanceId: this.instanceIdOf(arn),
          status: this.terminated.has(arn) ? "INACTIVE" : "ACTIVE",
          agentConnected: !this.terminated.has(arn),
          versionInfo: { agentVersion: this.o.agentVersion ?? "1.105.0" },
          runningTasksCount: [...this.tasks.values()].filter((t) => t.host === arn && this.status(t) === "RUNNING").length,
          attributes: [
            { name: "ecs.instance-type", value: "c6i.2xlarge" },
            { name: "ecs.availability-zone", value: i % 2 === 0 ? "ap-northeast-1a" : "ap-northeast-1c" },
            { name: "remote-claude.pool", value: this.poolOf(arn) },
            ...(this.o.agentAttributes?.(i) ?? []),
          ],
        };
      }),
      failures: [],
      $metadata: {},
    };
  }

  describeTaskDefinition(): DescribeTaskDefinitionCommandOutput {
    this.count("DescribeTaskDefinition");
    const containers = this.o.containers ?? ["workspace-agent", "credential-proxy"];
    const checked = new Set(this.o.healthChecked ?? containers);
    return {
      taskDefinition: {
        family: "remote-claude-staging-workspace",
        containerDefinitions: containers.map((name) => ({ name, ...(checked.has(name) ? { healthCheck: { command: ["CMD-SHELL", "true"] } } : {}) })),
      },
      $metadata: {},
    };
  }

  /** Tasks whose desired status is still RUNNING: after a drill, there must be none. */
  orphans(): string[] {
    return [...this.tasks.values()].filter((t) => this.desired(t) === "RUNNING").map((t) => t.arn);
  }

  private desired(t: SimTask): string {
    return t.stoppedAt !== undefined || this.selfStopped(t) ? "STOPPED" : "RUNNING";
  }

  private selfStopped(t: SimTask): boolean {
    return t.script.stopsAfter !== undefined && this.o.clock.now() - t.createdAt >= t.script.stopsAfter;
  }

  private status(t: SimTask): string {
    if (t.stoppedAt !== undefined || this.selfStopped(t)) return "STOPPED";
    const age = this.o.clock.now() - t.createdAt;
    if (age < t.script.pendingAfter) return "PROVISIONING";
    if (age < t.script.runningAfter) return "PENDING";
    return "RUNNING";
  }

  private view(t: SimTask): Task {
    const status = this.status(t);
    const age = this.o.clock.now() - t.createdAt;
    const healthy = status === "RUNNING" && t.script.healthyAfter !== undefined && age >= t.script.healthyAfter;
    const health = t.script.unhealthy && status === "RUNNING" && healthy ? "UNHEALTHY" : healthy ? "HEALTHY" : "UNKNOWN";
    const containers = this.o.containers ?? ["workspace-agent", "credential-proxy"];
    const checked = new Set(this.o.healthChecked ?? containers);
    const selfStop = t.stoppedAt === undefined && this.selfStopped(t);
    return {
      taskArn: t.arn,
      clusterArn: CLUSTER_ARN,
      lastStatus: status,
      desiredStatus: this.desired(t),
      createdAt: new Date(t.createdAt),
      ...(status === "RUNNING" || (status === "STOPPED" && age >= t.script.runningAfter) ? { startedAt: new Date(t.createdAt + t.script.runningAfter) } : {}),
      containerInstanceArn: status === "PROVISIONING" ? undefined : t.host,
      startedBy: t.startedBy,
      ...(status === "STOPPED"
        ? { stopCode: (selfStop ? t.script.stopCode ?? "TaskFailedToStart" : "UserInitiated") as Task["stopCode"], stoppedReason: selfStop ? t.script.stoppedReason : t.stopReason }
        : {}),
      containers: containers.map((name) => ({ name, lastStatus: status, healthStatus: checked.has(name) ? health : "UNKNOWN" })),
      ...(t.volume ? { attachments: [this.volumeAttachment(t, status)] } : {}),
    };
  }

  private volumeAttachment(t: SimTask, status: string): NonNullable<Task["attachments"]>[number] {
    // A stopped task's volume is detached as far as the task says (EC2 may still be detaching it).
    const state = status === "STOPPED" ? undefined : this.o.ec2?.viewOf(t.volume as SimVolume).state;
    const attachment = status === "STOPPED" ? "DETACHED" : state === "in-use" ? "ATTACHED" : status === "PROVISIONING" ? "CREATED" : "ATTACHING";
    return {
      id: `ebs-${t.volume?.id}`,
      type: "AmazonElasticBlockStorage",
      status: attachment,
      details: [
        { name: "volumeName", value: t.volumeName },
        { name: "volumeId", value: t.volume?.id },
        { name: "deleteOnTermination", value: "false" },
      ],
    };
  }
}
