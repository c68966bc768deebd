// The hosts' AMI: EC2 Image Builder bakes the hardening bundle (host/render.ts) into the
// ECS-optimized Amazon Linux 2023 AMI, so `pulumi up` produces the AMI the launch templates use;
// or a pinned AMI id from config skips the build.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { bundleHash, componentDocument } from "../host/render";
import type { PtraceChoice } from "../host/seccomp";
import { gatewayBuckets } from "../lib/awsServices";
import { policyJson, serviceTrustPolicy } from "../lib/iam";
import { ssmAgentStatements } from "../lib/hostPolicies";

/** The public SSM parameter AWS keeps pointing at the latest ECS-optimized AL2023 AMI (x86_64). */
export const ECS_AL2023_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
/** The AMI's root device: the recipe and the launch templates size and encrypt it. */
export const ROOT_DEVICE = "/dev/xvda";
const BUILD_INSTANCE_TYPE = "c6i.large";

export interface HostImageArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** A pinned AMI: no Image Builder resources are created. */
  readonly pinnedAmiId?: string;
  /** Where the build and test instances run: a private subnet and the hosts' security group. */
  readonly subnetId: pulumi.Input<string>;
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** Root volume of the hosts, GiB (config hostRootVolumeGiB). */
  readonly rootVolumeGiB: number;
  /** The ptrace choice of the seccomp profile baked in. */
  readonly seccompPtrace: PtraceChoice;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The platform key (components/kms.ts): its policy lets CloudWatch Logs use it for /<prefix>/* log groups. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** What the build instance needs in place first: VPC endpoints, the DNS Firewall allow list. */
  readonly buildDependsOn: pulumi.Input<pulumi.Resource>[];
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export class HostImage extends pulumi.ComponentResource {
  readonly amiId: pulumi.Output<string>;
  readonly source: "built" | "pinned";
  readonly image?: aws.imagebuilder.Image;
  readonly pipeline?: aws.imagebuilder.ImagePipeline;

  constructor(name: string, args: HostImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:hosts:HostImage", name, {}, opts);
    if (args.pinnedAmiId) {
      this.source = "pinned";
      this.amiId = pulumi.output(args.pinnedAmiId);
      this.registerOutputs({ amiId: this.amiId });
      return;
    }
    this.source = "built";
    const parent = { parent: this };
    const base = `${args.prefix}-ecs-host`;
    const tags = { ...args.tags, Name: base };

    // Component and recipe versions are immutable: name them after their content so a change
    // creates new ones next to the old (Pulumi creates before it deletes).
    const bundle = bundleHash(args.seccompPtrace);
    const component = new aws.imagebuilder.Component(`${name}-hardening`, {
      name: `${args.prefix}-host-hardening-${bundle}`,
      version: "1.0.0",
      platform: "Linux",
      description: "Remote Claude host hardening: seccomp default profile, daemon.json, IMDS blocking rules",
      data: componentDocument(args.seccompPtrace),
      tags,
    }, parent);

    const parentAmi = aws.ssm.getParameterOutput({ name: ECS_AL2023_AMI_PARAMETER }, parent).value;
    const recipe = new aws.imagebuilder.ImageRecipe(`${name}-recipe`, {
      name: parentAmi.apply((ami) => `${base}-${createHash("sha256").update(`${ami}|${bundle}|${args.rootVolumeGiB}`).digest("hex").slice(0, 12)}`),
      version: "1.0.0",
      parentImage: parentAmi,
      components: [{ componentArn: component.arn }],
      blockDeviceMappings: [{
        deviceName: ROOT_DEVICE,
        ebs: { volumeSize: args.rootVolumeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      }],
      // The ECS AMI ships the SSM agent and the hosts use it: keep it.
      systemsManagerAgent: { uninstallAfterBuild: false },
      tags,
    }, parent);

    // Image Builder's default group is /aws/imagebuilder/<recipe name>, and the recipe is named
    // after its content: name the group instead (the image's and pipeline's logging
    // configuration), under the stack's prefix, where the platform key's policy covers it.
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-build-logs`, {
      name: `/${args.prefix}/ami-builds`,
      retentionInDays: args.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags,
    }, parent);

    // The build instance's role: the SSM agent (Image Builder drives the build through Run
    // Command), this component's document, the AWSTOE binary and its own log group. Nothing else.
    const role = new aws.iam.Role(`${name}-build-role`, {
      name: `${base}-build`,
      assumeRolePolicy: policyJson(serviceTrustPolicy("ec2.amazonaws.com")),
      tags,
    }, parent);
    const toeBucket = gatewayBuckets(args.region).find((b) => b.bucket.startsWith("ec2imagebuilder-toe-"));
    if (!toeBucket) throw new Error("lib/awsServices.ts lists no AWSTOE bucket");
    new aws.iam.RolePolicy(`${name}-build-policy`, {
      role: role.id,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          ...ssmAgentStatements(),
          { Sid: "OwnComponent", Effect: "Allow", Action: ["imagebuilder:GetComponent"], Resource: [pulumi.interpolate`${component.arn}`] },
          { Sid: "AwsToeBinary", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${toeBucket.bucket}/*`] },
          { Sid: "BuildLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [pulumi.interpolate`${logGroup.arn}:*`] },
        ],
      }),
    }, parent);
    const profile = new aws.iam.InstanceProfile(`${name}-build-profile`, { name: `${base}-build`, role: role.name, tags }, parent);

    const infrastructure = new aws.imagebuilder.InfrastructureConfiguration(`${name}-infrastructure`, {
      name: `${base}-build`,
      description: "Builds and tests the host AMI in a private subnet with the hosts' security group",
      instanceProfileName: profile.name,
      instanceTypes: [BUILD_INSTANCE_TYPE],
      subnetId: args.subnetId,
      securityGroupIds: [args.securityGroupId],
      terminateInstanceOnFailure: true,
      instanceMetadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
      resourceTags: tags,
      tags,
    }, parent);

    const distribution = new aws.imagebuilder.DistributionConfiguration(`${name}-distribution`, {
      name: base,
      distributions: [{
        region: args.region,
        amiDistributionConfiguration: {
          name: `${base}-{{ imagebuilder:buildDate }}`,
          description: "ECS-optimized AL2023 with the Remote Claude host hardening",
          amiTags: { ...args.tags, Name: base, "remote-claude:bundle": bundle },
        },
      }],
      tags,
    }, parent);

    const testing = { imageTestsEnabled: true, timeoutMinutes: 60 };
    // The image `pulumi up` builds and the launch templates use.
    this.image = new aws.imagebuilder.Image(`${name}-image`, {
      imageRecipeArn: recipe.arn,
      infrastructureConfigurationArn: infrastructure.arn,
      distributionConfigurationArn: distribution.arn,
      imageTestsConfiguration: testing,
      enhancedImageMetadataEnabled: true,
      loggingConfiguration: { logGroupName: logGroup.name },
      tags,
    }, { parent: this, dependsOn: [logGroup, ...args.buildDependsOn], customTimeouts: { create: "90m" } });

    // The same recipe as a pipeline without a schedule: operators rebuild on demand
    // (start-image-pipeline-execution) and promote a result by pinning it with `amiId`.
    this.pipeline = new aws.imagebuilder.ImagePipeline(`${name}-pipeline`, {
      name: base,
      description: "On-demand rebuilds of the hardened ECS host AMI",
      imageRecipeArn: recipe.arn,
      infrastructureConfigurationArn: infrastructure.arn,
      distributionConfigurationArn: distribution.arn,
      imageTestsConfiguration: testing,
      loggingConfiguration: { imageLogGroupName: logGroup.name },
      status: "ENABLED",
      tags,
    }, parent);

    this.amiId = this.image.outputResources.apply((resources) => {
      const ami = resources?.[0]?.amis?.[0]?.image;
      if (!ami) throw new Error("the Image Builder image produced no AMI");
      return ami;
    });
    this.registerOutputs({ amiId: this.amiId });
  }
}
