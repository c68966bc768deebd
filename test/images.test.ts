import * as aws from "@pulumi/aws";
import { expect } from "chai";
import * as path from "node:path";
import { imageReference, lifecyclePolicy, MAX_IMAGES, UNTAGGED_EXPIRY_DAYS } from "../components/ecr";
import { CONTAINERS } from "../lib/names";
import { containerNamed } from "./helpers/services";
import { FULL_STAGING } from "./helpers/services";
import { buildStack, STACKS } from "./helpers/stacks";

const root = path.resolve(__dirname, "..");

for (const stack of STACKS) {
  describe(`ECR repositories (${stack})`, () => {
    it("has one repository per image: scanned on push, immutable tags, KMS-encrypted, with lifecycle rules", async () => {
      const g = await buildStack(stack);
      const repos = g.ofType(aws.ecr.Repository);
      // The egress proxy's image only where it runs (egressMode proxy: prod).
      const images = stack === "prod" ? ["backend", "credential-proxy", "egress-proxy", "workspace"] : ["backend", "credential-proxy", "workspace"];
      expect(repos.map((r) => r.inputs.name).sort()).to.deep.equal(images.map((n) => `remote-claude-${stack}/${n}`));
      for (const repo of repos) {
        expect(repo.inputs.imageTagMutability).to.equal("IMMUTABLE");
        expect(repo.inputs.imageScanningConfiguration).to.deep.equal({ scanOnPush: true });
        expect(repo.inputs.encryptionConfigurations).to.deep.equal([{ encryptionType: "KMS", kmsKey: g.one(aws.kms.Key, "kms-key").state.arn }]);
        expect(repo.inputs.forceDelete).to.equal(stack !== "prod");
        const lifecycle = g.ofType(aws.ecr.LifecyclePolicy).filter((l) => l.inputs.repository === repo.inputs.name);
        expect(lifecycle).to.have.length(1);
        expect(JSON.parse(lifecycle[0].inputs.policy)).to.deep.equal(JSON.parse(lifecyclePolicy()));
      }
      expect(g.outputs.ecrRepositoryUrls).to.deep.equal({
        backend: g.one(aws.ecr.Repository, "ecr-backend").state.repositoryUrl,
        workspace: g.one(aws.ecr.Repository, "ecr-workspace").state.repositoryUrl,
        credentialProxy: g.one(aws.ecr.Repository, "ecr-credential-proxy").state.repositoryUrl,
        ...(stack === "prod" ? { egressProxy: g.one(aws.ecr.Repository, "ecr-egress-proxy").state.repositoryUrl } : {}),
      });
      // No image is built unless a build context is configured.
      expect(g.ofType("awsx:ecr:Image")).to.have.length(0);
    });
  });
}

describe("image references", () => {
  it("expires untagged images and caps the repository", () => {
    const rules = JSON.parse(lifecyclePolicy()).rules;
    expect(rules[0].selection).to.deep.equal({ tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: UNTAGGED_EXPIRY_DAYS });
    expect(rules[1].selection).to.deep.equal({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: MAX_IMAGES });
  });

  it("uses repo:tag for tags and repo@digest for digests", () => {
    expect(imageReference("r.example/x", "1.2.3")).to.equal("r.example/x:1.2.3");
    expect(imageReference("r.example/x", `sha256:${"0".repeat(64)}`)).to.equal(`r.example/x@sha256:${"0".repeat(64)}`);
  });

  it("builds and pushes an image with awsx when a build context is set, and runs its digest; pins a configured digest", async () => {
    const g = await buildStack("staging", FULL_STAGING);
    const [image] = g.ofType("awsx:ecr:Image");
    expect(g.ofType("awsx:ecr:Image")).to.have.length(1);
    expect(image.inputs).to.deep.equal({
      repositoryUrl: g.one(aws.ecr.Repository, "ecr-backend").state.repositoryUrl,
      context: path.join(root, "test/fixtures/backend-image"),
      platform: "linux/amd64",
      imageTag: "build-42",
    });
    const backendTask = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-staging-backend")!;
    expect(containerNamed(backendTask, CONTAINERS.backend).image).to.equal(image.state.imageUri);
    expect(image.state.imageUri).to.match(/@sha256:[0-9a-f]{64}$/);
    const workspaceTask = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-staging-workspace")!;
    expect(containerNamed(workspaceTask, CONTAINERS.workspaceAgent).image).to.equal(`${g.one(aws.ecr.Repository, "ecr-workspace").state.repositoryUrl}@sha256:${"ab".repeat(32)}`);
  });
});
