// The instance types the hosts may use, in one place: each type's size, architecture, how many
// awsvpc tasks it runs with and without ENI trunking, and its family's On-Demand price per
// vCPU-hour in Tokyo, every figure with its source and whether a source confirmed it or it is an
// estimate. Config validation (config/instanceTypes.ts), the cost estimate and the capacity model
// and instance-type advisor (offline/cost/) all read this table.
//
// ENI trunking. AWS's table ("Supported Amazon EC2 instance types for increased Amazon ECS
// container network interfaces", ECS Developer Guide) as archived on 2023-04-18 in
// awsdocs/amazon-ecs-developer-guide (commit a35b767, doc_source/container-instance-eni.md) gives
// every family below except the seventh-generation x86 ones (c7i, m7i, r7i, c7a, m7a, r7a), which
// came later: those are marked estimates. EC2's own trunking data, as generated into
// aws/amazon-vpc-resource-controller-k8s (pkg/aws/vpc/limits.go, generated 2026-03-20), marks them
// trunking-compatible with the same branch-interface count per size as c6i/m6i/r6i (9, 18, 38, 54,
// 84, 114 for large … 12xlarge), whose ECS figures are 10, 20, 40, 60, 90, 120: the estimate takes
// those. The seed's 12/22/42 for c6i.xlarge/2xlarge/4xlarge is not AWS's figure. The current
// guide's page could not be retrieved from this workplace; the load drill reports the real figure
// of a live host (DescribeContainerInstances), which is what to trust on a stack.
//
// Prices. Tokyo (ap-northeast-1) On-Demand Linux list prices, compiled 2026-12 without access to
// AWS or its Price List API. Within these families AWS prices the sizes linearly (xlarge = 2 x
// large, …), so one rate per vCPU-hour per family gives every size. None is confirmed by a source
// found here: "known" rates are the author's knowledge of the Tokyo price list (c6i.large $0.107,
// m6i.large $0.124, r6i.large $0.152; the AMD and Graviton families of the sixth generation are
// priced 10 % and 20 % below them); "derived" rates are the us-east-1 price times the Tokyo/us-east-1
// ratio of the same generation's Intel family — a guess with its arithmetic shown. Check them
// against the EC2 pricing page or `aws pricing get-products` before relying on them.

export type FigureStatus = "confirmed" | "estimate";
export type Architecture = "x86_64" | "arm64";

/**
 * The hosts' architecture: the AMI is the x86_64 ECS-optimized Amazon Linux 2023
 * (components/hostImage.ts) and the images are built for linux/amd64 only
 * (.github/workflows/deploy.yml, components/ecr.ts). An arm64 (Graviton) type needs both rebuilt.
 */
export const HOST_ARCHITECTURE: Architecture = "x86_64";

export const CATALOG_DATE = "2026-12";
export const PRICE_REGION = "ap-northeast-1";

const ENI_TRUNKING_SOURCES = {
  archived2023:
    "AWS ECS Developer Guide, 'Supported Amazon EC2 instance types for increased Amazon ECS container network interfaces', archived 2023-04-18 (awsdocs/amazon-ecs-developer-guide a35b767); large row re-checked 2026-11 against 'Increasing Amazon ECS Linux container instance network interfaces'",
  sameAsSixthGeneration:
    "not in AWS's 2023 ECS table (the family came later); EC2's trunking data (aws/amazon-vpc-resource-controller-k8s limits.go, generated 2026-03-20) gives the same branch-interface counts per size as c6i/m6i/r6i, so their ECS figures are assumed",
} as const;

const PRICE_SOURCES = {
  known: "Tokyo On-Demand Linux price list as known to the author; not re-checked from this workplace",
  derived: "derived, not a list price: us-east-1 On-Demand price x the Tokyo/us-east-1 ratio of the same generation's Intel family",
} as const;

/** A family's On-Demand Linux price per vCPU-hour in PRICE_REGION. */
interface FamilyPrice {
  readonly usdPerVcpuHour: number;
  readonly status: FigureStatus;
  readonly source: string;
  /** How the figure was reached, e.g. "c6a.large $0.0963". */
  readonly basis: string;
}

type Category = "compute optimized" | "general purpose" | "memory optimized";
/** [size, vCPUs, tasks without trunking, tasks with trunking] */
type SizeRow = readonly [size: string, vcpu: number, withoutTrunking: number, withTrunking: number];

