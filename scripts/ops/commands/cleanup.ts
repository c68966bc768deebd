// `ops cleanup`: remove what a killed run left, on ECS or the local Docker engine (loaded when it runs).
import type { LocalContext } from "../docker/context";
import { LOAD_DEFAULTS } from "../load/defaults";
import { type OpsCommand, positive, refuseOtherTargetFlags, seconds, targetOptions } from "./options";

export const cleanupCommand: OpsCommand = {
  command: "cleanup",
  describe: "find and remove what a killed run left (tasks, DRAINING instances, FIS experiments, volumes, snapshots; with --target docker: containers, volumes, networks)",
  builder: (c) => targetOptions(c, false)
    .option("run-id", { type: "string", describe: "the run id a drill printed" })
    .option("all", { type: "boolean", default: false, describe: "every drill run's leftovers" })
    .option("volume-timeout", seconds("seconds to wait for a run's volumes to detach before deleting them", LOAD_DEFAULTS.volumeTimeout)),
  handler: (a, { argv, select }) => {
    const args = { runId: a.runId as string | undefined, all: a.all as boolean };
    if (a.target === "docker") {
      refuseOtherTargetFlags(argv, "docker", { ecs: ["volume-timeout"], docker: [] });
      select("cleanup", async (ctx) => (await import("../docker/cleanup")).dockerCleanup(ctx as LocalContext, args), true);
    } else {
      positive("volume-timeout", a.volumeTimeout, { min: 1 });
      select("cleanup", async (ctx) => (await import("../cleanup")).cleanup(ctx, { ...args, volumeTimeout: a.volumeTimeout as number }));
    }
  },
};
