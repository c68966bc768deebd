// The instance-type advisor: for the workspace task's size, every type of the instance catalog
// (lib/instanceCatalog.ts: ENI trunking figures and Tokyo prices with their sources) with the
// workspaces one instance holds under trunking, memory and CPU (lib/density.ts) and the instance
// price per workspace-hour, cheapest first. Only On-Demand prices: the workspace pool keeps a warm
// pool, which AWS allows with one instance type and no Spot (config/hosts.ts), so the advice is
// one type. Types the hosts cannot run (arm64: HOST_ARCHITECTURE) are listed apart.
import { CPU_UNITS_PER_VCPU, type Density, density, type TaskSize } from "../../lib/density";
import { type Architecture, type FigureStatus, HOST_ARCHITECTURE, INSTANCE_TYPES, instanceHourlyUsd, FAMILY_PRICES } from "../../lib/instanceCatalog";
import { costPerWorkspaceHour } from "./capacity";

/** The design's cost target (DESIGN.md, Targets: density): per workspace-hour, instance only, at this share of slots in use. */
export const WORKSPACE_HOUR_GOAL = { usd: 0.05, utilization: 0.8 } as const;

/** Costs closer than this count as equal; the smaller instance then goes first (finer scaling steps, less lost with one host). */
const SAME_COST_USD = 0.00005;

interface AdvisorRow {
  readonly instanceType: string;
  readonly architecture: Architecture;
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly density: Density;
  readonly hourly: number;
  readonly priceStatus: FigureStatus;
  readonly trunkingStatus: FigureStatus;
  /** Instance price per workspace-hour with every slot in use, and at the goal's utilization. */
  readonly perWorkspaceHour: { readonly atFull: number; readonly atGoal: number };
  /** Why the pool cannot use it, when it cannot. */
  readonly excluded?: string;
}

interface GoalVerdict {
  readonly usd: number;
  readonly utilization: number;
  readonly met: boolean;
  /** The recommended type's figure at the goal's utilization. */
  readonly best?: number;
  /** When not met: the most CPU units per task at which an eligible type meets it, and that type. */
  readonly reachableAt?: { readonly taskCpu: number; readonly instanceType: string; readonly workspaces: number; readonly perWorkspaceHour: number };
}

export interface Advice {
  /** What the task reserves per workspace (placement counts it). */
  readonly task: TaskSize;
  /** Whether the reservation is also each workspace's CPU cap (a task-level cpu); otherwise it is a weight only. */
  readonly cpuCapped: boolean;
  readonly reservedMemoryMiB: number;
  /** Eligible types cheapest first, then the excluded ones. */
  readonly rows: readonly AdvisorRow[];
  readonly recommended?: AdvisorRow;
  readonly goal: GoalVerdict;
}

function row(instanceType: string, task: TaskSize, reservedMemoryMiB: number): AdvisorRow | undefined {
  const info = INSTANCE_TYPES[instanceType];
  const hourly = instanceHourlyUsd(instanceType);
  const price = FAMILY_PRICES[info.family];
  if (hourly === undefined || !price) return undefined;
  const d = density({ vcpu: info.vcpu, memoryMiB: info.memoryMiB, eniTasks: info.tasksWithTrunking }, reservedMemoryMiB, task);
  const excluded = info.architecture !== HOST_ARCHITECTURE
    ? `${info.architecture}: the hosts run the ${HOST_ARCHITECTURE} AMI and the images are linux/amd64`
    : d.workspaces === 0 ? "holds no workspace task" : undefined;
  return {
    instanceType,
    architecture: info.architecture,
    vcpu: info.vcpu,
    memoryMiB: info.memoryMiB,
    density: d,
    hourly,
    priceStatus: price.status,
    trunkingStatus: info.trunkingStatus,
    perWorkspaceHour: {
      atFull: costPerWorkspaceHour(hourly, d.workspaces, 1),
      atGoal: costPerWorkspaceHour(hourly, d.workspaces, WORKSPACE_HOUR_GOAL.utilization),
    },
    excluded,
  };
}

function cheaperFirst(a: AdvisorRow, b: AdvisorRow): number {
  const diff = a.perWorkspaceHour.atFull - b.perWorkspaceHour.atFull;
  if (Math.abs(diff) >= SAME_COST_USD) return diff;
  return a.vcpu - b.vcpu || a.instanceType.localeCompare(b.instanceType);
}

/**
 * Where the goal is out of reach, the most CPU units a task may reserve for some eligible type to
 * reach it: that type must hold price / (goal x utilization) workspaces, which memory and ENI
 * trunking allow or not, and CPU then gives each at most vCPU x 1024 / that many units.
 */
function reachableAt(rows: readonly AdvisorRow[]): GoalVerdict["reachableAt"] {
  let best: GoalVerdict["reachableAt"];
  for (const r of rows) {
    if (r.excluded) continue;
    const needed = Math.ceil(r.hourly / (WORKSPACE_HOUR_GOAL.usd * WORKSPACE_HOUR_GOAL.utilization) - 1e-9);
    if (needed > Math.min(r.density.byEni, r.density.byMemory)) continue;
    const taskCpu = Math.floor((r.vcpu * CPU_UNITS_PER_VCPU) / needed);
    if (!best || taskCpu > best.taskCpu || (taskCpu === best.taskCpu && r.vcpu < (INSTANCE_TYPES[best.instanceType]?.vcpu ?? Infinity))) {
      best = { taskCpu, instanceType: r.instanceType, workspaces: needed, perWorkspaceHour: costPerWorkspaceHour(r.hourly, needed, WORKSPACE_HOUR_GOAL.utilization) };
    }
  }
  return best;
}

/** Every catalog type for this task, cheapest eligible first. Placement counts the reservation, capped or not. */
export function adviseInstanceType(task: TaskSize, reservedMemoryMiB: number, cpuCapped = false): Advice {
  const all = Object.keys(INSTANCE_TYPES).map((t) => row(t, task, reservedMemoryMiB)).filter((r): r is AdvisorRow => r !== undefined);
  const eligible = all.filter((r) => !r.excluded).sort(cheaperFirst);
  const excluded = all.filter((r) => r.excluded).sort(cheaperFirst);
  const recommended = eligible[0];
  const best = recommended?.perWorkspaceHour.atGoal;
  const met = best !== undefined && best <= WORKSPACE_HOUR_GOAL.usd;
  return {
    task,
    cpuCapped,
    reservedMemoryMiB,
    rows: [...eligible, ...excluded],
    recommended,
    goal: { ...WORKSPACE_HOUR_GOAL, met, best, reachableAt: met ? undefined : reachableAt(eligible) },
  };
}
