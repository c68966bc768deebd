// The launch contract: how a workspace task is started. The backend does it with these fields
// (its environment carries them, see RUNTASK_ENV) and the ops drills build the very same request
// here, so a drill launches workspaces exactly as production does.
import type { RunTaskCommandInput, Tag } from "@aws-sdk/client-ecs";

/** Backend environment variables that carry what RunTask needs. */
export const RUNTASK_ENV = {
  managerType: "CONTAINER_MANAGER_TYPE",
  cluster: "ECS_CLUSTER",
  taskDefinition: "WORKSPACE_TASK_DEFINITION",
  subnets: "WORKSPACE_SUBNETS",
  securityGroups: "WORKSPACE_SECURITY_GROUPS",
  capacityProvider: "WORKSPACE_CAPACITY_PROVIDER",
} as const;

export interface WorkspaceLaunchTarget {
  readonly cluster: string;
  /** Family (latest ACTIVE revision) or full ARN with revision. */
  readonly taskDefinition: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly capacityProvider: string;
}

export interface WorkspaceLaunchOptions {
  /** How many tasks in this call: ECS allows at most 10 per RunTask. */
  readonly count?: number;
  /** Who started it (RunTask's startedBy: ≤ 128 of letters, digits, "-", "_", "/"), e.g. "backend" or "ops/<run id>". */
  readonly startedBy?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Container overrides, e.g. the security probe's command. */
  readonly overrides?: RunTaskCommandInput["overrides"];
}

export const MAX_TASKS_PER_RUNTASK = 10;

export function workspaceRunTaskRequest(target: WorkspaceLaunchTarget, options: WorkspaceLaunchOptions = {}): RunTaskCommandInput {
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_TASKS_PER_RUNTASK) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_TASKS_PER_RUNTASK} (RunTask's limit), got ${count}`);
  }
  const tags: Tag[] = Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value }));
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
    ...(tags.length > 0 ? { tags } : {}),
    ...(options.startedBy ? { startedBy: options.startedBy } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  };
}
