// Workspace storage: the task definition's volume, the ECS infrastructure role and its
// scope, the volume key, the backend's environment, the retained-volumes monitor and its alarm.
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { CONTAINERS } from "../lib/names";
import { launchTargetFromEnvironment, VOLUME_TAGS } from "../lib/launchContract";
import { RETAINED_VOLUMES } from "../lib/metrics";
import type { StackGraph } from "../offline/graph";
import { launchTargetFromOutputs } from "../scripts/ops/launchTarget";
import { WORKSPACE_MOUNT_PATH, WORKSPACE_VOLUME } from "../lib/workspaceContainers";
import { containerNamed, envOf, inlineStatements, statementBySid } from "./helpers/services";
import { configErrorOf, buildStack, stackConfig, STACKS } from "./helpers/stacks";

const ACCOUNT = "123456789012";
const REGION = "ap-northeast-1";

const problemOf = (overrides: Record<string, unknown>, key: string) => {
  const found = configErrorOf("staging", overrides).problems.find((p) => p.key === `remote-claude:${key}`);
  if (!found) throw new Error(`no problem for ${key}`);
  return found.expected;
};

describe("workspace storage config", () => {
  it("reads gp3 settings and alarm thresholds from the stack files, with defaults", () => {
    const staging = stackConfig("staging");
    expect([staging.workspaceVolumeGiB, staging.workspaceVolumeIops, staging.workspaceVolumeThroughputMiBps, staging.workspaceVolumeFilesystem]).to.deep.equal([20, 3000, 125, "xfs"]);
    expect([staging.retainedVolumesAlarmCount, staging.retainedVolumesAlarmGiB]).to.deep.equal([50, 1000]);
    const prod = stackConfig("prod");
    expect([prod.workspaceVolumeGiB, prod.retainedVolumesAlarmCount, prod.retainedVolumesAlarmGiB]).to.deep.equal([30, 500, 15000]);
  });

  it("refuses gp3 combinations EBS would refuse at every launch: IOPS per GiB, throughput per IOPS, ranges", () => {
    expect(problemOf({ workspaceVolumeGiB: 4, workspaceVolumeIops: 3000 }, "workspaceVolumeIops")).to.equal("at most 500 IOPS per GiB of workspaceVolumeGiB (4 GiB allows 2000): lower the IOPS or raise the size");
    expect(problemOf({ workspaceVolumeThroughputMiBps: 1000 }, "workspaceVolumeThroughputMiBps")).to.equal("at most 0.25 MiB/s per provisioned IOPS (3000 IOPS allow 750 MiB/s): lower the throughput or raise workspaceVolumeIops");
    expect(problemOf({ workspaceVolumeIops: 20000 }, "workspaceVolumeIops")).to.equal("an integer from 3000 to 16000");
    expect(problemOf({ workspaceVolumeFilesystem: "ntfs" }, "workspaceVolumeFilesystem")).to.equal('one of "xfs", "ext4"');
    expect(() => stackConfig("staging", { workspaceVolumeGiB: 40, workspaceVolumeIops: 16000, workspaceVolumeThroughputMiBps: 1000 })).not.to.throw();
  });
});

