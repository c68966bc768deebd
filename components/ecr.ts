// ECR repositories of the images (backend, workspace agent, credential proxy, and the egress proxy
// in egressMode proxy): scanned on
// push, immutable tags, KMS-encrypted, with lifecycle rules. Each image the tasks run is either a
// tag/digest from config in its repository, or, with a build context, built and pushed by
// awsx.ecr.Image during `pulumi up` and referenced by the digest it produced.
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

type ImageName = "backend" | "workspace" | "credentialProxy" | "egressProxy";
const IMAGE_NAMES: readonly ImageName[] = ["backend", "workspace", "credentialProxy", "egressProxy"];
/** Images every stack runs; the others only where configured (the egress proxy: egressMode proxy). */
type CoreImage = Exclude<ImageName, "egressProxy">;
type PerImage<T> = Readonly<Record<CoreImage, T>> & { readonly egressProxy?: T };

/** Repository suffix per image: <prefix>/<suffix>. */
const REPOSITORY_SUFFIX: Readonly<Record<ImageName, string>> = {
  backend: "backend",
  workspace: "workspace",
  credentialProxy: "credential-proxy",
  egressProxy: "egress-proxy",
};

interface ImageSource {
  /** A tag or a digest (sha256:…) in the repository; with a build context, the tag to push. */
  readonly ref: string;
  /** Absolute path of a Docker build context, or undefined to use an already pushed image. */
  readonly buildContext?: string;
}

export interface RegistryArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Per image: the tag or digest to run, and a build context when the program builds it. */
  readonly images: PerImage<ImageSource>;
  /** Non-production repositories may be deleted with their images; production's may not. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** Untagged layers go after a week; at most this many images are kept per repository. */
export const UNTAGGED_EXPIRY_DAYS = 7;
export const MAX_IMAGES = 100;

export function lifecyclePolicy(): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Expire untagged images after ${UNTAGGED_EXPIRY_DAYS} days`,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: UNTAGGED_EXPIRY_DAYS },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the ${MAX_IMAGES} most recent images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: MAX_IMAGES },
        action: { type: "expire" },
      },
    ],
  });
}

/** The reference a task definition uses for `ref` in a repository: repo:tag or repo@digest. */
export function imageReference(repositoryUrl: string, ref: string): string {
  return ref.startsWith("sha256:") ? `${repositoryUrl}@${ref}` : `${repositoryUrl}:${ref}`;
}

export class Registry extends pulumi.ComponentResource {
  readonly repositories: PerImage<aws.ecr.Repository>;
  readonly repositoryUrls: PerImage<pulumi.Output<string>>;
  /** What the task definitions run, per image. */
  readonly imageUris: PerImage<pulumi.Output<string>>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:images:Registry", name, {}, opts);
    const repositories = {} as Record<ImageName, aws.ecr.Repository>;
    const imageUris = {} as Record<ImageName, pulumi.Output<string>>;
    const configured = IMAGE_NAMES.filter((image) => args.images[image] !== undefined);
    for (const image of configured) {
      const repoName = `${args.prefix}/${REPOSITORY_SUFFIX[image]}`;
      const repo = new aws.ecr.Repository(`${name}-${REPOSITORY_SUFFIX[image]}`, {
        name: repoName,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
        forceDelete: !args.isProd,
        tags: { ...args.tags, Name: repoName },
      }, { parent: this });
      new aws.ecr.LifecyclePolicy(`${name}-${REPOSITORY_SUFFIX[image]}`, { repository: repo.name, policy: lifecyclePolicy() }, { parent: this });
      repositories[image] = repo;

      const source = args.images[image] as ImageSource;
      if (source.buildContext) {
        const built = new awsx.ecr.Image(`${name}-${REPOSITORY_SUFFIX[image]}`, {
          repositoryUrl: repo.repositoryUrl,
          context: source.buildContext,
          platform: "linux/amd64",
          // Config validation makes this a tag (immutable: a rebuild needs a new one).
          imageTag: source.ref,
        }, { parent: this });
        // imageUri is pinned to the pushed digest, so a rebuild rolls the tasks.
        imageUris[image] = built.imageUri;
      } else {
        imageUris[image] = repo.repositoryUrl.apply((url) => imageReference(url, source.ref));
      }
    }
    this.repositories = repositories;
    this.repositoryUrls = Object.fromEntries(configured.map((i) => [i, repositories[i].repositoryUrl])) as Record<ImageName, pulumi.Output<string>>;
    this.imageUris = imageUris;
    this.registerOutputs({ repositoryUrls: this.repositoryUrls });
  }
}
