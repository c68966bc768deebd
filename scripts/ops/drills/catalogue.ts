// Every failure drill by name and what it does, in the order `ops drill --help` lists them. The CLI
// builds `ops drill <name>` from this list and loads a drill's code only when it runs.
import type { DrillSpec } from "./drill";

export interface DrillEntry {
  readonly name: string;
  readonly describe: string;
  /** The drill itself, loaded when it runs. */
  readonly load: () => Promise<DrillSpec>;
}

export const DRILLS: readonly DrillEntry[] = [
  { name: "kill-backend-task", describe: "stop one backend task; the service replaces it (--task ID to choose)", load: async () => (await import("./killBackendTask")).killBackendTask },
  { name: "drain-instance", describe: "set one container instance DRAINING, then back to ACTIVE (--pool, --instance)", load: async () => (await import("./drainInstance")).drainInstance },
  { name: "terminate-instance", describe: "terminate one instance through its Auto Scaling group, keeping desired capacity (--pool, --instance, --verify-restore)", load: async () => (await import("./terminateInstance")).terminateInstance },
  { name: "az-outage", describe: "drain every container instance in one AZ, then reactivate them (--az)", load: async () => (await import("./azOutage")).azOutage },
  { name: "redis-failover", describe: "ElastiCache TestFailover: the Redis primary moves to a replica", load: async () => (await import("./redisFailover")).redisFailover },
  { name: "rds-failover", describe: "reboot the RDS instance with forced failover to its standby", load: async () => (await import("./rdsFailover")).rdsFailover },
  { name: "fis", describe: "start one of the stack's FIS experiment templates and follow it", load: async () => (await import("./fis")).fisDrill },
];

/** A drill's name and description, for its spec. */
export function drillEntry(name: string): { readonly name: string; readonly describe: string } {
  const entry = DRILLS.find((d) => d.name === name);
  if (!entry) throw new Error(`no drill named ${name} in drills/catalogue.ts`);
  return { name: entry.name, describe: entry.describe };
}
