// Reachable by construction. Every AWS call a role may make must be able to leave the place the role
// runs. Judged twice, over both stacks: by the policy pack's aws-calls-reachable (which routes actions
// through lib/awsCalls.ts), and independently by botocore's API models (the outside judge): for each
// action a role in the VPC may call, botocore's model names the service's endpoint prefix and its
// endpoints.json the host, and that host must be on the DNS Firewall's allow list, answered by an
// interface endpoint with private DNS, and reachable on 443 from the caller's security group.
// What botocore has no model for (the ECS and SSM agents' private channels) is listed below with its
// source; which PrivateLink service answers which host is AWS's naming rule, written out below too.
import { expect } from "chai";
import type { PolicyResource } from "@pulumi/policy";
import { stackResources, runStackPolicy } from "../offline/policies";
import type { StackGraph } from "../offline/graph";
import { callRoute } from "../lib/awsCalls";
import { awsCallsReachable, placesOf, reachability } from "../policy/reachability";
import { conditionKeys, referenced, refersTo } from "../policy/util";
import { type Botocore, hostFor, modelForAction, requireBotocore } from "./helpers/botocore";
import { list, plannedRoles } from "./helpers/iam";
import { buildStack, STACKS } from "./helpers/stacks";

const REGION = "ap-northeast-1";

/**
 * Calls no botocore model describes, and the host each goes to: the ECS agent's ACS and TCS channels
 * (ECS Developer Guide, "Amazon ECS interface VPC endpoints": ecs-a and ecs-t) and the SSM agent's own
 * operations and message channels (Systems Manager User Guide, "Reference: ec2messages, ssmmessages,
 * and other API operations": the ssm ones go to the ssm endpoint).
 */
const PRIVATE_APIS: Record<string, (region: string) => string> = {
  "ecs:Poll": (r) => `ecs-a.${r}.amazonaws.com`,
  "ecs:StartTelemetrySession": (r) => `ecs-t.${r}.amazonaws.com`,
  "ssm:UpdateInstanceInformation": (r) => `ssm.${r}.amazonaws.com`,
  "ssm:ListInstanceAssociations": (r) => `ssm.${r}.amazonaws.com`,
  "ssm:UpdateInstanceAssociationStatus": (r) => `ssm.${r}.amazonaws.com`,
  "ssmmessages:*": (r) => `ssmmessages.${r}.amazonaws.com`,
};

/**
 * The host an interface endpoint's private DNS answers for: AWS names the PrivateLink service
 * com.amazonaws.<region>.<x> after the host <x>.<region>.amazonaws.com, except for these (ECR User
 * Guide and ECS Developer Guide, "interface VPC endpoints").
 */
const PRIVATE_DNS_EXCEPTIONS: Record<string, (region: string) => string> = {
  "ecr.api": (r) => `api.ecr.${r}.amazonaws.com`,
  "ecr.dkr": (r) => `*.dkr.ecr.${r}.amazonaws.com`,
  "ecs-agent": (r) => `ecs-a.${r}.amazonaws.com`,
  "ecs-telemetry": (r) => `ecs-t.${r}.amazonaws.com`,
};

function privateDnsName(serviceName: string): string {
  const [, , region, ...rest] = serviceName.split(".");
  const service = rest.join(".");
  return (PRIVATE_DNS_EXCEPTIONS[service] ?? ((r: string) => `${service}.${r}.amazonaws.com`))(region);
}

const hostMatches = (pattern: string, host: string) => pattern === host || (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)));
const domainAllows = (domain: string, host: string) => domain === host || (domain.startsWith("*.") && host.endsWith(domain.slice(1)));

/** The host botocore says an action's call goes to; throws for an action neither botocore nor the list above knows. */
function hostOf(botocore: Botocore, action: string): string {
  const privateApi = Object.entries(PRIVATE_APIS).find(([a]) => a === action || (a.endsWith(":*") && action.startsWith(a.slice(0, -1))));
  if (privateApi) return privateApi[1](REGION);
  const model = modelForAction(botocore, action);
  if (!model) throw new Error(`botocore has no operation for ${action}, and it is not a known private API`);
  return hostFor(botocore, model.endpointPrefix, REGION);
}

