// The workspace task's containers, as a pure function of plain values: the task definition uses
// it, and so can anything that must run a workspace exactly like ECS does (a local Docker target
// deriving its runtime settings, the security drill's expectations). No Pulumi in here.
//
// workspace-agent: :9000, non-root, read-only root filesystem (the workspace volume and a tmpfs
// /tmp are the only writable places), every capability dropped, no-new-privileges, an init
// process, ulimits, a health check, and it starts only once the proxy is HEALTHY.
// credential-proxy: :8080, the only container that receives the credential secret, hardened the
// same way, essential (if it dies the task stops: the agent cannot work without it).
import type { ContainerDefinition, Volume } from "@aws-sdk/client-ecs";
import { CONTAINERS, LOG_STREAM_PREFIX } from "./names";
import { PID_MAX_LIMIT } from "./taskLimits";
import { awslogs, lockedDown } from "./containerBasics";

export const AGENT_PORT = 9000;
export const PROXY_PORT = 8080;
/** Unprivileged uid:gid both containers run as (the images must own their files accordingly). */
export const WORKSPACE_USER = "1000:1000";
export const WORKSPACE_VOLUME = "workspace";
export const WORKSPACE_MOUNT_PATH = "/workspace";
/** Environment variable through which the proxy receives its credential (from Secrets Manager). */
export const PROXY_CREDENTIAL_ENV = "PROXY_CREDENTIAL";
/** The credential proxy's size (CPU units: shares and reservation): it only relays requests and adds the credential. */
export const PROXY_CPU = 128;
export const PROXY_MEMORY_MIB = 128;
export const PROXY_TMPFS_MIB = 16;
/**
 * nproc counts a uid's processes across the whole host and every workspace is uid 1000: set where
 * it never binds (lib/taskLimits.ts), the task's pids.max (ECS_TASK_PIDS_LIMIT) is the budget.
 */
export const ULIMITS = { nofile: 65536, nproc: PID_MAX_LIMIT } as const;

export interface WorkspaceContainerSettings {
  readonly agentImage: string;
  readonly proxyImage: string;
  /** CPU units of the agent (its CPU shares and reservation) and its hard memory limit. */
  readonly agentCpu: number;
  readonly agentMemoryMiB: number;
  readonly tmpfsMiB: number;
  /** Secrets Manager ARN of the proxy's credential. */
  readonly proxySecretArn: string;
  readonly logGroup: string;
  readonly region: string;
  /** egressMode proxy: the only way out; unset in dns-firewall mode. */
  readonly egressProxy?: EgressProxySettings;
}

/** An HTTP GET of 127.0.0.1:<port><path> that fails on any error: the images ship Python 3. */
export function httpHealthCommand(port: number, path = "/health"): string[] {
  return ["CMD", "python3", "-c", `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}${path}', timeout=3)`];
}

/** Settings both containers share: nothing privileged, nothing writable but what is mounted. */
function hardened(tmpfsMiB: number): Pick<ContainerDefinition, "user" | "privileged" | "readonlyRootFilesystem" | "dockerSecurityOptions" | "linuxParameters" | "ulimits"> {
  return {
    user: WORKSPACE_USER,
    ...lockedDown({ sizeMiB: tmpfsMiB }),
    ulimits: [
      { name: "nofile", softLimit: ULIMITS.nofile, hardLimit: ULIMITS.nofile },
      { name: "nproc", softLimit: ULIMITS.nproc, hardLimit: ULIMITS.nproc },
    ],
  };
}

export function workspaceContainers(s: WorkspaceContainerSettings): ContainerDefinition[] {
  const proxy: ContainerDefinition = {
    name: CONTAINERS.credentialProxy,
    image: s.proxyImage,
    essential: true,
    cpu: PROXY_CPU,
    memory: PROXY_MEMORY_MIB,
    portMappings: [{ name: "proxy", containerPort: PROXY_PORT, protocol: "tcp" }],
    environment: [{ name: "PROXY_LISTEN", value: `127.0.0.1:${PROXY_PORT}` }],
    secrets: [{ name: PROXY_CREDENTIAL_ENV, valueFrom: s.proxySecretArn }],
    ...hardened(PROXY_TMPFS_MIB),
    healthCheck: { command: httpHealthCommand(PROXY_PORT), interval: 5, timeout: 3, retries: 3, startPeriod: 5 },
    stopTimeout: 10,
    logConfiguration: awslogs(s, LOG_STREAM_PREFIX.workspace),
  };
  const agent: ContainerDefinition = {
    name: CONTAINERS.workspaceAgent,
    image: s.agentImage,
    essential: true,
    cpu: s.agentCpu,
    memory: s.agentMemoryMiB,
    portMappings: [{ name: "agent", containerPort: AGENT_PORT, protocol: "tcp" }],
    environment: [
      { name: "AGENT_PORT", value: String(AGENT_PORT) },
      { name: "WORKSPACE_DIR", value: WORKSPACE_MOUNT_PATH },
      // The agent reaches the credential only through the proxy, never directly.
      { name: "CREDENTIAL_PROXY_URL", value: `http://127.0.0.1:${PROXY_PORT}` },
    ],
    mountPoints: [{ sourceVolume: WORKSPACE_VOLUME, containerPath: WORKSPACE_MOUNT_PATH, readOnly: false }],
    ...hardened(s.tmpfsMiB),
    dependsOn: [{ containerName: CONTAINERS.credentialProxy, condition: "HEALTHY" }],
    healthCheck: { command: httpHealthCommand(AGENT_PORT), interval: 10, timeout: 3, retries: 3, startPeriod: 10 },
    stopTimeout: 30,
    logConfiguration: awslogs(s, LOG_STREAM_PREFIX.workspace),
  };
  for (const c of [proxy, agent]) c.environment = [...(c.environment ?? []), ...egressProxyEnvironment(s.egressProxy)];
  return [proxy, agent];
}

