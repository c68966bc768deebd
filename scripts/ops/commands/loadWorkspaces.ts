// `ops load workspaces`: launch N workspaces as the backend does (ECS, or the local Docker engine),
// measure their starts, stop them all. The drill is loaded only when it runs.
import type { LocalContext } from "../docker/context";
import { LOAD_DEFAULTS } from "../load/defaults";
import { ECS_API_LIMITS } from "../rateLimiter";
import { DOCKER_GROUP, type OpsCommand, type Target, optionalSeconds, positive, refuseOtherTargetFlags, seconds, targetOptions, toLoadWorkspacesArgs } from "./options";

export const loadWorkspacesCommand: OpsCommand = {
  command: "workspaces",
  describe: "launch N workspace tasks exactly as the backend does, measure, stop them all",
  builder: (w) => targetOptions(w, true)
    .option("count", { type: "number", demandOption: true, describe: "workspaces to launch (1-10000)" })
    .option("batch-size", { type: "number", default: LOAD_DEFAULTS.batchSize, describe: "tasks per RunTask call (ECS allows at most 10)" })
    .option("concurrency", { type: "number", default: LOAD_DEFAULTS.concurrency, describe: "RunTask calls in flight (--target docker: workspaces being created at once)" })
    .option("rate", { type: "number", default: LOAD_DEFAULTS.rate, describe: `RunTask+StopTask calls per second (ECS bucket: ${ECS_API_LIMITS.runStop.perSecond}/s, shared with the backend)` })
    .option("burst", { type: "number", default: LOAD_DEFAULTS.burst, describe: `token bucket burst (ECS: ${ECS_API_LIMITS.runStop.burst})` })
    .option("describe-rate", { type: "number", default: LOAD_DEFAULTS.describeRate, describe: `DescribeTasks+ListTasks calls per second (ECS: ${ECS_API_LIMITS.describe.perSecond}/s)` })
    .option("poll-interval", seconds("seconds between DescribeTasks rounds (resolution of time-to-HEALTHY)", LOAD_DEFAULTS.pollInterval))
    .option("start-timeout", seconds("a task not ready after this many seconds counts as failed", LOAD_DEFAULTS.startTimeout))
    .option("hold", seconds("keep the ready workspaces running this many seconds before stopping them", 0))
    .option("hold-poll-interval", seconds("seconds between checks for tasks that die while holding", LOAD_DEFAULTS.holdPollInterval))
    .option("stop-concurrency", { type: "number", default: LOAD_DEFAULTS.stopConcurrency, describe: "StopTask calls in flight" })
    .option("volume-timeout", seconds("seconds to wait for the run's volumes to detach after their tasks stop, before deleting them", LOAD_DEFAULTS.volumeTimeout))
    .option("run-id", { type: "string", describe: "run id to tag tasks with (default: generated, printed)" })
    .option("max-p50-start", optionalSeconds("fail if p50 time to start (HEALTHY, or RUNNING without health checks) exceeds this, seconds"))
    .option("max-p95-start", optionalSeconds("fail if p95 time to start exceeds this, seconds"))
    .option("max-p99-start", optionalSeconds("fail if p99 time to start exceeds this, seconds"))
    .option("max-p95-running", optionalSeconds("fail if p95 time to RUNNING exceeds this, seconds"))
    .option("max-failure-rate", { type: "number", describe: "fail if more than this percent of tasks failed to launch or start" })
    .option("min-tasks-per-instance", { type: "number", describe: "fail unless some instance held at least this many drill tasks (density)" })
    .option("max-memory-per-workspace", { type: "number", describe: "fail if a workspace uses more memory than this, MiB", group: DOCKER_GROUP })
    .example("$0 load workspaces --stack staging --count 200 --max-p95-start 10", "200 workspaces, fail if p95 start > 10 s")
    .example("$0 load workspaces --target docker --count 10 --concurrency 10", "10 workspaces on the local Docker engine, all started at once"),
  handler: (a, { argv, select }) => {
    const args = toLoadWorkspacesArgs(a);
    const target = a.target as Target;
    refuseOtherTargetFlags(argv, target, {
      ecs: ["batch-size", "rate", "burst", "describe-rate", "min-tasks-per-instance"],
      docker: ["image", "credential-proxy-image", "max-memory-per-workspace"],
    });
    positive("max-memory-per-workspace", a.maxMemoryPerWorkspace, { min: 1 });
    if (target === "docker") select("load workspaces", async (ctx) => (await import("../docker/loadWorkspaces")).loadDockerWorkspaces(ctx as LocalContext, args as never), true);
    else select("load workspaces", async (ctx) => (await import("../load/workspaces")).loadWorkspaces(ctx, args));
  },
};