const without = (resources: PolicyResource[], drop: (r: PolicyResource) => boolean) => resources.filter((r) => !drop(r));

for (const stack of STACKS) {
  describe(`AWS calls reachable from where each role runs (${stack})`, () => {
    let g: StackGraph;
    let resources: PolicyResource[];
    before(async () => {
      g = await buildStack(stack);
      resources = stackResources(g);
    });

    const violations = (rs: PolicyResource[]) => runStackPolicy(awsCallsReachable, rs).violations.map((v) => v.message);

    it("passes the policy pack's aws-calls-reachable", () => {
      expect(violations(resources)).to.deep.equal([]);
    });

    it("places every role: in the VPC, or on AWS's side, said so", () => {
      const { unplaced, awsSide } = reachability(resources);
      expect(unplaced).to.deep.equal([]);
      const sides = new Map(awsSide.map((a) => [a.role, a.reason]));
      for (const [role, reason] of sides) {
        if (role.startsWith("chaos-")) expect(reason, role).to.match(/^fis\.amazonaws\.com/);
      }
      expect(sides.get("workspace-storage-role")).to.match(/^ecs\.amazonaws\.com/);
      expect(sides.get("network-flow-logs")).to.match(/^vpc-flow-logs\.amazonaws\.com/);
      expect(sides.get("retained-volumes-role")).to.include("not attached to the VPC");
      if (stack === "prod") expect(sides.get("backend-blue-green")).to.match(/^ecs\.amazonaws\.com/);
      const inVpc = new Set(reachability(resources).reaches.map((r) => r.role));
      expect([...inVpc].sort()).to.deep.equal([
        "backend-execution", "backend-task", ...(stack === "prod" ? ["egress-proxy-execution"] : []),
        "hosts-ami-build-role", "hosts-backend-role", "hosts-workspace-role", "workspace-execution",
      ]);
    });

    it("sends each call to the host botocore names for it: allowed by the DNS Firewall, answered by an endpoint with private DNS, 443 open from the caller", function () {
      const botocore = requireBotocore(this);
      const allowed = g.ofType("aws:route53/resolverFirewallRule:ResolverFirewallRule").filter((r) => r.inputs.action === "ALLOW")
        .flatMap((r) => g.resources.filter((l) => l.physicalId === r.inputs.firewallDomainListId)).flatMap((l) => l.inputs.domains as string[]);
      const endpoints = resources.filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && r.props.vpcEndpointType === "Interface");
      const problems: string[] = [];
      const checked = new Set<string>();
      for (const role of plannedRoles(g)) {
        const policyRole = resources.find((r) => r.type === "aws:iam/role:Role" && r.name === role.name) as PolicyResource;
        const { places } = placesOf(resources, policyRole);
        for (const statement of role.policies.flatMap((p) => p.document.Statement).filter((s) => s.Effect === "Allow")) {
          for (const action of list(statement.Action)) {
            if (callRoute(action, conditionKeys(statement as never)).kind === "authorization") continue;
            const route = callRoute(action, conditionKeys(statement as never));
            if (route.kind === "call" && route.targets.every((t) => t.kind === "s3")) continue; // S3: judged below
            for (const place of places) {
              const host = hostOf(botocore, action);
              checked.add(`${role.name} ${action} -> ${host}`);
              if (!allowed.some((d) => domainAllows(d, host))) problems.push(`${role.name} ${action}: ${host} is not on the allow list`);
              const ep = endpoints.find((e) => hostMatches(privateDnsName(String(e.props.serviceName)), host));
              if (!ep) {
                problems.push(`${role.name} ${action}: no interface endpoint answers ${host}`);
                continue;
              }
              if (ep.props.privateDnsEnabled !== true) problems.push(`${role.name} ${action}: ${ep.name} has no private DNS`);
              const epGroups = referenced(ep, "securityGroupIds");
              const open = place.groups.some((group) => resources.some((rule) => rule.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" &&
                refersTo(rule, "securityGroupId", group) && epGroups.some((eg) => refersTo(rule, "referencedSecurityGroupId", eg)) &&
                rule.props.fromPort <= 443 && rule.props.toPort >= 443));
              if (!open) problems.push(`${role.name} ${action}: nothing lets ${place.what} send 443 to ${ep.name}`);
            }
          }
        }
      }
      expect(problems).to.deep.equal([]);
      // The resume path's EC2 calls are among those judged, as are the agents' private channels.
      expect([...checked]).to.include.members([
        `backend-task ec2:CreateSnapshot -> ec2.${REGION}.amazonaws.com`,
        `backend-task ecs:RunTask -> ecs.${REGION}.amazonaws.com`,
        `backend-task cloudwatch:PutMetricData -> monitoring.${REGION}.amazonaws.com`,
        `hosts-workspace-role ecs:Poll -> ecs-a.${REGION}.amazonaws.com`,
        `workspace-execution ecr:GetAuthorizationToken -> api.ecr.${REGION}.amazonaws.com`,
      ]);
    });

    it("fetches S3 objects through the gateway endpoint its policy opens for the bucket: the ECR layers, AWSTOE", () => {
      const s3 = reachability(resources).reaches.filter((r) => r.via.startsWith("S3 gateway"));
      expect(s3.map((r) => `${r.role} ${r.action} ${r.via}`)).to.include.members([
        `workspace-execution ecr:BatchGetImage S3 gateway (prod-${REGION}-starport-layer-bucket.s3.${REGION}.amazonaws.com)`,
        `hosts-ami-build-role s3:GetObject S3 gateway (ec2imagebuilder-toe-${REGION}-prod.s3.${REGION}.amazonaws.com)`,
      ]);
      expect(s3.flatMap((r) => r.problems)).to.deep.equal([]);
    });

    it("fails when the backend's EC2 calls (the resume path) cannot leave: no EC2 endpoint, no allowed name, no flow", () => {
      const ec2 = `com.amazonaws.${REGION}.ec2`;
      const isEc2Endpoint = (r: PolicyResource) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && r.props.serviceName === ec2;
      expect(violations(without(stackResources(g), isEc2Endpoint)).join("\n")).to.include(
        `role backend-task may call ec2:DescribeVolumes from tasks of service backend-service, but no interface endpoint ${ec2}`);

      const unlisted = stackResources(g);
      for (const l of unlisted.filter((r) => r.type === "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList")) {
        l.props.domains = (l.props.domains as string[]).filter((d) => d !== `ec2.${REGION}.amazonaws.com`);
      }
      expect(violations(unlisted).join("\n")).to.include(`ec2.${REGION}.amazonaws.com is not on the DNS Firewall allow list`);

      const backendToEndpoints = (r: PolicyResource) => r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" &&
        referenced(r, "securityGroupId").some((sg) => sg.name === "sg-backend") && referenced(r, "referencedSecurityGroupId").some((sg) => sg.name === "sg-endpoints");
      expect(violations(without(stackResources(g), backendToEndpoints)).join("\n")).to.include("no flow on 443 from sg-backend to the endpoint's group sg-endpoints");
    });

    it("accepts the dns-firewall way out instead of an endpoint: a route out, 443 anywhere and the name allowed", () => {
      const rs = without(stackResources(g), (r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && r.props.serviceName === `com.amazonaws.${REGION}.ec2`);
      const backendGroup = rs.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name === "sg-backend") as PolicyResource;
      const anywhere = { ...backendGroup, type: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", name: "backend-anywhere-443", urn: `${backendGroup.urn}-anywhere`,
        props: { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }, propertyDependencies: { securityGroupId: [backendGroup] } } as PolicyResource;
      expect(violations([...rs, anywhere]).filter((v) => v.includes("ec2:"))).to.deep.equal([]);
      const via = reachability([...rs, anywhere]).reaches.find((r) => r.role === "backend-task" && r.action === "ec2:DescribeVolumes");
      expect(via?.via).to.equal(`the internet (route out, 443 anywhere, ec2.${REGION}.amazonaws.com allowed)`);
    });
  });
}
