// terminate-instance: terminate one instance of a pool through its Auto Scaling group without
// lowering the desired capacity, so the group launches a replacement that must register with
// ECS; the service must be steady again. Nothing to roll back: the group replaces the instance.
import { DescribeAutoScalingGroupsCommand, TerminateInstanceInAutoScalingGroupCommand } from "@aws-sdk/client-auto-scaling";
import { PreconditionError } from "../errors";
import { listInstances } from "./containerInstances";
import { pickInstance } from "./drainInstance";
import type { DrillSpec } from "./drill";

export const terminateInstance: DrillSpec = {
  name: "terminate-instance",
  runKind: "term",
  describe: "terminate one instance through its Auto Scaling group, keeping desired capacity (--pool, --instance)",
  outputs: [],
  async prepare({ ctx, args, steady }) {
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
    const victim = pickInstance(active, args.instance);
    if (!victim) throw new PreconditionError(args.instance ? `${args.instance} is not an in-service ${args.pool} instance of ${asgName}` : `no ACTIVE ${args.pool} container instance in ${asgName}`);
    let terminated = false;
    return {
      plan: [`terminate ${victim.ec2InstanceId} (${args.pool} pool, ${victim.availabilityZone}, ${victim.runningTasks} tasks) in ${asgName}, keeping desired capacity ${desired}`],
      rollbackPlan: [],
      async inject() {
        await ctx.api.call("TerminateInstanceInAutoScalingGroup", () =>
          ctx.aws.autoScaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: victim.ec2InstanceId, ShouldDecrementDesiredCapacity: false })));
        terminated = true;
        return [`terminated ${victim.ec2InstanceId}`];
      },
      async recovered() {
        const g = await describeGroup();
        const healthy = (g.Instances ?? []).filter((i) => i.InstanceId !== victim.ec2InstanceId && i.LifecycleState === "InService" && i.HealthStatus === "Healthy").length;
        const registered = (await listInstances(ctx, steady.cluster, { pool: args.pool, status: "ACTIVE" })).filter((i) => i.ec2InstanceId !== victim.ec2InstanceId).length;
        const ok = healthy >= desired && registered >= desired;
        return { ok, detail: `${asgName}: ${healthy}/${desired} instances in service besides ${victim.ec2InstanceId}, ${registered} registered with ECS` };
      },
      async rollback() {
        if (!terminated) return [];
        const g = await describeGroup();
        return [`nothing to undo: ${asgName} replaces ${victim.ec2InstanceId} (desired capacity ${g.DesiredCapacity}, was ${desired})`];
      },
      details: () => ({ autoScalingGroup: asgName, instance: victim, desiredCapacity: desired }),
    };
  },
};
