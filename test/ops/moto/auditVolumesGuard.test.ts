// The security static audit, `ops volumes list|prune` and the prod guard as a user runs them,
// against moto holding staging and prod as the offline plan builds them. The audit must pass on
// both planned stacks and fail, row by row, on a deliberately broken one (a rule outside the flow
// table, a launch template allowing IMDSv1, a task definition adding a capability and passing a
// token in plain environment). Volumes are judged by moto's EC2 (tag filters, snapshot, delete);
// the guard by the absence of any write. moto cannot judge the DNS Firewall (no API: the shim
// answers from the plan, so those rows are consistency only) nor ECR scan results (moto answers a
// configured result): test/ops/security.test.ts keeps its mock tests for both.
import { AuthorizeSecurityGroupIngressCommand, CreateLaunchTemplateVersionCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, ModifyLaunchTemplateCommand } from "@aws-sdk/client-ec2";
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { type MotoSetting, type MotoStack, freshStacks, motoState, releaseMoto, writesSince } from "./helpers/motoStacks";
import { runOps } from "./helpers/opsProcess";

const RUN_BOUND_MS = 180_000;

describe("ops security audit, volumes and the prod guard against moto", function () {
  this.timeout(RUN_BOUND_MS);
  let setting: MotoSetting;
  let staging: MotoStack;
  let prod: MotoStack;

  after(releaseMoto);
  before(async function () {
    this.timeout(RUN_BOUND_MS);
    ({ setting, stacks: { staging, prod } } = await freshStacks(this, ["staging", "prod"]));
  });

  const failedRows = (report: any) => report.checks.filter((c: any) => c.result === "fail").map((c: any) => `${c.name}: ${c.observed}`);

  it("the static audit passes on both planned stacks", async () => {
    const [s, p] = await Promise.all([staging, prod].map((stack) => runOps(["security", "--only", "audit", "--no-metrics", "--json", "--outputs", stack.outputsFile], setting.endpoint)));
    for (const r of [s, p]) {
      expect(r.code, r.stderr).to.equal(0);
      expect(failedRows(r.report)).to.deep.equal([]);
      const groups = new Set(r.report.checks.map((c: any) => c.group));
      expect([...groups].sort()).to.deep.equal(["audit:dns-firewall", "audit:ecr-scans", "audit:launch-templates", "audit:security-groups", "audit:task-definitions"]);
    }
    // Each stack's own egress mode sets the flows its groups must hold exactly.
    expect(p.report.checks.find((c: any) => c.name.startsWith("egressProxy ("))?.expected).to.match(/^exactly the [1-9]\d* rules/);
    expect(s.report.checks.find((c: any) => c.name.startsWith("egressProxy ("))?.expected).to.equal("exactly the 0 rules of the flow table");
  });

  it("volumes list: this stack's workspace volumes by tag, another stack's never", async () => {
    const r = await runOps(["volumes", "list", "--json", "--outputs", staging.outputsFile], setting.endpoint);
    expect(r.code, r.stderr).to.equal(0);
    const mine = staging.volumes.filter((v) => v.stack === "staging");
    expect(r.report.data.volumes.map((v: any) => v.id).sort()).to.deep.equal(mine.map((v) => v.volumeId).sort());
    const byWorkspace = Object.fromEntries(r.report.data.volumes.map((v: any) => [v.workspaceId, v.state]));
    expect(byWorkspace).to.deep.equal({ "conv-old-1": "available", "conv-old-2": "available", "conv-recent": "available", "conv-live": "in-use" });
  });

  it("volumes prune: its --dry-run changes nothing; then each volume kept longer than the age is snapshotted, then deleted", async () => {
    const args = ["volumes", "prune", "--older-than", "7", "--json", "--outputs", staging.outputsFile];
    const before = await motoState(staging, setting);
    const from = setting.shim.operations.length;
    const dry = await runOps([...args, "--dry-run"], setting.endpoint);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.report.tables.find((t: any) => t.title === "Would prune").rows.map((row: any[]) => row[1]).sort()).to.deep.equal(["conv-old-1", "conv-old-2"]);
    expect(writesSince(setting, from)).to.deep.equal([]);
    expect(await motoState(staging, setting)).to.deep.equal(before);

    const r = await runOps(args, setting.endpoint);
    expect(r.code, r.stderr).to.equal(0);
    const pruned = staging.volumes.filter((v) => v.stack === "staging" && v.retainedDays > 7);
    const kept = staging.volumes.filter((v) => !pruned.includes(v));
    const left = ((await staging.clients.ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []).map((v) => v.VolumeId);
    for (const v of pruned) expect(left, v.workspaceId).not.to.include(v.volumeId);
    for (const v of kept) expect(left, v.workspaceId).to.include(v.volumeId);
    // One completed snapshot per deleted volume, tagged so the workspace can be resumed from it.
    const snapshots = (await staging.clients.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], Filters: [{ Name: "tag:remote-claude:stack", Values: ["staging"] }] }))).Snapshots ?? [];
    const bySource = Object.fromEntries(snapshots.map((sn) => [sn.Tags?.find((t) => t.Key === "remote-claude:source-volume")?.Value, sn]));
    for (const v of pruned) {
      const sn = bySource[v.volumeId];
      expect(sn?.State, v.workspaceId).to.equal("completed");
      expect(sn?.VolumeId).to.equal(v.volumeId);
      expect(sn?.Tags).to.deep.include({ Key: "remote-claude:workspace-id", Value: v.workspaceId });
      expect(sn?.Tags).to.deep.include({ Key: "remote-claude:filesystem", Value: "xfs" });
    }
    expect(snapshots).to.have.length(pruned.length);
  });

  it("the prod guard: load and cleanup refuse prod without --confirm-prod, prune only lists: nothing reaches moto", async () => {
    const before = await motoState(prod, setting);
    const from = setting.shim.operations.length;
    const o = ["--outputs", prod.outputsFile];
    // The drills' guard, and every command running once confirmed, are drills.test.ts's and
    // loadWorkspaces.test.ts's (the same assertMayChange).
    const [load, cleanup, prune] = await Promise.all([
      runOps(["load", "workspaces", "--count", "1", ...o], setting.endpoint),
      runOps(["cleanup", "--run-id", "load-20261205T120000-beef", ...o], setting.endpoint),
      runOps(["volumes", "prune", "--older-than", "7", "--json", ...o], setting.endpoint),
    ]);
    for (const r of [load, cleanup]) {
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/stack "prod" is production: .*; rerun with --confirm-prod \(or --dry-run to see the plan\)/);
    }
    // Prune lists what it would do on prod instead of refusing.
    expect(prune.code, prune.stderr).to.equal(0);
    expect(prune.report.outcome).to.equal("dry-run");
    expect(prune.report.tables.find((t: any) => t.title === "Would prune").rows).to.have.length(2);
    expect(writesSince(setting, from)).to.deep.equal([]);
    expect(await motoState(prod, setting)).to.deep.equal(before);
  });

  it("the static audit fails, row by row, on a deliberately broken stack", async () => {
    const c = staging.clients;
    const o = staging.outputs;
    // A flow outside the table: SSH from anywhere to the workspaces.
    await c.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: o.securityGroupIds.workspace, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
    // A new default launch template version that allows IMDSv1.
    await c.ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: o.workspaceLaunchTemplateId, LaunchTemplateData: { ImageId: o.amiId, MetadataOptions: { HttpTokens: "optional", HttpPutResponseHopLimit: 1 }, BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { Encrypted: true } }] } }));
    await c.ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: o.workspaceLaunchTemplateId, DefaultVersion: "2" }));
    // A workspace revision that adds a capability and passes a token in plain environment.
    const td = (await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: o.workspaceTaskDefinitionArn }))).taskDefinition!;
    const containers = td.containerDefinitions!.map((cd) => cd.name !== "workspace-agent" ? cd : {
      ...cd,
      linuxParameters: { ...cd.linuxParameters, capabilities: { ...cd.linuxParameters?.capabilities, add: ["NET_ADMIN"] } },
      environment: [...(cd.environment ?? []), { name: "GITHUB_TOKEN", value: "ghp_0123456789abcdefghijklmnopqrstuvwxyz" }],
    });
    const broken = (await c.ecs.send(new RegisterTaskDefinitionCommand({ family: td.family, containerDefinitions: containers, networkMode: td.networkMode, cpu: td.cpu, memory: td.memory, volumes: td.volumes, executionRoleArn: td.executionRoleArn, requiresCompatibilities: td.requiresCompatibilities, placementConstraints: td.placementConstraints }))).taskDefinition!;
    const outputs = path.join(path.dirname(staging.outputsFile), "staging-broken.json");
    fs.writeFileSync(outputs, JSON.stringify({ ...o, workspaceTaskDefinitionArn: broken.taskDefinitionArn }));

    const r = await runOps(["security", "--only", "audit", "--no-metrics", "--json", "--outputs", outputs], setting.endpoint);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.report.outcome).to.equal("fail");
    expect(failedRows(r.report)).to.deep.equal([
      `workspace (${o.securityGroupIds.workspace}): not allowed: in tcp/22 0.0.0.0/0`,
      "workspace-agent: capabilities added: NET_ADMIN",
      "workspace-agent: secret-like variables in plain environment: GITHUB_TOKEN",
      "workspace v2 (default): IMDSv2: HttpTokens optional",
    ]);
  });
});
