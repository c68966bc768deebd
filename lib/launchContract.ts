// The launch contract: how a workspace task is started. The backend does it with these fields
// (its environment carries them, see RUNTASK_ENV) and the ops drills build the very same request
// here, so a drill launches workspaces exactly as production does.
//
// Every workspace gets its own encrypted gp3 EBS volume, created and attached by ECS at launch
// (the task definition's volume is configuredAtLaunch) and kept when the task stops
// (deleteOnTermination false): the workspace's files outlive its task and its host. A workspace
// is resumed elsewhere by starting it from a snapshot of that volume (WorkspaceResume).
import type { RunTaskCommandInput, Tag, TaskVolumeConfiguration } from "@aws-sdk/client-ecs";

/** Backend environment variables that carry what RunTask needs. */
export const RUNTASK_ENV = {
  managerType: "CONTAINER_MANAGER_TYPE",
  cluster: "ECS_CLUSTER",
  taskDefinition: "WORKSPACE_TASK_DEFINITION",
  subnets: "WORKSPACE_SUBNETS",
  securityGroups: "WORKSPACE_SECURITY_GROUPS",
  capacityProvider: "WORKSPACE_CAPACITY_PROVIDER",
  // Workspace storage: the volumeConfigurations of every RunTask.
  volumeName: "WORKSPACE_VOLUME_NAME",
  volumeSizeGiB: "WORKSPACE_VOLUME_SIZE_GIB",
  volumeIops: "WORKSPACE_VOLUME_IOPS",
  volumeThroughput: "WORKSPACE_VOLUME_THROUGHPUT_MIBPS",
  volumeFilesystem: "WORKSPACE_VOLUME_FILESYSTEM",
  volumeKmsKeyArn: "WORKSPACE_VOLUME_KMS_KEY_ARN",
  volumeRoleArn: "WORKSPACE_VOLUME_ROLE_ARN",
  volumeStack: "WORKSPACE_VOLUME_STACK_TAG",
} as const;

/**
 * Tags every workspace volume carries (besides ECS's own AmazonECSCreated = the task ARN and
 * AmazonECSManaged = true). The infrastructure role may only create, attach and delete volumes
 * tagged with this stack; the ops tool and the retained-volumes monitor find them by these tags.
 */
export const VOLUME_TAGS = {
  stack: "remote-claude:stack",
  workspaceId: "remote-claude:workspace-id",
  filesystem: "remote-claude:filesystem",
  /** Set on a volume created from a snapshot: which one. */
  resumedFrom: "remote-claude:resumed-from",
  /** Set by the retained-volumes monitor the first time it sees the volume detached (ISO time). */
  retainedSince: "remote-claude:retained-since",
  /** On snapshots taken by the ops tool: the volume they were taken of. */
  sourceVolume: "remote-claude:source-volume",
} as const;

/** ECS's own tags on the volumes it creates (reserved: a request may not set them). */
export const ECS_VOLUME_TAGS = { createdBy: "AmazonECSCreated", managed: "AmazonECSManaged" } as const;

export const VOLUME_FILESYSTEMS = ["xfs", "ext4"] as const;
export type VolumeFilesystem = (typeof VOLUME_FILESYSTEMS)[number];
const WORKSPACE_VOLUME_TYPE = "gp3";

/** How every workspace volume is made: from the stack outputs (workspaceVolume*) or the backend's environment. */
export interface WorkspaceVolumeSettings {
  /** The task definition's volume that is configuredAtLaunch. */
  readonly volumeName: string;
  readonly sizeGiB: number;
  readonly iops: number;
  readonly throughputMiBps: number;
  readonly filesystem: VolumeFilesystem;
  /** Customer managed KMS key the volume is encrypted with. */
  readonly kmsKeyArn: string;
  /** The ECS infrastructure role that creates, attaches and detaches the volume. */
  readonly infrastructureRoleArn: string;
  /** Value of the remote-claude:stack tag (the stack name): the role only handles volumes tagged so. */
  readonly stack: string;
}

/** What every workspace's RunTask uses, besides the key and the role (stack output workspaceVolumeSettings). */
export interface WorkspaceVolumeOutputSettings {
  readonly volumeName: string;
  readonly volumeType: "gp3";
  readonly sizeGiB: number;
  readonly iops: number;
  readonly throughputMiBps: number;
  readonly filesystem: VolumeFilesystem;
  /** The remote-claude:stack tag value every volume carries. */
  readonly stackTag: string;
}

export interface WorkspaceLaunchTarget {
  readonly cluster: string;
  /** Family (latest ACTIVE revision) or full ARN with revision. */
  readonly taskDefinition: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly capacityProvider: string;
  readonly volume: WorkspaceVolumeSettings;
}