interface Family {
  readonly category: Category;
  readonly gibPerVcpu: number;
  readonly architecture: Architecture;
  readonly sizes: readonly SizeRow[];
  readonly trunking: { readonly status: FigureStatus; readonly source: string };
  readonly price: FamilyPrice;
}

// Sizes and task figures as AWS's table gives them, per pattern of family.
const SIXTH_GENERATION_X86: readonly SizeRow[] = [
  ["large", 2, 2, 10], ["xlarge", 4, 3, 20], ["2xlarge", 8, 3, 40], ["4xlarge", 16, 7, 60], ["8xlarge", 32, 7, 90], ["12xlarge", 48, 7, 120],
];
const GRAVITON: readonly SizeRow[] = [
  ["large", 2, 2, 10], ["xlarge", 4, 3, 20], ["2xlarge", 8, 3, 40], ["4xlarge", 16, 7, 60], ["8xlarge", 32, 7, 60], ["12xlarge", 48, 7, 60],
];
const C5: readonly SizeRow[] = [
  ["large", 2, 2, 10], ["xlarge", 4, 3, 20], ["2xlarge", 8, 3, 40], ["4xlarge", 16, 7, 60], ["9xlarge", 36, 7, 60], ["12xlarge", 48, 7, 60],
];
const M5: readonly SizeRow[] = [
  ["large", 2, 2, 10], ["xlarge", 4, 3, 20], ["2xlarge", 8, 3, 40], ["4xlarge", 16, 7, 60], ["8xlarge", 32, 7, 60], ["12xlarge", 48, 7, 60],
];
// AWS's table: "the r5.8xlarge instance type is not supported".
const R5: readonly SizeRow[] = M5.filter(([size]) => size !== "8xlarge");

const archived = { status: "confirmed", source: ENI_TRUNKING_SOURCES.archived2023 } as const;
const assumed = { status: "estimate", source: ENI_TRUNKING_SOURCES.sameAsSixthGeneration } as const;

/** largeUsd: the family's .large price (2 vCPU). */
const known = (largeUsd: number, large: string): FamilyPrice => ({ usdPerVcpuHour: largeUsd / 2, status: "estimate", source: PRICE_SOURCES.known, basis: `${large}.large $${largeUsd}` });
/** us-east-1 .large price x the Tokyo/us-east-1 ratio of an Intel family (Tokyo large / us-east-1 large). */
const derived = (family: string, usEastLarge: number, ratioOf: string, tokyo: number, usEast: number): FamilyPrice => {
  const large = Math.round(usEastLarge * (tokyo / usEast) * 10000) / 10000;
  return {
    usdPerVcpuHour: large / 2,
    status: "estimate",
    source: PRICE_SOURCES.derived,
    basis: `${family}.large ≈ $${usEastLarge} (us-east-1) x ${tokyo}/${usEast} (${ratioOf}.large Tokyo/us-east-1) = $${large}`,
  };
};

