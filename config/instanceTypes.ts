// Instance types the hosts may use: size and awsvpc task density with and without ENI trunking.
//
// Source: AWS, "Supported Amazon EC2 instance types for increased Amazon ECS container network
// interfaces" (Amazon ECS Developer Guide, page eni-trunking-supported-instance-types), as archived
// in 2023. Task figures are the number of awsvpc tasks per instance (the trunk and the primary
// interface already subtracted).
// Checked again in 2026-11: the current guide's page "Increasing Amazon ECS Linux container
// instance network interfaces" (container-instance-eni) still gives c5.large 2 tasks without
// trunking and 10 with it (12 interfaces: primary + trunk + 10 branches), which matches the
// "large" row below. The per-type table page itself could not be retrieved from this workplace
// (no internet; the search index holds only the container-instance-eni page), so the other rows
// keep the archived 2023 figures rather than guessed ones.
// Which figures and why: the seed's table says c6i.xlarge/2xlarge/4xlarge = 12/22/42; AWS's own
// table says 20/40/60 with trunking and 3/3/7 without, so AWS's figures are used. Config
// validation only needs "supports trunking", which no later AWS change has withdrawn for these
// families; the density figures feed the plan's capacity notes, and the load drill reports the
// real figure from DescribeContainerInstances, which is what to trust on a live stack.
// Types absent from this table are rejected by config validation: without trunking an instance
// runs only a handful of workspaces, so density would be bound by ENIs, not memory.

export interface InstanceTypeInfo {
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly tasksWithoutTrunking: number;
  readonly tasksWithTrunking: number;
}

export const ENI_TRUNKING_SOURCE =
  "AWS ECS Developer Guide, 'Supported Amazon EC2 instance types for increased Amazon ECS container network interfaces', archived 2023; large row re-checked 2026-11 against 'Increasing Amazon ECS Linux container instance network interfaces'";

type SizeRow = readonly [size: string, vcpu: number, tasksWithoutTrunking: number, tasksWithTrunking: number];

const SIZES: readonly SizeRow[] = [
  ["large", 2, 2, 10],
  ["xlarge", 4, 3, 20],
  ["2xlarge", 8, 3, 40],
  ["4xlarge", 16, 7, 60],
  ["8xlarge", 32, 7, 60],
  ["12xlarge", 48, 7, 60],
];

// Family → GiB of memory per vCPU (compute 2, general purpose 4, memory optimized 8).
const FAMILIES: Readonly<Record<string, number>> = {
  c5: 2,
  c6i: 2,
  m5: 4,
  m6i: 4,
  r5: 8,
  r6i: 8,
};

function buildTable(): Readonly<Record<string, InstanceTypeInfo>> {
  const table: Record<string, InstanceTypeInfo> = {};
  for (const [family, gibPerVcpu] of Object.entries(FAMILIES)) {
    for (const [size, vcpu, without, withTrunking] of SIZES) {
      // c5 has 9xlarge where later generations have 8xlarge.
      const name = family === "c5" && size === "8xlarge" ? "c5.9xlarge" : `${family}.${size}`;
      const vcpus = name === "c5.9xlarge" ? 36 : vcpu;
      table[name] = {
        vcpu: vcpus,
        memoryMiB: vcpus * gibPerVcpu * 1024,
        tasksWithoutTrunking: without,
        tasksWithTrunking: withTrunking,
      };
    }
  }
  return table;
}

export const INSTANCE_TYPES = buildTable();

export function instanceTypeInfo(name: string): InstanceTypeInfo | undefined {
  return INSTANCE_TYPES[name];
}

export function familyOf(name: string): string {
  return name.split(".")[0];
}

/** Why `name` cannot host awsvpc workspaces densely, or undefined when it can. */
export function trunkingProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(name)) return "is not an EC2 instance type name such as c6i.2xlarge";
  if (INSTANCE_TYPES[name]) return undefined;
  const family = familyOf(name);
  const known = FAMILIES[family] !== undefined;
  return known
    ? `is not a size of ${family} that supports ENI trunking (supported: ${Object.keys(INSTANCE_TYPES).filter((t) => familyOf(t) === family).join(", ")})`
    : `belongs to family ${family}, which has no ENI trunking support in the table (families: ${Object.keys(FAMILIES).join(", ")})`;
}
