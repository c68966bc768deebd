// One security group per role and one rule resource per allowed flow, generated from the flow
// table. Groups carry no inline rules, and the provider removes AWS's default allow-all egress, so
// a group allows exactly what the table lists.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Flow, GROUP_NAMES, type GroupName, type Peer, SECURITY_GROUPS } from "../lib/flows";

export interface SecurityGroupsArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The stack's VPC. */
  readonly vpcId: pulumi.Input<string>;
  /** The allowed flows (lib/flows.ts): one rule resource per flow and direction. */
  readonly flows: readonly Flow[];
  /** The S3 gateway endpoint's prefix list: the hosts' way to ECR layers. */
  readonly s3PrefixListId: pulumi.Input<string>;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export class SecurityGroups extends pulumi.ComponentResource {
  readonly groups: Readonly<Record<GroupName, aws.ec2.SecurityGroup>>;
  readonly ids: Readonly<Record<GroupName, pulumi.Output<string>>>;

  constructor(name: string, args: SecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:network:SecurityGroups", name, {}, opts);
    const parent = { parent: this };

    const groups = {} as Record<GroupName, aws.ec2.SecurityGroup>;
    for (const group of GROUP_NAMES) {
      groups[group] = new aws.ec2.SecurityGroup(`${name}-${group}`, {
        name: `${args.prefix}-${group}`,
        description: SECURITY_GROUPS[group],
        vpcId: args.vpcId,
        // Rules are separate resources; revoking them first lets groups that reference each other be deleted.
        revokeRulesOnDelete: true,
        tags: { ...args.tags, Name: `${args.prefix}-${group}`, Role: group },
      }, parent);
    }
    this.groups = groups;
    this.ids = Object.fromEntries(GROUP_NAMES.map((g) => [g, groups[g].id])) as Record<GroupName, pulumi.Output<string>>;

    const peerArgs = (peer: Peer) => {
      switch (peer.kind) {
        case "group":
          return { referencedSecurityGroupId: groups[peer.group].id };
        case "cidr":
          return { cidrIpv4: peer.cidr };
        case "prefixList":
          return { prefixListId: args.s3PrefixListId };
      }
    };
    const label = (peer: Peer) =>
      peer.kind === "group" ? peer.group : peer.kind === "prefixList" ? `pl-${peer.prefixList}` : peer.cidr.replace(/[./]/g, "-");

    for (const flow of args.flows) {
      const ruleName = `${name}-${label(flow.from)}-to-${label(flow.to)}-${flow.protocol}${flow.port}`;
      const common = { ipProtocol: flow.protocol, fromPort: flow.port, toPort: flow.port, description: flow.purpose };
      if (flow.from.kind === "group") {
        new aws.vpc.SecurityGroupEgressRule(`${ruleName}-out`, {
          securityGroupId: groups[flow.from.group].id,
          ...peerArgs(flow.to),
          ...common,
        }, parent);
      }
      if (flow.to.kind === "group") {
        new aws.vpc.SecurityGroupIngressRule(`${ruleName}-in`, {
          securityGroupId: groups[flow.to.group].id,
          ...peerArgs(flow.from),
          ...common,
        }, parent);
      }
      if (flow.from.kind !== "group" && flow.to.kind !== "group") {
        throw new Error(`flow ${JSON.stringify(flow)} names no security group`);
      }
    }

    this.registerOutputs({ ids: this.ids });
  }
}
