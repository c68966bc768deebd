// One host pool: its own instance role, launch template, Auto Scaling group and ECS capacity
// provider. Backend and workspace hosts never mix, so a workspace that escapes its container
// never shares a host (and an instance role) with a task that may call RunTask ("ECScape", 2025).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROOT_DEVICE } from "./hostImage";
import { type PoolHostSettings, userData } from "../host/render";
import type { PtraceChoice } from "../host/seccomp";
import { policyJson, serviceTrustPolicy } from "../lib/iam";
import { ecsAgentStatements, ssmAgentStatements } from "../lib/hostPolicies";
import { type Pool, POOL_ATTRIBUTE } from "../lib/names";

export interface HostPoolArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** Which pool: backend (trusted) or workspace. */
  readonly pool: Pool;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** The ECS cluster's name. */
  readonly clusterName: string;
  /** Physical name of the Auto Scaling group (lib/names.ts). */
  readonly autoScalingGroupName: string;
  /** Physical name of the capacity provider (lib/names.ts). */
  readonly capacityProviderName: string;
  /** The AMI of the launch template: built by Image Builder or pinned by config amiId. */
  readonly amiId: pulumi.Input<string>;
  /** Instance types the pool may launch, in order of preference. */
  readonly instanceTypes: readonly string[];
  /** Fewest instances of the pool. */
  readonly minSize: number;
  /** Most instances of the pool. */
  readonly maxSize: number;
  /** Capacity above minSize on Spot (mixed instances policy); minSize stays On-Demand. */
  readonly spot: boolean;
  /** Stopped instances in an ASG warm pool; 0 = none (config forbids it with Spot or mixed types). */
  readonly warmPoolSize: number;
  /** Capacity provider target capacity, percent: below 100 keeps headroom. */
  readonly targetCapacity: number;
  /** Root volume of each host, GiB (config hostRootVolumeGiB). */
  readonly rootVolumeGiB: number;
  /** ECS_CONTAINER_STOP_TIMEOUT of the agent (config containerStopTimeoutSeconds). */
  readonly stopTimeoutSeconds: number;
  /** ECS_RESERVED_MEMORY of the agent (config hostReservedMemoryMiB). */
  readonly reservedMemoryMiB: number;
  /** The ptrace choice of the seccomp profile the user data installs (the same as the AMI's). */
  readonly seccompPtrace: PtraceChoice;
  /** The private subnets the hosts run in. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** Must exist before any instance registers (the ENI trunking account setting). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** Seconds a new instance needs to boot and register: instance refresh and managed scaling wait this long. */
export const INSTANCE_WARMUP_SECONDS = 180;

