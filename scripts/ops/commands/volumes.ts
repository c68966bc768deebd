// `ops volumes list | snapshot | prune`: the stack's retained workspace volumes (loaded when they run).
import { type OpsCommand, positive, seconds } from "./options";

export const volumesListCommand: OpsCommand = {
  command: "list",
  describe: "this stack's workspace volumes by tag: workspace, state, size, age, how long kept",
  builder: (l) => l
    .option("state", { choices: ["available", "in-use", "all"], default: "all", describe: "available = retained (detached)" })
    .option("workspace-id", { type: "string", describe: "only this workspace's volumes" })
    .option("run-id", { type: "string", describe: "only volumes a drill run created" })
    .option("older-than", { type: "string", describe: "only detached volumes kept longer than this (days, or 7d / 36h)" }),
  handler: (a, { select }) => select("volumes list", async (ctx) => (await import("../volumes/command")).volumesList(ctx, { state: a.state as never, workspaceId: a.workspaceId as string | undefined, runId: a.runId as string | undefined, olderThan: a.olderThan as string | undefined })),
};

export const volumesSnapshotCommand: OpsCommand = {
  command: "snapshot",
  describe: "snapshot workspace volumes (tagged so a workspace can be resumed from them)",
  builder: (sn) => sn
    .option("volume-id", { type: "string", array: true, default: [], describe: "volume to snapshot (repeatable)" })
    .option("workspace-id", { type: "string", describe: "every detached volume of this workspace" })
    .option("older-than", { type: "string", describe: "every detached volume kept longer than this (days, or 7d / 36h)" })
    .option("include-attached", { type: "boolean", default: false, describe: "also snapshot attached volumes (crash-consistent)" })
    .option("snapshot-timeout", seconds("seconds to wait for the snapshots to complete", 3600)),
  handler: (a, { select }) => {
    positive("snapshot-timeout", a.snapshotTimeout, { min: 1 });
    select("volumes snapshot", async (ctx) => (await import("../volumes/command")).volumesSnapshot(ctx, { volumeId: a.volumeId as string[], workspaceId: a.workspaceId as string | undefined, olderThan: a.olderThan as string | undefined, includeAttached: a.includeAttached as boolean, snapshotTimeout: a.snapshotTimeout as number }));
  },
};

export const volumesPruneCommand: OpsCommand = {
  command: "prune",
  describe: "snapshot every detached volume kept longer than --older-than, then delete it once its snapshot completed (a dry run on prod without --confirm-prod)",
  builder: (pr) => pr
    .option("older-than", { type: "string", demandOption: true, describe: "days (or 7d / 36h) a detached volume has been kept" })
    .option("workspace-id", { type: "string", describe: "only this workspace's volumes" })
    .option("snapshot-timeout", seconds("seconds to wait for each round's snapshots to complete", 3600))
    .option("batch", { type: "number", default: 20, describe: "volumes snapshotted (then deleted) per round" })
    .example("$0 volumes prune --stack staging --older-than 14", "snapshot and delete volumes detached for more than 14 days"),
  handler: (a, { select }) => {
    positive("snapshot-timeout", a.snapshotTimeout, { min: 1 });
    positive("batch", a.batch, { integer: true, min: 1, max: 200 });
    select("volumes prune", async (ctx) => (await import("../volumes/command")).volumesPrune(ctx, { olderThan: a.olderThan as string, workspaceId: a.workspaceId as string | undefined, snapshotTimeout: a.snapshotTimeout as number, batch: a.batch as number }));
  },
};
