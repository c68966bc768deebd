// The plan's cost, capacity and instance-type sections: the estimate, the capacity model with the
// stack's ceilings, and the instance-type advisor, as text lines (and their data for --json), next
// to the seed's figures.
import { ASSUMPTION_KEYS, type CostAssumptions, costAssumptions } from "../../config/cost";
import { capacityKeys } from "../../config/capacity";
import type { StackConfig } from "../../config";
import { CPU_UNITS_PER_VCPU } from "../../lib/density";
import { CATALOG_DATE, FAMILY_PRICES, HOST_ARCHITECTURE, INSTANCE_TYPES, PRICE_REGION } from "../../lib/instanceCatalog";
import type { StackGraph } from "../graph";
import type { PlanSection } from "../plan";
import { type Advice, adviseInstanceType } from "./advisor";
import { type CapacityModel, workspaceCapacity } from "./capacity";
import { type Ceilings, ceilingLines, DEFAULT_QUOTA_VALUES, type Quotas, stackCeilings } from "./ceilings";
import { type CostEstimate, estimateCost } from "./estimate";
import type { Range } from "./lines";
import { allPrices } from "./prices";

/** The seed's monthly figures (seed 002, section 8, "コスト比較"). */
const SEED_MONTHLY: Readonly<Record<string, { readonly text: string; readonly min: number; readonly max: number }>> = {
  staging: { text: "≈ $390", min: 390, max: 390 },
  prod: { text: "$850–1,500", min: 850, max: 1500 },
};

export function seedFigureFor(stack: string): { text: string; min: number; max: number } | undefined {
  return SEED_MONTHLY[stack] ?? (stack.startsWith("prod") ? SEED_MONTHLY.prod : undefined);
}

