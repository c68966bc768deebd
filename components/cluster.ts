// The ECS cluster both host pools join. Container Insights on; the capacity providers (one per
// host pool) are attached by the hosts component.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterArgs {
  /** Physical name of the cluster (lib/names.ts), known before it exists. */
  readonly name: string;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export class EcsCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly arn: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:ecs:Cluster", name, {}, opts);
    this.cluster = new aws.ecs.Cluster(`${name}-cluster`, {
      name: args.name,
      settings: [{ name: "containerInsights", value: "enabled" }],
      tags: { ...args.tags, Name: args.name },
    }, { parent: this });
    this.arn = this.cluster.arn;
    this.name = this.cluster.name;
    this.registerOutputs({ arn: this.arn, name: this.name });
  }
}
