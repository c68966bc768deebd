// The workspace task's containers, as a pure function of plain values: the task definition uses
// it, and so can anything that must run a workspace exactly like ECS does (a local Docker target
// deriving its runtime settings, the security drill's expectations). No Pulumi in here.
//
// workspace-agent: port 9000, non-root, read-only root filesystem (the workspace volume and a tmpfs
// /tmp are the only writable places), every capability dropped, no-new-privileges, an init
// process, ulimits, a health check. It starts as soon as the credential proxy has started
// (dependsOn START), and its image waits until the proxy answers GET /health before its first
// request and before it opens its own port (bounded: AGENT_STARTUP_WAIT_SECONDS, then it exits
// with the reason and the task stops). Waiting on the proxy's HEALTHY instead would add Docker's
// first health-check delay (at least 5 s: see HEALTH_CHECK) to every start.
// credential-proxy: port 8080, the only container that receives the credential secret, hardened the
// same way, essential (if it dies the task stops: the agent cannot work without it).
// HEALTHY still means both answer: the task is HEALTHY only when every essential container with a
// health check is (ECS API Reference: HealthCheck).
import type { ContainerDefinition, Volume } from "@aws-sdk/client-ecs";
import { CONTAINERS, LOG_STREAM_PREFIX } from "./names";
import { PID_MAX_LIMIT } from "./taskLimits";
import { awslogs, lockedDown, type TmpfsChoice } from "./containerBasics";

export const AGENT_PORT = 9000;
export const CREDENTIAL_PROXY_PORT = 8080;
/** Unprivileged uid:gid both containers run as (the images must own their files accordingly). */
export const WORKSPACE_USER = "1000:1000";
export const WORKSPACE_VOLUME = "workspace";
export const WORKSPACE_MOUNT_PATH = "/workspace";
/** Environment variable that tells the agent where the credential proxy is (and that it must wait for it). */
export const CREDENTIAL_PROXY_URL_ENV = "CREDENTIAL_PROXY_URL";
/** Environment variable through which the credential proxy receives its secret (from Secrets Manager); the image reads this name. */
export const CREDENTIAL_PROXY_SECRET_ENV = "PROXY_CREDENTIAL";
/** The credential proxy's size (CPU units: shares and reservation): it only relays requests and adds the credential. */
export const CREDENTIAL_PROXY_CPU = 128;
export const CREDENTIAL_PROXY_MEMORY_MIB = 128;
const CREDENTIAL_PROXY_TMPFS_MIB = 16;
/**
 * nproc counts a uid's processes across the whole host and every workspace is uid 1000: set where
 * it never binds (lib/taskLimits.ts), the task's pids.max (ECS_TASK_PIDS_LIMIT) is the budget.
 */
export const ULIMITS = { nofile: 65536, nproc: PID_MAX_LIMIT } as const;

interface WorkspaceContainerSettings {
  readonly agentImage: string;
  readonly credentialProxyImage: string;
  /** CPU units of the agent (its CPU shares and reservation) and its hard memory limit. */
  readonly agentCpu: number;
  readonly agentMemoryMiB: number;
  readonly tmpfsMiB: number;
  /** Secrets Manager ARN of the proxy's credential. */
  readonly credentialProxySecretArn: string;
  readonly logGroup: string;
  readonly region: string;
  /** egressMode proxy: the only way out; unset in dns-firewall mode. */
  readonly egressProxy?: EgressProxySettings;
}

/**
 * How long the agent waits for the credential proxy to answer before it exits (its image reads
 * AGENT_STARTUP_WAIT_SECONDS): a proxy that is not up by then will not come up, and the task
 * stops with the agent's reason in its log instead of waiting for ever. 60 s: on a 2-core host
 * starting ten workspaces at once under a load average of 50, proxies took 40 s to answer.
 */
export const AGENT_STARTUP_WAIT_SECONDS = 60;

/**
 * Both containers' health checks. ECS takes interval 5-300 s, timeout 2-60 s, retries 1-10,
 * startPeriod 0-300 s, and has no start interval (ECS API Reference: HealthCheck). The ECS agent
 * creates each container from the Docker config ECS sends and sets no start interval of its own
 * (its source names StartInterval only in its vendored Docker client), and learns health from
 * Docker's health_status events (aws/amazon-ecs-agent 8dfceca6cf38
 * agent/dockerclient/dockerapi/docker_client.go:1114-1117).
 * The hosts' Docker (25.0.16 on the ECS-optimized AL2023 AMI) then checks every 5 s during the
 * start period (its default start interval, moby/moby daemon/health.go defaultStartInterval) and
 * every interval after; Docker before 25 checks every interval from the start. So a container is
 * HEALTHY 5 s after its start at the soonest, on ECS and locally.
 * - interval 5 s, ECS's minimum: the first check on engines before 25, and an outage seen within
 *   interval × retries = 15 s.
 * - timeout 5 s (ECS's default): a check on a busy host may take seconds to start; a slow answer
 *   is not a failure.
 * - startPeriod: failures before it do not count. The agent's wait (AGENT_STARTUP_WAIT_SECONDS)
 *   begins only once its process runs, which on a host starting many workspaces at once can take
 *   as long again (measured: 40 s for ten at once on a 2-core machine with a load average of 50),
 *   so twice the wait: a slow start ends in the agent's own reason, not in UNHEALTHY. It costs
 *   nothing when the start is fast: the first passing check ends the start period.
 */
export const HEALTH_CHECK = { interval: 5, timeout: 5, retries: 3, startPeriod: 2 * AGENT_STARTUP_WAIT_SECONDS } as const;

