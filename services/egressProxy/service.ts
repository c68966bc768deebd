// The egress proxy as an ECS service on the trusted (backend) pool: Squid tasks spread over AZs
// behind the internal NLB (loadBalancer.ts), no task role (Squid needs no AWS credentials), an
// execution role that can only pull its image and write its log group, and every decision in that
// log group, counted by two metric filters (decisionLog.ts) the alarms read.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { poolPlacementConstraint } from "../../lib/placement";
import { executionRole, poolServicePlacement, taskLogGroup } from "../taskResources";
import { EGRESS_PROXY_CONTAINER, egressProxyContainer } from "../../lib/egressProxyContainer";
import { DECISIONS_PATTERN, DENIED_PATTERN, EGRESS_PROXY_METRICS, egressProxyNamespace, NON_PUBLIC_DESTINATION_PATTERN } from "../../lib/egressProxyDecisionLog";
import type { EgressProxyLoadBalancer } from "./loadBalancer";
import { EGRESS_PROXY_PORT } from "../../lib/squidConfig";

/** Physical names of the proxy's service, task family and log group. */
function egressProxyNames(prefix: string) {
  return { service: `${prefix}-egress-proxy`, family: `${prefix}-egress-proxy`, logGroup: `/${prefix}/egress-proxy` };
}

export interface EgressProxyServiceArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** The ECS cluster's ARN. */
  readonly clusterArn: pulumi.Input<string>;
  /** The backend (trusted) pool's capacity provider: a proxy never shares a host with a workspace. */
  readonly capacityProvider: string;
  /** Image URI the task runs. */
  readonly image: pulumi.Input<string>;
  /** ECR repository of its image: the execution role may pull from it only. */
  readonly repositoryArn: pulumi.Input<string>;
  /** Task CPU units (1024 = one vCPU). */
  readonly cpu: number;
  /** Task memory, MiB. */
  readonly memoryMiB: number;
  /** Tasks the service keeps running. */
  readonly desiredCount: number;
  /** Domains the egress proxy lets through (config dnsAllowedDomains). */
  readonly allowList: readonly string[];
  /** Subnets of the tasks and the NLB (the private subnets) and their CIDRs. */
  readonly subnetIds: pulumi.Input<string>[];
  /** CIDRs of those subnets. */
  readonly subnetCidrs: readonly string[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** The internal NLB the tasks register with. */
  readonly loadBalancer: EgressProxyLoadBalancer;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** CloudWatch namespace of the platform's own metrics. */
  readonly metricsNamespace: string;
  /** Resources the service waits for: the cluster's capacity provider attachment of the host pools. */
  readonly capacityReady?: pulumi.Resource[];
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export class EgressProxyService extends pulumi.ComponentResource {
  readonly service: aws.ecs.Service;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly serviceName: string;
  /** Namespace of the Requests, DeniedRequests and NonPublicDestinationRequests metrics (decisionLog.ts). */
  readonly metricsNamespace: string;

  constructor(name: string, args: EgressProxyServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:egress:EgressProxyService", name, {}, opts);
    const parent = { parent: this };
    const names = egressProxyNames(args.prefix);
    this.serviceName = names.service;
    this.metricsNamespace = egressProxyNamespace(args.metricsNamespace, args.prefix);

    this.logGroup = taskLogGroup(name, { ...args, logGroupName: names.logGroup }, this);
    const filter = (suffix: string, pattern: string, metric: string, defaultValue?: string) =>
      new aws.cloudwatch.LogMetricFilter(`${name}-${suffix}`, {
        name: `${names.service}-${suffix}`,
        logGroupName: this.logGroup.name,
        pattern,
        metricTransformation: { name: metric, namespace: this.metricsNamespace, value: "1", unit: "Count", defaultValue },
      }, parent);
    filter("requests", DECISIONS_PATTERN, EGRESS_PROXY_METRICS.requests);
    // 0 for every other line, so the denied count has data whenever the proxy logs anything.
    filter("denied", DENIED_PATTERN, EGRESS_PROXY_METRICS.denied, "0");
    // A subset of the denied: an allowed name that led to a private, loopback or link-local
    // address (a misconfigured record, or a workspace probing the VPC through the proxy).
    filter("non-public-destinations", NON_PUBLIC_DESTINATION_PATTERN, EGRESS_PROXY_METRICS.nonPublicDestinations, "0");

    this.executionRole = executionRole(name, {
      workload: "egress-proxy",
      description: "ECS agent on behalf of egress proxy tasks: pull the proxy image, write its logs",
      prefix: args.prefix,
      region: args.region,
      accountId: args.accountId,
      repositoryArns: [args.repositoryArn],
      logGroupArn: this.logGroup.arn,
      secretArns: [],
      kmsKeyArn: args.kmsKeyArn,
      tags: args.tags,
    }, this);

    const container = pulumi.output(args.image).apply((image) => egressProxyContainer({
      image,
      cpu: args.cpu,
      memoryMiB: args.memoryMiB,
      allowList: args.allowList,
      loadBalancerCidrs: args.subnetCidrs,
      logGroup: names.logGroup,
      region: args.region,
    }));
    this.taskDefinition = new aws.ecs.TaskDefinition(`${name}-task`, {
      family: names.family,
      networkMode: "awsvpc",
      requiresCompatibilities: ["EC2"],
      // No taskRoleArn: Squid calls no AWS API.
      executionRoleArn: this.executionRole.arn,
      cpu: String(args.cpu),
      memory: String(args.memoryMiB),
      containerDefinitions: container.apply((c) => JSON.stringify([c])),
      placementConstraints: [poolPlacementConstraint("backend")],
      tags: { ...args.tags, Name: names.family },
    }, { parent: this, dependsOn: [this.logGroup] });

    this.service = new aws.ecs.Service(`${name}-service`, {
      name: names.service,
      cluster: args.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: args.desiredCount,
      ...poolServicePlacement(args.capacityProvider),
      networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
      loadBalancers: [{ targetGroupArn: args.loadBalancer.targetGroup.arn, containerName: EGRESS_PROXY_CONTAINER, containerPort: EGRESS_PROXY_PORT }],
      healthCheckGracePeriodSeconds: 30,
      deploymentController: { type: "ECS" },
      // New tasks healthy before old ones go: workspaces never lose their way out in a deployment.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      enableExecuteCommand: false,
      waitForSteadyState: false,
      tags: { ...args.tags, Name: names.service },
    }, { parent: this, dependsOn: [args.loadBalancer.listener, ...(args.capacityReady ?? [])] });

    this.registerOutputs({ serviceName: this.serviceName, logGroupName: this.logGroup.name });
  }
}
