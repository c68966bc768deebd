// The plan's cost and capacity sections: the estimate and the capacity model as text lines (and
// their data for --json), next to the seed's figures.
import { ASSUMPTION_KEYS, type CostAssumptions, costAssumptions } from "../../config/cost";
import type { StackConfig } from "../../config";
import type { StackGraph } from "../graph";
import type { PlanSection } from "../plan";
import { type CapacityModel, workspaceCapacity } from "./capacity";
import { type CostEstimate, estimateCost } from "./estimate";
import type { Range } from "./lines";
import { allPrices } from "./prices";

/** The seed's monthly figures (seed 002, section 8, "コスト比較"). */
export const SEED_MONTHLY: Readonly<Record<string, { readonly text: string; readonly min: number; readonly max: number }>> = {
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

export function assumptionText(a: CostAssumptions): string {
  return (Object.keys(ASSUMPTION_KEYS) as (keyof CostAssumptions)[])
    .map((k) => {
      const v = a[k];
      const shown = k === "workspaceUtilization" || k === "spotDiscount" ? Math.round(v * 100) : v;
      return `${ASSUMPTION_KEYS[k]} ${shown}`;
    })
    .join(", ");
}

export function costLines(e: CostEstimate): string[] {
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
    `workspace task ${t.family}: ${t.cpu} CPU units / ${t.memoryMiB} MiB (${t.containers.map((x) => `${x.name} ${x.cpu}/${x.memoryMiB}`).join(" + ")})`,
  ];
  for (const p of c.byType) {
    const d = p.density;
    out.push(
      `${p.instanceType}: ${p.shape.vcpu} vCPU / ${p.shape.memoryMiB} MiB; ECS registers ≈ ${d.registeredMemoryMiB} MiB, minus ECS_RESERVED_MEMORY ${p.reservedMemoryMiB} = ${d.availableMemoryMiB} MiB`,
      `  per instance: ENI trunking ${d.byEni}, memory ${d.byMemory}, CPU ${d.byCpu} → ${d.workspaces} workspaces (bound by ${d.boundBy})`,
      `  pool of ${c.instances.min}–${c.instances.max} instances: ${p.slots.min}–${p.slots.max} workspaces` +
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
      `Fargate for the same task: ${c.fargate.size.vcpu} vCPU / ${c.fargate.size.memoryGiB} GB (smallest valid size) = ${usd(c.fargate.hourly, 4)} per task-hour; ` +
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
export function allInPerWorkspaceHour(c: CapacityModel, e?: CostEstimate): Range | undefined {
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

export function capacitySection(graph: StackGraph, config?: StackConfig): PlanSection {
  const assumptions = costAssumptions(config);
  const capacity = workspaceCapacity(graph, assumptions.workspaceUtilization);
  const estimate = estimateCost(graph, assumptions);
  return {
    title: "Capacity model",
    lines: capacityLines(capacity, estimate),
    data: capacity ? { ...capacity, allInPerWorkspaceHour: allInPerWorkspaceHour(capacity, estimate) } : null,
  };
}
