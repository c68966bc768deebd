import * as aws from "@pulumi/aws";
import { expect } from "chai";
import type { StackGraph } from "../offline/graph";
import { inlineStatements, statementBySid } from "./helpers/services";
import { buildStack, STACKS } from "./helpers/stacks";

for (const stack of STACKS) {
  describe(`backend IAM (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });
    const task = () => inlineStatements(g, "backend-task");
    const clusterArn = () => g.one(aws.ecs.Cluster).state.arn;
    const onThisCluster = () => ({ ArnEquals: { "ecs:cluster": clusterArn() } });
    const base = "arn:aws:ecs:ap-northeast-1:123456789012";

    it("has exactly these statements, all Allow, no wildcard actions", () => {
      expect(task().map((s) => s.Sid)).to.deep.equal([
        "RunWorkspaceTasksOnThisCluster",
        "TagWorkspaceTasksAtLaunch",
        "WatchAndStopTasksOnThisCluster",
        "ListTasksOnThisCluster",
        "PassOnlyTheWorkspaceExecutionRole",
        "PassOnlyTheWorkspaceVolumeRole",
        "FindWorkspaceVolumesAndSnapshots",
        "SnapshotThisStacksWorkspaceVolumes",
        "CreateSnapshotsTaggedForThisStack",
        "TagSnapshotsAtCreation",
        "PublishPlatformMetrics",
      ]);
      for (const s of task()) {
        expect(s.Effect).to.equal("Allow");
        expect([s.Action].flat().join(" ")).not.to.include("*");
      }
    });

    it("runs only the workspace task definition family, only on this cluster", () => {
      expect(statementBySid(task(), "RunWorkspaceTasksOnThisCluster")).to.deep.equal({
        Sid: "RunWorkspaceTasksOnThisCluster",
        Effect: "Allow",
        Action: "ecs:RunTask",
        Resource: `${base}:task-definition/remote-claude-${stack}-workspace:*`,
        Condition: onThisCluster(),
      });
    });

    it("tags tasks only as part of RunTask", () => {
      expect(statementBySid(task(), "TagWorkspaceTasksAtLaunch")).to.deep.include({
        Action: "ecs:TagResource",
        Resource: `${base}:task/remote-claude-${stack}/*`,
        Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } },
      });
    });

    it("describes, stops and lists tasks only on this cluster", () => {
      expect(statementBySid(task(), "WatchAndStopTasksOnThisCluster")).to.deep.include({
        Action: ["ecs:DescribeTasks", "ecs:StopTask"],
        Resource: `${base}:task/remote-claude-${stack}/*`,
        Condition: onThisCluster(),
      });
      expect(statementBySid(task(), "ListTasksOnThisCluster")).to.deep.include({
        Action: "ecs:ListTasks",
        Resource: `${base}:container-instance/remote-claude-${stack}/*`,
        Condition: onThisCluster(),
      });
    });

    it("passes only the workspace execution role, only to ECS tasks", () => {
      const workspaceExecution = g.one(aws.iam.Role, "workspace-execution");
      expect(statementBySid(task(), "PassOnlyTheWorkspaceExecutionRole")).to.deep.include({
        Action: "iam:PassRole",
        Resource: workspaceExecution.state.arn,
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      });
      expect(g.outputs.workspaceExecutionRoleArn).to.equal(workspaceExecution.state.arn);
    });

    it("passes only the workspace volume role, only to ECS itself (RunTask's volumeConfigurations)", () => {
      const volumeRole = g.one(aws.iam.Role, "workspace-storage-role");
      expect(statementBySid(task(), "PassOnlyTheWorkspaceVolumeRole")).to.deep.equal({
        Sid: "PassOnlyTheWorkspaceVolumeRole",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: volumeRole.state.arn,
        Condition: { StringEquals: { "iam:PassedToService": "ecs.amazonaws.com" } },
      });
      expect(g.outputs.workspaceVolumeRoleArn).to.equal(volumeRole.state.arn);
      // Exactly two roles may be passed, each to its own service; no other statement passes any.
      const passes = task().filter((s) => [s.Action].flat().includes("iam:PassRole"));
      expect(passes.map((s) => [s.Resource, s.Condition.StringEquals["iam:PassedToService"]])).to.deep.equal([
        [g.one(aws.iam.Role, "workspace-execution").state.arn, "ecs-tasks.amazonaws.com"],
        [volumeRole.state.arn, "ecs.amazonaws.com"],
      ]);
      // The backend creates, attaches and deletes no volume itself: ECS does that through the role it passes.
      expect(JSON.stringify(task())).not.to.match(/ec2:(CreateVolume|AttachVolume|DetachVolume|DeleteVolume|DeleteSnapshot)/);
    });

    it("may snapshot only this stack's workspace volumes, into snapshots tagged for this stack (to resume a workspace)", () => {
      const tag = "remote-claude:stack";
      expect(statementBySid(task(), "FindWorkspaceVolumesAndSnapshots")).to.deep.include({ Action: ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"], Resource: "*" });
      expect(statementBySid(task(), "SnapshotThisStacksWorkspaceVolumes")).to.deep.include({
        Action: "ec2:CreateSnapshot",
        Resource: "arn:aws:ec2:ap-northeast-1:123456789012:volume/*",
        Condition: { StringEquals: { [`aws:ResourceTag/${tag}`]: stack } },
      });
      expect(statementBySid(task(), "CreateSnapshotsTaggedForThisStack")).to.deep.include({
        Resource: "arn:aws:ec2:ap-northeast-1::snapshot/*",
        Condition: { StringEquals: { [`aws:RequestTag/${tag}`]: stack } },
      });
      expect(statementBySid(task(), "TagSnapshotsAtCreation")).to.deep.include({ Action: "ec2:CreateTags", Condition: { StringEquals: { "ec2:CreateAction": "CreateSnapshot" } } });
    });

    it("publishes metrics only into the platform's namespace and reads no secret itself", () => {
      expect(statementBySid(task(), "PublishPlatformMetrics")).to.deep.include({
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "RemoteClaude" } },
      });
      expect(JSON.stringify(task())).not.to.match(/secretsmanager|kms:/);
    });

    it("lets its execution role read only the backend's two secrets and pull only the backend image", () => {
      const s = inlineStatements(g, "backend-execution");
      expect(statementBySid(s, "ReadOwnSecrets").Resource).to.deep.equal([
        g.one(aws.rds.Instance).state.masterUserSecrets[0].secretArn,
        g.one(aws.secretsmanager.Secret, "secrets-redis-auth").state.arn,
      ]);
      expect(statementBySid(s, "PullOwnImages").Resource).to.deep.equal([g.one(aws.ecr.Repository, "ecr-backend").state.arn]);
      expect(JSON.stringify(s)).not.to.include(g.one(aws.secretsmanager.Secret, "secrets-credential-proxy").state.arn);
    });

    it("trusts only ECS tasks of this account", () => {
      const role = g.one(aws.iam.Role, "backend-task");
      expect(JSON.parse(role.inputs.assumeRolePolicy)).to.deep.equal({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }],
      });
    });
  });
}
