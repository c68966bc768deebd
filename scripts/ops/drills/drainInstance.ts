// drain-instance: set one container instance of a pool DRAINING (service tasks move elsewhere),
// wait for the service to be steady without it, then set it back to ACTIVE.
import { ListTasksCommand } from "@aws-sdk/client-ecs";
import { PreconditionError } from "../errors";
import { type InstanceInfo, listInstances, setInstancesState } from "./containerInstances";
import type { DrillEnv, DrillSpec } from "./drill";
import { drillEntry } from "./names";

export function pickInstance(instances: readonly InstanceInfo[], wanted: string | undefined): InstanceInfo | undefined {
  if (wanted) return instances.find((i) => i.ec2InstanceId === wanted || i.arn === wanted || i.arn.endsWith(`/${wanted}`));
  // The busiest instance: draining it moves the most work.
  return [...instances].sort((a, b) => b.runningTasks - a.runningTasks || a.arn.localeCompare(b.arn))[0];
}

/** No task of the backend service left on these instances. */
export async function serviceTasksOn(env: DrillEnv, arns: readonly string[]): Promise<number> {
  let n = 0;
  for (const arn of arns) {
    const listed = await env.ctx.api.call("ListTasks", () =>
      env.ctx.aws.ecs.send(new ListTasksCommand({ cluster: env.steady.cluster, containerInstance: arn, serviceName: env.steady.services[0] })));
    n += listed.taskArns?.length ?? 0;
  }
  return n;
}

export const drainInstance: DrillSpec = {
  ...drillEntry("drain-instance"),
  runKind: "drain",
  outputs: [],
  async prepare(env) {
    const { ctx, args, runId, steady } = env;
    const active = await listInstances(ctx, steady.cluster, { pool: args.pool, status: "ACTIVE" });
    const victim = pickInstance(active, args.instance);
    if (!victim) throw new PreconditionError(args.instance ? `no ACTIVE ${args.pool} container instance ${args.instance}` : `the ${args.pool} pool has no ACTIVE container instance`);
    if (active.length < 2) throw new PreconditionError(`the ${args.pool} pool has only ${active.length} ACTIVE container instance: draining it leaves nothing to move to`);
    let drained = false;
    return {
      plan: [`set container instance ${victim.ec2InstanceId} (${args.pool} pool, ${victim.availabilityZone}, ${victim.runningTasks} tasks) DRAINING`],
      rollbackPlan: [`set ${victim.ec2InstanceId} ACTIVE`],
      async inject() {
        drained = true;
        const failures = await setInstancesState(ctx, steady.cluster, [victim.arn], "DRAINING", runId);
        if (failures.length > 0) throw new Error(`UpdateContainerInstancesState failed: ${failures.join("; ")}`);
        return [`${victim.ec2InstanceId} DRAINING`];
      },
      async recovered() {
        if (args.pool !== "backend") return { ok: true, detail: "workspace tasks are not moved by draining; no new ones land there" };
        const left = await serviceTasksOn(env, [victim.arn]);
        return { ok: left === 0, detail: `${left} backend tasks still on ${victim.ec2InstanceId}` };
      },
      async rollback() {
        if (!drained) return [];
        const failures = await setInstancesState(ctx, steady.cluster, [victim.arn], "ACTIVE", runId);
        if (failures.length > 0) throw new Error(`could not reactivate ${victim.ec2InstanceId}: ${failures.join("; ")}`);
        return [`${victim.ec2InstanceId} ACTIVE again`];
      },
      details: () => ({ instance: victim }),
    };
  },
};
