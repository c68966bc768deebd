// az-outage: drain every container instance of one AZ (both pools) as if the AZ were lost to
// ECS; the backend must be steady on the other AZs. Rolled back by setting them ACTIVE.
import { PreconditionError } from "../errors";
import { listInstances, setInstancesState } from "./containerInstances";
import { serviceTasksOn } from "./drainInstance";
import type { DrillSpec } from "./drill";
import { drillEntry } from "./names";

export const azOutage: DrillSpec = {
  ...drillEntry("az-outage"),
  runKind: "az",
  outputs: [],
  async prepare(env) {
    const { ctx, args, runId, steady } = env;
    const active = await listInstances(ctx, steady.cluster, { status: "ACTIVE" });
    const perAz = new Map<string, number>();
    for (const i of active) perAz.set(i.availabilityZone, (perAz.get(i.availabilityZone) ?? 0) + 1);
    const az = args.az ?? [...perAz].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
    if (!az) throw new PreconditionError("the cluster has no ACTIVE container instance");
    const victims = active.filter((i) => i.availabilityZone === az);
    if (victims.length === 0) throw new PreconditionError(`no ACTIVE container instance in ${az} (AZs with instances: ${[...perAz.keys()].join(", ")})`);
    for (const pool of new Set(active.map((i) => i.pool))) {
      const outside = active.filter((i) => i.pool === pool && i.availabilityZone !== az).length;
      if (outside === 0) throw new PreconditionError(`the ${pool || "unlabelled"} pool has no ACTIVE instance outside ${az}: the outage would leave it no capacity`);
    }
    const ids = victims.map((v) => v.ec2InstanceId).join(", ");
    let drained = false;
    return {
      plan: [`set all ${victims.length} container instances in ${az} DRAINING (${ids})`],
      rollbackPlan: [`set them ACTIVE`],
      async inject() {
        drained = true;
        const failures = await setInstancesState(ctx, steady.cluster, victims.map((v) => v.arn), "DRAINING", runId);
        if (failures.length > 0) throw new Error(`UpdateContainerInstancesState failed: ${failures.join("; ")}`);
        return [`${victims.length} instances in ${az} DRAINING`];
      },
      async recovered() {
        const left = await serviceTasksOn(env, victims.filter((v) => v.pool !== "workspace").map((v) => v.arn));
        return { ok: left === 0, detail: `${left} backend tasks still in ${az}` };
      },
      async rollback() {
        if (!drained) return [];
        const failures = await setInstancesState(ctx, steady.cluster, victims.map((v) => v.arn), "ACTIVE", runId);
        if (failures.length > 0) throw new Error(`could not reactivate: ${failures.join("; ")}`);
        return [`${victims.length} instances in ${az} ACTIVE again`];
      },
      details: () => ({ availabilityZone: az, instances: victims }),
    };
  },
};
