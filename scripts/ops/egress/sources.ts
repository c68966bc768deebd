// Who an address in the logs is: the network interface that holds it (DescribeNetworkInterfaces in
// the stack's VPC), named by its security group — each role of the platform has its own (the flow
// table, lib/flows.ts) — and, for an interface that is gone (a stopped task's), the subnet
// tier the address falls in (DescribeSubnets on the stack's subnets).
import { DescribeSubnetsCommand, type NetworkInterface, paginateDescribeNetworkInterfaces } from "@aws-sdk/client-ec2";
import type { GroupName } from "../../../lib/flows";
import { contains, parseCidr } from "../../../lib/cidr";
import { chunk } from "../concurrency";
import type { OpsContext } from "../context";
import { errorMessage, errorName } from "../errors";

/** What each security group's holder is, in the words of the report. */
const ROLE_OF_GROUP: Readonly<Record<GroupName, string>> = {
  alb: "ALB",
  backend: "backend",
  workspace: "workspace",
  egressProxyLb: "egress proxy NLB",
  egressProxy: "egress proxy",
  backendHosts: "backend host",
  workspaceHosts: "workspace host",
  endpoints: "VPC endpoint",
  database: "database",
  redis: "redis",
};

type Tier = "public" | "private" | "isolated" | "workspace";

/** Who lives in each subnet tier, for an address whose interface is gone. */
const TIER_HOLDERS: Readonly<Record<Tier, string>> = {
  workspace: "workspace subnet: a workspace (interface gone: task stopped)",
  private: "private subnet: backend, egress proxy or a host (interface gone)",
  public: "public subnet: ALB or NAT (interface gone)",
  isolated: "isolated subnet: database or redis (interface gone)",
};

/** EC2 filters take a bounded list of values; addresses are asked for in groups of this size. */
const ADDRESSES_PER_CALL = 100;

export interface Source {
  readonly address: string;
  /** "workspace", "backend host", …, or the tier guess. */
  readonly role: string;
  /** Interface id, type and instance, when the interface still exists. */
  readonly detail: string;
}

export class SourceMap {
  private constructor(
    private readonly interfaces: ReadonlyMap<string, NetworkInterface>,
    private readonly subnets: readonly { tier: Tier; cidr: string }[],
    private readonly roleOfGroup: ReadonlyMap<string, string>,
    private readonly vpcCidr: string | undefined,
    /** Lookups that failed: the report says so rather than guessing quietly. */
    readonly problems: readonly string[],
  ) {}

  static async build(ctx: OpsContext, addresses: readonly string[]): Promise<SourceMap> {
    const o = ctx.outputs;
    const problems: string[] = [];
    const interfaces = new Map<string, NetworkInterface>();
    const wanted = [...new Set(addresses.filter((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a)))];
    if (wanted.length > 0 && o.vpcId) {
      try {
        for (const batch of chunk(wanted, ADDRESSES_PER_CALL)) {
          const pages = paginateDescribeNetworkInterfaces({ client: ctx.aws.ec2 }, {
            Filters: [{ Name: "vpc-id", Values: [o.vpcId] }, { Name: "addresses.private-ip-address", Values: batch }],
          });
          for await (const page of ctx.api.pages("DescribeNetworkInterfaces", pages)) {
            for (const eni of page.NetworkInterfaces ?? []) {
              for (const a of eni.PrivateIpAddresses ?? []) if (a.PrivateIpAddress) interfaces.set(a.PrivateIpAddress, eni);
              if (eni.PrivateIpAddress) interfaces.set(eni.PrivateIpAddress, eni);
            }
          }
        }
      } catch (err) {
        problems.push(`network interfaces not looked up (${errorName(err)}: ${errorMessage(err)}): sources are named by subnet only`);
      }
    }
    const tiers: [Tier, readonly string[] | undefined][] = [["workspace", o.workspaceSubnetIds], ["private", o.privateSubnetIds], ["public", o.publicSubnetIds], ["isolated", o.isolatedSubnetIds]];
    const tierOf = new Map<string, Tier>();
    for (const [tier, ids] of tiers) for (const id of ids ?? []) tierOf.set(id, tier);
    const subnets: { tier: Tier; cidr: string }[] = [];
    if (wanted.length > 0 && tierOf.size > 0) {
      try {
        const r = await ctx.api.call("DescribeSubnets", () => ctx.aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...tierOf.keys()] })));
        for (const s of r.Subnets ?? []) {
          const tier = s.SubnetId ? tierOf.get(s.SubnetId) : undefined;
          if (tier && s.CidrBlock) subnets.push({ tier, cidr: s.CidrBlock });
        }
      } catch (err) {
        problems.push(`subnets not looked up (${errorName(err)}: ${errorMessage(err)})`);
      }
    }
    const roleOfGroup = new Map<string, string>();
    for (const [group, id] of Object.entries(o.securityGroupIds ?? {})) roleOfGroup.set(id, ROLE_OF_GROUP[group as GroupName] ?? group);
    return new SourceMap(interfaces, subnets, roleOfGroup, o.vpcCidr, problems);
  }

  describe(address: string): Source {
    const eni = this.interfaces.get(address);
    if (eni) {
      const roles = [...new Set((eni.Groups ?? []).map((g) => this.roleOfGroup.get(g.GroupId ?? "")).filter((r): r is string => r !== undefined))];
      const type: string = eni.InterfaceType ?? "interface";
      const role = roles.length > 0 ? roles.join(" + ") : type === "nat_gateway" || type === "natGateway" ? "NAT gateway" : `other (${type}${eni.Description ? `: ${eni.Description}` : ""})`;
      const instance = eni.Attachment?.InstanceId;
      const ecsTask = /^arn:aws[\w-]*:ecs:/.test(eni.Description ?? "") ? ", ECS task interface" : "";
      return { address, role, detail: `${eni.NetworkInterfaceId ?? "?"} (${type}${ecsTask}${instance ? `, on ${instance}` : ""})` };
    }
    const subnet = this.subnets.find((s) => inCidr(s.cidr, address));
    if (subnet) return { address, role: TIER_HOLDERS[subnet.tier], detail: `in ${subnet.cidr}` };
    if (this.vpcCidr && inCidr(this.vpcCidr, address)) return { address, role: "in the VPC, no known subnet", detail: "" };
    return { address, role: address ? "outside the VPC" : "unknown (no address logged)", detail: "" };
  }
}

function inCidr(cidr: string, address: string): boolean {
  const net = parseCidr(cidr);
  const host = parseCidr(`${address}/32`);
  return typeof net !== "string" && typeof host !== "string" && contains(net, host);
}
