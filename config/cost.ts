// Cost assumptions: the usage figures the plan's monthly estimate cannot read from the resource
// graph (how much is logged, how much goes through NAT, how busy the workspace hosts are, ...).
// The Pulumi program builds nothing from them; they are stack config so that each stack states
// its own assumptions next to its sizes, and they are validated like every other key.
import type { StackConfig } from "../config";
import { integer } from "./schema";

export const costKeys = {
  costHoursPerMonth: integer({
    description: "Hours in a month for the plan's cost estimate (AWS's calculator uses 730).",
    default: 730,
    min: 672,
    max: 744,
    unit: "hours",
  }),
  costWorkspaceUtilizationPercent: integer({
    description: "Average share of workspace slots in use, for the plan's cost per workspace-hour.",
    default: 70,
    min: 1,
    max: 100,
    unit: "percent",
  }),
  costSpotDiscountPercent: integer({
    description: "Assumed Spot discount below On-Demand for pools that run Spot above their minimum (the plan's estimate).",
    default: 60,
    min: 0,
    max: 90,
    unit: "percent",
  }),
  costLogIngestGiBPerMonth: integer({
    description: "CloudWatch Logs ingested per month by the stack's log groups (containers, flow logs, DNS queries), for the plan's estimate.",
    default: 20,
    min: 0,
    max: 1000000,
    unit: "GiB",
  }),
  costNatProcessedGiBPerMonth: integer({
    description: "Data processed by the NAT gateways per month, for the plan's estimate (0 leaves NAT data processing out, flagged).",
    default: 50,
    min: 0,
    max: 10000000,
    unit: "GiB",
  }),
  costAlbLcus: integer({
    description: "Average load balancer capacity units the ALB consumes, for the plan's estimate.",
    default: 1,
    min: 0,
    max: 10000,
    unit: "LCU",
  }),
  costDnsQueriesMillionsPerMonth: integer({
    description: "DNS queries the DNS Firewall inspects per month, in millions, for the plan's estimate.",
    default: 10,
    min: 0,
    max: 1000000,
    unit: "million queries",
  }),
  costFisRunsPerMonth: integer({
    description: "Runs per month of each FIS experiment template (drills), for the plan's estimate.",
    default: 2,
    min: 0,
    max: 1000,
  }),
  costWorkspaceVolumes: integer({
    description: "Per-workspace EBS volumes that exist on average (attached or retained after their task), priced when the workspace task takes a volume at launch.",
    default: 0,
    min: 0,
    max: 1000000,
  }),
  costWorkspaceVolumeGiB: integer({
    description: "Size of one per-workspace EBS volume (gp3) for the plan's estimate, where the stack has no workspaceVolumeGiB of its own.",
    default: 20,
    min: 1,
    max: 16384,
    unit: "GiB",
  }),
};

/** The assumptions as the cost model reads them: plain numbers, fractions as fractions. */
export interface CostAssumptions {
  readonly hoursPerMonth: number;
  readonly workspaceUtilization: number;
  readonly spotDiscount: number;
  readonly logIngestGiB: number;
  readonly natProcessedGiB: number;
  readonly albLcus: number;
  readonly dnsQueriesMillions: number;
  readonly fisRunsPerMonth: number;
  readonly workspaceVolumes: number;
  readonly workspaceVolumeGiB: number;
}

/** The assumptions of a stack's config; without one, the keys' defaults. */
export function costAssumptions(cfg?: Pick<StackConfig, keyof typeof costKeys>): CostAssumptions {
  if (!cfg) {
    return costAssumptions(Object.fromEntries(Object.entries(costKeys).map(([k, spec]) => [k, spec.default])) as Pick<StackConfig, keyof typeof costKeys>);
  }
  return {
    hoursPerMonth: cfg.costHoursPerMonth,
    workspaceUtilization: cfg.costWorkspaceUtilizationPercent / 100,
    spotDiscount: cfg.costSpotDiscountPercent / 100,
    logIngestGiB: cfg.costLogIngestGiBPerMonth,
    natProcessedGiB: cfg.costNatProcessedGiBPerMonth,
    albLcus: cfg.costAlbLcus,
    dnsQueriesMillions: cfg.costDnsQueriesMillionsPerMonth,
    fisRunsPerMonth: cfg.costFisRunsPerMonth,
    workspaceVolumes: cfg.costWorkspaceVolumes,
    // The storage config's own volume size (workspaceVolumeGiB) wins where the stack has it.
    workspaceVolumeGiB: numberKey(cfg, "workspaceVolumeGiB") ?? cfg.costWorkspaceVolumeGiB,
  };
}

function numberKey(cfg: object, key: string): number | undefined {
  const value = (cfg as Readonly<Record<string, unknown>>)[key];
  return typeof value === "number" ? value : undefined;
}

/** Where each assumption comes from, for the plan's text ("costLogIngestGiBPerMonth = 20"). */
export const ASSUMPTION_KEYS: Readonly<Record<keyof CostAssumptions, keyof typeof costKeys>> = {
  hoursPerMonth: "costHoursPerMonth",
  workspaceUtilization: "costWorkspaceUtilizationPercent",
  spotDiscount: "costSpotDiscountPercent",
  logIngestGiB: "costLogIngestGiBPerMonth",
  natProcessedGiB: "costNatProcessedGiBPerMonth",
  albLcus: "costAlbLcus",
  dnsQueriesMillions: "costDnsQueriesMillionsPerMonth",
  fisRunsPerMonth: "costFisRunsPerMonth",
  workspaceVolumes: "costWorkspaceVolumes",
  workspaceVolumeGiB: "costWorkspaceVolumeGiB",
};