// In egressMode proxy a workspace has no route out of the VPC: HTTPS goes through the egress
// proxy, named in the variables git, curl, npm, pip and Python read (upper and lower case), and
// in NODE_USE_ENV_PROXY for Node's own fetch/http. NO_PROXY keeps loopback (the credential proxy)
// and the VPC endpoint names (AWS SDK calls, Bedrock runtime) direct. Both containers get them:
// they share the task's network namespace, so the credential proxy needs the same way out.

export interface EgressProxySettings {
  /** http://<internal NLB name>:3128 */
  readonly url: string;
  /** Names reached directly: the VPC endpoints' names (lib/awsServices.ts). */
  readonly directNames: readonly string[];
}

/** Loopback in every spelling tools compare against. */
export const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"] as const;

export function egressProxyEnvironment(egress: EgressProxySettings | undefined): { name: string; value: string }[] {
  if (!egress) return [];
  const noProxy = [...LOOPBACK_NAMES, ...egress.directNames].join(",");
  return [
    { name: "HTTPS_PROXY", value: egress.url },
    { name: "https_proxy", value: egress.url },
    // Plain HTTP is refused by the proxy (403, logged) rather than left to time out.
    { name: "HTTP_PROXY", value: egress.url },
    { name: "http_proxy", value: egress.url },
    { name: "NO_PROXY", value: noProxy },
    { name: "no_proxy", value: noProxy },
    { name: "NODE_USE_ENV_PROXY", value: "1" },
  ];
}

/**
 * The task's volumes: the writable workspace, an EBS volume ECS creates and attaches when the task
 * starts (configuredAtLaunch; RunTask's volumeConfigurations say how: lib/launchContract.ts). One
 * per task, never shared, never a host path, kept after the task stops: the workspace's files
 * survive its host. ECS gives the container's non-root user group write access to the new volume;
 * it starts empty (nothing of the image's /workspace is copied) or with a snapshot's files.
 */
export function workspaceVolumes(): Volume[] {
  return [{ name: WORKSPACE_VOLUME, configuredAtLaunch: true }];
}

/**
 * What the task reserves on its host: the sum of the containers' CPU units and hard memory limits.
 * On ECS on EC2 this is what placement counts whether or not the task sets a task-level cpu.
 */
export function workspaceTaskSize(containers: readonly ContainerDefinition[]): { cpu: number; memoryMiB: number } {
  return {
    cpu: containers.reduce((sum, c) => sum + (c.cpu ?? 0), 0),
    memoryMiB: containers.reduce((sum, c) => sum + (c.memory ?? 0), 0),
  };
}

/**
 * The task-level CPU units the workspace task definition sets, or undefined for none (the default).
 * ECS on EC2: a container's cpu is its Docker CPU shares (a weight) and, summed, the task's
 * placement reservation; a task-level cpu is optional there and, when set, is both the reservation
 * and a hard CFS quota on the task's cgroup (ECS API Reference: ContainerDefinition.cpu and
 * RegisterTaskDefinition's cpu). The ECS agent at aws/amazon-ecs-agent 8dfceca6cf38 does exactly
 * that: agent/api/task/task_linux.go lines 160-224 (BuildLinuxResourceSpec: a quota and period
 * with a task cpu, else the containers' summed shares) and agent/api/task/task.go lines 3833-3846
 * (ToHostResources: the task cpu, else the containers' sum). A coding workspace is bursty: it
 * mostly waits on the model and sometimes compiles, so by default it reserves a share and uses
 * idle cores; under contention the kernel divides CPU by weight and no workspace starves another.
 * `cpuHardLimit` caps each workspace at its reservation instead. Memory is a hard limit either way.
 */
export function workspaceTaskCpu(containers: readonly ContainerDefinition[], cpuHardLimit: boolean): number | undefined {
  return cpuHardLimit ? workspaceTaskSize(containers).cpu : undefined;
}
