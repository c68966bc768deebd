// How many awsvpc workspace tasks one instance holds: the lowest of
//   - ENI trunking: awsvpc tasks the type can attach (lib/instanceCatalog.ts);
//   - memory: what ECS registers (the OS sees less than the nominal memory: AWS's example is an
//     m4.large with 8 GiB registering 7985 MiB, ECS Developer Guide "Reserving Amazon ECS Linux
//     container instance memory") minus ECS_RESERVED_MEMORY, divided by the task's memory;
//   - CPU: 1024 units per vCPU, divided by the task's CPU units (its placement reservation: the
//     task-level cpu when set, which is then also a hard limit, else the sum of its containers'
//     cpu units, which are only CPU shares, a weight).
// Config validation and the plan's capacity model both use it.

/** Share of nominal memory the OS (and so ECS) sees: 7985 / 8192 MiB in AWS's m4.large example. */
export const REGISTERED_MEMORY_RATIO = 7985 / 8192;
export const CPU_UNITS_PER_VCPU = 1024;

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

type Bound = "ENI trunking" | "memory" | "CPU";

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
