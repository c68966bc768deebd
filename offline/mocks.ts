// Mocks that answer like AWS would: realistic, deterministic ids and ARNs per resource type, and the
// invokes the program makes. Unknown invokes fail loudly, so a new lookup is mocked on purpose.
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";

interface MockContext {
  readonly region: string;
  readonly accountId: string;
  readonly stack: string;
}

type State = Record<string, any>;
interface Shape {
  id: string;
  arn?: string;
  extra?: State;
}
type ShapeFn = (c: { name: string; physical: string; hex: string; inputs: State; ctx: MockContext }) => Shape;

function hex(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

/** Pulumi-style auto-name: logical name plus a 7-character suffix. */
function autoName(name: string, seed: string): string {
  return `${name}-${hex(seed, 7)}`;
}

const arn = (ctx: MockContext, service: string, resource: string, opts: { global?: boolean } = {}) =>
  `arn:aws:${service}:${opts.global ? "" : ctx.region}:${ctx.accountId}:${resource}`;

// Id prefixes AWS uses for EC2-style resources.
const EC2_PREFIX: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "vpc",
  "aws:ec2/subnet:Subnet": "subnet",
  "aws:ec2/securityGroup:SecurityGroup": "sg",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
  "aws:ec2/routeTable:RouteTable": "rtb",
  "aws:ec2/internetGateway:InternetGateway": "igw",
  "aws:ec2/natGateway:NatGateway": "nat",
  "aws:ec2/eip:Eip": "eipalloc",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
  "aws:ec2/flowLog:FlowLog": "fl",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt",
  "aws:ec2/instance:Instance": "i",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
  "aws:ec2/route:Route": "r",
  "aws:ebs/volume:Volume": "vol",
};

