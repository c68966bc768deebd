// Interface VPC endpoints for the AWS services the hosts, the backend and the workspaces use, in
// the private subnets with private DNS, behind the endpoints security group, each with the data
// perimeter's policy (lib/dataPerimeter.ts): this account's principals and resources only.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { interfaceEndpointServices } from "../lib/awsServices";
import { interfaceEndpointPolicy } from "../lib/dataPerimeter";
import { policyJson } from "../lib/iam";

export interface EndpointsArgs {
  readonly prefix: string;
  readonly region: string;
  /** The account whose principals and resources the endpoints serve (the data perimeter). */
  readonly accountId: string;
  readonly vpcId: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<string>[];
  readonly securityGroupId: pulumi.Input<string>;
  readonly tags: Readonly<Record<string, string>>;
}

export class Endpoints extends pulumi.ComponentResource {
  readonly endpoints: Readonly<Record<string, aws.ec2.VpcEndpoint>>;

  constructor(name: string, args: EndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:network:Endpoints", name, {}, opts);
    const endpoints: Record<string, aws.ec2.VpcEndpoint> = {};
    for (const service of interfaceEndpointServices(args.region)) {
      endpoints[service.id] = new aws.ec2.VpcEndpoint(`${name}-${service.id}`, {
        vpcId: args.vpcId,
        serviceName: `com.amazonaws.${args.region}.${service.service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: args.subnetIds,
        securityGroupIds: [args.securityGroupId],
        policy: policyJson(interfaceEndpointPolicy(service.id, args.region, args.accountId)),
        tags: { ...args.tags, Name: `${args.prefix}-${service.id}` },
      }, { parent: this });
    }
    this.endpoints = endpoints;
    this.registerOutputs({});
  }
}
