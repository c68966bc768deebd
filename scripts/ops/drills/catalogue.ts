// Every failure drill by name, what it does (names.ts) and how its code loads: the CLI builds
// `ops drill <name>` from this list and loads a drill's code only when it runs.
import type { DrillSpec } from "./drill";
import { DRILL_DESCRIPTIONS, type DrillName } from "./names";

interface DrillEntry {
  readonly name: string;
  readonly describe: string;
  /** The drill itself, loaded when it runs. */
  readonly load: () => Promise<DrillSpec>;
}

const LOADERS: Record<DrillName, () => Promise<DrillSpec>> = {
  "kill-backend-task": async () => (await import("./killBackendTask")).killBackendTask,
  "drain-instance": async () => (await import("./drainInstance")).drainInstance,
  "terminate-instance": async () => (await import("./terminateInstance")).terminateInstance,
  "az-outage": async () => (await import("./azOutage")).azOutage,
  "redis-failover": async () => (await import("./redisFailover")).redisFailover,
  "rds-failover": async () => (await import("./rdsFailover")).rdsFailover,
  fis: async () => (await import("./fis")).fisDrill,
};

export const DRILLS: readonly DrillEntry[] = (Object.keys(DRILL_DESCRIPTIONS) as DrillName[]).map((name) => ({
  name,
  describe: DRILL_DESCRIPTIONS[name],
  load: LOADERS[name],
}));
