// Host config: the two host pools (instance types, sizes, Spot, warm pool, managed scaling
// target), the AMI (built by Image Builder, or pinned) and the hosts' disk and ECS agent settings.
// Both pools run awsvpc tasks, so every type must support ENI trunking (instanceTypes.ts).
import { PTRACE_CHOICES } from "../host/seccomp";
import type { Pool } from "../lib/names";
import { ECS_AGENT_MIN_VERSION_FOR_PIDS_LIMIT, ECS_AMI_FIRST_RELEASE_FOR_PIDS_LIMIT } from "../lib/taskLimits";
import { trunkingProblem } from "./instanceTypes";
import type { CrossCheck } from "./problems";
import { boolean, integer, oneOf, optional, string, stringList } from "./schema";

const AMI_ID_PATTERN = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

export const hostKeys = {
  backendInstanceTypes: stringList({
    description: "Instance types of the backend (trusted) pool; every type must support ENI trunking.",
    default: ["m6i.large"],
    expected: "EC2 instance types with ENI trunking",
    minItems: 1,
    item: trunkingProblem,
  }),
  workspaceInstanceTypes: stringList({
    description: "Instance types of the workspace pool; every type must support ENI trunking.",
    default: ["m6a.4xlarge"],
    expected: "EC2 instance types with ENI trunking",
    minItems: 1,
    item: trunkingProblem,
  }),
  backendMinSize: integer({ description: "Minimum instances in the backend pool's Auto Scaling group.", default: 1, min: 0, max: 100 }),
  backendMaxSize: integer({ description: "Maximum instances in the backend pool's Auto Scaling group.", default: 4, min: 1, max: 100 }),
  workspaceMinSize: integer({ description: "Minimum instances in the workspace pool's Auto Scaling group.", default: 1, min: 0, max: 100000 }),
  // The real bounds are the cluster's container-instance quota and the workspace subnets (config/capacity.ts).
  workspaceMaxSize: integer({ description: "Maximum instances in the workspace pool's Auto Scaling group (at most the cluster's container-instance quota less the backend pool; the workspace subnets must hold its tasks).", default: 10, min: 1, max: 100000 }),
  backendSpot: boolean({
    description: "Run the backend pool's capacity above its minimum on Spot (mixed instances policy; the minimum stays On-Demand).",
    default: false,
  }),
  workspaceSpot: boolean({
    description: "Run the workspace pool's capacity above its minimum on Spot; not allowed together with a warm pool.",
    default: false,
  }),
  workspaceWarmPoolSize: integer({
    description: "Stopped, pre-initialised instances kept in the workspace pool's warm pool (0 = none); needs one instance type and no Spot.",
    default: 0,
    min: 0,
    max: 50,
  }),
  backendTargetCapacity: integer({
    description: "Managed scaling target of the backend capacity provider: percent of the pool's instances that tasks should use.",
    default: 100,
    min: 1,
    max: 100,
    unit: "percent",
  }),
  workspaceTargetCapacity: integer({
    description: "Managed scaling target of the workspace capacity provider (below 100 keeps spare hosts for fast workspace starts).",
    default: 100,
    min: 1,
    max: 100,
    unit: "percent",
  }),
  amiId: optional(
    string({
      description: "A pinned AMI for both pools (e.g. one an earlier build produced); unset = build the hardened AMI with EC2 Image Builder. " +
        `It must carry ECS agent ${ECS_AGENT_MIN_VERSION_FOR_PIDS_LIMIT} or later (ECS-optimized AMIs of release ${ECS_AMI_FIRST_RELEASE_FOR_PIDS_LIMIT} or later): ` +
        "an older agent ignores ECS_TASK_PIDS_LIMIT and tasks get no process budget.",
      expected: "an AMI id such as ami-0123456789abcdef0",
      check: (v) => (AMI_ID_PATTERN.test(v) ? undefined : "is not an AMI id (ami- and 8 or 17 hex digits)"),
    }),
  ),
  hostRootVolumeGiB: integer({
    description: "Size of each host's encrypted gp3 root volume (images and container layers live there).",
    default: 50,
    min: 30,
    max: 2000,
    unit: "GiB; the ECS-optimized AL2023 AMI needs at least 30",
  }),
  containerStopTimeoutSeconds: integer({
    description: "ECS_CONTAINER_STOP_TIMEOUT: how long a stopping container gets between SIGTERM and SIGKILL.",
    default: 30,
    min: 2,
    max: 600,
    unit: "seconds",
  }),
  seccompPtrace: oneOf(PTRACE_CHOICES, {
    description:
      "ptrace (and process_vm_readv/writev) in the hosts' seccomp profile. allowed: Docker's default; strace, gdb, lldb, delve, py-spy and AddressSanitizer's leak check work, on the container's own processes only (own PID namespace, no CAP_SYS_PTRACE). denied: those tools fail. See docs/hardening.md.",
    default: "allowed",
  }),
  hostReservedMemoryMiB: integer({
    description: "ECS_RESERVED_MEMORY: memory per host kept back from tasks for the OS, Docker and the ECS agent.",
    default: 512,
    min: 0,
    max: 8192,
    unit: "MiB",
  }),
};

const POOL_KEYS: Record<Pool, { min: "backendMinSize" | "workspaceMinSize"; max: "backendMaxSize" | "workspaceMaxSize" }> = {
  backend: { min: "backendMinSize", max: "backendMaxSize" },
  workspace: { min: "workspaceMinSize", max: "workspaceMaxSize" },
};

export const hostChecks: CrossCheck[] = [
  (cfg, report) => {
    for (const [pool, keys] of Object.entries(POOL_KEYS)) {
      if (cfg[keys.min] > cfg[keys.max]) {
        report(keys.min, cfg[keys.min], `at most ${keys.max} (${cfg[keys.max]}): the ${pool} pool's minimum cannot exceed its maximum`);
      }
    }
  },
  // AWS: "You cannot add a warm pool to an Auto Scaling group that has a mixed instances policy
  // or that launches Spot Instances" (EC2 Auto Scaling User Guide, warm pools, limitations).
  (cfg, report) => {
    const size = cfg.workspaceWarmPoolSize;
    if (size === 0) return;
    if (cfg.workspaceSpot) {
      report("workspaceWarmPoolSize", size, "0 while workspaceSpot is true: AWS allows no warm pool with Spot instances (set workspaceSpot: false to keep the warm pool)");
    }
    if (cfg.workspaceInstanceTypes.length > 1) {
      report("workspaceWarmPoolSize", size, `0 while workspaceInstanceTypes lists ${cfg.workspaceInstanceTypes.length} types: AWS allows no warm pool with mixed instance types (list one type to keep the warm pool)`);
    }
    if (size > cfg.workspaceMaxSize) {
      report("workspaceWarmPoolSize", size, `at most workspaceMaxSize (${cfg.workspaceMaxSize}): the warm pool is sized within the group's maximum`);
    }
  },
];
