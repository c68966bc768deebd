// The capacity model: how many workspaces one instance of the workspace pool holds (lib/density.ts),
// and what a workspace-hour costs on it, compared with Fargate for the same task and with the
// seed's figures. It reads the task's reservation from the graph: the task-level cpu when the task
// definition sets one, else the sum of its containers' cpu units, as ECS places it.
import { familyOf, INSTANCE_TYPES, instanceTypeInfo } from "../../lib/instanceCatalog";
import { CPU_UNITS_PER_VCPU, type Density, density, type InstanceShape, type TaskSize } from "../../lib/density";
import type { StackGraph } from "../graph";
import { containerSizes, workspaceTaskDefinition } from "../workloads";
import { fargateHourly, type FargateSize, fargateSizeFor } from "./fargate";
import { type HostPoolFacts, hostPools } from "./pools";
import { ec2HourlyPrice, PRICES } from "./prices";

export { density, REGISTERED_MEMORY_RATIO } from "../../lib/density";

/** The seed's per-task-hour figures (seed 000, "Cost Comparison"). */
export const SEED_TASK_HOUR = { ecsOnEc2: 0.08, fargate: 0.2 } as const;

/** Instance price per workspace-hour when `utilization` (0..1] of the slots are in use. */
export function costPerWorkspaceHour(instanceHourly: number, workspaces: number, utilization: number): number {
  if (workspaces <= 0 || utilization <= 0) return Number.POSITIVE_INFINITY;
  return instanceHourly / (workspaces * utilization);
}

interface PoolCapacity {
  readonly instanceType: string;
  readonly shape: InstanceShape;
  readonly reservedMemoryMiB: number;
  readonly density: Density;
  readonly instanceHourly?: number;
  /** Workspaces at the pool's minimum and maximum size. */
  readonly slots: { readonly min: number; readonly max: number };
}

export interface CapacityModel {
  readonly pool: string;
  /**
   * `cpu` is what placement reserves: the task-level cpu when set, else the containers' sum (what
   * the ECS agent reports for the task either way). `cpuLimit` is the task-level cpu, a hard CFS
   * quota on ECS on EC2; unset, the containers' cpu units are only CPU shares (a weight).
   */
  readonly task: TaskSize & { readonly family: string; readonly containers: readonly { name: string; cpu: number; memoryMiB: number }[]; readonly cpuLimit?: number };
  readonly instances: { readonly min: number; readonly max: number };
  readonly byType: readonly PoolCapacity[];
  readonly utilization: number;
  /** The capacity provider's managed scaling target (percent), when the graph has one. */
  readonly targetCapacityPercent?: number;
  readonly perWorkspaceHour?: { readonly atUtilization: number; readonly atFull: number; readonly atTarget?: number };
  readonly fargate?: { readonly size: FargateSize; readonly hourly: number; readonly exactHourly: number };
  /**
   * A VM boundary per workspace with today's resources (docs/isolation.md): one workspace per
   * instance, on the smallest size of the pool's family that holds one task.
   */
  readonly onePerInstance?: { readonly instanceType: string; readonly instanceHourly: number; readonly atUtilization: number; readonly atFull: number };
  readonly seed: typeof SEED_TASK_HOUR;
}

/** The smallest size of `family` (by vCPU, then memory) that holds one task beside the agent reserve. */
function smallestHolding(family: string, reservedMemoryMiB: number, task: TaskSize): string | undefined {
  return Object.entries(INSTANCE_TYPES)
    .filter(([name]) => familyOf(name) === family)
    .sort(([, a], [, b]) => a.vcpu - b.vcpu || a.memoryMiB - b.memoryMiB)
    .find(([, info]) => density({ vcpu: info.vcpu, memoryMiB: info.memoryMiB, eniTasks: info.tasksWithoutTrunking }, reservedMemoryMiB, task).workspaces >= 1)?.[0];
}

