// The capacity model: how many workspaces one instance of the workspace pool holds, and what a
// workspace-hour costs on it, compared with Fargate for the same task and with the seed's figures.
//
// Workspaces per instance = the lowest of
//   - ENI trunking: awsvpc tasks the type can attach (config/instanceTypes.ts);
//   - memory: what ECS registers (the OS sees less than the nominal memory: AWS's example is an
//     m4.large with 8 GiB registering 7985 MiB, ECS Developer Guide "Reserving Amazon ECS Linux
//     container instance memory") minus ECS_RESERVED_MEMORY, divided by the task's memory;
//   - CPU: 1024 units per vCPU, divided by the task's CPU units.
import { familyOf, INSTANCE_TYPES, instanceTypeInfo } from "../../config/instanceTypes";
import type { StackGraph } from "../graph";
import { containerSizes, workspaceTaskDefinition } from "../workloads";
import { fargateHourly, type FargateSize, fargateSizeFor } from "./fargate";
import { type HostPoolFacts, hostPools } from "./pools";
import { ec2HourlyPrice, PRICES } from "./prices";

/** Share of nominal memory the OS (and so ECS) sees: 7985 / 8192 MiB in AWS's m4.large example. */
export const REGISTERED_MEMORY_RATIO = 7985 / 8192;
export const CPU_UNITS_PER_VCPU = 1024;

/** The seed's per-task-hour figures (seed 000, "Cost Comparison"). */
export const SEED_TASK_HOUR = { ecsOnEc2: 0.08, fargate: 0.2 } as const;

export interface InstanceShape {
  readonly vcpu: number;
  readonly memoryMiB: number;
  /** awsvpc tasks per instance with ENI trunking. */
  readonly eniTasks: number;
}

export interface TaskSize {
  readonly cpu: number;
  readonly memoryMiB: number;
}

export type Bound = "ENI trunking" | "memory" | "CPU";

export interface Density {
  readonly registeredMemoryMiB: number;
  readonly availableMemoryMiB: number;
  readonly availableCpu: number;
  readonly byEni: number;
  readonly byMemory: number;
  readonly byCpu: number;
  readonly workspaces: number;
  readonly boundBy: Bound;
}

/** Workspaces one instance holds; ties go to memory, then CPU (the design's target: memory-bound). */
export function density(shape: InstanceShape, reservedMemoryMiB: number, task: TaskSize): Density {
  const registeredMemoryMiB = Math.floor(shape.memoryMiB * REGISTERED_MEMORY_RATIO);
  const availableMemoryMiB = Math.max(0, registeredMemoryMiB - reservedMemoryMiB);
  const availableCpu = shape.vcpu * CPU_UNITS_PER_VCPU;
  const byMemory = Math.floor(availableMemoryMiB / task.memoryMiB);
  const byCpu = Math.floor(availableCpu / task.cpu);
  const byEni = shape.eniTasks;
  const workspaces = Math.min(byEni, byMemory, byCpu);
  const boundBy: Bound = byMemory === workspaces ? "memory" : byCpu === workspaces ? "CPU" : "ENI trunking";
  return { registeredMemoryMiB, availableMemoryMiB, availableCpu, byEni, byMemory, byCpu, workspaces, boundBy };
}

/** Instance price per workspace-hour when `utilization` (0..1] of the slots are in use. */
export function costPerWorkspaceHour(instanceHourly: number, workspaces: number, utilization: number): number {
  if (workspaces <= 0 || utilization <= 0) return Number.POSITIVE_INFINITY;
  return instanceHourly / (workspaces * utilization);
}

export interface PoolCapacity {
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
  readonly task: TaskSize & { readonly family: string; readonly containers: readonly { name: string; cpu: number; memoryMiB: number }[] };
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
export function smallestHolding(family: string, reservedMemoryMiB: number, task: TaskSize): string | undefined {
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
  const task = {
    family: String(td.inputs.family),
    containers,
    cpu: Number(td.inputs.cpu ?? containers.reduce((s, c) => s + c.cpu, 0)),
    memoryMiB: Number(td.inputs.memory ?? containers.reduce((s, c) => s + c.memoryMiB, 0)),
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
