// terminate-instance: terminate one instance of a pool through its Auto Scaling group without
// lowering the desired capacity, so the group launches a replacement that must register with
// ECS; the service must be steady again. Nothing to roll back: the group replaces the instance.
// --verify-restore (workspace pool): a canary workspace pins a volume to the host first (unless
// --instance names a host with workspaces), and after recovery the host's workspace volumes must
// still exist and a workspace resumed from a snapshot of one must come up HEALTHY (restoreCheck.ts);
// the rollback removes the canary, the resumed workspace, the drill's volumes and its snapshot.
import { DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { PreconditionError } from "../errors";
import { requireLaunchTarget } from "../launchTarget";
import { RestoreCheck } from "./restoreCheck";
import { listInstances } from "./containerInstances";
import { pickInstance } from "./drainInstance";
import type { DrillSpec } from "./drill";
import { drillEntry } from "./names";

export const terminateInstance: DrillSpec = {
  ...drillEntry("terminate-instance"),
  runKind: "term",
  outputs: [],
  async prepare(env) {
    const { ctx, args, steady } = env;
    const asgOutput = args.pool === "backend" ? "backendAutoScalingGroup" : "workspaceAutoScalingGroup";
    const asgName = ctx.require([asgOutput])[asgOutput];
    const describeGroup = async () => {
      const r = await ctx.api.call("DescribeAutoScalingGroups", () => ctx.aws.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] })));
      const group = r.AutoScalingGroups?.[0];
      if (!group) throw new PreconditionError(`Auto Scaling group ${asgName} not found`);
      return group;
    };
    const group = await describeGroup();
    const desired = group.DesiredCapacity ?? 0;
    const inService = (group.Instances ?? []).filter((i) => i.LifecycleState === "InService");
    if (inService.length !== desired) throw new PreconditionError(`${asgName} has ${inService.length} instances in service for desired ${desired}: not steady`);
    if (desired < 2) throw new PreconditionError(`${asgName} has desired capacity ${desired}: terminating its only instance takes the pool down`);
    const active = (await listInstances(ctx, steady.cluster, { pool: args.pool, status: "ACTIVE" })).filter((i) => inService.some((g) => g.InstanceId === i.ec2InstanceId));
    // Restore check: without --instance, a canary workspace chooses the host (the one it lands on).
    const restore = args.verifyRestore ? new RestoreCheck(ctx, requireLaunchTarget(ctx), env.runId, args.restoreTimeout ?? 600) : undefined;
    const canary = restore !== undefined && !args.instance;
    let victim = canary ? undefined : pickInstance(active, args.instance);
    if (!canary && !victim) throw new PreconditionError(args.instance ? `${args.instance} is not an in-service ${args.pool} instance of ${asgName}` : `no ACTIVE ${args.pool} container instance in ${asgName}`);
    if (restore && victim && (await ctx.volumes().list({ instanceId: victim.ec2InstanceId })).length === 0) {
      throw new PreconditionError(`no workspace volume is attached to ${victim.ec2InstanceId}: --verify-restore needs one (leave out --instance and the drill starts a canary workspace)`);
    }
    let terminated = false;
    const target = () => victim as NonNullable<typeof victim>;
    return {
      plan: [
        ...(canary ? [`start a canary workspace (its own volume, tagged with the run id) and terminate the ${args.pool} host it lands on in ${asgName}, keeping desired capacity ${desired}`]
          : [`terminate ${target().ec2InstanceId} (${args.pool} pool, ${target().availabilityZone}, ${target().runningTasks} tasks) in ${asgName}, keeping desired capacity ${desired}`]),
        ...(restore ? ["after recovery: check the host's workspace volumes still exist, snapshot one, start a workspace from the snapshot and wait until it is HEALTHY"] : []),
      ],
      rollbackPlan: restore ? ["stop the drill's workspaces (canary, resumed) and delete the drill's volumes and snapshot"] : [],
      async inject() {
        const done: string[] = [];
        if (restore && canary) {
          const started = await restore.startCanary();
          if (!started.ready) throw new Error(`the canary workspace did not become HEALTHY: ${started.failure ?? "not ready"}`);
          victim = active.find((i) => i.arn === started.host);
          if (!victim) throw new Error(`the canary workspace landed on ${started.host ?? "no host"}, not on an in-service ${args.pool} instance of ${asgName}`);
          done.push(`canary workspace ${started.taskId.split("/").pop()} HEALTHY on ${victim.ec2InstanceId} with volume ${started.volumeId ?? "?"}`);
        }
        if (restore) {
          const vs = await restore.recordHostVolumes(target().ec2InstanceId);
          done.push(`${vs.length} workspace volumes attached to ${target().ec2InstanceId}: ${vs.map((v) => v.id).join(", ")}`);
        }
        await ctx.api.call("TerminateInstanceInAutoScalingGroup", () =>
          ctx.aws.autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: target().ec2InstanceId, ShouldDecrementDesiredCapacity: false })));
        terminated = true;
        return [...done, `terminated ${target().ec2InstanceId}`];
      },
      async recovered() {
        const g = await describeGroup();
        const healthy = (g.Instances ?? []).filter((i) => i.InstanceId !== target().ec2InstanceId && i.LifecycleState === "InService" && i.HealthStatus === "Healthy").length;
        const registered = (await listInstances(ctx, steady.cluster, { pool: args.pool, status: "ACTIVE" })).filter((i) => i.ec2InstanceId !== target().ec2InstanceId).length;
        const ok = healthy >= desired && registered >= desired;
        return { ok, detail: `${asgName}: ${healthy}/${desired} instances in service besides ${target().ec2InstanceId}, ${registered} registered with ECS` };
      },
      ...(restore ? { afterRecovery: () => restore.verify() } : {}),
      async rollback() {
        const done = restore ? await restore.cleanup() : [];
        if (!terminated) return done;
        const g = await describeGroup();
        return [...done, `nothing to undo: ${asgName} replaces ${target().ec2InstanceId} (desired capacity ${g.DesiredCapacity}, was ${desired})`];
      },
      ...(restore ? {
        async verdicts() {
          return restore.rows.length > 0 ? restore.rows : [{ name: "workspace resumed from a snapshot is HEALTHY", expected: "HEALTHY", observed: "not attempted: the drill did not recover", pass: false }];
        },
      } : {}),
      details: () => ({ autoScalingGroup: asgName, instance: victim, desiredCapacity: desired, ...(restore ? { restore: restore.details() } : {}) }),
    };
  },
};