// Resource types whose ARN segment is known; the rest follow arn:aws:<module>:<region>:<account>:<kind>/<id>.
const SHAPES: Record<string, ShapeFn> = {
  "aws:ec2/vpcEndpoint:VpcEndpoint": ({ hex: h, inputs, ctx }) => ({
    id: `vpce-0${h.slice(0, 16)}`,
    arn: arn(ctx, "ec2", `vpc-endpoint/vpce-0${h.slice(0, 16)}`),
    extra: inputs.vpcEndpointType === "Gateway"
      ? { prefixListId: `pl-${h.slice(0, 8)}`, cidrBlocks: ["52.219.0.0/16"] }
      : {
        dnsEntries: [{ dnsName: `vpce-0${h.slice(0, 16)}.${String(inputs.serviceName).split(".").slice(3).join(".")}.${ctx.region}.vpce.amazonaws.com`, hostedZoneId: "Z2E726K9Y6RL4W" }],
        networkInterfaceIds: (inputs.subnetIds ?? []).map((_: unknown, i: number) => `eni-0${hex(h + i, 16)}`),
      },
  }),
  "aws:cloudwatch/logGroup:LogGroup": ({ physical, ctx }) => ({ id: physical, arn: arn(ctx, "logs", `log-group:${physical}`) }),
  "aws:cloudwatch/metricAlarm:MetricAlarm": ({ physical, ctx }) => ({ id: physical, arn: arn(ctx, "cloudwatch", `alarm:${physical}`) }),
  "aws:cloudwatch/dashboard:Dashboard": ({ inputs, physical, ctx }) => ({
    id: inputs.dashboardName ?? physical,
    extra: { dashboardArn: `arn:aws:cloudwatch::${ctx.accountId}:dashboard/${inputs.dashboardName ?? physical}` },
  }),
  "aws:iam/role:Role": ({ physical, hex: h, ctx }) => ({
    id: physical,
    arn: arn(ctx, "iam", `role/${physical}`, { global: true }),
    extra: { uniqueId: `AROA${h.slice(0, 17).toUpperCase()}` },
  }),
  "aws:iam/policy:Policy": ({ physical, ctx }) => ({ id: arn(ctx, "iam", `policy/${physical}`, { global: true }), arn: arn(ctx, "iam", `policy/${physical}`, { global: true }) }),
  "aws:iam/instanceProfile:InstanceProfile": ({ physical, ctx }) => ({ id: physical, arn: arn(ctx, "iam", `instance-profile/${physical}`, { global: true }) }),
  "aws:iam/rolePolicy:RolePolicy": ({ inputs, physical }) => ({ id: `${inputs.role}:${physical}` }),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ({ inputs, hex: h }) => ({ id: `${inputs.role}-${h.slice(0, 8)}` }),
  "aws:kms/key:Key": ({ hex: h, ctx }) => {
    const keyId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    return { id: keyId, arn: arn(ctx, "kms", `key/${keyId}`), extra: { keyId } };
  },
  "aws:kms/alias:Alias": ({ inputs, physical, ctx }) => ({ id: inputs.name ?? physical, arn: arn(ctx, "kms", String(inputs.name ?? physical)) }),
  "aws:secretsmanager/secret:Secret": ({ physical, hex: h, ctx }) => {
    const secretArn = arn(ctx, "secretsmanager", `secret:${physical}-${h.slice(0, 6)}`);
    return { id: secretArn, arn: secretArn };
  },
  "aws:secretsmanager/secretVersion:SecretVersion": ({ inputs, hex: h }) => ({ id: `${inputs.secretId}|${h.slice(0, 32)}`, extra: { versionId: h.slice(0, 32) } }),
  "aws:sns/topic:Topic": ({ physical, ctx }) => ({ id: arn(ctx, "sns", physical), arn: arn(ctx, "sns", physical) }),
  "aws:ecs/cluster:Cluster": ({ physical, ctx }) => ({ id: arn(ctx, "ecs", `cluster/${physical}`), arn: arn(ctx, "ecs", `cluster/${physical}`) }),
  "aws:ecs/capacityProvider:CapacityProvider": ({ physical, ctx }) => ({ id: arn(ctx, "ecs", `capacity-provider/${physical}`), arn: arn(ctx, "ecs", `capacity-provider/${physical}`) }),
  "aws:ecs/taskDefinition:TaskDefinition": ({ inputs, ctx }) => {
    const taskArn = arn(ctx, "ecs", `task-definition/${inputs.family}:1`);
    return { id: String(inputs.family), arn: taskArn, extra: { revision: 1, arnWithoutRevision: arn(ctx, "ecs", `task-definition/${inputs.family}`) } };
  },
  "aws:ecs/service:Service": ({ inputs, physical, ctx }) => {
    const cluster = String(inputs.cluster ?? "default").split("/").pop();
    const serviceArn = arn(ctx, "ecs", `service/${cluster}/${physical}`);
    return { id: serviceArn, arn: serviceArn };
  },
  "aws:ecr/repository:Repository": ({ physical, ctx }) => ({
    id: physical,
    arn: arn(ctx, "ecr", `repository/${physical}`),
    extra: { repositoryUrl: `${ctx.accountId}.dkr.ecr.${ctx.region}.amazonaws.com/${physical}`, registryId: ctx.accountId },
  }),
  "aws:lb/loadBalancer:LoadBalancer": ({ inputs, physical, hex: h, ctx }) => {
    // Network load balancers are "net/…" (and their zone differs); internal ones' names start "internal-".
    const network = inputs.loadBalancerType === "network";
    const suffix = `${network ? "net" : "app"}/${physical}/${h.slice(0, 16)}`;
    const dnsName = network
      ? `${inputs.internal ? "internal-" : ""}${physical}-${h.slice(0, 16)}.elb.${ctx.region}.amazonaws.com`
      : `${inputs.internal ? "internal-" : ""}${physical}-${h.slice(0, 10)}.${ctx.region}.elb.amazonaws.com`;
    return {
      id: arn(ctx, "elasticloadbalancing", `loadbalancer/${suffix}`),
      arn: arn(ctx, "elasticloadbalancing", `loadbalancer/${suffix}`),
      extra: { arnSuffix: suffix, dnsName, zoneId: network ? "Z31USIVHYNEOWT" : "Z14GRHDCWA56QT" },
    };
  },
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": ({ inputs, physical }) => ({ id: String(inputs.name ?? physical) }),
  "aws:lb/targetGroup:TargetGroup": ({ physical, hex: h, ctx }) => {
    const suffix = `targetgroup/${physical}/${h.slice(0, 16)}`;
    return { id: arn(ctx, "elasticloadbalancing", suffix), arn: arn(ctx, "elasticloadbalancing", suffix), extra: { arnSuffix: suffix } };
  },
  // A rule's ARN extends its listener's: listener-rule/app/<lb-name>/<lb-id>/<listener-id>/<rule-id>.
  "aws:lb/listenerRule:ListenerRule": ({ inputs, hex: h, ctx }) => {
    const listener = String(inputs.listenerArn ?? "").split(":listener/")[1] ?? `app/${h.slice(0, 8)}/${h.slice(8, 24)}/${h.slice(24, 40)}`;
    const ruleArn = arn(ctx, "elasticloadbalancing", `listener-rule/${listener}/${h.slice(0, 16)}`);
    return { id: ruleArn, arn: ruleArn };
  },
  // Services layer: generated secrets and awsx image builds (a remote component).
  "random:index/randomPassword:RandomPassword": ({ inputs, hex: h }) => ({
    id: "none",
    extra: {
      result: Array.from({ length: 4 }, (_, i) => createHash("sha512").update(`password|${h}|${i}`).digest("base64")).join("")
        .replace(/[^A-Za-z0-9]/g, "").slice(0, Number(inputs.length ?? 32)),
    },
  }),
  "awsx:ecr:Image": ({ inputs, hex: h }) => ({
    id: "",
    extra: { imageUri: `${inputs.repositoryUrl}@sha256:${createHash("sha256").update(`image|${h}`).digest("hex")}` },
  }),
  "aws:sns/topicSubscription:TopicSubscription": ({ inputs, hex: h }) => ({ id: `${inputs.topic}:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`, arn: `${inputs.topic}:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}` }),
  // A listener's ARN carries its load balancer's type, name and id: listener/app/<lb-name>/<lb-id>/<listener-id>.
  "aws:lb/listener:Listener": ({ inputs, hex: h, ctx }) => {
    const lb = String(inputs.loadBalancerArn ?? "").split(":loadbalancer/")[1] ?? `app/${h.slice(16, 24)}/${h.slice(24, 40)}`;
    const listenerArn = arn(ctx, "elasticloadbalancing", `listener/${lb}/${h.slice(0, 16)}`);
    return { id: listenerArn, arn: listenerArn };
  },
  "aws:rds/instance:Instance": ({ inputs, physical, hex: h, ctx }) => {
    const identifier = String(inputs.identifier ?? physical);
    const address = `${identifier}.c${h.slice(0, 11)}.${ctx.region}.rds.amazonaws.com`;
    return {
      id: identifier,
      arn: arn(ctx, "rds", `db:${identifier}`),
      extra: {
        identifier,
        address,
        endpoint: `${address}:${inputs.port ?? 5432}`,
        port: inputs.port ?? 5432,
        resourceId: `db-${h.slice(0, 26).toUpperCase()}`,
        masterUserSecrets: inputs.manageMasterUserPassword
          ? [{ secretArn: arn(ctx, "secretsmanager", `secret:rds!db-${h.slice(0, 8)}-${h.slice(8, 14)}`), secretStatus: "active", kmsKeyId: "" }]
          : [],
      },
    };
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": ({ inputs, physical, hex: h, ctx }) => {
    const id = String(inputs.replicationGroupId ?? physical);
    return {
      id,
      arn: arn(ctx, "elasticache", `replicationgroup:${id}`),
      extra: {
        primaryEndpointAddress: `master.${id}.${h.slice(0, 6)}.${ctx.region}.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${id}.${h.slice(0, 6)}.${ctx.region}.cache.amazonaws.com`,
        memberClusters: [`${id}-001`, `${id}-002`],
      },
    };
  },
  "aws:autoscaling/group:Group": ({ physical, hex: h, ctx }) => ({
    id: physical,
    arn: arn(ctx, "autoscaling", `autoScalingGroup:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}:autoScalingGroupName/${physical}`),
  }),
  "aws:ec2/launchTemplate:LaunchTemplate": ({ hex: h, ctx }) => ({
    id: `lt-0${h.slice(0, 16)}`,
    arn: arn(ctx, "ec2", `launch-template/lt-0${h.slice(0, 16)}`),
    extra: { latestVersion: 1, defaultVersion: 1 },
  }),
  "aws:imagebuilder/image:Image": ({ physical, hex: h, ctx }) => ({
    id: arn(ctx, "imagebuilder", `image/${physical}/1.0.0/1`),
    arn: arn(ctx, "imagebuilder", `image/${physical}/1.0.0/1`),
    extra: { outputResources: [{ amis: [{ image: `ami-0${h.slice(0, 16)}`, region: ctx.region, accountId: ctx.accountId, name: physical, description: "" }], containers: [] }] },
  }),
  // Image Builder ARNs carry the version (and build) like AWS's do; ids are the ARNs.
  "aws:imagebuilder/component:Component": ({ inputs, physical, ctx }) => {
    const componentArn = arn(ctx, "imagebuilder", `component/${physical}/${inputs.version ?? "1.0.0"}/1`);
    return { id: componentArn, arn: componentArn, extra: { owner: ctx.accountId, type: "BUILD" } };
  },
  "aws:imagebuilder/imageRecipe:ImageRecipe": ({ inputs, physical, ctx }) => {
    const recipeArn = arn(ctx, "imagebuilder", `image-recipe/${physical}/${inputs.version ?? "1.0.0"}`);
    return { id: recipeArn, arn: recipeArn, extra: { owner: ctx.accountId, platform: "Linux" } };
  },
  "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": ({ physical, ctx }) => {
    const infraArn = arn(ctx, "imagebuilder", `infrastructure-configuration/${physical}`);
    return { id: infraArn, arn: infraArn };
  },
  "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": ({ physical, ctx }) => {
    const distributionArn = arn(ctx, "imagebuilder", `distribution-configuration/${physical}`);
    return { id: distributionArn, arn: distributionArn };
  },
  "aws:imagebuilder/imagePipeline:ImagePipeline": ({ physical, ctx }) => {
    const pipelineArn = arn(ctx, "imagebuilder", `image-pipeline/${physical}`);
    return { id: pipelineArn, arn: pipelineArn };
  },
  "aws:ecs/accountSettingDefault:AccountSettingDefault": ({ inputs, ctx }) => ({
    id: String(inputs.name),
    extra: { principalArn: `arn:aws:iam::${ctx.accountId}:root` },
  }),
  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ({ inputs }) => ({ id: String(inputs.clusterName) }),
  // The retained-volumes monitor's function and its schedule.
  "aws:lambda/function:Function": ({ physical, ctx }) => {
    const functionArn = arn(ctx, "lambda", `function:${physical}`);
    return {
      id: physical,
      arn: functionArn,
      extra: {
        invokeArn: `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
        qualifiedArn: `${functionArn}:$LATEST`,
        version: "$LATEST",
      },
    };
  },
  "aws:lambda/permission:Permission": ({ inputs, hex: h }) => ({ id: String(inputs.statementId ?? `terraform-${h.slice(0, 26)}`) }),
  "aws:cloudwatch/eventRule:EventRule": ({ physical, ctx }) => ({ id: physical, arn: arn(ctx, "events", `rule/${physical}`) }),
  "aws:cloudwatch/eventTarget:EventTarget": ({ inputs, hex: h }) => ({ id: `${inputs.rule}-terraform-${h.slice(0, 26)}`, extra: { targetId: `terraform-${h.slice(0, 26)}` } }),
  "aws:fis/experimentTemplate:ExperimentTemplate": ({ hex: h, ctx }) => ({
    id: `EXT${h.slice(0, 14).toUpperCase()}`,
    arn: arn(ctx, "fis", `experiment-template/EXT${h.slice(0, 14).toUpperCase()}`),
  }),
  "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": ({ hex: h, ctx }) => ({ id: `rslvr-fdl-${h.slice(0, 17)}`, arn: arn(ctx, "route53resolver", `firewall-domain-list/rslvr-fdl-${h.slice(0, 17)}`) }),
  "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": ({ hex: h, ctx }) => ({ id: `rslvr-frg-${h.slice(0, 17)}`, arn: arn(ctx, "route53resolver", `firewall-rule-group/rslvr-frg-${h.slice(0, 17)}`) }),
  "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": ({ hex: h, ctx }) => ({ id: `rslvr-frgassoc-${h.slice(0, 17)}`, arn: arn(ctx, "route53resolver", `firewall-rule-group-association/rslvr-frgassoc-${h.slice(0, 17)}`) }),
  "aws:route53/resolverFirewallRule:ResolverFirewallRule": ({ inputs }) => ({ id: `${inputs.firewallRuleGroupId}:${inputs.firewallDomainListId}` }),
  "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": ({ hex: h }) => ({ id: `rslvr-fc-${h.slice(0, 17)}` }),
  "aws:route53/resolverQueryLogConfig:ResolverQueryLogConfig": ({ hex: h, ctx }) => ({ id: `rslvr-rqlc-${h.slice(0, 17)}`, arn: arn(ctx, "route53resolver", `resolver-query-log-config/rslvr-rqlc-${h.slice(0, 17)}`) }),
  "aws:route53/resolverQueryLogConfigAssociation:ResolverQueryLogConfigAssociation": ({ hex: h }) => ({ id: `rslvr-qlcassoc-${h.slice(0, 17)}` }),
};

/** Inputs that hold the resource's own physical name, per type (default: `name`). */
const NAME_INPUT: Record<string, string> = {
  "aws:ecs/taskDefinition:TaskDefinition": "family",
  "aws:rds/instance:Instance": "identifier",
  "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
  "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
  "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
};

function genericShape(type: string, h: string, physical: string, ctx: MockContext): Shape {
  const prefix = EC2_PREFIX[type];
  if (prefix) {
    const id = `${prefix}-0${h.slice(0, 16)}`;
    return { id, arn: arn(ctx, "ec2", `${prefix === "i" ? "instance" : type.split(":")[2].replace(/[A-Z]/g, (c, i) => (i ? "-" : "") + c.toLowerCase())}/${id}`) };
  }
  const [, moduleAndFile] = type.split(":");
  const service = moduleAndFile.split("/")[0];
  const kind = moduleAndFile.split("/")[1] ?? "resource";
  return { id: physical, arn: arn(ctx, service, `${kind.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}/${physical}`) };
}

export function createMocks(ctx: MockContext): pulumi.runtime.Mocks {
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
      const seed = `${ctx.stack}|${args.type}|${args.name}`;
      const h = hex(seed, 40);
      const nameInput = NAME_INPUT[args.type] ?? "name";
      const physical = String(args.inputs[nameInput] ?? autoName(args.name, seed));
      const shape = (SHAPES[args.type] ?? (() => genericShape(args.type, h, physical, ctx)))({
        name: args.name,
        physical,
        hex: h,
        inputs: args.inputs,
        ctx,
      });
      const state: State = { ...args.inputs, ...(shape.extra ?? {}) };
      if (args.inputs[nameInput] === undefined && args.custom) state[nameInput] = physical;
      if (shape.arn) state.arn = shape.arn;
      if (state.tags && !state.tagsAll) state.tagsAll = state.tags;
      return { id: args.custom ? shape.id : undefined, state };
    },

    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
      const answer = invokeAnswers(ctx)[args.token];
      if (!answer) {
        // The runtime rethrows a failed invoke with the gRPC `details` field as its message.
        const message = `offline engine: no mock for invoke ${args.token}; add one to offline/mocks.ts`;
        throw Object.assign(new Error(message), { details: message });
      }
      return answer(args.inputs);
    },
  };
}

function invokeAnswers(ctx: MockContext): Record<string, (inputs: State) => State> {
  // Tokyo has no 1b; elsewhere a, b, c, d.
  const zoneLetters = ctx.region === "ap-northeast-1" ? ["a", "c", "d"] : ["a", "b", "c", "d"];
  return {
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
      id: ctx.region,
      names: zoneLetters.map((l) => `${ctx.region}${l}`),
      zoneIds: zoneLetters.map((_, i) => `${ctx.region.replace(/-/g, "").slice(0, 4)}-az${i + 1}`),
      groupNames: [ctx.region],
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
      id: ctx.accountId,
      accountId: ctx.accountId,
      arn: `arn:aws:iam::${ctx.accountId}:user/offline-plan`,
      userId: "AIDAOFFLINEPLAN",
    }),
    "aws:index/getRegion:getRegion": () => ({ id: ctx.region, name: ctx.region, region: ctx.region, endpoint: `ec2.${ctx.region}.amazonaws.com`, description: ctx.region }),
    "aws:index/getPartition:getPartition": () => ({ id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }),
    "aws:ssm/getParameter:getParameter": (inputs) => ({
      id: inputs.name,
      name: inputs.name,
      type: "String",
      // Public AMI parameters answer with an AMI id; anything else with a recognisable stand-in.
      value: String(inputs.name).includes("/ami") || String(inputs.name).includes("image_id")
        ? `ami-0${hex(`${ctx.region}|${inputs.name}`, 16)}`
        : `offline-value-of-${inputs.name}`,
      arn: `arn:aws:ssm:${ctx.region}::parameter${inputs.name}`,
      version: 1,
      insecureValue: "",
      withDecryption: true,
    }),
    "aws:ec2/getAmi:getAmi": (inputs) => ({ id: `ami-0${hex(`${ctx.region}|${JSON.stringify(inputs)}`, 16)}`, imageId: `ami-0${hex(`${ctx.region}|${JSON.stringify(inputs)}`, 16)}`, architecture: "x86_64" }),
  };
}
