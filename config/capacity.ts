// Capacity config: the AWS quotas the plan's ceilings use (AWS's defaults, lib/awsLimits.ts; set
// a key where AWS raised the account's quota), the concurrency the plan sizes the stack for, and
// the checks that refuse a workspace pool the stack cannot hold: subnets without an address for
// every task the pool's maximum can run, or more instances than one cluster registers.
import { DEFAULT_QUOTAS, prefixFor, usableAddresses } from "../lib/awsLimits";
import { mustParseCidr } from "../lib/cidr";
import { density } from "../lib/density";
import { instanceTypeInfo } from "../lib/instanceCatalog";
import { planSubnets } from "../lib/subnetLayout";
import { CREDENTIAL_PROXY_CPU, CREDENTIAL_PROXY_MEMORY_MIB } from "../lib/workspaceContainers";
import type { StackConfig } from "../config";
import type { CrossCheck } from "./problems";
import { integer } from "./schema";

export const capacityKeys = {
  quotaContainerInstancesPerCluster: integer({
    description: `ECS quota '${DEFAULT_QUOTAS.containerInstancesPerCluster.name}' of the account (AWS's default ${DEFAULT_QUOTAS.containerInstancesPerCluster.value}); both host pools register in the one cluster.`,
    default: DEFAULT_QUOTAS.containerInstancesPerCluster.value,
    min: 1,
    max: 1000000,
  }),
  quotaNetworkInterfacesPerRegion: integer({
    description: `VPC quota '${DEFAULT_QUOTAS.networkInterfacesPerRegion.name}' of the account (AWS's default ${DEFAULT_QUOTAS.networkInterfacesPerRegion.value}); every workspace task, host (2: primary and trunk) and endpoint takes interfaces.`,
    default: DEFAULT_QUOTAS.networkInterfacesPerRegion.value,
    min: 1,
    max: 10000000,
  }),
  quotaTasksProvisioningPerCluster: integer({
    description: `ECS quota '${DEFAULT_QUOTAS.tasksProvisioningPerCluster.name}' of the account (${DEFAULT_QUOTAS.tasksProvisioningPerCluster.value} assumed): workspaces that may wait for the capacity provider to add hosts.`,
    default: DEFAULT_QUOTAS.tasksProvisioningPerCluster.value,
    min: 1,
    max: 1000000,
  }),
  capacityTargetWorkspaces: integer({
    description: "Concurrent workspaces the plan sizes the stack for (instances, subnets, quotas to raise, launch time); the program builds nothing from it.",
    default: 10000,
    min: 1,
    max: 10000000,
  }),
};

/** The workspace task's size as config sets it: the agent plus the credential-proxy sidecar. */
function configuredWorkspaceTask(cfg: Pick<StackConfig, "workspaceAgentCpu" | "workspaceAgentMemoryMiB">): { cpu: number; memoryMiB: number } {
  return { cpu: cfg.workspaceAgentCpu + CREDENTIAL_PROXY_CPU, memoryMiB: cfg.workspaceAgentMemoryMiB + CREDENTIAL_PROXY_MEMORY_MIB };
}

/** Workspaces per instance of each listed workspace type the catalog knows. */
function perInstance(cfg: StackConfig): { type: string; workspaces: number }[] {
  const task = configuredWorkspaceTask(cfg);
  return cfg.workspaceInstanceTypes.flatMap((type) => {
    const info = instanceTypeInfo(type);
    if (!info) return [];
    const d = density({ vcpu: info.vcpu, memoryMiB: info.memoryMiB, eniTasks: info.tasksWithTrunking }, cfg.hostReservedMemoryMiB, task);
    return [{ type, workspaces: d.workspaces }];
  });
}

const n = (v: number) => v.toLocaleString("en-US");

export const capacityChecks: CrossCheck[] = [
  // A task that fits no listed type would wait in PROVISIONING forever.
  (cfg, report) => {
    const task = configuredWorkspaceTask(cfg);
    const empty = perInstance(cfg).filter((p) => p.workspaces === 0).map((p) => p.type);
    if (empty.length === 0) return;
    report("workspaceInstanceTypes", cfg.workspaceInstanceTypes,
      `types that hold at least one workspace task (${task.cpu} CPU units / ${task.memoryMiB} MiB: workspaceAgentCpu and workspaceAgentMemoryMiB plus the credential proxy's ${CREDENTIAL_PROXY_CPU} / ${CREDENTIAL_PROXY_MEMORY_MIB}, after hostReservedMemoryMiB ${cfg.hostReservedMemoryMiB}); ${empty.join(", ")} hold none`);
  },
  // Every workspace task takes an address in its AZ's workspace subnet (RunTask answers 200 and the
  // task dies later with InsufficientFreeAddressesInSubnet). Auto Scaling balances the hosts over
  // the AZs, so one AZ holds up to ceil(max / AZs) hosts; nothing else takes these addresses here
  // (hosts, their trunk interfaces, the endpoints and the egress proxy are in the private subnets).
  (cfg, report) => {
    const listed = cfg.workspaceSubnetCidrs;
    if (listed.length !== 0 && listed.length !== cfg.azCount) return; // reported by the network checks
    const most = Math.max(0, ...perInstance(cfg).map((p) => p.workspaces));
    if (most === 0) return;
    let subnets: string[];
    try {
      subnets = [...planSubnets(cfg.vpcCidr, cfg.azCount, { public: [], private: [], isolated: [], workspace: listed }).workspace];
    } catch {
      return; // a VPC too small to carve from is reported by vpcCidr
    }
    const smallest = subnets.map(mustParseCidr).reduce((a, b) => (a.prefix >= b.prefix ? a : b));
    const free = usableAddresses(smallest.prefix);
    const hostsPerAz = Math.ceil(cfg.workspaceMaxSize / cfg.azCount);
    const tasksPerAz = hostsPerAz * most;
    if (tasksPerAz <= free) return;
    const fitMax = Math.floor(free / most) * cfg.azCount;
    const needed = prefixFor(tasksPerAz);
    const load = `workspaceMaxSize ${n(cfg.workspaceMaxSize)} puts up to ${n(hostsPerAz)} hosts x ${most} workspaces = ${n(tasksPerAz)} workspace tasks in one of the ${cfg.azCount} AZs`;
    if (listed.length > 0) {
      report("workspaceSubnetCidrs", listed,
        `workspace subnets of /${needed} or larger: ${load}, and ${smallest.text} leaves ${n(free)} addresses (AWS reserves 5 per subnet); or workspaceMaxSize at most ${n(fitMax)}`);
    } else {
      report("workspaceMaxSize", cfg.workspaceMaxSize,
        `at most ${n(fitMax)}: the workspace subnets carved from vpcCidr (/${smallest.prefix}) leave ${n(free)} addresses per AZ (AWS reserves 5 per subnet) and ${load}; for more, list workspaceSubnetCidrs of /${needed} or larger`);
    }
  },
  (cfg, report) => {
    const limit = cfg.quotaContainerInstancesPerCluster;
    if (cfg.workspaceMaxSize + cfg.backendMaxSize <= limit) return;
    report("workspaceMaxSize", cfg.workspaceMaxSize,
      `at most ${n(Math.max(0, limit - cfg.backendMaxSize))}: one cluster registers at most ${n(limit)} container instances (quotaContainerInstancesPerCluster; AWS's default ${n(DEFAULT_QUOTAS.containerInstancesPerCluster.value)} is not adjustable) and the backend pool takes up to ${cfg.backendMaxSize} (backendMaxSize); serve more workspaces from another stack, a cell (docs/scale.md)`);
  },
];
