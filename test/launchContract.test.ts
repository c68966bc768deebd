import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  launchContractEnvironment,
  launchTargetFromEnvironment,
  RUNTASK_ENV,
  VOLUME_TAGS,
  type WorkspaceLaunchTarget,
  workspaceRunTaskRequest,
} from "../lib/launchContract";

const KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const ROLE = "arn:aws:iam::123456789012:role/remote-claude-staging-workspace-volumes";

const target: WorkspaceLaunchTarget = {
  cluster: "remote-claude-staging",
  taskDefinition: "remote-claude-staging-workspace",
  subnets: ["subnet-a", "subnet-b"],
  securityGroups: ["sg-workspace"],
  capacityProvider: "remote-claude-staging-workspace",
  volume: { volumeName: "workspace", sizeGiB: 20, iops: 3000, throughputMiBps: 125, filesystem: "xfs", kmsKeyArn: KEY, infrastructureRoleArn: ROLE, stack: "staging" },
};

const volumeOf = (request: ReturnType<typeof workspaceRunTaskRequest>) => {
  expect(request.volumeConfigurations).to.have.length(1);
  return request.volumeConfigurations![0];
};
const tagsOf = (request: ReturnType<typeof workspaceRunTaskRequest>) =>
  Object.fromEntries(volumeOf(request).managedEBSVolume!.tagSpecifications![0].tags!.map((t) => [t.key, t.value]));

