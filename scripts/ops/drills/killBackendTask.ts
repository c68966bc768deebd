// kill-backend-task: stop one running task of the backend service; ECS must start a replacement
// and the target group must be all healthy again. Nothing to roll back.
import { DescribeTasksCommand, ListTasksCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { PreconditionError } from "../errors";
import type { DrillSpec } from "./drill";
import { drillEntry } from "./names";

export const killBackendTask: DrillSpec = {
  ...drillEntry("kill-backend-task"),
  runKind: "kill",
  outputs: [],
  async prepare({ ctx, args, runId, steady }) {
    const service = steady.services[0];
    const listed = await ctx.api.call("ListTasks", () => ctx.aws.ecs.send(new ListTasksCommand({ cluster: steady.cluster, serviceName: service, desiredStatus: "RUNNING" })));
    const arns = [...(listed.taskArns ?? [])].sort();
    const victim = args.task ? arns.find((a) => a === args.task || a.endsWith(`/${args.task}`)) : arns[0];
    if (!victim) throw new PreconditionError(args.task ? `task ${args.task} is not a running task of ${service}` : `service ${service} has no running task`);
    const id = victim.split("/").pop();
    let stopped = false;
    return {
      plan: [`stop backend task ${id} of ${service} (${arns.length} running)`],
      rollbackPlan: [],
      async inject() {
        await ctx.api.call("StopTask", () => ctx.aws.ecs.send(new StopTaskCommand({ cluster: steady.cluster, task: victim, reason: `ops drill kill-backend-task ${runId}` })));
        stopped = true;
        return [`stopped backend task ${id}`];
      },
      async recovered() {
        const d = await ctx.api.call("DescribeTasks", () => ctx.aws.ecs.send(new DescribeTasksCommand({ cluster: steady.cluster, tasks: [victim] })));
        const status = d.tasks?.[0]?.lastStatus ?? "MISSING";
        return { ok: status === "STOPPED" || status === "MISSING", detail: `killed task ${status}` };
      },
      async rollback() {
        return stopped ? ["nothing to undo: the service starts a replacement task"] : [];
      },
      details: () => ({ task: victim }),
    };
  },
};
