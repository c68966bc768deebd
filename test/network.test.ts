import * as aws from "@pulumi/aws";
import { expect } from "chai";
import type { StackGraph } from "../offline/graph";
import { jsonInput, resolveId } from "./helpers/graph";
import { STAGING_EGRESS_PROXY } from "./helpers/egress";
import { buildStack, STACKS } from "./helpers/stacks";

const EXPECTED = {
  staging: { azs: ["ap-northeast-1a", "ap-northeast-1c"], nats: 1, vpc: "10.20.0.0/16" },
  prod: { azs: ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"], nats: 3, vpc: "10.30.0.0/16" },
} as const;

function subnetsOfTier(g: StackGraph, tier: string) {
  return g.ofType(aws.ec2.Subnet).filter((s) => s.inputs.tags.Tier === tier);
}

/** The route table a subnet is associated with. */
function routeTableOf(g: StackGraph, subnetId: string) {
  const association = g.ofType(aws.ec2.RouteTableAssociation).find((a) => a.inputs.subnetId === subnetId);
  if (!association) throw new Error(`subnet ${subnetId} has no route table`);
  return association.inputs.routeTableId as string;
}

function routesOf(g: StackGraph, routeTableId: string) {
  return g.ofType(aws.ec2.Route).filter((r) => r.inputs.routeTableId === routeTableId);
}

for (const stack of STACKS) {
  describe(`network (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });

    it("builds one VPC with DNS support for private endpoint names", () => {
      const vpc = g.one(aws.ec2.Vpc);
      expect(vpc.inputs.cidrBlock).to.equal(EXPECTED[stack].vpc);
      expect(vpc.inputs.enableDnsSupport).to.equal(true);
      expect(vpc.inputs.enableDnsHostnames).to.equal(true);
    });

    it("puts a public, a private, an isolated and a workspace subnet in each AZ, none assigning public IPs", () => {
      for (const tier of ["public", "private", "isolated", "workspace"]) {
        const subnets = subnetsOfTier(g, tier);
        expect(subnets.map((s) => s.inputs.availabilityZone), tier).to.deep.equal([...EXPECTED[stack].azs]);
      }
      for (const s of g.ofType(aws.ec2.Subnet)) expect(s.inputs.mapPublicIpOnLaunch, s.name).to.equal(false);
      expect(g.ofType(aws.ec2.Subnet)).to.have.length(4 * EXPECTED[stack].azs.length);
      expect(g.outputs.workspaceSubnetIds).to.deep.equal(subnetsOfTier(g, "workspace").map((s) => s.physicalId));
    });

    it(`routes workspace subnets ${stack === "prod" ? "nowhere out of the VPC (egressMode proxy)" : "to a NAT gateway (egressMode dns-firewall)"}, each through its own table`, () => {
      const tables = subnetsOfTier(g, "workspace").map((s) => routeTableOf(g, s.physicalId as string));
      expect(new Set(tables).size).to.equal(EXPECTED[stack].azs.length);
      const privateTables = subnetsOfTier(g, "private").map((s) => routeTableOf(g, s.physicalId as string));
      expect(tables.filter((t) => privateTables.includes(t))).to.deep.equal([]);
      subnetsOfTier(g, "workspace").forEach((s, i) => {
        const routes = routesOf(g, tables[i]);
        if (stack === "prod") {
          expect(routes, s.name).to.deep.equal([]);
        } else {
          expect(routes.map((r) => r.inputs.destinationCidrBlock)).to.deep.equal(["0.0.0.0/0"]);
          expect(resolveId(g, routes[0].inputs.natGatewayId).type).to.equal("aws:ec2/natGateway:NatGateway");
        }
      });
      expect(g.one(aws.ec2.Vpc).inputs.tags.EgressMode).to.equal(stack === "prod" ? "proxy" : "dns-firewall");
    });

    it(`has ${EXPECTED[stack].nats} NAT gateway(s), each in a public subnet with its own EIP`, () => {
      const nats = g.ofType(aws.ec2.NatGateway);
      expect(nats).to.have.length(EXPECTED[stack].nats);
      const publicIds = subnetsOfTier(g, "public").map((s) => s.physicalId);
      for (const nat of nats) {
        expect(publicIds).to.include(nat.inputs.subnetId);
        expect(resolveId(g, nat.inputs.allocationId).type).to.equal("aws:ec2/eip:Eip");
      }
    });

    it("routes public subnets to the internet gateway", () => {
      const igw = g.one(aws.ec2.InternetGateway);
      for (const s of subnetsOfTier(g, "public")) {
        const routes = routesOf(g, routeTableOf(g, s.physicalId as string));
        expect(routes.map((r) => [r.inputs.destinationCidrBlock, r.inputs.gatewayId])).to.deep.equal([["0.0.0.0/0", igw.physicalId]]);
      }
    });

    it("routes each private subnet to a NAT gateway (its own AZ's when there is one per AZ)", () => {
      const nats = g.ofType(aws.ec2.NatGateway);
      subnetsOfTier(g, "private").forEach((s) => {
        const routes = routesOf(g, routeTableOf(g, s.physicalId as string));
        expect(routes).to.have.length(1);
        expect(routes[0].inputs.destinationCidrBlock).to.equal("0.0.0.0/0");
        const nat = resolveId(g, routes[0].inputs.natGatewayId);
        const natSubnet = resolveId(g, nat.inputs.subnetId);
        const expectedAz = nats.length === 1 ? EXPECTED[stack].azs[0] : s.inputs.availabilityZone;
        expect(natSubnet.inputs.availabilityZone, s.name).to.equal(expectedAz);
        expect(routes[0].inputs.gatewayId).to.equal(undefined);
      });
    });

    it("gives isolated subnets no route out of the VPC", () => {
      for (const s of subnetsOfTier(g, "isolated")) {
        expect(routesOf(g, routeTableOf(g, s.physicalId as string)), s.name).to.deep.equal([]);
      }
    });

    it("limits the S3 gateway endpoint to the platform's buckets, on private, isolated and workspace route tables", () => {
      const s3 = g.ofType(aws.ec2.VpcEndpoint).filter((e) => e.inputs.vpcEndpointType === "Gateway");
      expect(s3).to.have.length(1);
      expect(s3[0].inputs.serviceName).to.equal("com.amazonaws.ap-northeast-1.s3");
      const policy = jsonInput(s3[0], "policy");
      expect(policy.Statement).to.have.length(1);
      expect(policy.Statement[0].Effect).to.equal("Allow");
      expect(policy.Statement[0].Action).to.deep.equal(["s3:GetObject"]);
      expect(policy.Statement[0].Resource).to.deep.equal([
        "arn:aws:s3:::prod-ap-northeast-1-starport-layer-bucket/*",
        "arn:aws:s3:::al2023-repos-ap-northeast-1-de612dc2/*",
        "arn:aws:s3:::ec2imagebuilder-toe-ap-northeast-1-prod/*",
      ]);
      const tables = [...subnetsOfTier(g, "private"), ...subnetsOfTier(g, "isolated"), ...subnetsOfTier(g, "workspace")].map((s) => routeTableOf(g, s.physicalId as string));
      expect([...s3[0].inputs.routeTableIds].sort()).to.deep.equal([...new Set(tables)].sort());
    });

    it("creates the interface endpoints the hosts and the ECS agent need, with private DNS in every private subnet", () => {
      const endpoints = g.ofType(aws.ec2.VpcEndpoint).filter((e) => e.inputs.vpcEndpointType === "Interface");
      const services = endpoints.map((e) => String(e.inputs.serviceName).replace("com.amazonaws.ap-northeast-1.", "")).sort();
      expect(services).to.deep.equal([
        "bedrock-runtime", "ec2", "ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "imagebuilder",
        "logs", "monitoring", "secretsmanager", "ssm", "ssmmessages",
      ]);
      const privateIds = subnetsOfTier(g, "private").map((s) => s.physicalId);
      const endpointSg = g.one(aws.ec2.SecurityGroup, "sg-endpoints").physicalId;
      for (const e of endpoints) {
        expect(e.inputs.privateDnsEnabled, e.name).to.equal(true);
        expect(e.inputs.subnetIds, e.name).to.deep.equal(privateIds);
        expect(e.inputs.securityGroupIds, e.name).to.deep.equal([endpointSg]);
      }
    });

    it("logs all VPC traffic to a log group with the configured retention, through a role scoped to it", () => {
      const flowLog = g.one(aws.ec2.FlowLog);
      expect(flowLog.inputs.trafficType).to.equal("ALL");
      const group = resolveId(g, flowLog.inputs.logDestination);
      expect(group.inputs.retentionInDays).to.equal(stack === "prod" ? 365 : 30);
      expect(group.inputs.kmsKeyId).to.equal(g.one(aws.kms.Key, "kms-key").state.arn);
      const role = resolveId(g, flowLog.inputs.iamRoleArn);
      const trust = jsonInput(role, "assumeRolePolicy");
      expect(trust.Statement[0].Principal).to.deep.equal({ Service: "vpc-flow-logs.amazonaws.com" });
      expect(trust.Statement[0].Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
      const policy = g.ofType(aws.iam.RolePolicy).find((p) => p.inputs.role === role.physicalId);
      expect(policy).to.not.equal(undefined);
      const statement = jsonInput(policy!, "policy").Statement;
      expect(statement).to.have.length(1);
      expect(statement[0].Resource).to.deep.equal([`${group.state.arn}:*`]);
    });

    it("locks the VPC's default security group", () => {
      const def = g.one(aws.ec2.DefaultSecurityGroup);
      expect(def.inputs.ingress).to.equal(undefined);
      expect(def.inputs.egress).to.equal(undefined);
    });
  });
}

describe("network in egressMode proxy on staging (one NAT, two AZs)", () => {
  it("keeps the private subnets' NAT routes and gives the workspace subnets none", async () => {
    const g = await buildStack("staging", STAGING_EGRESS_PROXY);
    expect(g.ofType(aws.ec2.NatGateway)).to.have.length(1);
    for (const s of subnetsOfTier(g, "private")) expect(routesOf(g, routeTableOf(g, s.physicalId as string)), s.name).to.have.length(1);
    for (const s of subnetsOfTier(g, "workspace")) expect(routesOf(g, routeTableOf(g, s.physicalId as string)), s.name).to.deep.equal([]);
    // Switching modes changes routes, not subnets: the workspace subnets are the same.
    const dnsFirewall = await buildStack("staging");
    expect(subnetsOfTier(g, "workspace").map((s) => s.inputs)).to.deep.equal(subnetsOfTier(dnsFirewall, "workspace").map((s) => s.inputs));
    expect(subnetsOfTier(g, "workspace").map((s) => s.inputs.cidrBlock)).to.deep.equal(["10.20.160.0/20", "10.20.176.0/20"]);
  });
});