for (const stack of STACKS) {
  describe(`workspace storage (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });
    const prefix = `remote-claude-${stack}`;
    const taskDef = () => g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === `${prefix}-workspace`)!;
    const role = () => g.one(aws.iam.Role, "workspace-storage-role");
    const key = () => g.one(aws.kms.Key, "workspace-storage-key");
    const statements = () => inlineStatements(g, "workspace-storage-role");

    it("gives the workspace task one volume, configured at launch, mounted only by the agent at its workspace path", () => {
      expect(taskDef().inputs.volumes).to.deep.equal([{ name: WORKSPACE_VOLUME, configureAtLaunch: true }]);
      for (const v of taskDef().inputs.volumes) {
        expect(v).not.to.have.property("hostPath");
        expect(v).not.to.have.property("dockerVolumeConfiguration");
      }
      const agent = containerNamed(taskDef(), CONTAINERS.workspaceAgent);
      expect(agent.mountPoints).to.deep.equal([{ sourceVolume: WORKSPACE_VOLUME, containerPath: WORKSPACE_MOUNT_PATH, readOnly: false }]);
      expect(agent.readonlyRootFilesystem).to.equal(true);
      expect(containerNamed(taskDef(), CONTAINERS.credentialProxy).mountPoints).to.equal(undefined);
      expect(containerNamed(taskDef(), CONTAINERS.credentialProxy).volumesFrom).to.equal(undefined);
    });

    it("has an infrastructure role only ECS may assume, on behalf of this account only", () => {
      expect(role().inputs.name).to.equal(`${prefix}-workspace-volumes`);
      expect(JSON.parse(role().inputs.assumeRolePolicy)).to.deep.equal({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ecs.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } }],
      });
      // One inline policy; no managed policy (AWS's would reach every ECS volume in the account).
      expect(g.ofType(aws.iam.RolePolicyAttachment).filter((a) => a.inputs.role === role().physicalId)).to.have.length(0);
      expect(role().inputs.managedPolicyArns).to.equal(undefined);
    });

    it("lets ECS create only this stack's volumes, for this cluster's tasks, from this stack's snapshots", () => {
      const volumes = `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/*`;
      const tasks = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${prefix}/*`;
      expect(statements().map((s) => s.Sid)).to.deep.equal([
        "CreateThisStacksWorkspaceVolumes",
        "CreateFromThisStacksSnapshots",
        "TagOnCreateVolume",
        "DescribeVolumesForLifecycle",
        "AttachAndDetachThisStacksVolumes",
        "AttachToWorkspaceHostsOnly",
        "DeleteThisStacksFailedVolumes",
      ]);
      expect(statementBySid(statements(), "CreateThisStacksWorkspaceVolumes")).to.deep.equal({
        Sid: "CreateThisStacksWorkspaceVolumes",
        Effect: "Allow",
        Action: "ec2:CreateVolume",
        Resource: volumes,
        Condition: {
          ArnLike: { "aws:RequestTag/AmazonECSCreated": tasks },
          StringEquals: { "aws:RequestTag/AmazonECSManaged": "true", [`aws:RequestTag/${VOLUME_TAGS.stack}`]: stack },
        },
      });
      expect(statementBySid(statements(), "CreateFromThisStacksSnapshots")).to.deep.include({
        Action: "ec2:CreateVolume",
        Resource: `arn:aws:ec2:${REGION}::snapshot/*`,
        Condition: { StringEquals: { [`aws:ResourceTag/${VOLUME_TAGS.stack}`]: stack } },
      });
      expect(statementBySid(statements(), "TagOnCreateVolume").Condition.StringEquals).to.deep.equal({
        "aws:RequestTag/AmazonECSManaged": "true", [`aws:RequestTag/${VOLUME_TAGS.stack}`]: stack, "ec2:CreateAction": "CreateVolume",
      });
    });

    it("lets ECS attach, detach and delete only this stack's managed volumes, and attach them only to workspace hosts", () => {
      const ours = { "aws:ResourceTag/AmazonECSManaged": "true", [`aws:ResourceTag/${VOLUME_TAGS.stack}`]: stack };
      expect(statementBySid(statements(), "AttachAndDetachThisStacksVolumes")).to.deep.include({ Action: ["ec2:AttachVolume", "ec2:DetachVolume"], Condition: { StringEquals: ours } });
      expect(statementBySid(statements(), "AttachToWorkspaceHostsOnly")).to.deep.include({
        Resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/*`,
        Condition: { StringEquals: { "aws:ResourceTag/aws:autoscaling:groupName": `${prefix}-workspace-hosts` } },
      });
      expect(statementBySid(statements(), "DeleteThisStacksFailedVolumes")).to.deep.include({
        Action: "ec2:DeleteVolume",
        Condition: { ArnLike: { "aws:ResourceTag/AmazonECSCreated": `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${prefix}/*` }, StringEquals: ours },
      });
      // Every statement names this region and account, except Describe* (no resource-level permissions).
      for (const s of statements()) {
        if (s.Sid === "DescribeVolumesForLifecycle") {
          expect(s.Resource).to.equal("*");
          expect(s.Action.every((a: string) => a.startsWith("ec2:Describe"))).to.equal(true);
        } else {
          expect(s.Resource, s.Sid).to.match(new RegExp(`^arn:aws:ec2:${REGION}:(${ACCOUNT})?:`));
          expect(s.Condition, s.Sid).to.not.equal(undefined);
        }
      }
      // Nothing beyond volumes: no snapshot creation or deletion, no KMS, no IAM.
      const actions = statements().flatMap((s) => [s.Action].flat());
      expect([...new Set(actions)].sort()).to.deep.equal(["ec2:AttachVolume", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteVolume", "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DetachVolume"]);
    });

    it("encrypts volumes with a key of their own that the role may use only through EBS in this region", () => {
      expect(key().id).to.not.equal(g.one(aws.kms.Key, "kms-key").id);
      expect(key().inputs.enableKeyRotation).to.equal(true);
      expect(key().options.protect).to.equal(stack === "prod");
      expect(key().inputs.deletionWindowInDays).to.equal(stack === "prod" ? 30 : 7);
      expect(g.one(aws.kms.Alias, "workspace-storage-key-alias").inputs.name).to.equal(`alias/${prefix}-workspace-volumes`);
      const policy = JSON.parse(key().inputs.policy);
      const via = { "kms:ViaService": `ec2.${REGION}.amazonaws.com`, "kms:CallerAccount": ACCOUNT };
      const bySid = (sid: string) => policy.Statement.find((s: any) => s.Sid === sid);
      expect(policy.Statement.map((s: any) => s.Sid)).to.deep.equal(["AccountIamPolicies", "VolumeRoleEncryptsThroughEbs", "VolumeRoleGrantsForEbsOnly", "VolumeRoleDescribesKey"]);
      expect(bySid("VolumeRoleEncryptsThroughEbs")).to.deep.equal({
        Sid: "VolumeRoleEncryptsThroughEbs", Effect: "Allow", Principal: { AWS: role().state.arn },
        Action: ["kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKeyWithoutPlaintext"], Resource: "*", Condition: { StringEquals: via },
      });
      expect(bySid("VolumeRoleGrantsForEbsOnly")).to.deep.include({ Action: "kms:CreateGrant", Condition: { StringEquals: via, Bool: { "kms:GrantIsForAWSResource": true } } });
      expect(bySid("VolumeRoleDescribesKey")).to.deep.include({ Principal: { AWS: role().state.arn }, Action: "kms:DescribeKey" });
      // The platform key's policy does not name the volume role.
      expect(g.one(aws.kms.Key, "kms-key").inputs.policy).not.to.include(role().state.arn);
    });

    it("exports the volume settings, role and key, and hands the backend exactly that launch contract", () => {
      const cfg = stackConfig(stack);
      expect(g.outputs.workspaceVolumeSettings).to.deep.equal({
        volumeName: WORKSPACE_VOLUME, volumeType: "gp3", sizeGiB: cfg.workspaceVolumeGiB, iops: cfg.workspaceVolumeIops,
        throughputMiBps: cfg.workspaceVolumeThroughputMiBps, filesystem: cfg.workspaceVolumeFilesystem, stackTag: stack,
      });
      expect(g.outputs.workspaceVolumeRoleArn).to.equal(role().state.arn);
      expect(g.outputs.workspaceVolumeKeyArn).to.equal(key().state.arn);
      const backendTask = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === `${prefix}-backend`)!;
      const env = envOf(containerNamed(backendTask, CONTAINERS.backend));
      // What the backend reads back is what the drills launch with: one contract.
      expect(launchTargetFromEnvironment(env)).to.deep.equal({ ...launchTargetFromOutputs(g.outputs as any), taskDefinition: `${prefix}-workspace` });
    });

    it("runs the retained-volumes monitor every 15 minutes with only what it needs", () => {
      const fn = g.one(aws.lambda.Function, "retained-volumes-function");
      expect(fn.inputs).to.deep.include({ name: `${prefix}-retained-volumes`, runtime: "nodejs22.x", handler: "index.handler", architectures: ["arm64"] });
      expect(fn.inputs.environment.variables).to.deep.equal({
        STACK_TAG_KEY: VOLUME_TAGS.stack, STACK: stack, RETAINED_SINCE_TAG_KEY: VOLUME_TAGS.retainedSince, METRICS_NAMESPACE: "RemoteClaude",
        COUNT_METRIC: RETAINED_VOLUMES.countMetric, SIZE_METRIC: RETAINED_VOLUMES.sizeMetric, METRIC_DIMENSION: "Stack",
      });
      const logGroup = g.one(aws.cloudwatch.LogGroup, "retained-volumes-logs");
      expect(fn.inputs.loggingConfig).to.deep.equal({ logFormat: "JSON", logGroup: `/${prefix}/retained-volumes` });
      expect(logGroup.inputs.kmsKeyId).to.equal(g.one(aws.kms.Key, "kms-key").state.arn);
      const rule = g.one(aws.cloudwatch.EventRule, "retained-volumes-schedule");
      expect(rule.inputs.scheduleExpression).to.equal("rate(15 minutes)");
      expect(g.one(aws.cloudwatch.EventTarget, "retained-volumes-target").inputs).to.deep.include({ rule: rule.inputs.name, arn: fn.state.arn });
      expect(g.one(aws.lambda.Permission, "retained-volumes-invoke").inputs).to.deep.include({ principal: "events.amazonaws.com", sourceArn: rule.state.arn, sourceAccount: ACCOUNT, function: fn.inputs.name });
      const fnRole = g.one(aws.iam.Role, "retained-volumes-role");
      expect(fn.inputs.role).to.equal(fnRole.state.arn);
      expect(JSON.parse(fnRole.inputs.assumeRolePolicy).Statement[0]).to.deep.include({ Principal: { Service: "lambda.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } } });
      const s = inlineStatements(g, "retained-volumes-role");
      expect(s.map((x) => x.Sid)).to.deep.equal(["ReadVolumes", "StampThisStacksVolumesOnly", "PublishRetainedVolumeMetrics", "WriteOwnLogs"]);
      expect(statementBySid(s, "StampThisStacksVolumesOnly")).to.deep.include({
        Action: "ec2:CreateTags",
        Condition: { StringEquals: { [`aws:ResourceTag/${VOLUME_TAGS.stack}`]: stack }, "ForAllValues:StringEquals": { "aws:TagKeys": [VOLUME_TAGS.retainedSince] } },
      });
      expect(statementBySid(s, "PublishRetainedVolumeMetrics").Condition).to.deep.equal({ StringEquals: { "cloudwatch:namespace": "RemoteClaude" } });
      expect(statementBySid(s, "WriteOwnLogs").Resource).to.equal(`${logGroup.state.arn}:log-stream:*`);
      expect(JSON.stringify(s)).not.to.match(/DeleteVolume|DeleteTags|kms:/);
    });

    it("alarms to the alarm topic past the configured count or GiB, or when the monitor stops reporting; not a health alarm", () => {
      const cfg = stackConfig(stack);
      const alarm = g.one(aws.cloudwatch.MetricAlarm, "retained-volumes-alarm");
      const topic = g.one(aws.sns.Topic);
      expect(alarm.inputs).to.deep.include({
        name: `${prefix}-retained-workspace-volumes`, comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, evaluationPeriods: 1, treatMissingData: "breaching",
        alarmActions: [topic.state.arn], okActions: [topic.state.arn],
      });
      const [count, gib, expression] = alarm.inputs.metricQueries;
      expect(count.metric).to.deep.equal({ namespace: "RemoteClaude", metricName: "RetainedWorkspaceVolumes", dimensions: { Stack: stack }, stat: "Maximum", period: 3600 });
      expect(gib.metric).to.deep.include({ metricName: "RetainedWorkspaceVolumeGiB", dimensions: { Stack: stack } });
      expect(expression).to.deep.include({ expression: `IF(count > ${cfg.retainedVolumesAlarmCount} OR gib > ${cfg.retainedVolumesAlarmGiB}, 1, 0)`, returnData: true });
      expect(g.outputs.retainedVolumesAlarmName).to.equal(alarm.inputs.name);
      expect(g.outputs.alarmNames).not.to.include(alarm.inputs.name);
    });
  });
}

describe("workspace storage follows its config", () => {
  it("sizes volumes, thresholds and the backend's environment from the keys", async () => {
    const g = await buildStack("staging", { workspaceVolumeGiB: 100, workspaceVolumeIops: 6000, workspaceVolumeThroughputMiBps: 500, workspaceVolumeFilesystem: "ext4", retainedVolumesAlarmCount: 7, retainedVolumesAlarmGiB: 70 });
    expect(g.outputs.workspaceVolumeSettings).to.deep.include({ sizeGiB: 100, iops: 6000, throughputMiBps: 500, filesystem: "ext4" });
    const backendTask = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-staging-backend")!;
    expect(launchTargetFromEnvironment(envOf(containerNamed(backendTask, CONTAINERS.backend))).volume).to.deep.include({ sizeGiB: 100, iops: 6000, throughputMiBps: 500, filesystem: "ext4" });
    expect(g.one(aws.cloudwatch.MetricAlarm, "retained-volumes-alarm").inputs.metricQueries[2].expression).to.equal("IF(count > 7 OR gib > 70, 1, 0)");
  });
});
