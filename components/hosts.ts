// The hosts of the cluster: ENI trunking on for the account, the hardened AMI (built or pinned),
// the backend and workspace pools, and both capacity providers attached to the one cluster.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HostImage } from "./hostImage";
import { HostPool } from "./hostPool";
import type { PtraceChoice } from "../host/seccomp";
import type { Pool } from "../lib/names";

export interface PoolArgs {
  /** Instance types the pool may launch, in order of preference. */
  readonly instanceTypes: readonly string[];
  /** Fewest instances of the pool. */
  readonly minSize: number;
  /** Most instances of the pool. */
  readonly maxSize: number;
  /** Run the pool on Spot (config backendSpot, workspaceSpot). */
  readonly spot: boolean;
  /** Stopped instances kept ready for scale-out (0: none). */
  readonly warmPoolSize: number;
  /** Capacity provider target capacity, percent: below 100 keeps headroom. */
  readonly targetCapacity: number;
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** Physical name of the Auto Scaling group (lib/names.ts). */
  readonly autoScalingGroupName: string;
  /** Physical name of the capacity provider (lib/names.ts). */
  readonly capacityProviderName: string;
}

export interface HostsArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** The ECS cluster's name. */
  readonly clusterName: pulumi.Input<string>;
  /** The cluster's physical name as a plain value (ecs.config and IAM need it before it exists). */
  readonly clusterPhysicalName: string;
  /** The private subnets the hosts run in. */
  readonly privateSubnetIds: pulumi.Input<string>[];
  /** An AMI to use instead of building one (config amiId). */
  readonly pinnedAmiId?: string;
  /** Root volume of each host, GiB (config hostRootVolumeGiB). */
  readonly rootVolumeGiB: number;
  /** ECS_CONTAINER_STOP_TIMEOUT of the agent (config containerStopTimeoutSeconds). */
  readonly stopTimeoutSeconds: number;
  /** ECS_RESERVED_MEMORY of the agent (config hostReservedMemoryMiB). */
  readonly reservedMemoryMiB: number;
  /** The ptrace choice of the seccomp profile the AMI and the user data install. */
  readonly seccompPtrace: PtraceChoice;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The platform key: the AMI build logs are encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The two pools, backend and workspace. */
  readonly pools: Readonly<Record<Pool, PoolArgs>>;
  /**
   * What a host (and the AMI build instance) needs before it boots: the VPC endpoints and the DNS
   * Firewall. An ECS agent that registers through the public ECS endpoint is sent to numbered
   * ACS/TCS names and keeps them for 12 hours (lib/awsServices.ts, ECS_AGENT_NAMES).
   */
  readonly networkReady: pulumi.Input<pulumi.Resource>[];
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** Services and RunTask without a strategy land here: the trusted pool, never the workspaces'. */
const DEFAULT_POOL: Pool = "backend";

export class Hosts extends pulumi.ComponentResource {
  readonly trunking: aws.ecs.AccountSettingDefault;
  readonly image: HostImage;
  readonly pools: Readonly<Record<Pool, HostPool>>;
  /**
   * The cluster's capacity provider association. Services and RunTask with a capacity provider
   * strategy fail until it exists: the backend service must depend on it.
   */
  readonly capacityReady: aws.ecs.ClusterCapacityProviders;

  constructor(name: string, args: HostsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:hosts:Hosts", name, {}, opts);

    // Account-wide (per region) and read when an instance registers, so it comes first. Kept on
    // destroy: other stacks in the account rely on it, and turning it off strands their tasks.
    this.trunking = new aws.ecs.AccountSettingDefault(`${name}-awsvpc-trunking`, {
      name: "awsvpcTrunking",
      value: "enabled",
    }, { parent: this, retainOnDelete: true });

    this.image = new HostImage(`${name}-ami`, {
      prefix: args.prefix,
      region: args.region,
      accountId: args.accountId,
      pinnedAmiId: args.pinnedAmiId,
      subnetId: args.privateSubnetIds[0],
      // The build instance needs exactly a host's flows: endpoints and the S3 gateway.
      securityGroupId: args.pools.backend.securityGroupId,
      rootVolumeGiB: args.rootVolumeGiB,
      seccompPtrace: args.seccompPtrace,
      logRetentionDays: args.logRetentionDays,
      kmsKeyArn: args.kmsKeyArn,
      buildDependsOn: args.networkReady,
      tags: args.tags,
    }, { parent: this });

    const pool = (p: Pool) => {
      const a = args.pools[p];
      return new HostPool(`${name}-${p}`, {
        prefix: args.prefix,
        pool: p,
        region: args.region,
        accountId: args.accountId,
        clusterName: args.clusterPhysicalName,
        autoScalingGroupName: a.autoScalingGroupName,
        capacityProviderName: a.capacityProviderName,
        amiId: this.image.amiId,
        instanceTypes: a.instanceTypes,
        minSize: a.minSize,
        maxSize: a.maxSize,
        spot: a.spot,
        warmPoolSize: a.warmPoolSize,
        targetCapacity: a.targetCapacity,
        rootVolumeGiB: args.rootVolumeGiB,
        stopTimeoutSeconds: args.stopTimeoutSeconds,
        reservedMemoryMiB: args.reservedMemoryMiB,
        seccompPtrace: args.seccompPtrace,
        subnetIds: args.privateSubnetIds,
        securityGroupId: a.securityGroupId,
        dependsOn: [this.trunking, ...args.networkReady],
        tags: args.tags,
      }, { parent: this });
    };
    this.pools = { backend: pool("backend"), workspace: pool("workspace") };

    this.capacityReady = new aws.ecs.ClusterCapacityProviders(`${name}-capacity`, {
      clusterName: args.clusterName,
      capacityProviders: [this.pools.backend.capacityProvider.name, this.pools.workspace.capacityProvider.name],
      defaultCapacityProviderStrategies: [{ capacityProvider: this.pools[DEFAULT_POOL].capacityProvider.name, weight: 1, base: 0 }],
    }, { parent: this });

    this.registerOutputs({
      amiId: this.image.amiId,
      backendCapacityProvider: this.pools.backend.capacityProvider.name,
      workspaceCapacityProvider: this.pools.workspace.capacityProvider.name,
    });
  }
}