/** The capacity model of the workspace pool, or undefined when the graph has no workspace pool or task. */
export function workspaceCapacity(graph: StackGraph, utilization: number): CapacityModel | undefined {
  const pool = hostPools(graph).find((p) => p.pool === "workspace");
  const td = workspaceTaskDefinition(graph);
  if (!pool || !td) return undefined;
  const containers = containerSizes(td);
  const cpuLimit = td.inputs.cpu !== undefined ? Number(td.inputs.cpu) : undefined;
  const task = {
    family: String(td.inputs.family),
    containers,
    cpu: cpuLimit ?? containers.reduce((s, c) => s + c.cpu, 0),
    memoryMiB: Number(td.inputs.memory ?? containers.reduce((s, c) => s + c.memoryMiB, 0)),
    ...(cpuLimit !== undefined ? { cpuLimit } : {}),
  };
  const byType = pool.instanceTypes.flatMap((type) => {
    const info = instanceTypeInfo(type);
    if (!info) return [];
    const shape = { vcpu: info.vcpu, memoryMiB: info.memoryMiB, eniTasks: info.tasksWithTrunking };
    const d = density(shape, pool.reservedMemoryMiB, task);
    return [{
      instanceType: type,
      shape,
      reservedMemoryMiB: pool.reservedMemoryMiB,
      density: d,
      instanceHourly: ec2HourlyPrice(type)?.usd,
      slots: { min: pool.minSize * d.workspaces, max: pool.maxSize * d.workspaces },
    }];
  });
  const target = targetCapacity(graph, pool);
  const first = byType[0];
  const perWorkspaceHour = first?.instanceHourly !== undefined
    ? {
      atUtilization: costPerWorkspaceHour(first.instanceHourly, first.density.workspaces, utilization),
      atFull: costPerWorkspaceHour(first.instanceHourly, first.density.workspaces, 1),
      atTarget: target !== undefined ? costPerWorkspaceHour(first.instanceHourly, first.density.workspaces, target / 100) : undefined,
    }
    : undefined;
  // Fargate needs a task size (and makes it a cap): the smallest that holds the reservations.
  const size = fargateSizeFor(task.cpu, task.memoryMiB, PRICES.fargateVcpuHour, PRICES.fargateGiBHour);
  const single = first ? smallestHolding(familyOf(first.instanceType), pool.reservedMemoryMiB, task) : undefined;
  const singleHourly = single ? ec2HourlyPrice(single)?.usd : undefined;
  return {
    pool: pool.pool,
    task,
    instances: { min: pool.minSize, max: pool.maxSize },
    byType,
    utilization,
    targetCapacityPercent: target,
    perWorkspaceHour,
    fargate: size
      ? {
        size,
        hourly: fargateHourly(size, PRICES.fargateVcpuHour, PRICES.fargateGiBHour),
        exactHourly: fargateHourly({ vcpu: task.cpu / CPU_UNITS_PER_VCPU, memoryGiB: task.memoryMiB / 1024 }, PRICES.fargateVcpuHour, PRICES.fargateGiBHour),
      }
      : undefined,
    onePerInstance: single && singleHourly !== undefined
      ? { instanceType: single, instanceHourly: singleHourly, atUtilization: costPerWorkspaceHour(singleHourly, 1, utilization), atFull: singleHourly }
      : undefined,
    seed: SEED_TASK_HOUR,
  };
}

/** Managed scaling target of the capacity provider on this pool's group. */
function targetCapacity(graph: StackGraph, pool: HostPoolFacts): number | undefined {
  const arn = pool.group.state.arn;
  const provider = graph.ofType("aws:ecs/capacityProvider:CapacityProvider")
    .find((cp) => cp.inputs.autoScalingGroupProvider?.autoScalingGroupArn === arn);
  const value = provider?.inputs.autoScalingGroupProvider?.managedScaling?.targetCapacity;
  return typeof value === "number" ? value : undefined;
}
