// AWS's limits that decide how far one stack can grow: the ECS API's rate limits (the ops tool's
// token buckets and the plan's burst-launch estimate both read them), the default service quotas
// the plan's ceilings use (each overridable by a quota* config key for an account whose quota AWS
// raised), and the addresses AWS keeps in every subnet. Each figure with its source, as of
// LIMITS_DATE, and whether a source confirmed it or it is an estimate.

import { MAX_TASKS_PER_RUNTASK } from "./launchContract";

export const LIMITS_DATE = "2026-12";

type LimitStatus = "confirmed" | "estimate";

/** ECS API throttling (ECS Developer Guide, "Request throttling for the Amazon ECS API"). */
export const ECS_API_LIMITS = {
  /** RunTask, StopTask and UpdateContainerInstancesState share one bucket. */
  runStop: { burst: 100, perSecond: 40 },
  /** DescribeTasks and ListTasks. */
  describe: { burst: 100, perSecond: 20 },
} as const;

/** AWS keeps the first four addresses and the last one of every subnet (VPC User Guide, "Subnet CIDR blocks"). */
const SUBNET_RESERVED_ADDRESSES = 5;

interface DefaultQuota {
  readonly name: string;
  readonly value: number;
  readonly adjustable: boolean;
  readonly status: LimitStatus;
  readonly source: string;
}

/** The default quotas the plan's ceilings use; config keys quota* override them (config/capacity.ts). */
export const DEFAULT_QUOTAS = {
  containerInstancesPerCluster: {
    name: "Container instances per cluster",
    value: 5000,
    adjustable: false,
    status: "confirmed",
    source: "ECS Developer Guide, 'Amazon ECS service quotas' (5,000, not adjustable; both the backend and the workspace pool register in the one cluster)",
  },
  networkInterfacesPerRegion: {
    name: "Network interfaces per Region (Service Quotas L-DF5E4CA3)",
    value: 5000,
    adjustable: true,
    status: "confirmed",
    source:
      "VPC User Guide, 'Amazon VPC quotas' (5,000, adjustable; account-wide in the Region, shared with everything else there); every awsvpc task takes one (ECS Best Practices Guide, 'Handle Amazon ECS service quotas and API throttling limits')",
  },
  // The latest figure AWS itself published that could be read here: 300, not adjustable (the ECS
  // Developer Guide's source, awsdocs/amazon-ecs-developer-guide@4d9b316 doc_source/service-quotas.md,
  // 2022-04-14: "Tasks in the PROVISIONING state per cluster | Each supported Region: 300 | No";
  // aws/containers-roadmap#1780, 2022-07, quotes the same page at 300). Before it, 100 (AWS
  // Containers blog, "Deep dive on Amazon ECS cluster auto scaling", 2020). The live page
  // (docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html) renders the table
  // from Service Quotas and its row was not in the stored copy; third-party copies of 2026 say 500.
  // The lower figure, so a plan never promises waiting room an account lacks; where the account's
  // Service Quotas console says more, quotaTasksProvisioningPerCluster takes it.
  tasksProvisioningPerCluster: {
    name: "Tasks in the PROVISIONING state per cluster",
    value: 300,
    adjustable: false,
    status: "estimate",
    source:
      "ECS Developer Guide, 'Amazon ECS service quotas' (300, not adjustable, as of its last public source, 2022-04; the live table not readable here, third-party copies say 500: check the account's Service Quotas console). Tasks beyond it cannot wait in PROVISIONING for the capacity provider to add hosts (ECS Best Practices Guide, 'Handle Amazon ECS service quotas')",
  },
} as const satisfies Record<string, DefaultQuota>;

/** Addresses a subnet of this prefix length leaves for interfaces. */
export function usableAddresses(prefix: number): number {
  return Math.max(0, 2 ** (32 - prefix) - SUBNET_RESERVED_ADDRESSES);
}

/** The longest prefix (smallest subnet) that leaves at least `addresses` usable addresses. */
export function prefixFor(addresses: number): number {
  for (let prefix = 28; prefix >= 8; prefix--) if (usableAddresses(prefix) >= addresses) return prefix;
  return 8;
}

export interface Burst {
  readonly workspaces: number;
  readonly runTaskCalls: number;
  /** Seconds of RunTask calls at the whole bucket: its burst at once, then its refill rate. */
  readonly seconds: number;
  /** Workspace hosts that must already run for every task to start at once. */
  readonly hosts: number;
}

/** RunTask calls and seconds to launch `workspaces` at once: 10 tasks a call, the shared bucket's burst, then its refill rate. */
export function burstLaunch(workspaces: number, perInstance: number): Burst {
  const runTaskCalls = Math.ceil(workspaces / MAX_TASKS_PER_RUNTASK);
  const { burst, perSecond } = ECS_API_LIMITS.runStop;
  return { workspaces, runTaskCalls, seconds: Math.max(0, runTaskCalls - burst) / perSecond, hosts: perInstance > 0 ? Math.ceil(workspaces / perInstance) : 0 };
}