const FAMILIES: Readonly<Record<string, Family>> = {
  c5: { category: "compute optimized", gibPerVcpu: 2, architecture: "x86_64", sizes: C5, trunking: archived, price: known(0.107, "c5") },
  c6i: { category: "compute optimized", gibPerVcpu: 2, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: archived, price: known(0.107, "c6i") },
  c6a: { category: "compute optimized", gibPerVcpu: 2, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: archived, price: known(0.0963, "c6a") },
  c7i: { category: "compute optimized", gibPerVcpu: 2, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: assumed, price: derived("c7i", 0.08925, "c6i", 0.107, 0.085) },
  c7a: { category: "compute optimized", gibPerVcpu: 2, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: assumed, price: derived("c7a", 0.10264, "c6i", 0.107, 0.085) },
  m5: { category: "general purpose", gibPerVcpu: 4, architecture: "x86_64", sizes: M5, trunking: archived, price: known(0.124, "m5") },
  m6i: { category: "general purpose", gibPerVcpu: 4, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: archived, price: known(0.124, "m6i") },
  m6a: { category: "general purpose", gibPerVcpu: 4, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: archived, price: known(0.1116, "m6a") },
  m7i: { category: "general purpose", gibPerVcpu: 4, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: assumed, price: derived("m7i", 0.1008, "m6i", 0.124, 0.096) },
  m7a: { category: "general purpose", gibPerVcpu: 4, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: assumed, price: derived("m7a", 0.11592, "m6i", 0.124, 0.096) },
  r5: { category: "memory optimized", gibPerVcpu: 8, architecture: "x86_64", sizes: R5, trunking: archived, price: known(0.152, "r5") },
  r6i: { category: "memory optimized", gibPerVcpu: 8, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: archived, price: known(0.152, "r6i") },
  r6a: { category: "memory optimized", gibPerVcpu: 8, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: archived, price: known(0.1368, "r6a") },
  r7i: { category: "memory optimized", gibPerVcpu: 8, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: assumed, price: derived("r7i", 0.1323, "r6i", 0.152, 0.126) },
  r7a: { category: "memory optimized", gibPerVcpu: 8, architecture: "x86_64", sizes: SIXTH_GENERATION_X86, trunking: assumed, price: derived("r7a", 0.15215, "r6i", 0.152, 0.126) },
  c6g: { category: "compute optimized", gibPerVcpu: 2, architecture: "arm64", sizes: GRAVITON, trunking: archived, price: known(0.0856, "c6g") },
  c7g: { category: "compute optimized", gibPerVcpu: 2, architecture: "arm64", sizes: GRAVITON, trunking: archived, price: derived("c7g", 0.0725, "c6i", 0.107, 0.085) },
  m6g: { category: "general purpose", gibPerVcpu: 4, architecture: "arm64", sizes: GRAVITON, trunking: archived, price: known(0.0992, "m6g") },
  m7g: { category: "general purpose", gibPerVcpu: 4, architecture: "arm64", sizes: GRAVITON, trunking: archived, price: derived("m7g", 0.0816, "m6i", 0.124, 0.096) },
  r6g: { category: "memory optimized", gibPerVcpu: 8, architecture: "arm64", sizes: GRAVITON, trunking: archived, price: known(0.1216, "r6g") },
  r7g: { category: "memory optimized", gibPerVcpu: 8, architecture: "arm64", sizes: GRAVITON, trunking: archived, price: derived("r7g", 0.1071, "r6i", 0.152, 0.126) },
};

interface InstanceTypeInfo {
  readonly name: string;
  readonly family: string;
  readonly category: Category;
  readonly architecture: Architecture;
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly tasksWithoutTrunking: number;
  readonly tasksWithTrunking: number;
  readonly trunkingStatus: FigureStatus;
  readonly trunkingSource: string;
}

function buildTable(): Readonly<Record<string, InstanceTypeInfo>> {
  const table: Record<string, InstanceTypeInfo> = {};
  for (const [family, f] of Object.entries(FAMILIES)) {
    for (const [size, vcpu, without, withTrunking] of f.sizes) {
      const name = `${family}.${size}`;
      table[name] = {
        name,
        family,
        category: f.category,
        architecture: f.architecture,
        vcpu,
        memoryMiB: vcpu * f.gibPerVcpu * 1024,
        tasksWithoutTrunking: without,
        tasksWithTrunking: withTrunking,
        trunkingStatus: f.trunking.status,
        trunkingSource: f.trunking.source,
      };
    }
  }
  return table;
}

/** Every type of the table, by name, in family order. */
export const INSTANCE_TYPES = buildTable();

export function instanceTypeInfo(name: string): InstanceTypeInfo | undefined {
  return INSTANCE_TYPES[name];
}

export function familyOf(name: string): string {
  return name.split(".")[0];
}

export function knownFamilies(): string[] {
  return Object.keys(FAMILIES);
}

/** The family's Tokyo price per vCPU-hour, by family name. */
export const FAMILY_PRICES: Readonly<Record<string, FamilyPrice>> = Object.fromEntries(
  Object.entries(FAMILIES).map(([family, f]) => [family, f.price]),
);

/** A type's On-Demand price per instance-hour in PRICE_REGION: its vCPUs times its family's rate. */
export function instanceHourlyUsd(name: string): number | undefined {
  const info = instanceTypeInfo(name);
  const rate = FAMILY_PRICES[familyOf(name)];
  if (!info || !rate) return undefined;
  return Math.round(info.vcpu * rate.usdPerVcpuHour * 10000) / 10000;
}
