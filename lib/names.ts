// Physical names that several components and the ops tool must agree on, derived from the stack
// prefix ("remote-claude-staging"). One place, so a service, its alarms, its FIS templates and the
// drills always name the same thing.

export type Pool = "backend" | "workspace";
export const POOLS: readonly Pool[] = ["backend", "workspace"];

/**
 * ECS container instance attribute naming a host's pool (set through ECS_INSTANCE_ATTRIBUTES in
 * ecs.config); task definitions place themselves with memberOf(attribute:remote-claude.pool == …).
 */
export const POOL_ATTRIBUTE = "remote-claude.pool";

/** Container names inside the task definitions: the drills and log readers look for these. */
export const CONTAINERS = {
  backend: "backend",
  workspaceAgent: "workspace-agent",
  credentialProxy: "credential-proxy",
} as const;

/** Production stacks: "prod" and "prod-*" (the ops tool's --confirm-prod guard, the config's prod-only checks). */
export function isProdStack(stack: string): boolean {
  return stack === "prod" || stack.startsWith("prod-");
}

/** Tags `ops local image` builds and the local drills use by default. */
export const LOCAL_IMAGES = { agent: "remote-claude-workspace:local", credentialProxy: "remote-claude-credential-proxy:local" } as const;

/** awslogs stream prefixes: a stream is <prefix>/<container name>/<task id>. */
export const LOG_STREAM_PREFIX = { backend: "backend", workspace: "workspace" } as const;

export interface PlatformNames {
  readonly prefix: string;
  readonly cluster: string;
  readonly capacityProvider: Readonly<Record<Pool, string>>;
  readonly autoScalingGroup: Readonly<Record<Pool, string>>;
  readonly taskFamily: { readonly backend: string; readonly workspace: string };
  readonly backendService: string;
  /** Log group of each workload, under one /<prefix>/ tree. */
  readonly logGroup: { readonly backend: string; readonly workspace: string; readonly ecsAgent: string };
  /** CloudWatch namespace for the platform's own metrics (backend, ops drills). */
  readonly metricsNamespace: string;
}

export function platformNames(prefix: string): PlatformNames {
  return {
    prefix,
    cluster: prefix,
    capacityProvider: { backend: `${prefix}-backend`, workspace: `${prefix}-workspace` },
    autoScalingGroup: { backend: `${prefix}-backend-hosts`, workspace: `${prefix}-workspace-hosts` },
    taskFamily: { backend: `${prefix}-backend`, workspace: `${prefix}-workspace` },
    backendService: `${prefix}-backend`,
    logGroup: { backend: `/${prefix}/backend`, workspace: `/${prefix}/workspace`, ecsAgent: `/${prefix}/ecs-agent` },
    metricsNamespace: "RemoteClaude",
  };
}
