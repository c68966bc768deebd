// One line of the cost estimate, and the context the rules that produce lines get.
import type { CostAssumptions } from "../../config/cost";
import type { StackGraph } from "../graph";
import type { Price } from "./prices";

/** Quantities and costs at the stack's minimum capacity and at its maximum (host pools' sizes). */
export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface CostLine {
  /** What AWS bills it under, e.g. "EC2", "NAT gateway", "CloudWatch Logs". */
  readonly category: string;
  /** What this line counts, e.g. "c6i.2xlarge On-Demand (workspace pool)". */
  readonly item: string;
  /** Units per month, e.g. instance-hours. */
  readonly quantity: Range;
  readonly unit: string;
  /** Name of the price in the table (prices.ts allPrices()), or a description for derived prices. */
  readonly priceName: string;
  /** Undefined when the table has no price for it: the line costs nothing and the estimate says so. */
  readonly price?: Price;
  /** USD per unit as applied (a Spot line applies a discount to the On-Demand price). */
  readonly unitPrice: number;
  readonly monthly: Range;
  readonly note?: string;
  /** Ids ("type::name") of the resources this line prices. */
  readonly resources: readonly string[];
}

export interface CostContext {
  readonly graph: StackGraph;
  readonly assumptions: CostAssumptions;
  /** Records something the estimate leaves out, shown with the estimate. */
  leaveOut(what: string): void;
}

export function range(min: number, max: number = min): Range {
  return { min, max };
}

interface LineSpec {
  readonly category: string;
  readonly item: string;
  readonly quantity: Range;
  readonly unit: string;
  readonly priceName: string;
  readonly price: Price | undefined;
  /** Applied to the price (e.g. 2 for Multi-AZ, 0.4 for a 60% Spot discount); default 1. */
  readonly factor?: number;
  readonly note?: string;
  readonly resources: readonly string[];
}

/** A line whose cost is quantity × price × factor, rounded to the cent only when shown. */
export function line(spec: LineSpec): CostLine {
  const unitPrice = spec.price ? spec.price.usd * (spec.factor ?? 1) : 0;
  return {
    category: spec.category,
    item: spec.item,
    quantity: spec.quantity,
    unit: spec.unit,
    priceName: spec.priceName,
    price: spec.price,
    unitPrice,
    monthly: { min: spec.quantity.min * unitPrice, max: spec.quantity.max * unitPrice },
    note: spec.note,
    resources: spec.resources,
  };
}
