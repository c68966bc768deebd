// The stack outputs: their names and meaning, shared by the program (which exports them) and the
// ops tool (which reads them with `pulumi stack output --json` or from a file).
import type { GroupName } from "./components/flows";

export interface StackOutputs {
  readonly stack: string;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly availabilityZones: string[];
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly isolatedSubnetIds: string[];
  readonly securityGroupIds: Record<GroupName, string>;
  readonly dnsFirewallRuleGroupId: string;
  readonly dnsFirewallAssociationId: string;
  readonly flowLogGroupName: string;
  readonly dnsQueryLogGroupName: string;
}

/** One line per output, for the README and for `ops` error messages about missing outputs. */
export const STACK_OUTPUT_DOCS: Readonly<Record<keyof StackOutputs, string>> = {
  stack: "Stack name (staging, prod); the ops tool's prod guard reads it.",
  region: "AWS region of the stack.",
  accountId: "AWS account the stack is deployed in.",
  vpcId: "VPC id.",
  vpcCidr: "VPC IPv4 CIDR.",
  availabilityZones: "AZ names, in subnet order.",
  publicSubnetIds: "Public subnets (ALB, NAT), one per AZ.",
  privateSubnetIds: "Private subnets (ECS hosts and tasks), one per AZ.",
  isolatedSubnetIds: "Isolated subnets (RDS, Redis), one per AZ.",
  securityGroupIds: "Security group id per role (alb, backend, workspace, hosts, endpoints, database, redis).",
  dnsFirewallRuleGroupId: "Route 53 Resolver DNS Firewall rule group.",
  dnsFirewallAssociationId: "Its association with the VPC.",
  flowLogGroupName: "CloudWatch log group of the VPC flow logs.",
  dnsQueryLogGroupName: "CloudWatch log group of the DNS query logs.",
};

export type StackOutputInputs = { readonly [K in keyof StackOutputs]: import("@pulumi/pulumi").Input<StackOutputs[K]> };