/**
 * An HTTP GET of 127.0.0.1:<port><path> that passes on a status below 400 and fails on any other
 * answer or error (3 s timeout): the images ship Python 3. Sockets only, in isolated mode without
 * the site module (-I -S): urllib.request imports http.client, email and ssl, about 70 ms more
 * CPU per check on the 2-core build machine, and Docker runs the check every interval in every
 * container (docs/drills.md, "Benchmark").
 */
export function httpHealthCommand(port: number, path = "/health"): string[] {
  const request = `GET ${path} HTTP/1.0\\r\\nHost: 127.0.0.1:${port}\\r\\n\\r\\n`;
  return ["CMD", "python3", "-I", "-S", "-c", [
    "import socket,sys",
    `s=socket.create_connection(('127.0.0.1',${port}),3)`,
    `s.sendall(b'${request}')`,
    "v=s.makefile('rb').readline().split()",
    "sys.exit(not(len(v)>1 and v[0][:5]==b'HTTP/' and v[1].isdigit() and 200<=int(v[1])<400))",
  ].join(";")];
}

/** Settings both containers share: nothing privileged, nothing writable but what is mounted. */
function hardened(tmpfs: TmpfsChoice): Pick<ContainerDefinition, "user" | "privileged" | "readonlyRootFilesystem" | "dockerSecurityOptions" | "linuxParameters" | "ulimits"> {
  return {
    user: WORKSPACE_USER,
    ...lockedDown(tmpfs),
    ulimits: [
      { name: "nofile", softLimit: ULIMITS.nofile, hardLimit: ULIMITS.nofile },
      { name: "nproc", softLimit: ULIMITS.nproc, hardLimit: ULIMITS.nproc },
    ],
  };
}

export function workspaceContainers(s: WorkspaceContainerSettings): ContainerDefinition[] {
  const credentialProxy: ContainerDefinition = {
    name: CONTAINERS.credentialProxy,
    image: s.credentialProxyImage,
    essential: true,
    cpu: CREDENTIAL_PROXY_CPU,
    memory: CREDENTIAL_PROXY_MEMORY_MIB,
    portMappings: [{ name: "proxy", containerPort: CREDENTIAL_PROXY_PORT, protocol: "tcp" }],
    environment: [{ name: "PROXY_LISTEN", value: `127.0.0.1:${CREDENTIAL_PROXY_PORT}` }],
    secrets: [{ name: CREDENTIAL_PROXY_SECRET_ENV, valueFrom: s.credentialProxySecretArn }],
    // The credential proxy runs only its own image's program: nothing it writes may run.
    ...hardened({ sizeMiB: CREDENTIAL_PROXY_TMPFS_MIB, exec: false }),
    healthCheck: { command: httpHealthCommand(CREDENTIAL_PROXY_PORT), ...HEALTH_CHECK },
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
      // The agent reaches the credential only through the credential proxy, never directly.
      { name: CREDENTIAL_PROXY_URL_ENV, value: `http://127.0.0.1:${CREDENTIAL_PROXY_PORT}` },
      { name: "AGENT_STARTUP_WAIT_SECONDS", value: String(AGENT_STARTUP_WAIT_SECONDS) },
    ],
    mountPoints: [{ sourceVolume: WORKSPACE_VOLUME, containerPath: WORKSPACE_MOUNT_PATH, readOnly: false }],
    // A coding workspace builds and runs programs in /tmp (go test and go run execute their binaries
    // from $TMPDIR; native addons, test runners' scratch builds): exec, said explicitly
    // (docs/hardening.md, "/tmp: exec in the workspace, noexec elsewhere").
    ...hardened({ sizeMiB: s.tmpfsMiB, exec: true }),
    // Started together: the ECS agent starts a container with a START dependency once the
    // dependency runs (aws/amazon-ecs-agent 8dfceca6cf38 agent/engine/dependencygraph/graph.go:437-452),
    // and the agent's image waits for the credential proxy's answer itself (AGENT_STARTUP_WAIT_SECONDS).
    dependsOn: [{ containerName: CONTAINERS.credentialProxy, condition: "START" }],
    healthCheck: { command: httpHealthCommand(AGENT_PORT), ...HEALTH_CHECK },
    stopTimeout: 30,
    logConfiguration: awslogs(s, LOG_STREAM_PREFIX.workspace),
  };
  for (const c of [credentialProxy, agent]) c.environment = [...(c.environment ?? []), ...egressProxyEnvironment(s.egressProxy)];
  return [credentialProxy, agent];
}

// In egressMode proxy a workspace has no route out of the VPC: HTTPS goes through the egress
// proxy, named in the variables git, curl, npm, pip and Python read (upper and lower case), and
// in NODE_USE_ENV_PROXY for Node's own fetch/http. NO_PROXY keeps loopback (the credential proxy)
// and the VPC endpoint names (AWS SDK calls, Bedrock runtime) direct. Both containers get them:
// they share the task's network namespace, so the credential proxy needs the same way out.

interface EgressProxySettings {
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
 * that: agent/api/task/task_linux.go:160-224 (BuildLinuxResourceSpec: a quota and period
 * with a task cpu, else the containers' summed shares) and agent/api/task/task.go:3833-3846
 * (ToHostResources: the task cpu, else the containers' sum). A coding workspace is bursty: it
 * mostly waits on the model and sometimes compiles, so by default it reserves a share and uses
 * idle cores; under contention the kernel divides CPU by weight and no workspace starves another.
 * `cpuHardLimit` caps each workspace at its reservation instead. Memory is a hard limit either way.
 */
export function workspaceTaskCpu(containers: readonly ContainerDefinition[], cpuHardLimit: boolean): number | undefined {
  return cpuHardLimit ? workspaceTaskSize(containers).cpu : undefined;
}
