// Data store invariants: encrypted at rest and in transit, never publicly reachable, and in
// production Multi-AZ, deletion-protected and protected from replacement by Pulumi itself.
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { asList, isProdStack, referenced, stackOfUrn, TYPES } from "./util";

export const rdsEncryptedPrivate: ResourceValidationPolicy = {
  name: "rds-encrypted-private",
  description: "RDS instances and clusters are encrypted at rest and not publicly accessible.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.rdsInstance && args.type !== TYPES.rdsCluster) args.notApplicable("not an RDS database");
    if (args.props.storageEncrypted !== true) report(`${args.name}: storageEncrypted must be true.`);
    if (args.props.publiclyAccessible === true) report(`${args.name}: publiclyAccessible must be false: the database lives in the isolated subnets.`);
  },
};

function forcesSsl(group: PolicyResource): boolean {
  return asList<{ name?: string; value?: string }>(group.props.parameters).some((p) => p.name === "rds.force_ssl" && String(p.value) === "1");
}

export const rdsRequiresTls: StackValidationPolicy = {
  name: "rds-requires-tls",
  description: "Every PostgreSQL RDS instance uses a parameter group of this program that sets rds.force_ssl = 1.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const databases = args.resources.filter((r) => r.type === TYPES.rdsInstance);
    if (databases.length === 0) args.notApplicable("no RDS instance");
    for (const db of databases) {
      if (!String(db.props.engine ?? "").startsWith("postgres")) continue;
      const groups = referenced(db, "parameterGroupName").filter((r) => r.type === TYPES.rdsParameterGroup);
      if (groups.length === 0) report(`${db.name}: uses no parameter group of this program, so nothing forces TLS (set rds.force_ssl = 1).`, db.urn);
      else if (!groups.every(forcesSsl)) report(`${db.name}: its parameter group ${groups.map((g) => g.name).join(", ")} does not set rds.force_ssl = 1.`, db.urn);
    }
  },
};

export const elasticacheEncryptedAuthenticated: ResourceValidationPolicy = {
  name: "elasticache-encrypted-authenticated",
  description: "Redis runs as a replication group, encrypted at rest and in transit (TLS required) with an AUTH token or RBAC user group.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type === TYPES.cacheCluster && args.props.replicationGroupId === undefined) {
      report(`${args.name}: a standalone cache cluster cannot encrypt in transit with AUTH; use a replication group.`);
      return;
    }
    if (args.type !== TYPES.replicationGroup) args.notApplicable("not an ElastiCache replication group");
    const p = args.props;
    if (p.atRestEncryptionEnabled !== true) report(`${args.name}: atRestEncryptionEnabled must be true.`);
    if (p.transitEncryptionEnabled !== true) report(`${args.name}: transitEncryptionEnabled must be true.`);
    if (p.transitEncryptionMode === "preferred") report(`${args.name}: transitEncryptionMode "preferred" still accepts plain-text clients; use "required".`);
    if (!p.authToken && asList(p.userGroupIds).length === 0) report(`${args.name}: needs an authToken or userGroupIds: any host in the subnet could otherwise use it.`);
  },
};

export const prodDataMultiAzProtected: ResourceValidationPolicy = {
  name: "prod-data-multi-az-protected",
  description: "In production stacks, RDS is Multi-AZ with deletion protection, backups (7+ days) and a final snapshot; Redis has a replica in another AZ with automatic failover; both carry Pulumi's protect option.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.rdsInstance && args.type !== TYPES.replicationGroup) args.notApplicable("not a data store");
    if (!isProdStack(stackOfUrn(args.urn))) args.notApplicable("not a production stack");
    const p = args.props;
    if (!args.opts.protect) report(`${args.name}: production data stores need the protect resource option (no accidental delete or replace).`);
    if (args.type === TYPES.rdsInstance) {
      if (p.multiAz !== true) report(`${args.name}: multiAz must be true in production.`);
      if (p.deletionProtection !== true) report(`${args.name}: deletionProtection must be true in production.`);
      if (p.skipFinalSnapshot === true || !p.finalSnapshotIdentifier) report(`${args.name}: production takes a final snapshot (skipFinalSnapshot false, finalSnapshotIdentifier set).`);
      if (!(Number(p.backupRetentionPeriod) >= 7)) report(`${args.name}: backupRetentionPeriod must be at least 7 days in production, not ${JSON.stringify(p.backupRetentionPeriod)}.`);
    } else {
      if (p.multiAzEnabled !== true) report(`${args.name}: multiAzEnabled must be true in production.`);
      if (p.automaticFailoverEnabled !== true) report(`${args.name}: automaticFailoverEnabled must be true in production.`);
      const nodes = Number(p.numCacheClusters ?? 1 + Number(p.replicasPerNodeGroup ?? 0));
      if (!(nodes >= 2)) report(`${args.name}: production needs a replica (at least 2 nodes), not ${nodes}.`);
    }
  },
};
