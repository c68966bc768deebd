// The data perimeter on the VPC endpoints, judged by the IAM policy simulator (@cloud-copilot/iam-simulate,
// the outside judge) with each endpoint's planned policy in the request's path. The requests carry
// full permissions otherwise (an allow-all identity policy, and the resource's own policy opening it
// to the caller where the caller is of another account), so the endpoint policy alone decides:
// this account's principal on this account's resources passes; another account's principal (code in
// a workspace holding foreign keys) and this account's principal on another account's resource are
// refused; the AWS-owned resources the platform needs still pass; and every call the platform's own
// roles make through an endpoint passes its perimeter (an over-tight perimeter breaks a deploy).
import { expect } from "chai";
import type { PolicyResource } from "@pulumi/policy";
import { callRoute } from "../lib/awsCalls";
import { AWS_OWNED_BY_ENDPOINT } from "../lib/dataPerimeter";
import { interfaceEndpointServices } from "../lib/awsServices";
import type { StackGraph } from "../offline/graph";
import { runStackPolicy, stackResources } from "../offline/policies";
import { vpcEndpointsDataPerimeter } from "../policy/perimeter";
import { awsCallsReachable, placesOf } from "../policy/reachability";
import { conditionKeys } from "../policy/util";
import {
  ACCOUNT, ANONYMOUS, OTHER_ACCOUNT, catalogueProblems, list, plannedRoles, simulate, type PolicyDocument, type Verdict,
} from "./helpers/iam";
import { buildStack, STACKS } from "./helpers/stacks";

const REGION = "ap-northeast-1";
/** An account AWS owns (public parameters, managed components, foundation models, ECR's layer bucket). */
const AWS_ACCOUNT = "111122223333";
const ALLOW_ALL = [{ name: "allow-all", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow" as const, Action: "*", Resource: "*" }] } }];
/** The resource's own policy letting `principal` in: what a cross-account request needs besides the endpoint. */
const openTo = (principal: string): PolicyDocument => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal === ANONYMOUS ? "*" : { AWS: principal }, Action: "*", Resource: "*" }] });

const ownRole = `arn:aws:iam::${ACCOUNT}:role/remote-claude-backend-task`;
const foreignRole = `arn:aws:iam::${OTHER_ACCOUNT}:role/attacker`;

/** A representative request per interface endpoint: an action of its service on a resource of this account, and the same kind of resource in another. */
function sample(id: string): { action: string; own: string; foreign: string } {
  const arn = (service: string, rest: string, account = ACCOUNT) => `arn:aws:${service}:${REGION}:${account}:${rest}`;
  const table: Record<string, { action: string; resource: (account: string) => string }> = {
    "ecr-api": { action: "ecr:BatchGetImage", resource: (a) => arn("ecr", "repository/remote-claude/workspace", a) },
    "ecr-dkr": { action: "ecr:GetDownloadUrlForLayer", resource: (a) => arn("ecr", "repository/remote-claude/workspace", a) },
    logs: { action: "logs:PutLogEvents", resource: (a) => arn("logs", "log-group:/exfil:log-stream:s", a) },
    monitoring: { action: "cloudwatch:GetMetricData", resource: () => "*" },
    secretsmanager: { action: "secretsmanager:GetSecretValue", resource: (a) => arn("secretsmanager", "secret:loot-abc123", a) },
    ecs: { action: "ecs:RunTask", resource: (a) => arn("ecs", "task-definition/anything:1", a) },
    "ecs-agent": { action: "ecs:Poll", resource: (a) => arn("ecs", "container-instance/c/0123456789abcdef", a) },
    "ecs-telemetry": { action: "ecs:StartTelemetrySession", resource: (a) => arn("ecs", "container-instance/c/0123456789abcdef", a) },
    ssm: { action: "ssm:GetParameter", resource: (a) => arn("ssm", "parameter/app/secret", a) },
    // A channel action names no resource: it acts in the caller's own account.
    ssmmessages: { action: "ssmmessages:OpenDataChannel", resource: () => "*" },
    imagebuilder: { action: "imagebuilder:GetComponent", resource: (a) => arn("imagebuilder", "component/c/1.0.0/1", a) },
    ec2: { action: "ec2:CreateSnapshot", resource: (a) => arn("ec2", "volume/vol-0123456789abcdef0", a) },
    "bedrock-runtime": { action: "bedrock:InvokeModel", resource: (a) => arn("bedrock", "inference-profile/apac.anthropic.claude-sonnet-4-20250514-v1:0", a) },
  };
  const entry = table[id];
  if (!entry) throw new Error(`no sample request for endpoint ${id}: add one`);
  return { action: entry.action, own: entry.resource(ACCOUNT), foreign: entry.resource(OTHER_ACCOUNT) };
}