describe("workspace launch contract", () => {
  it("builds the RunTask request the backend sends: awsvpc, no public IP, capacity provider, binpack, one volume", () => {
    const request = workspaceRunTaskRequest(target, { workspaceId: "conv-42", count: 3, startedBy: "ops/r1", tags: { "remote-claude:drill-run": "r1" } });
    expect(request).to.deep.equal({
      cluster: "remote-claude-staging",
      taskDefinition: "remote-claude-staging-workspace",
      count: 3,
      capacityProviderStrategy: [{ capacityProvider: "remote-claude-staging-workspace", weight: 1, base: 0 }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-workspace"], assignPublicIp: "DISABLED" } },
      placementStrategy: [{ type: "binpack", field: "memory" }],
      enableECSManagedTags: true,
      propagateTags: "TASK_DEFINITION",
      volumeConfigurations: [{
        name: "workspace",
        managedEBSVolume: {
          encrypted: true,
          kmsKeyId: KEY,
          volumeType: "gp3",
          sizeInGiB: 20,
          iops: 3000,
          throughput: 125,
          filesystemType: "xfs",
          roleArn: ROLE,
          terminationPolicy: { deleteOnTermination: false },
          tagSpecifications: [{
            resourceType: "volume",
            tags: [
              { key: "remote-claude:stack", value: "staging" },
              { key: "remote-claude:workspace-id", value: "conv-42" },
              { key: "remote-claude:filesystem", value: "xfs" },
            ],
            propagateTags: "NONE",
          }],
        },
      }],
      tags: [{ key: "remote-claude:drill-run", value: "r1" }],
      startedBy: "ops/r1",
    });
    expect(request).to.not.have.property("launchType");
  });

  it("encrypts every volume with the stack's key and keeps it when the task stops (retention)", () => {
    for (const options of [{ workspaceId: "a" }, { workspaceId: "b", resume: { snapshotId: "snap-0123456789abcdef0" } }]) {
      const ebs = volumeOf(workspaceRunTaskRequest(target, options)).managedEBSVolume!;
      expect(ebs.encrypted).to.equal(true);
      expect(ebs.kmsKeyId).to.equal(KEY);
      expect(ebs.roleArn).to.equal(ROLE);
      expect(ebs.terminationPolicy).to.deep.equal({ deleteOnTermination: false });
      expect(ebs.volumeType).to.equal("gp3");
    }
  });

  it("tags the volume with the stack and the workspace, plus extra tags (a drill's run id)", () => {
    const tags = tagsOf(workspaceRunTaskRequest(target, { workspaceId: "conv-7", volumeTags: { "remote-claude:drill-run": "load-1" } }));
    expect(tags).to.deep.equal({
      [VOLUME_TAGS.stack]: "staging",
      [VOLUME_TAGS.workspaceId]: "conv-7",
      [VOLUME_TAGS.filesystem]: "xfs",
      "remote-claude:drill-run": "load-1",
    });
  });

  it("resumes a workspace from a snapshot: its id, its filesystem, at least its size, and where it came from", () => {
    const request = workspaceRunTaskRequest(target, { workspaceId: "conv-42", resume: { snapshotId: "snap-0123456789abcdef0", snapshotSizeGiB: 50, filesystem: "ext4" } });
    const ebs = volumeOf(request).managedEBSVolume!;
    expect(ebs.snapshotId).to.equal("snap-0123456789abcdef0");
    expect(ebs.sizeInGiB).to.equal(50);
    expect(ebs.filesystemType).to.equal("ext4");
    expect(tagsOf(request)).to.include({ [VOLUME_TAGS.resumedFrom]: "snap-0123456789abcdef0", [VOLUME_TAGS.filesystem]: "ext4", [VOLUME_TAGS.workspaceId]: "conv-42" });
    // A small snapshot gets the configured size; the configured filesystem when the snapshot's is unknown.
    const small = volumeOf(workspaceRunTaskRequest(target, { workspaceId: "x", resume: { snapshotId: "snap-0123456789abcdef0", snapshotSizeGiB: 8 } })).managedEBSVolume!;
    expect([small.sizeInGiB, small.filesystemType]).to.deep.equal([20, "xfs"]);
    expect(volumeOf(workspaceRunTaskRequest(target, { workspaceId: "x" })).managedEBSVolume).not.to.have.property("snapshotId");
  });

  it("refuses more than RunTask's ten tasks per call", () => {
    expect(() => workspaceRunTaskRequest(target, { workspaceId: "w", count: 11 })).to.throw(/1 to 10/);
    expect(() => workspaceRunTaskRequest(target, { workspaceId: "w", count: 0 })).to.throw(/1 to 10/);
  });

  it("refuses a workspace id that is no tag value, a snapshot id that is none, and reserved volume tags", () => {
    for (const workspaceId of ["", "has space", "-leading", "x".repeat(129)]) {
      expect(() => workspaceRunTaskRequest(target, { workspaceId }), workspaceId).to.throw(/workspaceId must be/);
    }
    expect(() => workspaceRunTaskRequest(target, { workspaceId: "w", resume: { snapshotId: "vol-0123456789abcdef0" } })).to.throw(/snapshot id/);
    for (const key of ["aws:cloudformation:x", "AmazonECSCreated", "AmazonECSManaged", VOLUME_TAGS.stack, VOLUME_TAGS.workspaceId]) {
      expect(() => workspaceRunTaskRequest(target, { workspaceId: "w", volumeTags: { [key]: "x" } }), key).to.throw(/reserved/);
    }
  });

  it("round-trips through the backend's environment, and names what is missing", () => {
    const env = launchContractEnvironment(target);
    expect(Object.keys(env).sort()).to.deep.equal(Object.values(RUNTASK_ENV).sort());
    expect(launchTargetFromEnvironment(env)).to.deep.equal(target);
    const broken = { ...env, [RUNTASK_ENV.volumeRoleArn]: "" };
    expect(() => launchTargetFromEnvironment(broken)).to.throw(`missing environment ${RUNTASK_ENV.volumeRoleArn}`);
    expect(() => launchTargetFromEnvironment({ ...env, [RUNTASK_ENV.volumeFilesystem]: "ntfs" })).to.throw(/one of xfs, ext4/);
    expect(() => launchTargetFromEnvironment({ ...env, [RUNTASK_ENV.volumeSizeGiB]: "twenty" })).to.throw(/positive integer/);
  });

  it("is what the README shows the backend team: its example request is this function's output", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const block = /<!-- launch-contract-example:start[^>]*-->\s*```json\n([\s\S]*?)```\s*<!-- launch-contract-example:end -->/.exec(readme);
    expect(block, "README's launch contract example").to.not.equal(null);
    const example = JSON.parse(block![1]);
    const ebs = example.volumeConfigurations[0].managedEBSVolume;
    const shown: WorkspaceLaunchTarget = {
      cluster: example.cluster,
      taskDefinition: example.taskDefinition,
      subnets: example.networkConfiguration.awsvpcConfiguration.subnets,
      securityGroups: example.networkConfiguration.awsvpcConfiguration.securityGroups,
      capacityProvider: example.capacityProviderStrategy[0].capacityProvider,
      volume: { volumeName: "workspace", sizeGiB: 20, iops: 3000, throughputMiBps: 125, filesystem: "xfs", kmsKeyArn: ebs.kmsKeyId, infrastructureRoleArn: ebs.roleArn, stack: "staging" },
    };
    expect(example).to.deep.equal(JSON.parse(JSON.stringify(workspaceRunTaskRequest(shown, { workspaceId: "conv-7f3a9c", startedBy: "backend" }))));
  });
});
