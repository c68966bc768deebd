import * as aws from "@pulumi/aws";
import { expect } from "chai";
import type { CapturedResource, StackGraph } from "../offline/graph";
import { REDIS_AUTH_TOKEN_LENGTH } from "../components/secrets";
import { resolveId } from "./helpers/graph";
import { FULL_STAGING } from "./helpers/services";
import { buildStack, stackConfig, STACKS } from "./helpers/stacks";

const isolated = (g: StackGraph, ids: string[]) => ids.map((id) => resolveId(g, id).inputs.tags.Tier);

for (const stack of STACKS) {
  const prod = stack === "prod";
  describe(`data stores (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });
    const key = () => g.one(aws.kms.Key, "kms-key");
    const db = () => g.one(aws.rds.Instance);
    const redis = () => g.one(aws.elasticache.ReplicationGroup);

    it("puts PostgreSQL in the isolated subnets, reachable only through the database security group", () => {
      const subnets = resolveId(g, db().inputs.dbSubnetGroupName);
      expect(isolated(g, subnets.inputs.subnetIds)).to.deep.equal(Array(stackConfig(stack).azCount).fill("isolated"));
      expect(db().inputs.vpcSecurityGroupIds.map((id: string) => resolveId(g, id).inputs.tags.Role)).to.deep.equal(["database"]);
      expect(db().inputs.publiclyAccessible).to.equal(false);
    });

    it("encrypts PostgreSQL with the platform key, manages its password, forces TLS and keeps backups", () => {
      const i = db().inputs;
      const cfg = stackConfig(stack);
      expect(i).to.include({ engine: "postgres", engineVersion: cfg.dbEngineVersion, instanceClass: cfg.dbInstanceClass, storageEncrypted: true, manageMasterUserPassword: true });
      expect(i).not.to.have.property("password");
      expect(i.kmsKeyId).to.equal(key().state.arn);
      expect(i.masterUserSecretKmsKeyId).to.equal(key().state.arn);
      expect(i.performanceInsightsEnabled).to.equal(true);
      expect(i.performanceInsightsKmsKeyId).to.equal(key().state.arn);
      expect(i.backupRetentionPeriod).to.equal(cfg.dbBackupRetentionDays);
      expect(i.maxAllocatedStorage).to.equal(cfg.dbMaxAllocatedStorageGiB);
      const params = resolveId(g, i.parameterGroupName);
      expect(params.inputs.family).to.equal(`postgres${cfg.dbEngineVersion}`);
      expect(params.inputs.parameters).to.deep.include({ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" });
    });

    it(prod ? "prod: Multi-AZ, deletion protection, a final snapshot, protected" : "staging: single AZ, deletable without a final snapshot", () => {
      const i = db().inputs;
      expect(i.multiAz).to.equal(prod);
      expect(i.deletionProtection).to.equal(prod);
      expect(i.skipFinalSnapshot).to.equal(!prod);
      expect(i.finalSnapshotIdentifier).to.equal(prod ? "remote-claude-prod-db-final" : undefined);
      expect(db().options.protect).to.equal(prod);
      expect(redis().options.protect).to.equal(prod);
      expect(key().options.protect).to.equal(prod);
    });

    it("runs Redis in the isolated subnets with TLS required, AUTH from the secret, encryption at rest, snapshots", () => {
      const i = redis().inputs;
      expect(isolated(g, resolveId(g, i.subnetGroupName).inputs.subnetIds)).to.deep.equal(Array(stackConfig(stack).azCount).fill("isolated"));
      expect(i.securityGroupIds.map((id: string) => resolveId(g, id).inputs.tags.Role)).to.deep.equal(["redis"]);
      expect(i).to.include({ engine: "redis", atRestEncryptionEnabled: true, transitEncryptionEnabled: true, transitEncryptionMode: "required", port: 6379 });
      expect(i.kmsKeyId).to.equal(key().state.arn);
      expect(i.snapshotRetentionLimit).to.equal(stackConfig(stack).redisSnapshotRetentionDays);
      expect(redis().secretPaths).to.include("authToken");
      expect(i.authToken).to.have.length(REDIS_AUTH_TOKEN_LENGTH);
      const version = g.one(aws.secretsmanager.SecretVersion, "secrets-redis-auth");
      expect(version.inputs.secretString).to.equal(i.authToken);
      expect(version.secretPaths).to.include("secretString");
      expect(resolveId(g, version.inputs.secretId).name).to.equal("secrets-redis-auth");
    });

    it(prod ? "prod: a replica in a second AZ with automatic failover" : "staging: one node", () => {
      const i = redis().inputs;
      expect(i.numCacheClusters).to.equal(prod ? 2 : 1);
      expect(i.multiAzEnabled).to.equal(prod);
      expect(i.automaticFailoverEnabled).to.equal(prod);
      expect(i.preferredCacheClusterAzs).to.deep.equal(prod ? ["ap-northeast-1a", "ap-northeast-1c"] : undefined);
      expect(i.finalSnapshotIdentifier).to.equal(prod ? "remote-claude-prod-redis-final" : undefined);
    });

    it("keeps the credential proxy's secret in its own KMS-encrypted secret, value out of band unless configured", () => {
      const secret = g.one(aws.secretsmanager.Secret, "secrets-credential-proxy");
      expect(secret.inputs.kmsKeyId).to.equal(key().state.arn);
      expect(secret.inputs.name).to.equal(`remote-claude-${stack}/credential-proxy`);
      expect(g.ofType(aws.secretsmanager.SecretVersion).filter((v) => v.name === "secrets-credential-proxy")).to.have.length(0);
      expect(g.outputs.credentialProxySecretArn).to.equal(secret.state.arn);
    });

    it("rotates the platform key and lets CloudWatch Logs use it only for this stack's log groups", () => {
      expect(key().inputs.enableKeyRotation).to.equal(true);
      const statements = JSON.parse(key().inputs.policy).Statement;
      const logs = statements.find((s: any) => s.Sid === "CloudWatchLogsForThisStack");
      expect(logs.Principal).to.deep.equal({ Service: "logs.ap-northeast-1.amazonaws.com" });
      expect(logs.Condition).to.deep.equal({ ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:ap-northeast-1:123456789012:log-group:/remote-claude-${stack}/*` } });
      const root = statements.find((s: any) => s.Sid === "AccountIamPolicies");
      expect(root.Principal).to.deep.equal({ AWS: "arn:aws:iam::123456789012:root" });
      expect(statements.map((s: any) => s.Sid)).to.deep.equal(["AccountIamPolicies", "CloudWatchLogsForThisStack", "CloudWatchAlarmsToEncryptedTopic"]);
    });
  });
}

