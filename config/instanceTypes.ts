// Which instance types the host pools accept: those of the instance catalog (lib/instanceCatalog.ts:
// sizes, ENI trunking figures and prices, with their sources) that support ENI trunking and run the
// hosts' architecture. Without trunking an instance runs only a handful of awsvpc workspaces, so
// density would be bound by network interfaces, not memory; an arm64 type cannot run the x86_64 AMI
// or the linux/amd64 images.
import { familyOf, HOST_ARCHITECTURE, INSTANCE_TYPES, instanceTypeInfo, knownFamilies } from "../lib/instanceCatalog";

export { instanceTypeInfo } from "../lib/instanceCatalog";

/** Why `name` cannot host awsvpc workspaces densely, or undefined when it can. */
export function trunkingProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(name)) return "is not an EC2 instance type name such as c6a.2xlarge";
  const info = instanceTypeInfo(name);
  if (info) {
    return info.architecture === HOST_ARCHITECTURE
      ? undefined
      : `is an ${info.architecture} (Graviton) type: the hosts run the ${HOST_ARCHITECTURE} ECS-optimized AMI and the images are built for linux/amd64 only`;
  }
  const family = familyOf(name);
  return knownFamilies().includes(family)
    ? `is not a size of ${family} that supports ENI trunking (supported: ${Object.keys(INSTANCE_TYPES).filter((t) => familyOf(t) === family).join(", ")})`
    : `belongs to family ${family}, which has no ENI trunking support in the table (families: ${knownFamilies().join(", ")})`;
}
