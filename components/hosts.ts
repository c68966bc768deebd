// The hosts of the cluster: ENI trunking on for the account, the hardened AMI (built or pinned),
// the backend and workspace pools, and both capacity providers attached to the one cluster.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HostImage } from "./hostImage";
import { HostPool } from "./hostPool";
import type { PtraceChoice } from "../host/seccomp";
import type { Pool } from "../lib/names";

export interface PoolArgs {
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly maxSize: number;
  readonly spot: boolean;
  readonly warmPoolSize: number;
  readonly targetCapacity: number;
  readonly securityGroupId: pulumi.Input<string>;
  readonly autoScalingGroupName: string;
  readonly capacityProviderName: string;
}

export interface HostsArgs {
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: pulumi.Input<string>;
  /** The cluster's physical name as a plain value (ecs.config and IAM need it before it exists). */
  readonly clusterPhysicalName: string;
  readonly privateSubnetIds: pulumi.Input<string>[];
  readonly pinnedAmiId?: string;
  readonly rootVolumeGiB: number;
  readonly stopTimeoutSeconds: number;
  readonly reservedMemoryMiB: number;
  /** The ptrace choice of the seccomp profile the AMI and the user data install. */
  readonly seccompPtrace: PtraceChoice;
  readonly logRetentionDays: number;
  /** The platform key: the AMI build logs are encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly pools: Readonly<Record<Pool, PoolArgs>>;
  /**
   * What a host (and the AMI build instance) needs before it boots: the VPC endpoints and the DNS
   * Firewall. An ECS agent that registers through the public ECS endpoint is sent to numbered
   * ACS/TCS names and keeps them for 12 hours (lib/awsServices.ts, ECS_AGENT_NAMES).
   */
  readonly networkReady: pulumi.Input<pulumi.Resource>[];
  readonly tags: Readonly<Record<string, string>>;
}

/** Services and RunTask without a strategy land here: the trusted pool, never the workspaces'. */
export const DEFAULT_POOL: Pool = "backend";

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
