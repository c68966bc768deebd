// Runs the probe where workspaces run and returns its log. ProbeRunner is the seam for other
// targets (a local Docker engine is a later issue); EcsProbeRunner launches it as a one-off task
// of the workspace task definition, through the same launch contract as real workspaces (same
// subnets, security group, capacity provider), waits for it to stop (SDK waiter), stops it on
// Ctrl-C or timeout, and reads the agent container's awslogs stream.
import { paginateGetLogEvents } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, waitUntilTasksStopped } from "@aws-sdk/client-ecs";
import { CONTAINERS, LOG_STREAM_PREFIX } from "../../../lib/names";
import { VERDICT_PREFIX } from "../../../probe/verdict";
import type { OpsContext } from "../context";
import { PreconditionError, errorMessage } from "../errors";
import type { EcsWorkspaceTarget } from "../load/ecsTarget";
import type { ProbeOverrides } from "./probeScript";

export interface ProbeRun {
  readonly taskId: string;
  readonly taskArn: string;
  readonly exitCode?: number;
  readonly stopReason?: string;
  readonly logStream: string;
  readonly lines: string[];
  /** The run ended without the task stopping by itself (timeout or Ctrl-C): we stopped it. */
  readonly stoppedByUs: boolean;
}

export interface ProbeRunner {
  run(overrides: ProbeOverrides, runId: string): Promise<ProbeRun>;
}

interface EcsProbeRunnerOptions {
  readonly target: EcsWorkspaceTarget;
  readonly cluster: string;
  readonly logGroup: string;
  readonly timeoutSeconds: number;
  readonly logWaitSeconds: number;
}

function probeLogStream(taskId: string): string {
  return `${LOG_STREAM_PREFIX.workspace}/${CONTAINERS.workspaceAgent}/${taskId}`;
}

export class EcsProbeRunner implements ProbeRunner {
  constructor(
    private readonly ctx: OpsContext,
    private readonly o: EcsProbeRunnerOptions,
  ) {}

  async run(overrides: ProbeOverrides, runId: string): Promise<ProbeRun> {
    const { ctx, o } = this;
    const launched = await o.target.launch(1, runId, { containerOverrides: overrides.containerOverrides });
    const task = launched.tasks[0];
    if (!task) throw new PreconditionError(`RunTask did not start the probe: ${launched.failures.map((f) => `${f.reason}${f.detail ? ` (${f.detail})` : ""}`).join(", ") || "no reason given"}`);
    const taskId = task.id.split("/").pop() ?? task.id;
    ctx.scope.setCleanupHint(ctx.cleanupHint(runId));
    ctx.progress.log(`probe task ${taskId} started; waiting for it to finish (at most ${o.timeoutSeconds} s)`);

    let stoppedByUs = false;
    let stoppedItself = false;
    try {
      await waitUntilTasksStopped(ctx.waiterConfig(ctx.aws.ecs, o.timeoutSeconds), { cluster: o.cluster, tasks: [task.id] });
      stoppedItself = true;
    } catch (err) {
      if (!ctx.signal.aborted) ctx.progress.log(`probe task ${taskId} did not stop by itself: ${errorMessage(err)}`);
    } finally {
      if (!stoppedItself) {
        stoppedByUs = true;
        await o.target.stop(task.id, `ops security ${runId}: probe timed out or was interrupted`);
      }
    }

    const described = await ctx.api.call("DescribeTasks", () => ctx.aws.ecs.send(new DescribeTasksCommand({ cluster: o.cluster, tasks: [task.id] })));
    const t = described.tasks?.[0];
    const agent = t?.containers?.find((c) => c.name === CONTAINERS.workspaceAgent);
    const logStream = probeLogStream(taskId);
    const lines = ctx.signal.aborted ? [] : await this.readLog(logStream);
    return {
      taskId,
      taskArn: task.id,
      exitCode: agent?.exitCode,
      stopReason: [t?.stopCode, t?.stoppedReason, agent?.reason].filter(Boolean).join(": ") || undefined,
      logStream,
      lines,
      stoppedByUs,
    };
  }

  /** awslogs delivers a few seconds late: read until the verdict is there or the wait is over. */
  private async readLog(stream: string): Promise<string[]> {
    const { ctx, o } = this;
    const deadline = ctx.clock.now() + o.logWaitSeconds * 1000;
    for (;;) {
      const lines: string[] = [];
      try {
        const pages = paginateGetLogEvents({ client: ctx.aws.logs, stopOnSameToken: true }, { logGroupName: o.logGroup, logStreamName: stream, startFromHead: true });
        for await (const page of ctx.api.pages("GetLogEvents", pages)) lines.push(...(page.events ?? []).map((e) => e.message ?? ""));
      } catch (err) {
        if ((err as Error).name !== "ResourceNotFoundException") throw err;
      }
      if (lines.some((l) => l.includes(VERDICT_PREFIX)) || ctx.clock.now() >= deadline || ctx.signal.aborted) return lines;
      await ctx.clock.sleep(5000, ctx.signal);
    }
  }
}
