// The data of the platform: the secrets, RDS PostgreSQL and Redis, under the platform key, in the
// isolated subnets. Built before the DNS Firewall, whose allow list names their endpoints.
import { Database } from "../components/database";
import { Redis } from "../components/redis";
import { PlatformSecrets } from "../components/secrets";
import type { PlatformContext } from "./context";
import type { NetworkStep } from "./foundation";

export interface DataStep {
  readonly secrets: PlatformSecrets;
  readonly database: Database;
  readonly redis: Redis;
}

export function buildData(ctx: PlatformContext, net: NetworkStep): DataStep {
  const { cfg, prefix, tags } = ctx;
  const { key, network, securityGroups } = net;
  const secrets = new PlatformSecrets("secrets", { prefix, kmsKeyArn: key.arn, credentialProxySecret: cfg.credentialProxySecret, isProd: cfg.isProd, tags });
  const database = new Database("database", {
    prefix,
    subnetIds: network.isolatedSubnetIds,
    securityGroupId: securityGroups.ids.database,
    kmsKeyArn: key.arn,
    instanceClass: cfg.dbInstanceClass,
    engineVersion: cfg.dbEngineVersion,
    allocatedStorageGiB: cfg.dbAllocatedStorageGiB,
    maxAllocatedStorageGiB: cfg.dbMaxAllocatedStorageGiB,
    backupRetentionDays: cfg.dbBackupRetentionDays,
    isProd: cfg.isProd,
    tags,
  });
  const redis = new Redis("redis", {
    prefix,
    subnetIds: network.isolatedSubnetIds,
    availabilityZones: ctx.zones,
    securityGroupId: securityGroups.ids.redis,
    kmsKeyArn: key.arn,
    authToken: secrets.redisAuthToken,
    nodeType: cfg.redisNodeType,
    engineVersion: cfg.redisEngineVersion,
    snapshotRetentionDays: cfg.redisSnapshotRetentionDays,
    isProd: cfg.isProd,
    tags,
  });
  return { secrets, database, redis };
}

/** Names the backend resolves: the DNS Firewall must allow them. */
export function dataEndpointNames(data: DataStep) {
  return [data.database.address, data.redis.primaryEndpoint];
}
