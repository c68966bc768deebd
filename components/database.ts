// RDS PostgreSQL in the isolated subnets: encrypted with the platform key, TLS forced by its
// parameter group, master password managed by RDS in Secrets Manager, Performance Insights on.
// Production: Multi-AZ, deletion protection, a final snapshot, and `protect` on the instance.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DatabaseArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The isolated subnets, one per AZ. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** RDS instance class (config dbInstanceClass). */
  readonly instanceClass: string;
  /** Major version, e.g. "16". */
  readonly engineVersion: string;
  /** Initial storage, GiB (config dbAllocatedStorageGiB). */
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling, GiB (config dbMaxAllocatedStorageGiB). */
  readonly maxAllocatedStorageGiB: number;
  /** Days automated backups are kept (config dbBackupRetentionDays). */
  readonly backupRetentionDays: number;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export const DB_NAME = "remoteclaude";
const DB_USERNAME = "remoteclaude";
export const DB_PORT = 5432;
// UTC windows that do not overlap: backups first, maintenance later in the week.
const DB_BACKUP_WINDOW = "17:00-18:00";
const DB_MAINTENANCE_WINDOW = "sun:18:30-sun:19:30";

/** The instance identifier (CloudWatch's DBInstanceIdentifier), known before the instance exists. */
export function dbIdentifier(prefix: string): string {
  return `${prefix}-db`;
}

export class Database extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  readonly parameterGroup: aws.rds.ParameterGroup;
  readonly identifier: pulumi.Output<string>;
  readonly address: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  /** The RDS-managed secret holding {"username","password"} of the master user. */
  readonly masterSecretArn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:data:Database", name, {}, opts);
    const parent = { parent: this };
    const identifier = dbIdentifier(args.prefix);
    const tags = { ...args.tags, Name: identifier };

    const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, {
      name: `${args.prefix}-db`,
      description: "Isolated subnets: no route out of the VPC",
      subnetIds: args.subnetIds,
      tags,
    }, parent);

    this.parameterGroup = new aws.rds.ParameterGroup(`${name}-params`, {
      name: `${args.prefix}-postgres${args.engineVersion}`,
      family: `postgres${args.engineVersion}`,
      description: "Remote Claude: TLS required",
      parameters: [
        // Plain-text connections are refused; clients must use TLS 1.2 or later.
        { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
        { name: "ssl_min_protocol_version", value: "TLSv1.2", applyMethod: "pending-reboot" },
      ],
      tags,
    }, parent);

    this.instance = new aws.rds.Instance(`${name}-postgres`, {
      identifier,
      engine: "postgres",
      engineVersion: args.engineVersion,
      instanceClass: args.instanceClass,
      dbName: DB_NAME,
      username: DB_USERNAME,
      port: DB_PORT,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: args.kmsKeyArn,
      storageType: "gp3",
      allocatedStorage: args.allocatedStorageGiB,
      maxAllocatedStorage: args.maxAllocatedStorageGiB,
      storageEncrypted: true,
      kmsKeyId: args.kmsKeyArn,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [args.securityGroupId],
      publiclyAccessible: false,
      parameterGroupName: this.parameterGroup.name,
      multiAz: args.isProd,
      backupRetentionPeriod: args.backupRetentionDays,
      backupWindow: DB_BACKUP_WINDOW,
      maintenanceWindow: DB_MAINTENANCE_WINDOW,
      copyTagsToSnapshot: true,
      deletionProtection: args.isProd,
      skipFinalSnapshot: !args.isProd,
      finalSnapshotIdentifier: args.isProd ? `${identifier}-final` : undefined,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: args.kmsKeyArn,
      performanceInsightsRetentionPeriod: 7,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
      autoMinorVersionUpgrade: true,
      // Changes wait for the maintenance window instead of restarting the database mid-day.
      applyImmediately: false,
      tags,
    }, { parent: this, protect: args.isProd });

    this.identifier = this.instance.identifier;
    this.address = this.instance.address;
    this.arn = this.instance.arn;
    this.masterSecretArn = this.instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets?.[0]?.secretArn;
      if (!arn) throw new Error(`RDS instance ${identifier} reports no managed master user secret`);
      return arn;
    });
    this.registerOutputs({ identifier: this.identifier, address: this.address });
  }
}
