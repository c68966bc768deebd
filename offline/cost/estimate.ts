// The monthly cost estimate of a stack: every priced resource type's rule over the graph, the
// totals at the host pools' minimum and maximum sizes, and everything it does not count (types
// without a rule, prices missing from the table, usage it leaves out).
import type { CostAssumptions } from "../../config/cost";
import type { StackGraph } from "../graph";
import type { CostLine, Range } from "./lines";
import { PRICE_TABLE_DATE, PRICE_TABLE_REGION, PRICE_TABLE_SOURCE } from "./prices";
import { COST_RULES, NETWORK_FIREWALL_TYPE, UNPRICED_TYPES } from "./rules";

/** Always left out, whatever the stack holds. */
const ALWAYS_LEFT_OUT: readonly string[] = [
  "data transfer: out to the internet ($0.114/GiB in Tokyo after 100 GiB free), between AZs ($0.01/GiB each way)",
  "per-request charges: KMS, Secrets Manager, CloudWatch and ECR API calls, S3 requests for image layers",
  "taxes (Japan's 10% consumption tax for Japanese billing addresses), support plans, free tiers, Savings Plans and Reserved Instances",
];

export interface CostEstimate {
  readonly stack: string;
  readonly region: string;
  /** Set when no estimate was made, with the reason. */
  readonly refused?: string;
  readonly priceTable: { readonly region: string; readonly date: string; readonly source: string };
  readonly assumptions: CostAssumptions;
  readonly lines: readonly CostLine[];
  readonly total: Range;
  readonly byCategory: readonly { readonly category: string; readonly monthly: Range }[];
  /** Resource types in the graph with neither a rule nor an entry in UNPRICED_TYPES. */
  readonly unpricedTypes: readonly string[];
  /** Lines whose price the table lacks (they count $0). */
  readonly missingPrices: readonly string[];
  readonly leftOut: readonly string[];
  /** Priced types the stack does not use, said plainly ("Network Firewall: not used"). */
  readonly notUsed: readonly string[];
}

/** The order categories are shown in: compute first, then network, data, observability, the rest. */
const CATEGORY_ORDER: readonly string[] = [
  "EC2", "EBS", "NAT gateway", "Public IPv4", "Load balancing", "VPC endpoints", "Network Firewall",
  "RDS", "ElastiCache", "CloudWatch Logs", "CloudWatch", "DNS Firewall", "FIS", "Secrets Manager", "KMS",
];

function categoryRank(category: string): number {
  const i = CATEGORY_ORDER.indexOf(category);
  return i < 0 ? CATEGORY_ORDER.length : i;
}

/** Types the issue asks the estimate to name even when the stack has none. */
const ASKED_FOR: Readonly<Record<string, string>> = {
  [NETWORK_FIREWALL_TYPE]: "AWS Network Firewall: not used by this stack (egress is filtered by the DNS Firewall and security groups)",
};

function sum(lines: readonly CostLine[]): Range {
  return lines.reduce((acc, l) => ({ min: acc.min + l.monthly.min, max: acc.max + l.monthly.max }), { min: 0, max: 0 });
}

export function estimateCost(graph: StackGraph, assumptions: CostAssumptions, region = String(graph.outputs.region ?? "")): CostEstimate {
  const base = {
    stack: graph.stack,
    region,
    priceTable: { region: PRICE_TABLE_REGION, date: PRICE_TABLE_DATE, source: PRICE_TABLE_SOURCE },
    assumptions,
  };
  if (region !== PRICE_TABLE_REGION) {
    return {
      ...base,
      refused: `no estimate: the price table (offline/cost/prices.ts) holds ${PRICE_TABLE_REGION} prices only and this stack is in ${region || "an unknown region"}; ` +
        "prices differ by region in no fixed ratio, so add that region's table rather than scale Tokyo's",
      lines: [],
      total: { min: 0, max: 0 },
      byCategory: [],
      unpricedTypes: [],
      missingPrices: [],
      leftOut: [],
      notUsed: [],
    };
  }

  const leftOut = new Set<string>();
  const byType = new Map<string, ReturnType<StackGraph["ofType"]>>();
  for (const r of graph.customResources) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);

  const ctx = { graph, assumptions, leaveOut: (what: string) => void leftOut.add(what) };
  const lines: CostLine[] = [];
  const unpricedTypes: string[] = [];
  for (const [type, resources] of byType) {
    const rule = COST_RULES[type];
    if (rule) lines.push(...rule(resources, ctx));
    else if (UNPRICED_TYPES[type]?.kind === "not estimated") leftOut.add(`${type}: ${UNPRICED_TYPES[type].reason}`);
    else if (!UNPRICED_TYPES[type]) unpricedTypes.push(type);
  }
  for (const type of unpricedTypes) leftOut.add(`${type}: no cost rule yet (offline/cost/rules.ts)`);

  // A stable sort: within a category the rules' order stays.
  lines.sort((a, b) => categoryRank(a.category) - categoryRank(b.category));
  const categories = [...new Set(lines.map((l) => l.category))];
  return {
    ...base,
    lines,
    total: sum(lines),
    byCategory: categories.map((category) => ({ category, monthly: sum(lines.filter((l) => l.category === category)) })),
    unpricedTypes: unpricedTypes.sort(),
    missingPrices: lines.filter((l) => l.price === undefined).map((l) => `${l.category}: ${l.item} (no price for ${l.priceName})`),
    leftOut: [...leftOut, ...ALWAYS_LEFT_OUT],
    notUsed: Object.entries(ASKED_FOR).filter(([type]) => !byType.has(type)).map(([, text]) => text),
  };
}
