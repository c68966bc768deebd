// Fargate for comparison: the task sizes Fargate accepts and what a task of a given size costs
// there. A task on Fargate must take one of these CPU/memory combinations (and is capped at it), so
// a workspace reserving 0.5 vCPU / 2.125 GB is billed as the smallest valid size that holds it.
// Source: AWS ECS Developer Guide, "Task CPU and memory" (Fargate supported configurations).
import type { Price } from "./prices";

interface FargateCpuOption {
  readonly vcpu: number;
  readonly memoryGiB: readonly number[];
}

const range = (from: number, to: number, step: number) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

const FARGATE_SIZES: readonly FargateCpuOption[] = [
  { vcpu: 0.25, memoryGiB: [0.5, 1, 2] },
  { vcpu: 0.5, memoryGiB: range(1, 4, 1) },
  { vcpu: 1, memoryGiB: range(2, 8, 1) },
  { vcpu: 2, memoryGiB: range(4, 16, 1) },
  { vcpu: 4, memoryGiB: range(8, 30, 1) },
  { vcpu: 8, memoryGiB: range(16, 60, 4) },
  { vcpu: 16, memoryGiB: range(32, 120, 8) },
];

export interface FargateSize {
  readonly vcpu: number;
  readonly memoryGiB: number;
}

/** The smallest Fargate size (by price) that holds `cpuUnits` (1024 = 1 vCPU) and `memoryMiB`. */
export function fargateSizeFor(cpuUnits: number, memoryMiB: number, vcpuPrice: Price, gibPrice: Price): FargateSize | undefined {
  const vcpuNeeded = cpuUnits / 1024;
  const gibNeeded = memoryMiB / 1024;
  const candidates = FARGATE_SIZES.filter((o) => o.vcpu >= vcpuNeeded).flatMap((o) =>
    o.memoryGiB.filter((m) => m >= gibNeeded).map((memoryGiB) => ({ vcpu: o.vcpu, memoryGiB })));
  const cost = (s: FargateSize) => fargateHourly(s, vcpuPrice, gibPrice);
  return candidates.sort((a, b) => cost(a) - cost(b))[0];
}

export function fargateHourly(size: FargateSize, vcpuPrice: Price, gibPrice: Price): number {
  return size.vcpu * vcpuPrice.usd + size.memoryGiB * gibPrice.usd;
}
