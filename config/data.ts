// Data store config: RDS PostgreSQL and ElastiCache Redis sizes, versions and retention.
// Multi-AZ, deletion protection and final snapshots are not keys: production always has them,
// other stacks never pay for them (see components/database.ts and components/redis.ts).
import type { CrossCheck } from "./problems";
import { integer, string } from "./schema";

export const dataKeys = {
  dbInstanceClass: string({
    description: "RDS instance class of the PostgreSQL database.",
    default: "db.t4g.medium",
    expected: "an RDS instance class such as db.t4g.medium or db.m7g.large",
    check: (v) => (/^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(v) ? undefined : "is not an RDS instance class"),
  }),
  dbEngineVersion: string({
    description: "PostgreSQL major version (RDS picks the default minor and upgrades minors in the maintenance window).",
    default: "16",
    expected: "a PostgreSQL major version from 14 to 17",
    check: (v) => (/^(14|15|16|17)$/.test(v) ? undefined : "is not a supported major version"),
  }),
  dbAllocatedStorageGiB: integer({ description: "Initial gp3 storage of the database.", default: 20, min: 20, max: 65536, unit: "GiB" }),
  dbMaxAllocatedStorageGiB: integer({ description: "Ceiling of RDS storage autoscaling.", default: 100, min: 20, max: 65536, unit: "GiB" }),
  dbBackupRetentionDays: integer({ description: "Days RDS keeps automated backups (point-in-time recovery window).", default: 7, min: 1, max: 35, unit: "days" }),
  redisNodeType: string({
    description: "ElastiCache node type of the Redis replication group.",
    default: "cache.t4g.small",
    expected: "an ElastiCache node type such as cache.t4g.small or cache.m7g.large",
    check: (v) => (/^cache\.[a-z0-9-]+\.[a-z0-9]+$/.test(v) ? undefined : "is not an ElastiCache node type"),
  }),
  redisEngineVersion: string({
    description: "Redis OSS engine version of the replication group.",
    default: "7.1",
    expected: "a Redis OSS version 7.0 or 7.1 (the TLS-required transit mode needs 7.0.5 or later)",
    check: (v) => (/^7\.[01]$/.test(v) ? undefined : "is not a supported version"),
  }),
  redisSnapshotRetentionDays: integer({ description: "Days ElastiCache keeps daily snapshots.", default: 3, min: 1, max: 35, unit: "days" }),
};

export const dataChecks: CrossCheck[] = [
  (cfg, report) => {
    if (cfg.dbMaxAllocatedStorageGiB < cfg.dbAllocatedStorageGiB) {
      report("dbMaxAllocatedStorageGiB", cfg.dbMaxAllocatedStorageGiB, `at least dbAllocatedStorageGiB (${cfg.dbAllocatedStorageGiB})`);
    }
  },
];
