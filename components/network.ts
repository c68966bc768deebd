// The VPC: public (ALB, NAT), private (ECS hosts and tasks), isolated (data) and workspace
// (workspace tasks) subnets per AZ, NAT one or per AZ, the S3 gateway endpoint with a
// bucket-scoped policy, and flow logs.
// Built from plain @pulumi/aws resources so every route is visible to the tests.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { gatewayBuckets } from "../lib/awsServices";
import { mustParseCidr, nthAddress } from "../lib/cidr";
import { s3GatewayPolicy } from "../lib/dataPerimeter";
import type { EgressMode } from "../lib/egress";
import { policyJson, serviceTrustPolicy } from "../lib/iam";
import type { SubnetLayout } from "../lib/subnetLayout";

export interface NetworkArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** The VPC's IPv4 CIDR (config vpcCidr). */
  readonly vpcCidr: string;
  /** The zones the subnets go in, one subnet of each tier per zone. */
  readonly availabilityZones: readonly string[];
  /** The subnet CIDRs per tier (lib/subnetLayout.ts). */
  readonly subnets: SubnetLayout;
  /** One NAT gateway for all zones, or one per zone (config natGateways). */
  readonly natGateways: "single" | "perAz";
  /** proxy: the workspace subnets get no route out of the VPC; dns-firewall: a NAT route. */
  readonly egressMode: EgressMode;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The platform key (components/kms.ts): its policy lets CloudWatch Logs use it for /<prefix>/* log groups. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

type SubnetTier = "public" | "private" | "isolated" | "workspace";

export class Network extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidr: string;
  /** The Amazon-provided DNS resolver: VPC base address + 2. */
  readonly resolverIp: string;
  readonly availabilityZones: readonly string[];
  readonly subnets: Readonly<Record<SubnetTier, aws.ec2.Subnet[]>>;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  readonly isolatedSubnetIds: pulumi.Output<string>[];
  readonly workspaceSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetCidrs: readonly string[];
  readonly privateRouteTables: aws.ec2.RouteTable[];
  /** One per AZ; a default route to the AZ's NAT gateway only in egressMode dns-firewall. */
  readonly workspaceRouteTables: aws.ec2.RouteTable[];
  readonly isolatedRouteTable: aws.ec2.RouteTable;
  readonly natGateways: aws.ec2.NatGateway[];
  readonly s3Endpoint: aws.ec2.VpcEndpoint;
  /** Managed prefix list of S3 in this region, for security group rules to the gateway endpoint. */
  readonly s3PrefixListId: pulumi.Output<string>;
  readonly flowLogGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:network:Network", name, {}, opts);
    const parent = { parent: this };
    const tag = (resourceName: string, extra: Record<string, string> = {}) => ({
      ...args.tags,
      Name: `${args.prefix}-${resourceName}`,
      ...extra,
    });
    const azs = args.availabilityZones;

    this.vpcCidr = args.vpcCidr;
    this.resolverIp = nthAddress(mustParseCidr(args.vpcCidr), 2);
    this.availabilityZones = azs;
    this.vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: args.vpcCidr,
      // Interface endpoints with private DNS need both.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      // The egress policies (policy/egress.ts) read the mode from here.
      tags: tag("vpc", { EgressMode: args.egressMode }),
    }, parent);
    this.vpcId = this.vpc.id;

    // The default security group of a VPC allows all traffic between its members: empty it.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: this.vpc.id, tags: tag("default-locked") }, parent);

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags: tag("igw") }, parent);

    const subnet = (tier: SubnetTier, index: number, cidr: string) =>
      new aws.ec2.Subnet(`${name}-${tier}-${index}`, {
        vpcId: this.vpc.id,
        cidrBlock: cidr,
        availabilityZone: azs[index],
        // Nothing here gets a public address by accident; the ALB and NAT gateways bring their own.
        mapPublicIpOnLaunch: false,
        tags: tag(`${tier}-${azs[index]}`, { Tier: tier }),
      }, parent);
    this.subnets = {
      public: args.subnets.public.map((cidr, i) => subnet("public", i, cidr)),
      private: args.subnets.private.map((cidr, i) => subnet("private", i, cidr)),
      isolated: args.subnets.isolated.map((cidr, i) => subnet("isolated", i, cidr)),
      workspace: args.subnets.workspace.map((cidr, i) => subnet("workspace", i, cidr)),
    };
    this.publicSubnetIds = this.subnets.public.map((s) => s.id);
    this.privateSubnetIds = this.subnets.private.map((s) => s.id);
    this.isolatedSubnetIds = this.subnets.isolated.map((s) => s.id);
    this.workspaceSubnetIds = this.subnets.workspace.map((s) => s.id);
    this.privateSubnetCidrs = args.subnets.private;

    const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: this.vpc.id, tags: tag("public") }, parent);
    new aws.ec2.Route(`${name}-public-default`, {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    }, parent);
    this.subnets.public.forEach((s, i) =>
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: s.id, routeTableId: publicRoutes.id }, parent));

    const natCount = args.natGateways === "perAz" ? azs.length : 1;
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: tag(`nat-${azs[i]}`) }, parent);
      return new aws.ec2.NatGateway(`${name}-nat-${i}`, {
        allocationId: eip.id,
        subnetId: this.subnets.public[i].id,
        connectivityType: "public",
        tags: tag(`nat-${azs[i]}`),
      }, { parent: this, dependsOn: [igw] });
    });

    // One private route table per AZ, so that per-AZ NAT keeps traffic (and failures) in its AZ.
    this.privateRouteTables = this.subnets.private.map((s, i) => {
      const table = new aws.ec2.RouteTable(`${name}-private-rt-${i}`, { vpcId: this.vpc.id, tags: tag(`private-${azs[i]}`) }, parent);
      new aws.ec2.Route(`${name}-private-default-${i}`, {
        routeTableId: table.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: this.natGateways[natCount === 1 ? 0 : i].id,
      }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: s.id, routeTableId: table.id }, parent);
      return table;
    });

    // Workspace subnets: their own tables, so the egress mode is one route per AZ. In proxy mode
    // they have only the VPC's local route (endpoints, resolver, the egress proxy's NLB); in
    // dns-firewall mode they route to the AZ's NAT gateway like the private subnets.
    this.workspaceRouteTables = this.subnets.workspace.map((s, i) => {
      const table = new aws.ec2.RouteTable(`${name}-workspace-rt-${i}`, { vpcId: this.vpc.id, tags: tag(`workspace-${azs[i]}`, { EgressMode: args.egressMode }) }, parent);
      if (args.egressMode === "dns-firewall") {
        new aws.ec2.Route(`${name}-workspace-default-${i}`, {
          routeTableId: table.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: this.natGateways[natCount === 1 ? 0 : i].id,
        }, parent);
      }
      new aws.ec2.RouteTableAssociation(`${name}-workspace-${i}`, { subnetId: s.id, routeTableId: table.id }, parent);
      return table;
    });

    // Isolated subnets have only the VPC's local route: the data stores never reach the internet.
    this.isolatedRouteTable = new aws.ec2.RouteTable(`${name}-isolated-rt`, { vpcId: this.vpc.id, tags: tag("isolated") }, parent);
    this.subnets.isolated.forEach((s, i) =>
      new aws.ec2.RouteTableAssociation(`${name}-isolated-${i}`, { subnetId: s.id, routeTableId: this.isolatedRouteTable.id }, parent));

    const buckets = gatewayBuckets(args.region);
    this.s3Endpoint = new aws.ec2.VpcEndpoint(`${name}-s3`, {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${args.region}.s3`,
      vpcEndpointType: "Gateway",
      // The workspace tables too: in dns-firewall mode S3 then goes through this policy, not the NAT.
      routeTableIds: [...this.privateRouteTables.map((t) => t.id), this.isolatedRouteTable.id, ...this.workspaceRouteTables.map((t) => t.id)],
      // Only the AWS-owned buckets the platform reads (ECR layers, AL2023 packages, AWSTOE): a
      // workspace cannot use the endpoint to reach any other bucket, of this account or another.
      policy: policyJson(s3GatewayPolicy(buckets.map((b) => b.bucket))),
      tags: tag("s3-endpoint"),
    }, parent);
    this.s3PrefixListId = this.s3Endpoint.prefixListId;

    this.flowLogGroup = new aws.cloudwatch.LogGroup(`${name}-flow-logs`, {
      name: `/${args.prefix}/vpc-flow-logs`,
      retentionInDays: args.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: tag("flow-logs"),
    }, parent);
    const flowLogRole = new aws.iam.Role(`${name}-flow-logs`, {
      assumeRolePolicy: policyJson(serviceTrustPolicy("vpc-flow-logs.amazonaws.com", args.accountId)),
      tags: tag("flow-logs"),
    }, parent);
    new aws.iam.RolePolicy(`${name}-flow-logs`, {
      role: flowLogRole.id,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [pulumi.interpolate`${this.flowLogGroup.arn}:*`],
          },
        ],
      }),
    }, parent);
    new aws.ec2.FlowLog(`${name}-flow-log`, {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      maxAggregationInterval: 60,
      tags: tag("flow-log"),
    }, parent);

    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      isolatedSubnetIds: this.isolatedSubnetIds,
      workspaceSubnetIds: this.workspaceSubnetIds,
    });
  }
}
