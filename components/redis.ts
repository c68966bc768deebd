// ElastiCache Redis (cluster mode disabled) in the isolated subnets: TLS required with an AUTH
// token, encrypted at rest with the platform key, daily snapshots. Production: a primary and a
// replica in different AZs with automatic failover, a final snapshot, and `protect`.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface RedisArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The isolated subnets, one per AZ. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The VPC's AZs in subnet order: with a replica, the primary goes to the first. */
  readonly availabilityZones: readonly string[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The AUTH token clients present (from the platform secrets). */
  readonly authToken: pulumi.Input<string>;
  /** ElastiCache node type (config redisNodeType). */
  readonly nodeType: string;
  /** Engine version (config). */
  readonly engineVersion: string;
  /** Days snapshots are kept (config redisSnapshotRetentionDays). */
  readonly snapshotRetentionDays: number;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export const REDIS_PORT = 6379;
const REDIS_SNAPSHOT_WINDOW = "16:00-17:00";
const REDIS_MAINTENANCE_WINDOW = "sun:19:30-sun:20:30";

/** Nodes of the replication group: production runs a replica for failover. */
function redisNodeCount(isProd: boolean): number {
  return isProd ? 2 : 1;
}

/** Cache cluster ids of the members (<group id>-001, -002, …): CloudWatch's CacheClusterId. */
function redisMemberIds(replicationGroupId: string, nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `${replicationGroupId}-${String(i + 1).padStart(3, "0")}`);
}

export class Redis extends pulumi.ComponentResource {
  readonly replicationGroup: aws.elasticache.ReplicationGroup;
  readonly replicationGroupId: string;
  readonly primaryEndpoint: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly memberIds: readonly string[];
  readonly multiAz: boolean;
  /** Where the primary is created (the FIS AZ-power drill cuts this AZ). */
  readonly primaryAvailabilityZone: string;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:data:Redis", name, {}, opts);
    // Replication group ids are at most 40 characters.
    this.replicationGroupId = `${args.prefix}-redis`.slice(0, 40);
    const nodes = redisNodeCount(args.isProd);
    this.multiAz = nodes > 1;
    this.memberIds = redisMemberIds(this.replicationGroupId, nodes);
    this.primaryAvailabilityZone = args.availabilityZones[0];
    const tags = { ...args.tags, Name: this.replicationGroupId };

    const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
      name: `${args.prefix}-redis`,
      description: "Isolated subnets: no route out of the VPC",
      subnetIds: args.subnetIds,
      tags,
    }, { parent: this });

    this.replicationGroup = new aws.elasticache.ReplicationGroup(`${name}-group`, {
      replicationGroupId: this.replicationGroupId,
      description: `${args.prefix}: conversation to workspace mapping, warm pool`,
      engine: "redis",
      engineVersion: args.engineVersion,
      nodeType: args.nodeType,
      port: REDIS_PORT,
      numCacheClusters: nodes,
      automaticFailoverEnabled: this.multiAz,
      multiAzEnabled: this.multiAz,
      // Primary in the first AZ, replica in the second: the AZ-power drill knows where to cut.
      preferredCacheClusterAzs: this.multiAz ? args.availabilityZones.slice(0, nodes) : undefined,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [args.securityGroupId],
      atRestEncryptionEnabled: true,
      kmsKeyId: args.kmsKeyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      authToken: args.authToken,
      snapshotRetentionLimit: args.snapshotRetentionDays,
      snapshotWindow: REDIS_SNAPSHOT_WINDOW,
      maintenanceWindow: REDIS_MAINTENANCE_WINDOW,
      finalSnapshotIdentifier: args.isProd ? `${this.replicationGroupId}-final` : undefined,
      autoMinorVersionUpgrade: true,
      applyImmediately: false,
      tags,
    }, { parent: this, protect: args.isProd });

    this.primaryEndpoint = this.replicationGroup.primaryEndpointAddress;
    this.arn = this.replicationGroup.arn;
    this.registerOutputs({ replicationGroupId: this.replicationGroupId, primaryEndpoint: this.primaryEndpoint });
  }
}