/** Start the workspace from a snapshot of an earlier volume of it (after its host died, or to move it). */
export interface WorkspaceResume {
  readonly snapshotId: string;
  /** The snapshot's size: the new volume is at least this large (and at least the configured size). */
  readonly snapshotSizeGiB?: number;
  /** The snapshot's filesystem (its remote-claude:filesystem tag): a mismatch stops the task at start. */
  readonly filesystem?: VolumeFilesystem;
}

interface WorkspaceLaunchOptions {
  /**
   * The workspace (conversation) id: the volume's remote-claude:workspace-id tag. Production
   * starts one workspace per RunTask; a drill that starts up to 10 in one call tags all of their
   * volumes with the call's id, and ECS's AmazonECSCreated tag (the task ARN) tells them apart.
   */
  readonly workspaceId: string;
  /** How many tasks in this call: ECS allows at most 10 per RunTask. */
  readonly count?: number;
  /** Who started it (RunTask's startedBy: ≤ 128 of letters, digits, "-", "_", "/"), e.g. "backend" or "ops/<run id>". */
  readonly startedBy?: string;
  /** Task tags. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Extra volume tags (a drill's run id), besides the contract's own. */
  readonly volumeTags?: Readonly<Record<string, string>>;
  readonly resume?: WorkspaceResume;
  /** Container overrides, e.g. the security probe's command. */
  readonly overrides?: RunTaskCommandInput["overrides"];
}

export const MAX_TASKS_PER_RUNTASK = 10;
/** EBS allows 50 tags per volume; ECS adds its two. */
const MAX_VOLUME_TAGS = 48;
/** What an EC2 tag value may hold, kept stricter (no spaces) for ids. */
const WORKSPACE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/=+@-]{0,127}$/;
const SNAPSHOT_ID = /^snap-[0-9a-f]{8,17}$/;

function tagList(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** The volumeConfigurations entry of a workspace's RunTask. */
export function workspaceVolumeConfiguration(volume: WorkspaceVolumeSettings, options: Pick<WorkspaceLaunchOptions, "workspaceId" | "volumeTags" | "resume">): TaskVolumeConfiguration {
  if (!WORKSPACE_ID.test(options.workspaceId)) {
    throw new RangeError(`workspaceId must be 1-128 letters, digits or . _ : / = + @ - (starting with a letter or digit), got ${JSON.stringify(options.workspaceId)}`);
  }
  const resume = options.resume;
  if (resume && !SNAPSHOT_ID.test(resume.snapshotId)) throw new RangeError(`resume.snapshotId must be a snapshot id (snap-…), got ${JSON.stringify(resume.snapshotId)}`);
  const filesystem = resume?.filesystem ?? volume.filesystem;
  const extra = options.volumeTags ?? {};
  for (const key of Object.keys(extra)) {
    if (key.toLowerCase().startsWith("aws:") || key === ECS_VOLUME_TAGS.createdBy || key === ECS_VOLUME_TAGS.managed || Object.values(VOLUME_TAGS).includes(key as never)) {
      throw new RangeError(`volume tag ${key} is reserved (aws:*, ECS's own, or one the contract sets)`);
    }
  }
  const tags: Record<string, string> = {
    [VOLUME_TAGS.stack]: volume.stack,
    [VOLUME_TAGS.workspaceId]: options.workspaceId,
    [VOLUME_TAGS.filesystem]: filesystem,
    ...(resume ? { [VOLUME_TAGS.resumedFrom]: resume.snapshotId } : {}),
    ...extra,
  };
  if (Object.keys(tags).length > MAX_VOLUME_TAGS) throw new RangeError(`a workspace volume takes at most ${MAX_VOLUME_TAGS} tags, got ${Object.keys(tags).length}`);
  return {
    name: volume.volumeName,
    managedEBSVolume: {
      encrypted: true,
      kmsKeyId: volume.kmsKeyArn,
      volumeType: WORKSPACE_VOLUME_TYPE,
      // A snapshot larger than the configured size (the size was lowered since) keeps its size.
      sizeInGiB: Math.max(volume.sizeGiB, resume?.snapshotSizeGiB ?? 0),
      iops: volume.iops,
      throughput: volume.throughputMiBps,
      filesystemType: filesystem,
      roleArn: volume.infrastructureRoleArn,
      // Kept when the task stops, and so when its host dies: the workspace's data survives both.
      terminationPolicy: { deleteOnTermination: false },
      // Task tags only propagate to service volumes; RunTask's volumes get their tags here.
      tagSpecifications: [{ resourceType: "volume", tags: tagList(tags), propagateTags: "NONE" }],
      ...(resume ? { snapshotId: resume.snapshotId } : {}),
    },
  };
}

export function workspaceRunTaskRequest(target: WorkspaceLaunchTarget, options: WorkspaceLaunchOptions): RunTaskCommandInput {
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_TASKS_PER_RUNTASK) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_TASKS_PER_RUNTASK} (RunTask's limit), got ${count}`);
  }
  const tags = tagList(options.tags ?? {});
  return {
    cluster: target.cluster,
    taskDefinition: target.taskDefinition,
    count,
    // launchType must stay unset: it conflicts with a capacity provider strategy.
    capacityProviderStrategy: [{ capacityProvider: target.capacityProvider, weight: 1, base: 0 }],
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...target.subnets],
        securityGroups: [...target.securityGroups],
        // Workspaces never get a public address.
        assignPublicIp: "DISABLED",
      },
    },
    placementStrategy: [{ type: "binpack", field: "memory" }],
    enableECSManagedTags: true,
    propagateTags: "TASK_DEFINITION",
    volumeConfigurations: [workspaceVolumeConfiguration(target.volume, options)],
    ...(tags.length > 0 ? { tags } : {}),
    ...(options.startedBy ? { startedBy: options.startedBy } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  };
}

