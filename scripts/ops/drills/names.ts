// Every failure drill's name and what it does, in the order `ops drill --help` lists them: the one
// place a drill's spec and the CLI read them from (catalogue.ts adds how each drill loads).
export const DRILL_DESCRIPTIONS = {
  "kill-backend-task": "stop one backend task; the service replaces it (--task ID to choose)",
  "drain-instance": "set one container instance DRAINING, then back to ACTIVE (--pool, --instance)",
  "terminate-instance": "terminate one instance through its Auto Scaling group, keeping desired capacity (--pool, --instance, --verify-restore)",
  "az-outage": "drain every container instance in one AZ, then reactivate them (--az)",
  "redis-failover": "ElastiCache TestFailover: the Redis primary moves to a replica",
  "rds-failover": "reboot the RDS instance with forced failover to its standby",
  fis: "start one of the stack's FIS experiment templates and follow it",
} as const;

export type DrillName = keyof typeof DRILL_DESCRIPTIONS;

/** A drill's name and description, for its spec. */
export function drillEntry(name: DrillName): { readonly name: string; readonly describe: string } {
  return { name, describe: DRILL_DESCRIPTIONS[name] };
}
