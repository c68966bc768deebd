// Interface VPC endpoints for the AWS services the hosts, the backend and the workspaces use, in
// the private subnets with private DNS, behind the endpoints security group, each with the data
// perimeter's policy (lib/dataPerimeter.ts): this account's principals and resources only.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { interfaceEndpointServices } from "../lib/awsServices";
import { interfaceEndpointPolicy } from "../lib/dataPerimeter";
import { policyJson } from "../lib/iam";

export interface EndpointsArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** The account whose principals and resources the endpoints serve (the data perimeter). */
  readonly accountId: string;
  /** The stack's VPC. */
  readonly vpcId: pulumi.Input<string>;
  /** The private subnets the interface endpoints sit in. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Endpoints created only after others exist. ECS: ecs-agent and ecs-telemetry before ecs (ECS
 * Developer Guide, "Creating the VPC endpoints for Amazon ECS": in the order listed), so no agent
 * is told the private ACS/TCS names before they resolve (lib/awsServices.ts, ECS_AGENT_NAMES).
 */
export const CREATED_AFTER: Readonly<Record<string, readonly string[]>> = {
  ecs: ["ecs-agent", "ecs-telemetry"],
};

export class Endpoints extends pulumi.ComponentResource {
  readonly endpoints: Readonly<Record<string, aws.ec2.VpcEndpoint>>;

  constructor(name: string, args: EndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:network:Endpoints", name, {}, opts);
    const endpoints: Record<string, aws.ec2.VpcEndpoint> = {};
    const services = interfaceEndpointServices(args.region);
    // The table lists ecs before ecs-agent and ecs-telemetry: create the ones others wait on first.
    const ordered = [...services.filter((s) => !CREATED_AFTER[s.id]), ...services.filter((s) => CREATED_AFTER[s.id])];
    for (const service of ordered) {
      endpoints[service.id] = new aws.ec2.VpcEndpoint(`${name}-${service.id}`, {
        vpcId: args.vpcId,
        serviceName: `com.amazonaws.${args.region}.${service.service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: args.subnetIds,
        securityGroupIds: [args.securityGroupId],
        policy: policyJson(interfaceEndpointPolicy(service.id, args.region, args.accountId)),
        tags: { ...args.tags, Name: `${args.prefix}-${service.id}` },
      }, { parent: this, dependsOn: (CREATED_AFTER[service.id] ?? []).map((id) => endpoints[id]) });
    }
    this.endpoints = endpoints;
    this.registerOutputs({});
  }
}