/** The backend's environment for a launch target (what services/backend.ts sets). */
export function launchContractEnvironment(target: WorkspaceLaunchTarget): Record<string, string> {
  const v = target.volume;
  return {
    [RUNTASK_ENV.managerType]: "ecs",
    [RUNTASK_ENV.cluster]: target.cluster,
    [RUNTASK_ENV.taskDefinition]: target.taskDefinition,
    [RUNTASK_ENV.subnets]: target.subnets.join(","),
    [RUNTASK_ENV.securityGroups]: target.securityGroups.join(","),
    [RUNTASK_ENV.capacityProvider]: target.capacityProvider,
    [RUNTASK_ENV.volumeName]: v.volumeName,
    [RUNTASK_ENV.volumeSizeGiB]: String(v.sizeGiB),
    [RUNTASK_ENV.volumeIops]: String(v.iops),
    [RUNTASK_ENV.volumeThroughput]: String(v.throughputMiBps),
    [RUNTASK_ENV.volumeFilesystem]: v.filesystem,
    [RUNTASK_ENV.volumeKmsKeyArn]: v.kmsKeyArn,
    [RUNTASK_ENV.volumeRoleArn]: v.infrastructureRoleArn,
    [RUNTASK_ENV.volumeStack]: v.stack,
  };
}

/** The launch target a backend reads back from its environment (the inverse of launchContractEnvironment). */
export function launchTargetFromEnvironment(env: Readonly<Record<string, string | undefined>>): WorkspaceLaunchTarget {
  const missing = Object.values(RUNTASK_ENV).filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`launch contract: missing environment ${missing.join(", ")}`);
  const get = (name: string) => env[name] as string;
  const int = (name: string) => {
    const n = Number(get(name));
    if (!Number.isInteger(n) || n < 1) throw new Error(`launch contract: ${name} must be a positive integer, got ${get(name)}`);
    return n;
  };
  const filesystem = get(RUNTASK_ENV.volumeFilesystem);
  if (!(VOLUME_FILESYSTEMS as readonly string[]).includes(filesystem)) throw new Error(`launch contract: ${RUNTASK_ENV.volumeFilesystem} must be one of ${VOLUME_FILESYSTEMS.join(", ")}, got ${filesystem}`);
  return {
    cluster: get(RUNTASK_ENV.cluster),
    taskDefinition: get(RUNTASK_ENV.taskDefinition),
    subnets: get(RUNTASK_ENV.subnets).split(","),
    securityGroups: get(RUNTASK_ENV.securityGroups).split(","),
    capacityProvider: get(RUNTASK_ENV.capacityProvider),
    volume: {
      volumeName: get(RUNTASK_ENV.volumeName),
      sizeGiB: int(RUNTASK_ENV.volumeSizeGiB),
      iops: int(RUNTASK_ENV.volumeIops),
      throughputMiBps: int(RUNTASK_ENV.volumeThroughput),
      filesystem: filesystem as VolumeFilesystem,
      kmsKeyArn: get(RUNTASK_ENV.volumeKmsKeyArn),
      infrastructureRoleArn: get(RUNTASK_ENV.volumeRoleArn),
      stack: get(RUNTASK_ENV.volumeStack),
    },
  };
}