describe("secrets from config", () => {
  it("stores the configured credential proxy secret as a secret version, never in plain text", async () => {
    const g = await buildStack("staging", FULL_STAGING);
    const version = g.one(aws.secretsmanager.SecretVersion, "secrets-credential-proxy");
    expect(resolveId(g, version.inputs.secretId).name).to.equal("secrets-credential-proxy");
    expect(version.inputs.secretString).to.equal("sk-test-credential");
    expect(version.secretPaths).to.deep.equal(["secretString"]);
  });

  it("takes over the secret and its version a stack deployed as secrets-proxy-credential has, rather than replacing them", async () => {
    const g = await buildStack("staging", FULL_STAGING);
    // A stack's state holds URNs of this form (the Pulumi engine's; the root stack is no parent type).
    const former = (type: string) => `urn:pulumi:staging::remote-claude::remote-claude:security:PlatformSecrets$${type}::secrets-proxy-credential`;
    expect(g.one(aws.secretsmanager.Secret, "secrets-credential-proxy").options.aliases).to.deep.equal([former("aws:secretsmanager/secret:Secret")]);
    expect(g.one(aws.secretsmanager.SecretVersion, "secrets-credential-proxy").options.aliases).to.deep.equal([former("aws:secretsmanager/secretVersion:SecretVersion")]);
  });
});

describe("stateful resources survive harmless changes", () => {
  // Inputs whose change makes the provider replace the resource (ForceNew in the AWS provider).
  const REPLACING: Record<string, string[]> = {
    "aws:rds/instance:Instance": ["identifier", "engine", "dbName", "username", "storageEncrypted", "kmsKeyId", "availabilityZone", "characterSetName", "timezone"],
    "aws:elasticache/replicationGroup:ReplicationGroup": ["replicationGroupId", "engine", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName", "port", "preferredCacheClusterAzs"],
    "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "multiRegion"],
    "aws:rds/subnetGroup:SubnetGroup": ["name"],
    "aws:rds/parameterGroup:ParameterGroup": ["name", "family"],
    "aws:elasticache/subnetGroup:SubnetGroup": ["name"],
  };
  const PROTECTED = ["aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup", "aws:kms/key:Key"];
  const stateful = (g: StackGraph): CapturedResource[] => g.resources.filter((r) => r.type in REPLACING);

  it("changing the backend's desired count touches no input of RDS, Redis, their groups or the key", async () => {
    const before = await buildStack("prod");
    const after = await buildStack("prod", { backendDesiredCount: 4 });
    // The change is real: the service's input moved.
    expect(after.one(aws.ecs.Service, "backend-service").inputs.desiredCount).to.equal(4);
    expect(before.one(aws.ecs.Service, "backend-service").inputs.desiredCount).to.equal(3);
    // RDS, Redis, their three groups, the platform key and the workspace volume key.
    expect(stateful(before).map((r) => r.id)).to.have.length(7);
    for (const r of stateful(before)) {
      const twin = after.get(r.id);
      expect(twin, r.id).to.not.equal(undefined);
      for (const input of REPLACING[r.type]) expect(twin!.inputs[input], `${r.id}.${input}`).to.deep.equal(r.inputs[input]);
      // Not even an in-place update.
      expect(twin!.inputs, r.id).to.deep.equal(r.inputs);
      if (PROTECTED.includes(r.type)) expect(twin!.options.protect, r.id).to.equal(true);
    }
  });
});
