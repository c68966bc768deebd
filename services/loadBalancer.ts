// The backend's public entry: an internet-facing ALB in the public subnets. With a certificate:
// HTTPS on 443 (TLS 1.2+), HTTP on 80 redirecting to it. Without one (non-production only): plain
// HTTP on 80. Traffic reaches the backend through one listener rule, which ECS re-weights between
// the blue and green target groups when the service deploys blue/green; a second rule on the same
// listener carries test traffic (requests with BLUE_GREEN_TEST_HEADER), which ECS sends to green
// before production traffic (ECS Developer Guide, "Application Load Balancer resources for
// blue/green, linear, and canary deployments": two target groups, production and test rules).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BackendLoadBalancerArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The stack's VPC. */
  readonly vpcId: pulumi.Input<string>;
  /** The public subnets the ALB sits in. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** ACM certificate of the HTTPS listener (config certificateArn); none: HTTP only. */
  readonly certificateArn?: string;
  /** ALB idle timeout (config albIdleTimeoutSeconds): long-lived streams need it high. */
  readonly idleTimeoutSeconds: number;
  /** Path the target groups' health check requests. */
  readonly healthCheckPath: string;
  /** The backend container's port the target groups forward to. */
  readonly port: number;
  /** A second (green) target group for ECS native blue/green deployments. */
  readonly blueGreen: boolean;
  /** The prod stack (config isProd): deletion protection and longer retention where the component has them. */
  readonly isProd: boolean;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** TLS 1.3 and 1.2 only (ELB predefined policy). */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const PRODUCTION_RULE_PRIORITY = 100;
/** Evaluated before the production rule, which matches every path. */
const TEST_RULE_PRIORITY = 90;
/**
 * Requests carrying this header take the test rule: green once ECS shifts test traffic, blue
 * otherwise. The name ECS uses for Service Connect's test traffic; it only ever reaches a revision
 * that is about to take production traffic anyway.
 */
export const BLUE_GREEN_TEST_HEADER = "x-amzn-ecs-blue-green-test";
/** Seconds a deregistering target keeps serving in-flight (streaming) requests. */
export const DEREGISTRATION_DELAY_SECONDS = 300;

export class BackendLoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer;
  /** The target group the service registers in first (blue); green exists with blue/green. */
  readonly blue: aws.lb.TargetGroup;
  readonly green?: aws.lb.TargetGroup;
  /** The listener that carries production traffic (HTTPS, or HTTP without a certificate). */
  readonly productionListener: aws.lb.Listener;
  readonly listeners: aws.lb.Listener[];
  /** The rule that forwards production traffic: ECS shifts its weights in a blue/green deployment. */
  readonly productionRule: aws.lb.ListenerRule;
  /** Blue/green only: the rule ECS sends test traffic through before production traffic. */
  readonly testRule?: aws.lb.ListenerRule;
  readonly dnsName: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  readonly https: boolean;

  constructor(name: string, args: BackendLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:services:BackendLoadBalancer", name, {}, opts);
    const parent = { parent: this };
    this.https = args.certificateArn !== undefined;

    this.loadBalancer = new aws.lb.LoadBalancer(`${name}-alb`, {
      name: args.prefix.slice(0, 32),
      loadBalancerType: "application",
      internal: false,
      ipAddressType: "ipv4",
      subnets: args.subnetIds,
      securityGroups: [args.securityGroupId],
      idleTimeout: args.idleTimeoutSeconds,
      // Malformed headers are dropped rather than passed to the backend (request smuggling).
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "strictest",
      enableHttp2: true,
      enableDeletionProtection: args.isProd,
      tags: { ...args.tags, Name: args.prefix },
    }, parent);

    const targetGroup = (color: "blue" | "green") => {
      const tgName = `${args.prefix}-be-${color}`.slice(0, 32);
      return new aws.lb.TargetGroup(`${name}-${color}`, {
        name: tgName,
        vpcId: args.vpcId,
        targetType: "ip",
        protocol: "HTTP",
        port: args.port,
        // Streams differ wildly in length: send new requests to the least busy task.
        loadBalancingAlgorithmType: "least_outstanding_requests",
        deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
        healthCheck: {
          enabled: true,
          protocol: "HTTP",
          path: args.healthCheckPath,
          port: "traffic-port",
          matcher: "200",
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags: { ...args.tags, Name: tgName, Color: color },
      }, parent);
    };
    this.blue = targetGroup("blue");
    this.green = args.blueGreen ? targetGroup("green") : undefined;

    const notFound = [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "not found" } }];
    if (this.https) {
      this.productionListener = new aws.lb.Listener(`${name}-https`, {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: args.certificateArn,
        defaultActions: notFound,
        tags: args.tags,
      }, parent);
      const redirect = new aws.lb.Listener(`${name}-http`, {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
        tags: args.tags,
      }, parent);
      this.listeners = [this.productionListener, redirect];
    } else {
      this.productionListener = new aws.lb.Listener(`${name}-http`, {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: notFound,
        tags: args.tags,
      }, parent);
      this.listeners = [this.productionListener];
    }

    const forward = this.green
      ? {
        type: "forward",
        forward: {
          targetGroups: [{ arn: this.blue.arn, weight: 100 }, { arn: this.green.arn, weight: 0 }],
        },
      }
      : { type: "forward", targetGroupArn: this.blue.arn };
    // In a blue/green deployment ECS owns both rules' weights; Pulumi must not flip them back.
    const ecsOwnsWeights = { parent: this, ignoreChanges: this.green ? ["actions"] : [] };
    this.productionRule = new aws.lb.ListenerRule(`${name}-production`, {
      listenerArn: this.productionListener.arn,
      priority: PRODUCTION_RULE_PRIORITY,
      conditions: [{ pathPattern: { values: ["/*"] } }],
      actions: [forward],
      tags: args.tags,
    }, ecsOwnsWeights);
    if (this.green) {
      this.testRule = new aws.lb.ListenerRule(`${name}-test`, {
        listenerArn: this.productionListener.arn,
        priority: TEST_RULE_PRIORITY,
        conditions: [{ httpHeader: { httpHeaderName: BLUE_GREEN_TEST_HEADER, values: ["*"] } }],
        actions: [forward],
        tags: args.tags,
      }, ecsOwnsWeights);
    }

    this.dnsName = this.loadBalancer.dnsName;
    this.arnSuffix = this.loadBalancer.arnSuffix;
    this.registerOutputs({ dnsName: this.dnsName, arnSuffix: this.arnSuffix });
  }
}