export class HostPool extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly launchTemplate: aws.ec2.LaunchTemplate;
  readonly autoScalingGroup: aws.autoscaling.Group;
  readonly capacityProvider: aws.ecs.CapacityProvider;
  /** The user data the launch template carries (plain text), for the plan and the tests. */
  readonly userData: string;

  constructor(name: string, args: HostPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:hosts:HostPool", name, {}, opts);
    const parent = { parent: this };
    const base = `${args.prefix}-${args.pool}-hosts`;
    const tags = { ...args.tags, Name: base, [POOL_ATTRIBUTE]: args.pool };

    this.role = new aws.iam.Role(`${name}-role`, {
      name: base,
      description: `Instance role of the ${args.pool} hosts: the ECS and SSM agents' calls on ${args.clusterName} only`,
      assumeRolePolicy: policyJson(serviceTrustPolicy("ec2.amazonaws.com")),
      tags,
    }, parent);
    new aws.iam.RolePolicy(`${name}-agents`, {
      role: this.role.id,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [...ecsAgentStatements(args.region, args.accountId, args.clusterName), ...ssmAgentStatements()],
      }),
    }, parent);
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { name: base, role: this.role.name, tags }, parent);

    const settings: PoolHostSettings = {
      pool: args.pool,
      cluster: args.clusterName,
      spot: args.spot,
      stopTimeoutSeconds: args.stopTimeoutSeconds,
      reservedMemoryMiB: args.reservedMemoryMiB,
      seccompPtrace: args.seccompPtrace,
    };
    this.userData = userData(settings);

    this.launchTemplate = new aws.ec2.LaunchTemplate(`${name}-lt`, {
      name: base,
      description: `Hardened ECS host of the ${args.pool} pool`,
      imageId: args.amiId,
      // With one type and no Spot the template names it; otherwise the ASG's overrides do.
      instanceType: args.instanceTypes.length === 1 && !args.spot ? args.instanceTypes[0] : undefined,
      iamInstanceProfile: { arn: profile.arn },
      // IMDSv2 only, and a hop limit of 1 so a token never reaches a container behind a bridge
      // (the AL2023 AMI defaults to 2); instance tags stay out of the metadata.
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        httpProtocolIpv6: "disabled",
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [{
        deviceName: ROOT_DEVICE,
        ebs: { volumeSize: args.rootVolumeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      }],
      // The ASG supplies the (private) subnets; no public address, the pool's security group only.
      networkInterfaces: [{
        deviceIndex: 0,
        associatePublicIpAddress: "false",
        deleteOnTermination: "true",
        securityGroups: [args.securityGroupId],
      }],
      ebsOptimized: "true",
      userData: Buffer.from(this.userData).toString("base64"),
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: "instance", tags },
        { resourceType: "volume", tags },
      ],
      tags,
    }, parent);

    const version = this.launchTemplate.latestVersion.apply(String);
    const mixed = args.spot || args.instanceTypes.length > 1;
    const placement = mixed
      ? {
        mixedInstancesPolicy: {
          launchTemplate: {
            launchTemplateSpecification: { launchTemplateId: this.launchTemplate.id, version },
            overrides: args.instanceTypes.map((instanceType) => ({ instanceType })),
          },
          instancesDistribution: {
            onDemandAllocationStrategy: "prioritized",
            onDemandBaseCapacity: args.spot ? args.minSize : undefined,
            onDemandPercentageAboveBaseCapacity: args.spot ? 0 : 100,
            spotAllocationStrategy: args.spot ? "price-capacity-optimized" : undefined,
          },
        },
      }
      : { launchTemplate: { id: this.launchTemplate.id, version } };

    const asgTags = { ...tags, AmazonECSManaged: "true" };
    this.autoScalingGroup = new aws.autoscaling.Group(`${name}-asg`, {
      name: args.autoScalingGroupName,
      vpcZoneIdentifiers: args.subnetIds,
      minSize: args.minSize,
      maxSize: args.maxSize,
      ...placement,
      // Managed termination protection needs it: ECS lifts it from instances it has drained.
      protectFromScaleIn: true,
      capacityRebalance: args.spot,
      healthCheckType: "EC2",
      healthCheckGracePeriod: INSTANCE_WARMUP_SECONDS,
      defaultInstanceWarmup: INSTANCE_WARMUP_SECONDS,
      // A new launch template version (AMI, user data) rolls the pool: new hosts first, then the
      // old ones drained (managed draining) and replaced, protected ones included.
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 200,
          instanceWarmup: String(INSTANCE_WARMUP_SECONDS),
          skipMatching: true,
          scaleInProtectedInstances: "Refresh",
          standbyInstances: "Terminate",
        },
      },
      warmPool: args.warmPoolSize > 0
        ? {
          poolState: "Stopped",
          minSize: args.warmPoolSize,
          // Exactly warmPoolSize stopped hosts: left unset, AWS keeps (max size − running) of them.
          maxGroupPreparedCapacity: args.warmPoolSize,
          // ECS capacity providers do not support returning instances to the warm pool.
          instanceReusePolicy: { reuseOnScaleIn: false },
        }
        : undefined,
      enabledMetrics: [
        "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
        "GroupPendingInstances", "GroupTerminatingInstances", "GroupTotalInstances",
        ...(args.warmPoolSize > 0 ? ["WarmPoolWarmedCapacity", "WarmPoolPendingCapacity", "WarmPoolTotalCapacity"] : []),
      ] as aws.types.enums.autoscaling.Metric[],
      tags: Object.entries(asgTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    }, {
      parent: this,
      dependsOn: args.dependsOn,
      // ECS manages the desired capacity, and tags the group AmazonECSManaged itself: both drift.
      ignoreChanges: ["desiredCapacity", "tags"],
    });

    this.capacityProvider = new aws.ecs.CapacityProvider(`${name}-cp`, {
      name: args.capacityProviderName,
      autoScalingGroupProvider: {
        autoScalingGroupArn: this.autoScalingGroup.arn,
        managedTerminationProtection: "ENABLED",
        managedDraining: "ENABLED",
        managedScaling: {
          status: "ENABLED",
          targetCapacity: args.targetCapacity,
          minimumScalingStepSize: 1,
          maximumScalingStepSize: 10,
          instanceWarmupPeriod: INSTANCE_WARMUP_SECONDS,
        },
      },
      tags,
    }, parent);

    this.registerOutputs({
      launchTemplateId: this.launchTemplate.id,
      autoScalingGroupName: this.autoScalingGroup.name,
      capacityProviderName: this.capacityProvider.name,
    });
  }
}
