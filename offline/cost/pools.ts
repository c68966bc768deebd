// The host pools as the cost and capacity models see them, read from the graph: each Auto
// Scaling group with its instance types, sizes, Spot split, warm pool, root volume and the ECS
// agent's memory reserve from the user data its launch template carries.
import type { CapturedResource, StackGraph } from "../graph";
import { hostHardening } from "../hostBundle";

const POOL_TAG = "remote-claude.pool";

interface WarmPoolFacts {
  readonly minSize: number;
  /** MaxGroupPreparedCapacity, or the group's max size when unset (AWS's default). */
  readonly maxPrepared: number;
}

export interface HostPoolFacts {
  /** The pool tag ("backend", "workspace"), or the group's name. */
  readonly pool: string;
  readonly group: CapturedResource;
  readonly launchTemplate?: CapturedResource;
  /** In priority order: On-Demand capacity uses the first. */
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly maxSize: number;
  /** Set when capacity above this many instances runs on Spot. */
  readonly spotAbove?: number;
  readonly warmPool?: WarmPoolFacts;
  readonly rootVolumeGiB: number;
  readonly reservedMemoryMiB: number;
}

function tagValue(group: CapturedResource, key: string): string | undefined {
  const tags = group.inputs.tags;
  if (Array.isArray(tags)) return tags.find((t: { key: string }) => t.key === key)?.value;
  return tags?.[key];
}

export function hostPools(graph: StackGraph): HostPoolFacts[] {
  return graph.ofType("aws:autoscaling/group:Group").map((group) => {
    const i = group.inputs;
    const mixed = i.mixedInstancesPolicy;
    const ltId = i.launchTemplate?.id ?? mixed?.launchTemplate?.launchTemplateSpecification?.launchTemplateId;
    const launchTemplate = typeof ltId === "string" ? graph.byPhysicalId(ltId) : undefined;
    const overrides: string[] = (mixed?.launchTemplate?.overrides ?? []).map((o: { instanceType: string }) => o.instanceType);
    const instanceTypes = overrides.length > 0 ? overrides : [launchTemplate?.inputs.instanceType].filter((t): t is string => typeof t === "string");
    const distribution = mixed?.instancesDistribution;
    const spotAbove = distribution && distribution.onDemandPercentageAboveBaseCapacity === 0 ? Number(distribution.onDemandBaseCapacity ?? 0) : undefined;
    const warm = i.warmPool;
    const root = launchTemplate?.inputs.blockDeviceMappings?.[0]?.ebs;
    const reserved = launchTemplate ? hostHardening(launchTemplate)?.ecsConfig.ECS_RESERVED_MEMORY : undefined;
    return {
      pool: tagValue(group, POOL_TAG) ?? String(i.name ?? group.name),
      group,
      launchTemplate,
      instanceTypes,
      minSize: Number(i.minSize),
      maxSize: Number(i.maxSize),
      spotAbove,
      warmPool: warm
        ? { minSize: Number(warm.minSize ?? 0), maxPrepared: Number(warm.maxGroupPreparedCapacity ?? i.maxSize) }
        : undefined,
      rootVolumeGiB: Number(root?.volumeSize ?? 0),
      reservedMemoryMiB: Number(reserved ?? 0),
    };
  });
}

/** Instances in the warm pool while the group runs `running` instances (AWS PutWarmPool semantics). */
export function warmPoolSize(warm: WarmPoolFacts, running: number): number {
  return Math.max(warm.minSize, warm.maxPrepared - running);
}

/** On-Demand and Spot instances while the group runs `running` instances. */
export function purchaseSplit(pool: HostPoolFacts, running: number): { onDemand: number; spot: number } {
  if (pool.spotAbove === undefined) return { onDemand: running, spot: 0 };
  const onDemand = Math.min(running, pool.spotAbove);
  return { onDemand, spot: running - onDemand };
}