export function usd(value: number, digits = 2): string {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function usdRange(r: Range, digits = 2): string {
  return Math.abs(r.max - r.min) < 0.005 ? usd(r.min, digits) : `${usd(r.min, digits)} – ${usd(r.max, digits)}`;
}

function quantity(r: Range): string {
  const fmt = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return r.min === r.max ? fmt(r.min) : `${fmt(r.min)}–${fmt(r.max)}`;
}

function assumptionText(a: CostAssumptions): string {
  return (Object.keys(ASSUMPTION_KEYS) as (keyof CostAssumptions)[])
    .map((k) => {
      const v = a[k];
      const shown = k === "workspaceUtilization" || k === "spotDiscount" ? Math.round(v * 100) : v;
      return `${ASSUMPTION_KEYS[k]} ${shown}`;
    })
    .join(", ");
}

function costLines(e: CostEstimate): string[] {
  if (e.refused) return [e.refused];
  const out: string[] = [];
  const cat = Math.max(...e.lines.map((l) => l.category.length));
  const item = Math.min(64, Math.max(...e.lines.map((l) => l.item.length)));
  for (const l of e.lines) {
    const qty = `${quantity(l.quantity)} ${l.unit} x ${l.price ? usd(l.unitPrice, l.unitPrice < 0.1 ? 4 : 3) : "(no price)"}`;
    out.push(`${l.category.padEnd(cat)}  ${l.item.padEnd(item)}  ${qty.padEnd(44)}  ${usdRange(l.monthly).padStart(21)}${l.price?.status === "estimate" ? "  (est.)" : ""}`);
  }
  const seed = seedFigureFor(e.stack);
  out.push(
    `Total: ${usd(e.total.min)} a month at the host pools' minimum size, ${usd(e.total.max)} at their maximum` +
      (seed ? ` (seed: ${seed.text} a month for ${e.stack})` : ""),
    `By category: ${e.byCategory.map((c) => `${c.category} ${usdRange(c.monthly, 0)}`).join("; ")}`,
    `Prices: ${e.priceTable.region}, USD, on-demand, as of ${e.priceTable.date} (offline/cost/prices.ts; ${countStatus(e)}).`,
    `Assumptions (stack config): ${assumptionText(e.assumptions)}.`,
    ...e.notUsed,
    ...(e.unpricedTypes.length > 0 ? [`NOT PRICED (no rule in offline/cost/rules.ts): ${e.unpricedTypes.join(", ")}`] : []),
    ...(e.missingPrices.length > 0 ? [`MISSING PRICES (counted as $0): ${e.missingPrices.join("; ")}`] : []),
    "Left out:",
    ...e.leftOut.map((l) => `  - ${l}`),
  );
  return out;
}

function countStatus(e: CostEstimate): string {
  const used = e.lines.map((l) => l.price).filter((p) => p !== undefined);
  const confirmed = used.filter((p) => p.status === "confirmed").length;
  return `${confirmed} of ${used.length} priced lines use a price confirmed by a source, the rest are marked (est.)`;
}

export function capacityLines(c: CapacityModel | undefined, e?: CostEstimate): string[] {
  if (!c) return ["no workspace pool or workspace task definition in this stack"];
  const t = c.task;
  const out = [
    `workspace task ${t.family}: ${t.cpu} CPU units / ${t.memoryMiB} MiB (${t.containers.map((x) => `${x.name} ${x.cpu}/${x.memoryMiB}`).join(" + ")}); ` +
      (t.cpuLimit !== undefined
        ? `CPU capped at ${t.cpuLimit} units (task-level cpu, workspaceCpuHardLimit)`
        : "CPU a reservation and weight, no cap (CPU shares; no task-level cpu)") +
      ", memory a hard limit",
  ];
  for (const p of c.byType) {
    const d = p.density;
    out.push(
      `${p.instanceType}: ${p.shape.vcpu} vCPU / ${p.shape.memoryMiB} MiB; ECS registers ≈ ${d.registeredMemoryMiB} MiB, minus ECS_RESERVED_MEMORY ${p.reservedMemoryMiB} = ${d.availableMemoryMiB} MiB`,
      `  per instance: ENI trunking ${d.byEni}, memory ${d.byMemory}, CPU ${d.byCpu} → ${d.workspaces} workspaces (bound by ${d.boundBy})`,
      `  pool of ${c.instances.min.toLocaleString("en-US")}–${c.instances.max.toLocaleString("en-US")} instances: ${p.slots.min.toLocaleString("en-US")}–${p.slots.max.toLocaleString("en-US")} workspaces` +
        (p.instanceHourly !== undefined ? `; instance ${usd(p.instanceHourly, 3)}/hour` : ""),
    );
  }
  if (c.perWorkspaceHour) {
    const w = c.perWorkspaceHour;
    out.push(
      `cost per workspace-hour (instance only): ${usd(w.atUtilization, 4)} at ${Math.round(c.utilization * 100)}% of slots in use (costWorkspaceUtilizationPercent), ` +
        `${usd(w.atFull, 4)} at 100%` + (w.atTarget !== undefined ? `, ${usd(w.atTarget, 4)} at the capacity provider's ${c.targetCapacityPercent}% target` : ""),
    );
  }
  if (c.fargate) {
    out.push(
      `Fargate for the same task: ${c.fargate.size.vcpu} vCPU / ${c.fargate.size.memoryGiB} GB (the smallest valid size holding its reservations; Fargate needs a task size and caps the task at it) = ${usd(c.fargate.hourly, 4)} per task-hour; ` +
        `the exact ${t.cpu / 1024} vCPU / ${(t.memoryMiB / 1024).toFixed(3)} GB would be ${usd(c.fargate.exactHourly, 4)}`,
    );
  }
  if (c.onePerInstance) {
    const o = c.onePerInstance;
    out.push(
      `a VM boundary per workspace (docs/isolation.md): one per instance on ${o.instanceType} (${usd(o.instanceHourly, 3)}/hour) = ${usd(o.atUtilization, 4)} per workspace-hour ` +
        `at ${Math.round(c.utilization * 100)}%, ${usd(o.atFull, 4)} at 100%; Fargate (a VM per task) as above; ECS Managed Instances with ISOLATED_SANDBOX: not costed, not in @pulumi/aws yet`,
    );
  }
  out.push(`seed: ECS+EC2 ${usd(c.seed.ecsOnEc2)} and Fargate ${usd(c.seed.fargate)} per task-hour (seed 000, cost comparison)`);
  const allIn = allInPerWorkspaceHour(c, e);
  if (allIn) {
    out.push(`whole stack per workspace-hour in use: ${usdRange(allIn, 3)} (monthly total ÷ workspaces in use at ${Math.round(c.utilization * 100)}%, minimum – maximum size)`);
  }
  return out;
}

/** The whole stack's monthly cost per workspace-hour in use, at the minimum and maximum size. */
function allInPerWorkspaceHour(c: CapacityModel, e?: CostEstimate): Range | undefined {
  const p = c.byType[0];
  if (!e || e.refused || !p) return undefined;
  const hours = e.assumptions.hoursPerMonth * c.utilization;
  const per = (total: number, slots: number) => (slots > 0 ? total / (slots * hours) : Number.POSITIVE_INFINITY);
  return { min: per(e.total.min, p.slots.min), max: per(e.total.max, p.slots.max) };
}

export function costSection(graph: StackGraph, config?: StackConfig): PlanSection {
  const estimate = estimateCost(graph, costAssumptions(config));
  return {
    title: "Monthly cost estimate",
    lines: costLines(estimate),
    data: { ...estimate, prices: allPrices() },
  };
}

/** The account's quotas as the stack config states them (AWS's defaults without one). */
function stackQuotas(config?: StackConfig): Quotas {
  if (!config) return DEFAULT_QUOTA_VALUES;
  return {
    containerInstancesPerCluster: config.quotaContainerInstancesPerCluster,
    networkInterfacesPerRegion: config.quotaNetworkInterfacesPerRegion,
    tasksProvisioningPerCluster: config.quotaTasksProvisioningPerCluster,
  };
}

/** The stack's ceilings, or undefined without a workspace pool and task. */
export function ceilingsOf(graph: StackGraph, capacity: CapacityModel | undefined, config?: StackConfig): Ceilings | undefined {
  const target = config?.capacityTargetWorkspaces ?? (capacityKeys.capacityTargetWorkspaces.default as number);
  return capacity ? stackCeilings(graph, capacity, stackQuotas(config), target) : undefined;
}

export function capacitySection(graph: StackGraph, config?: StackConfig): PlanSection {
  const assumptions = costAssumptions(config);
  const capacity = workspaceCapacity(graph, assumptions.workspaceUtilization);
  const estimate = estimateCost(graph, assumptions);
  const ceilings = ceilingsOf(graph, capacity, config);
  return {
    title: "Capacity model",
    lines: [...capacityLines(capacity, estimate), ...ceilingLines(ceilings, assumptions.hoursPerMonth)],
    data: capacity ? { ...capacity, allInPerWorkspaceHour: allInPerWorkspaceHour(capacity, estimate), ceilings } : null,
  };
}

/** The advisor for the stack's workspace task, or undefined without a workspace pool and task. */
export function adviceOf(capacity: CapacityModel | undefined): Advice | undefined {
  const reserved = capacity?.byType[0]?.reservedMemoryMiB;
  return capacity && reserved !== undefined
    ? adviseInstanceType({ cpu: capacity.task.cpu, memoryMiB: capacity.task.memoryMiB }, reserved, capacity.task.cpuLimit !== undefined)
    : undefined;
}

/** Eligible rows the text shows; the JSON has them all. */
const ADVISOR_ROWS_SHOWN = 10;

export function advisorLines(a: Advice | undefined, configured?: string): string[] {
  if (!a) return ["no workspace pool or workspace task definition in this stack"];
  const eligible = a.rows.filter((r) => !r.excluded);
  const excluded = a.rows.filter((r) => r.excluded);
  const rank = configured ? eligible.findIndex((r) => r.instanceType === configured) : -1;
  const shown = eligible.filter((_, i) => i < ADVISOR_ROWS_SHOWN || i === rank);
  const goalPct = Math.round(a.goal.utilization * 100);
  const flags = (r: Advice["rows"][number]) => [r.priceStatus === "estimate" ? "price est." : "", r.trunkingStatus === "estimate" ? "ENI est." : ""].filter(Boolean).join(", ");
  const out = [
    `for the workspace task (${a.task.cpu} CPU units reserved${a.cpuCapped ? " and capped" : ""} / ${a.task.memoryMiB} MiB, ECS_RESERVED_MEMORY ${a.reservedMemoryMiB} MiB), every ${HOST_ARCHITECTURE} type of the catalog (lib/instanceCatalog.ts: ENI trunking figures and ${PRICE_REGION} On-Demand prices as of ${CATALOG_DATE}), cheapest per workspace-hour first; On-Demand and one type, as the warm pool requires:`,
    `  rank  type           vCPU  GiB   per instance (ENI / memory / CPU → workspaces)   $/hour    per workspace-hour: 100%    ${goalPct}%`,
  ];
  for (const r of shown) {
    const i = eligible.indexOf(r);
    const d = r.density;
    out.push(
      `  ${String(i + 1).padStart(4)}  ${r.instanceType.padEnd(13)}  ${String(r.vcpu).padStart(4)}  ${String(r.memoryMiB / 1024).padStart(4)}  ` +
        `${`${d.byEni} / ${d.byMemory} / ${d.byCpu} → ${d.workspaces} (${d.boundBy})`.padEnd(46)}  ${usd(r.hourly, 4).padStart(8)}  ${usd(r.perWorkspaceHour.atFull, 4).padStart(22)}  ${usd(r.perWorkspaceHour.atGoal, 4).padStart(7)}` +
        `${r.instanceType === configured ? "  ← this stack" : ""}${flags(r) ? `  (${flags(r)})` : ""}`,
    );
  }
  if (eligible.length > shown.length) out.push(`  … ${eligible.length - shown.length} more in --json`);
  if (a.recommended) {
    out.push(configured === a.recommended.instanceType
      ? `recommendation: ${a.recommended.instanceType}, which this stack's workspace pool uses`
      : `recommendation: ${a.recommended.instanceType}; this stack's workspace pool uses ${configured ?? "no known type"}${rank >= 0 ? ` (rank ${rank + 1})` : ""}: its stack file should say why`);
  }
  const g = a.goal;
  if (g.met) {
    out.push(`goal ≤ ${usd(g.usd)} per workspace-hour at ${goalPct}% of slots in use: met (${usd(g.best ?? 0, 4)})`);
  } else {
    const vcpus = a.task.cpu / CPU_UNITS_PER_VCPU;
    const cheapestVcpu = Math.min(...Object.values(INSTANCE_TYPES).filter((t) => t.architecture === HOST_ARCHITECTURE).map((t) => FAMILY_PRICES[t.family].usdPerVcpuHour));
    out.push(
      `goal ≤ ${usd(g.usd)} per workspace-hour at ${goalPct}% of slots in use: NOT met at ${a.task.cpu} CPU units per task (best ${usd(g.best ?? 0, 4)}, ${a.recommended?.instanceType}): ` +
        `a workspace reserves ${vcpus} vCPU, so the goal needs a vCPU-hour at ≤ ${usd((g.usd * g.utilization) / vcpus, 4)}, and the cheapest ${HOST_ARCHITECTURE} one here costs ${usd(cheapestVcpu, 4)}` +
        (g.reachableAt
          ? `; it is met at ≤ ${g.reachableAt.taskCpu} CPU units per task on ${g.reachableAt.instanceType} (${g.reachableAt.workspaces} workspaces, ${usd(g.reachableAt.perWorkspaceHour, 4)}): ` +
            (a.cpuCapped
              ? "lower workspaceAgentCpu, or set workspaceCpuHardLimit false so the reservation is a weight (CPU shares) and not also each workspace's cap"
              : "lower workspaceAgentCpu, a reservation and weight (CPU shares), not a cap")
          : ""),
    );
  }
  const arm = excluded.find((r) => r.architecture !== HOST_ARCHITECTURE);
  if (arm) out.push(`left out: ${excluded.length} arm64 (Graviton) types (${arm.excluded}); the cheapest would be ${arm.instanceType} at ${usd(arm.perWorkspaceHour.atGoal, 4)} at ${goalPct}%`);
  return out;
}

export function advisorSection(graph: StackGraph, config?: StackConfig): PlanSection {
  const capacity = workspaceCapacity(graph, costAssumptions(config).workspaceUtilization);
  const advice = adviceOf(capacity);
  return {
    title: "Instance-type advisor",
    lines: advisorLines(advice, capacity?.byType[0]?.instanceType),
    data: advice ?? null,
  };
}