/** AWS-owned resources each endpoint's callers read, as real ARNs (lib/dataPerimeter.ts names them as patterns). */
const AWS_OWNED_SAMPLES: Record<string, { action: string; resource: string }[]> = {
  ssm: [
    { action: "ssm:GetParameter", resource: `arn:aws:ssm:${REGION}::parameter/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id` },
    { action: "ssm:GetDocument", resource: `arn:aws:ssm:${REGION}::document/AWS-RunShellScript` },
  ],
  imagebuilder: [
    { action: "imagebuilder:GetComponent", resource: `arn:aws:imagebuilder:${REGION}:aws:component/update-linux/1.0.2/1` },
    { action: "imagebuilder:GetImage", resource: `arn:aws:imagebuilder:${REGION}:aws:image/amazon-linux-2023-ecs-optimized-x86/2026.1.1/1` },
  ],
  "bedrock-runtime": [
    { action: "bedrock:InvokeModel", resource: `arn:aws:bedrock:${REGION}::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0` },
    // A cross-region inference profile's model in another region.
    { action: "bedrock:InvokeModelWithResponseStream", resource: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0" },
  ],
};

/**
 * The simulator matches ARNs against AWS's formats with a non-empty account, but a public SSM
 * parameter's or document's ARN has none ("arn:aws:ssm:<region>::parameter/aws/…"). The same
 * stand-in account in the request and in the endpoint policy keeps the comparison what it was.
 */
const SSM_ACCOUNTLESS = new RegExp(`arn:aws:ssm:${REGION}::`, "g");
const forSimulator = (text: string) => text.replace(SSM_ACCOUNTLESS, `arn:aws:ssm:${REGION}:aws:`);

const policyOf = (r: PolicyResource): PolicyDocument => JSON.parse(String(r.props.policy));
const serviceOf = (r: PolicyResource) => String(r.props.serviceName).split(".").slice(3).join(".");

for (const stack of STACKS) {
  describe(`data perimeter on the VPC endpoints, judged by the policy simulator (${stack})`, () => {
    let g: StackGraph;
    let interfaces: { id: string; endpoint: PolicyResource }[];
    let gateway: PolicyResource;
    before(async () => {
      g = await buildStack(stack);
      const resources = stackResources(g);
      const endpoints = resources.filter((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint");
      interfaces = endpoints.filter((e) => e.props.vpcEndpointType === "Interface").map((endpoint) => {
        const entry = interfaceEndpointServices(REGION).find((s) => s.service === serviceOf(endpoint));
        if (!entry) throw new Error(`no endpoint table entry for ${endpoint.props.serviceName}`);
        return { id: entry.id, endpoint };
      });
      gateway = endpoints.find((e) => e.props.vpcEndpointType === "Gateway") as PolicyResource;
    });

    const through = (endpoint: PolicyResource, request: { principal: string; action: string; resource: string; resourceAccount?: string }, resourcePolicy?: PolicyDocument): Promise<Verdict> =>
      simulate({ ...request, resource: forSimulator(request.resource) },
        { identity: request.principal === ANONYMOUS ? [] : ALLOW_ALL, resourcePolicy, endpointPolicies: [JSON.parse(forSimulator(String(endpoint.props.policy)))] });

    it("gives every endpoint a policy that AWS's catalogue can read, and passes the policy pack's vpc-endpoints-data-perimeter", async () => {
      const problems: string[] = [];
      for (const e of [...interfaces.map((i) => i.endpoint), gateway]) {
        expect(e.props.policy, e.name).to.be.a("string");
        problems.push(...await catalogueProblems(policyOf(e), `${e.name} policy`));
      }
      expect(problems).to.deep.equal([]);
      expect(runStackPolicy(vpcEndpointsDataPerimeter, stackResources(g)).violations).to.deep.equal([]);
    });

    it("serves this account's principals on this account's resources, through every interface endpoint", async () => {
      const outcomes = [];
      for (const { id, endpoint } of interfaces) {
        const s = sample(id);
        outcomes.push([id, await through(endpoint, { principal: ownRole, action: s.action, resource: s.own })]);
      }
      expect(outcomes.filter(([, v]) => v !== "Allowed")).to.deep.equal([]);
    });

    it("refuses another account's principal on this account's resources (a workspace holding foreign keys)", async () => {
      const outcomes = [];
      for (const { id, endpoint } of interfaces) {
        const s = sample(id);
        outcomes.push([id, await through(endpoint, { principal: foreignRole, action: s.action, resource: s.own }, openTo(foreignRole))]);
      }
      expect(outcomes.filter(([, v]) => v === "Allowed")).to.deep.equal([]);
    });

    it("refuses another account's principal on its own account's resources: no way out through the platform's endpoints", async () => {
      const outcomes = [];
      for (const { id, endpoint } of interfaces) {
        const s = sample(id);
        outcomes.push([id, await through(endpoint, { principal: foreignRole, action: s.action, resource: s.foreign })]);
      }
      expect(outcomes.filter(([, v]) => v === "Allowed")).to.deep.equal([]);
    });

    it("refuses this account's principal on another account's resources, even one that opens them to it", async () => {
      const outcomes = [];
      for (const { id, endpoint } of interfaces) {
        const s = sample(id);
        if (s.foreign === "*") continue; // an action without resources acts in the caller's own account
        outcomes.push([id, await through(endpoint, { principal: ownRole, action: s.action, resource: s.foreign }, openTo(ownRole))]);
      }
      expect(outcomes.filter(([, v]) => v === "Allowed")).to.deep.equal([]);
    });

    it("still serves the AWS-owned resources the platform reads (public parameters, AWS documents, managed components, foundation models), to this account only", async () => {
      expect(Object.keys(AWS_OWNED_SAMPLES).sort(), "every AWS-owned allowance has a sample").to.deep.equal(Object.keys(AWS_OWNED_BY_ENDPOINT).sort());
      const wrong = [];
      for (const [id, samples] of Object.entries(AWS_OWNED_SAMPLES)) {
        const planned = interfaces.find((i) => i.id === id);
        if (!planned) continue;
        for (const s of samples) {
          const own = await through(planned.endpoint, { principal: ownRole, action: s.action, resource: s.resource, resourceAccount: AWS_ACCOUNT }, openTo(ownRole));
          const foreign = await through(planned.endpoint, { principal: foreignRole, action: s.action, resource: s.resource, resourceAccount: AWS_ACCOUNT }, openTo(foreignRole));
          if (own !== "Allowed" || foreign === "Allowed") wrong.push({ id, ...s, own, foreign });
        }
      }
      expect(wrong).to.deep.equal([]);
    });

    it("lets through the S3 gateway only the AWS-owned buckets' objects, read only: ECR layers (signed by ECR's account), AL2023 packages and AWSTOE (unsigned)", async () => {
      const layer = `arn:aws:s3:::prod-${REGION}-starport-layer-bucket/sha256/0123`;
      const verdicts = {
        ecrLayer: await through(gateway, { principal: `arn:aws:iam::${AWS_ACCOUNT}:root`, action: "s3:GetObject", resource: layer, resourceAccount: AWS_ACCOUNT }, openTo(`arn:aws:iam::${AWS_ACCOUNT}:root`)),
        al2023: await through(gateway, { principal: ANONYMOUS, action: "s3:GetObject", resource: `arn:aws:s3:::al2023-repos-${REGION}-de612dc2/core/mirrors/latest/x86_64/mirror.list`, resourceAccount: AWS_ACCOUNT }, openTo(ANONYMOUS)),
        awstoe: await through(gateway, { principal: ANONYMOUS, action: "s3:GetObject", resource: `arn:aws:s3:::ec2imagebuilder-toe-${REGION}-prod/linux/amd64/Latest/awstoe`, resourceAccount: AWS_ACCOUNT }, openTo(ANONYMOUS)),
        writeToLayers: await through(gateway, { principal: ownRole, action: "s3:PutObject", resource: layer, resourceAccount: AWS_ACCOUNT }, openTo(ownRole)),
        thisAccountsBucket: await through(gateway, { principal: ownRole, action: "s3:GetObject", resource: "arn:aws:s3:::some-bucket-of-ours/data", resourceAccount: ACCOUNT }),
        exfilToAnotherAccount: await through(gateway, { principal: ownRole, action: "s3:PutObject", resource: "arn:aws:s3:::attacker-bucket/loot", resourceAccount: OTHER_ACCOUNT }, openTo(ownRole)),
        foreignKeysOnForeignBucket: await through(gateway, { principal: foreignRole, action: "s3:PutObject", resource: "arn:aws:s3:::attacker-bucket/loot", resourceAccount: OTHER_ACCOUNT }),
      };
      expect(verdicts).to.deep.equal({
        ecrLayer: "Allowed", al2023: "Allowed", awstoe: "Allowed",
        writeToLayers: "ImplicitlyDenied", thisAccountsBucket: "ImplicitlyDenied", exfilToAnotherAccount: "ImplicitlyDenied", foreignKeysOnForeignBucket: "ImplicitlyDenied",
      });
    });

    it("lets every call the platform's roles make through an endpoint pass that endpoint's perimeter", async () => {
      const resources = stackResources(g);
      const blocked = [];
      let judged = 0;
      for (const role of plannedRoles(g)) {
        const policyRole = resources.find((r) => r.type === "aws:iam/role:Role" && r.name === role.name) as PolicyResource;
        if (placesOf(resources, policyRole).places.length === 0) continue;
        for (const statement of role.policies.flatMap((p) => p.document.Statement).filter((s) => s.Effect === "Allow")) {
          for (const action of list(statement.Action)) {
            const route = callRoute(action, conditionKeys(statement as never));
            if (route.kind !== "call") continue;
            for (const target of route.targets) {
              if (target.kind !== "endpoint") continue;
              const endpoint = interfaces.find((i) => i.id === target.endpoint)?.endpoint as PolicyResource;
              for (const pattern of list(statement.Resource)) {
                // A concrete resource of the pattern: "…/*" becomes "…/1", a log group's "…:*" one of its streams.
                const resource = pattern === "*" ? "*" : pattern.replace(/(:log-group:[^:]+):\*$/, "$1:log-stream:1").replace(/\*/g, "1");
                judged++;
                const v = await through(endpoint, { principal: role.arn, action, resource });
                if (v !== "Allowed") blocked.push({ role: role.name, action, resource, endpoint: target.endpoint, v });
              }
            }
          }
        }
      }
      expect(blocked).to.deep.equal([]);
      expect(judged).to.be.greaterThan(20);
    });

    it("waits for the policy during a first preview rather than failing on a value not yet known", () => {
      // CrossGuard's own proxy over the properties, with its sentinel for an unknown string: the
      // engine reports UnknownValueError as "can't run during preview" (advisory) and runs the policy at update.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { unknownCheckingProxy, unknownStringValue, UnknownValueError } = require("@pulumi/policy/proxy");
      for (const policy of [vpcEndpointsDataPerimeter, awsCallsReachable]) {
        const rs = stackResources(g);
        const logs = rs.find((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && serviceOf(r) === "logs") as PolicyResource;
        logs.props = unknownCheckingProxy({ ...logs.props, policy: unknownStringValue });
        const role = rs.find((r) => r.type === "aws:iam/role:Role" && r.name === "backend-task") as PolicyResource;
        role.props = unknownCheckingProxy({ ...role.props, assumeRolePolicy: unknownStringValue });
        expect(() => runStackPolicy(policy, rs), policy.name).to.throw(UnknownValueError);
      }
    });

    it("fails the policy pack when an endpoint keeps AWS's default policy, drops aws:ResourceAccount, has none, or trusts a second account", () => {
      const broken = (edit: (endpoint: PolicyResource) => void) => {
        const rs = stackResources(g);
        edit(rs.find((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && serviceOf(r) === "logs") as PolicyResource);
        return runStackPolicy(vpcEndpointsDataPerimeter, rs).violations.map((v) => v.message).join("\n");
      };
      expect(broken((e) => { e.props.policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] }); }))
        .to.include("serves every account's principals");
      expect(broken((e) => {
        const doc = policyOf(e);
        delete (doc.Statement[0].Condition as Record<string, Record<string, unknown>>).StringEquals["aws:ResourceAccount"];
        e.props.policy = JSON.stringify(doc);
      })).to.include("this account's principals may reach any account's resources");
      expect(broken((e) => { delete e.props.policy; })).to.include("no policy");
      expect(broken((e) => { e.props.policy = String(e.props.policy).replace(new RegExp(ACCOUNT, "g"), OTHER_ACCOUNT); })).to.include("The endpoints trust different accounts");
    });
  });
}
