import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { RUNTASK_ENV } from "../lib/launchContract";
import { CONTAINERS, LOG_STREAM_PREFIX, POOL_ATTRIBUTE } from "../lib/names";
import type { StackGraph } from "../offline/graph";
import { BACKEND_ENV, BLUE_GREEN_BAKE_MINUTES } from "../services/backend";
import { BLUE_GREEN_TEST_HEADER, DEREGISTRATION_DELAY_SECONDS, TLS_POLICY } from "../services/loadBalancer";
import { docText, requireBotocore, serviceModel } from "./helpers/botocore";
import { resolveId } from "./helpers/graph";
import { containerNamed, envOf, FULL_STAGING, inlineStatements, STAGING_CERT, statementBySid } from "./helpers/services";
import { buildStack, stackConfig, STACKS } from "./helpers/stacks";

for (const stack of STACKS) {
  describe(`backend service (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });
    const cfg = () => stackConfig(stack);
    const service = () => g.one(aws.ecs.Service, "backend-service");
    const taskDef = () => g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === `remote-claude-${stack}-backend`)!;

    it("runs on the backend pool's capacity provider, in the private subnets, behind the backend security group", () => {
      const s = service().inputs;
      expect(s.name).to.equal(`remote-claude-${stack}-backend`);
      expect(s.cluster).to.equal(g.one(aws.ecs.Cluster).state.arn);
      expect(s.launchType).to.equal(undefined);
      expect(s.capacityProviderStrategies).to.deep.equal([{ capacityProvider: `remote-claude-${stack}-backend`, weight: 1, base: 0 }]);
      expect(s.networkConfiguration.assignPublicIp).to.equal(false);
      expect(s.networkConfiguration.subnets.map((id: string) => resolveId(g, id).inputs.tags.Tier)).to.deep.equal(cfg().azCount === 3 ? ["private", "private", "private"] : ["private", "private"]);
      expect(s.networkConfiguration.securityGroups.map((id: string) => resolveId(g, id).inputs.tags.Role)).to.deep.equal(["backend"]);
      expect(s.enableExecuteCommand).to.equal(false);
    });

    it("spreads over AZs, then hosts; rolls back failed deployments (the 5xx alarm; the circuit breaker when rolling)", () => {
      const s = service().inputs;
      expect(s.orderedPlacementStrategies).to.deep.equal([
        { type: "spread", field: "attribute:ecs.availability-zone" },
        { type: "spread", field: "instanceId" },
      ]);
      // Staging rolls with the circuit breaker; prod deploys blue/green, where ECS documents none.
      if (cfg().backendDeploymentStrategy === "rolling") expect(s.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
      else expect(s).to.not.have.property("deploymentCircuitBreaker");
      expect(s.alarms).to.deep.equal({ alarmNames: [`remote-claude-${stack}-backend-5xx`], enable: true, rollback: true });
      expect(g.ofType(aws.cloudwatch.MetricAlarm).map((a) => a.inputs.name)).to.include(s.alarms.alarmNames[0]);
      expect(s.deploymentMinimumHealthyPercent).to.equal(100);
      expect(s.healthCheckGracePeriodSeconds).to.equal(cfg().backendHealthCheckGraceSeconds);
      expect(s.desiredCount).to.equal(cfg().backendDesiredCount);
      // Autoscaling owns the count after creation.
      expect(service().options.ignoreChanges).to.deep.equal(["desiredCount"]);
    });

    it("registers the backend container on port 8000 with the ALB's target group", () => {
      const [lb] = service().inputs.loadBalancers;
      expect(lb).to.include({ containerName: CONTAINERS.backend, containerPort: 8000 });
      const tg = resolveId(g, lb.targetGroupArn);
      expect(tg.inputs).to.include({ targetType: "ip", protocol: "HTTP", port: 8000, deregistrationDelay: DEREGISTRATION_DELAY_SECONDS });
      expect(tg.inputs.healthCheck).to.include({ path: cfg().backendHealthCheckPath, matcher: "200", port: "traffic-port" });
      expect(resolveId(g, tg.inputs.vpcId).type).to.equal("aws:ec2/vpc:Vpc");
    });

    it("waits for the production listener rule before it registers targets", () => {
      // Explicitly, or through an input (the blue/green production rule).
      const dependencies = [...service().options.dependsOn, ...Object.values(service().propertyDependencies).flat()];
      expect(dependencies).to.include("aws:lb/listenerRule:ListenerRule::alb-production");
    });

    it("has a task definition for the backend pool: awsvpc, EC2, task and execution roles, sized from config", () => {
      const t = taskDef().inputs;
      expect(t.networkMode).to.equal("awsvpc");
      expect(t.requiresCompatibilities).to.deep.equal(["EC2"]);
      expect(t.cpu).to.equal(String(cfg().backendCpu));
      expect(t.memory).to.equal(String(cfg().backendMemoryMiB));
      expect(t.placementConstraints).to.deep.equal([{ type: "memberOf", expression: `attribute:${POOL_ATTRIBUTE} == backend` }]);
      expect(resolveId(g, t.taskRoleArn).inputs.name).to.equal(`remote-claude-${stack}-backend-task`);
      expect(resolveId(g, t.executionRoleArn).inputs.name).to.equal(`remote-claude-${stack}-backend-execution`);
      expect(service().inputs.taskDefinition).to.equal(taskDef().state.arn);
    });

    it("hands the backend everything RunTask needs and the data stores' coordinates in its environment", () => {
      const env = envOf(containerNamed(taskDef(), CONTAINERS.backend));
      const workspaceSg = g.one(aws.ec2.SecurityGroup, "sg-workspace");
      // Workspaces run in the workspace tier, in both egress modes.
      const workspaceSubnets = g.ofType(aws.ec2.Subnet).filter((s) => s.inputs.tags.Tier === "workspace").map((s) => s.physicalId);
      expect(env[RUNTASK_ENV.managerType]).to.equal("ecs");
      expect(env[RUNTASK_ENV.cluster]).to.equal(`remote-claude-${stack}`);
      expect(env[RUNTASK_ENV.taskDefinition]).to.equal(`remote-claude-${stack}-workspace`);
      expect(env[RUNTASK_ENV.subnets].split(",")).to.deep.equal(workspaceSubnets);
      expect(env[RUNTASK_ENV.subnets].split(",")).to.deep.equal(g.outputs.workspaceSubnetIds);
      expect(env[RUNTASK_ENV.securityGroups]).to.equal(workspaceSg.physicalId);
      expect(env[RUNTASK_ENV.capacityProvider]).to.equal(`remote-claude-${stack}-workspace`);
      expect(env[BACKEND_ENV.databaseHost]).to.equal(g.one(aws.rds.Instance).state.address);
      expect(env[BACKEND_ENV.redisHost]).to.equal(g.one(aws.elasticache.ReplicationGroup).state.primaryEndpointAddress);
      expect(env[BACKEND_ENV.redisTls]).to.equal("true");
      expect(env[BACKEND_ENV.databaseSslMode]).to.equal("verify-full");
      // Nothing secret sits in the plain environment.
      expect(Object.values(env).join(" ")).not.to.match(/secretsmanager|password/i);
    });

    it("gets the database and Redis credentials as secrets from Secrets Manager", () => {
      const c = containerNamed(taskDef(), CONTAINERS.backend);
      const dbSecret = g.one(aws.rds.Instance).state.masterUserSecrets[0].secretArn;
      const redisSecret = g.one(aws.secretsmanager.Secret, "secrets-redis-auth").state.arn;
      expect(c.secrets).to.deep.equal([
        { name: BACKEND_ENV.databasePassword, valueFrom: `${dbSecret}:password::` },
        { name: BACKEND_ENV.databaseUser, valueFrom: `${dbSecret}:username::` },
        { name: BACKEND_ENV.redisAuthToken, valueFrom: redisSecret },
      ]);
    });

    it("hardens the backend container and logs without blocking", () => {
      const c = containerNamed(taskDef(), CONTAINERS.backend);
      expect(c.portMappings).to.deep.equal([{ name: "http", containerPort: 8000, protocol: "tcp" }]);
      expect(c.readonlyRootFilesystem).to.equal(true);
      expect(c.privileged).to.equal(false);
      expect(c.linuxParameters?.capabilities).to.deep.equal({ drop: ["ALL"], add: [] });
      expect(c.dockerSecurityOptions).to.deep.equal(["no-new-privileges"]);
      expect(c.healthCheck?.command?.join(" ")).to.include("create_connection(('127.0.0.1',8000)").and.include(`GET ${cfg().backendHealthCheckPath} HTTP/1.0`);
      expect(c.logConfiguration).to.deep.equal({
        logDriver: "awslogs",
        options: {
          "awslogs-group": `/remote-claude-${stack}/backend`,
          "awslogs-region": "ap-northeast-1",
          "awslogs-stream-prefix": LOG_STREAM_PREFIX.backend,
          mode: "non-blocking",
          "max-buffer-size": "4m",
        },
      });
    });

    it("scales between min and max on CPU and on ALB requests per task", () => {
      const target = g.one(aws.appautoscaling.Target);
      expect(target.inputs).to.include({ serviceNamespace: "ecs", scalableDimension: "ecs:service:DesiredCount", minCapacity: cfg().backendMinCount, maxCapacity: cfg().backendMaxCount });
      expect(target.inputs.resourceId).to.equal(`service/remote-claude-${stack}/remote-claude-${stack}-backend`);
      const policies = g.ofType(aws.appautoscaling.Policy);
      expect(policies).to.have.length(2);
      for (const p of policies) {
        expect(p.inputs.policyType).to.equal("TargetTrackingScaling");
        expect(p.inputs.resourceId).to.equal(target.inputs.resourceId);
      }
      const cpu = policies.find((p) => p.name === "backend-cpu")!.inputs.targetTrackingScalingPolicyConfiguration;
      expect(cpu.predefinedMetricSpecification).to.deep.equal({ predefinedMetricType: "ECSServiceAverageCPUUtilization" });
      expect(cpu.targetValue).to.equal(cfg().backendCpuTargetPercent);
      const requests = policies.find((p) => p.name === "backend-requests")!.inputs.targetTrackingScalingPolicyConfiguration;
      expect(requests.targetValue).to.equal(cfg().backendRequestsPerTaskTarget);
      const [req, tasks, expr] = requests.customizedMetricSpecification.metrics;
      expect(req.metricStat.metric).to.deep.include({ namespace: "AWS/ApplicationELB", metricName: "RequestCount" });
      expect(req.metricStat.metric.dimensions).to.deep.equal([{ name: "LoadBalancer", value: g.one(aws.lb.LoadBalancer, "alb-alb").state.arnSuffix }]);
      expect(tasks.metricStat.metric).to.deep.include({ namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount" });
      expect(expr).to.include({ expression: "requests / tasks", returnData: true });
    });

    it("puts the internet-facing ALB in the public subnets with a long idle timeout", () => {
      const alb = g.one(aws.lb.LoadBalancer, "alb-alb").inputs;
      expect(alb).to.include({ internal: false, loadBalancerType: "application", idleTimeout: cfg().albIdleTimeoutSeconds, dropInvalidHeaderFields: true });
      expect(alb.subnets.map((id: string) => resolveId(g, id).inputs.tags.Tier)).to.satisfy((tiers: string[]) => tiers.every((t) => t === "public"));
      expect(alb.securityGroups.map((id: string) => resolveId(g, id).inputs.tags.Role)).to.deep.equal(["alb"]);
      expect(cfg().albIdleTimeoutSeconds).to.be.at.least(900);
      expect(alb.enableDeletionProtection).to.equal(stack === "prod");
    });
  });
}

describe("backend ALB listeners", () => {
  it("prod serves HTTPS with its certificate and TLS 1.2+, and redirects HTTP to it", async () => {
    const g = await buildStack("prod");
    // The ALB's listeners (prod also has the egress proxy's NLB listener).
    const listeners = g.ofType(aws.lb.Listener).filter((l) => l.parent?.endsWith("::alb"));
    const https = listeners.find((l) => l.inputs.port === 443)!;
    expect(https.inputs).to.include({ protocol: "HTTPS", sslPolicy: TLS_POLICY, certificateArn: stackConfig("prod").certificateArn });
    const http = listeners.find((l) => l.inputs.port === 80)!;
    expect(http.inputs.defaultActions).to.deep.equal([{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]);
    expect(listeners).to.have.length(2);
    for (const rule of g.ofType(aws.lb.ListenerRule)) expect(resolveId(g, rule.inputs.listenerArn).id, rule.name).to.equal(https.id);
  });

  it("staging with a certificate does the same; without one it serves HTTP on 80 only", async () => {
    const withCert = await buildStack("staging", FULL_STAGING);
    expect(withCert.ofType(aws.lb.Listener).map((l) => [l.inputs.port, l.inputs.protocol]).sort()).to.deep.equal([[443, "HTTPS"], [80, "HTTP"]]);
    expect(withCert.ofType(aws.lb.Listener).find((l) => l.inputs.port === 443)!.inputs.certificateArn).to.equal(STAGING_CERT);
    const plain = await buildStack("staging");
    const [only] = plain.ofType(aws.lb.Listener);
    expect(plain.ofType(aws.lb.Listener)).to.have.length(1);
    expect(only.inputs).to.include({ port: 80, protocol: "HTTP" });
    expect(resolveId(plain, plain.one(aws.lb.ListenerRule).inputs.listenerArn).id).to.equal(only.id);
  });
});

describe("backend deployments", () => {
  it("staging rolls: one target group, a plain forward rule", async () => {
    const g = await buildStack("staging");
    expect(g.one(aws.ecs.Service, "backend-service").inputs.deploymentConfiguration).to.deep.equal({ strategy: "ROLLING" });
    expect(g.one(aws.ecs.Service, "backend-service").inputs.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
    expect(g.ofType(aws.lb.TargetGroup)).to.have.length(1);
    const rule = g.one(aws.lb.ListenerRule);
    expect(rule.inputs.actions).to.deep.equal([{ type: "forward", targetGroupArn: g.one(aws.lb.TargetGroup).state.arn }]);
    expect(rule.options.ignoreChanges).to.deep.equal([]);
    expect(g.one(aws.ecs.Service, "backend-service").inputs.loadBalancers[0].advancedConfiguration).to.equal(undefined);
  });

  it("prod deploys blue/green as AWS documents it: two target groups, production and test rules, alarm rollback, bake time, the infrastructure role; no circuit breaker", async () => {
    const g = await buildStack("prod");
    const s = g.one(aws.ecs.Service, "backend-service").inputs;
    expect(s.deploymentController).to.deep.equal({ type: "ECS" });
    expect(s.deploymentConfiguration).to.deep.equal({ strategy: "BLUE_GREEN", bakeTimeInMinutes: String(BLUE_GREEN_BAKE_MINUTES) });
    expect(s).to.not.have.property("deploymentCircuitBreaker");
    expect(s.alarms).to.deep.equal({ alarmNames: ["remote-claude-prod-backend-5xx"], enable: true, rollback: true });
    const [lb] = s.loadBalancers;
    const blue = resolveId(g, lb.targetGroupArn);
    const green = resolveId(g, lb.advancedConfiguration.alternateTargetGroupArn);
    expect([blue.name, green.name]).to.deep.equal(["alb-blue", "alb-green"]);
    expect(green.inputs.healthCheck).to.deep.equal(blue.inputs.healthCheck);
    const rule = resolveId(g, lb.advancedConfiguration.productionListenerRule);
    const test = resolveId(g, lb.advancedConfiguration.testListenerRule);
    expect([rule.name, test.name]).to.deep.equal(["alb-production", "alb-test"]);
    const weighted = [{ type: "forward", forward: { targetGroups: [{ arn: blue.state.arn, weight: 100 }, { arn: green.state.arn, weight: 0 }] } }];
    expect(rule.inputs.actions).to.deep.equal(weighted);
    expect(test.inputs.actions).to.deep.equal(weighted);
    // Both on the production listener; test traffic (the header) is matched before /*.
    expect(test.inputs.listenerArn).to.equal(rule.inputs.listenerArn);
    expect(test.inputs.priority).to.be.lessThan(rule.inputs.priority);
    expect(test.inputs.conditions).to.deep.equal([{ httpHeader: { httpHeaderName: BLUE_GREEN_TEST_HEADER, values: ["*"] } }]);
    // ECS shifts the weights; Pulumi must not shift them back.
    expect(rule.options.ignoreChanges).to.deep.equal(["actions"]);
    expect(test.options.ignoreChanges).to.deep.equal(["actions"]);

    const role = resolveId(g, lb.advancedConfiguration.roleArn);
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).to.deep.equal({ Service: "ecs.amazonaws.com" });
    const statements = inlineStatements(g, "backend-blue-green");
    expect(statementBySid(statements, "ShiftProductionAndTestTraffic").Resource).to.deep.equal([
      g.ofType(aws.lb.Listener).find((l) => l.inputs.port === 443)!.state.arn,
      rule.state.arn,
      test.state.arn,
    ]);
    expect(statementBySid(statements, "RegisterTasksInBlueAndGreen").Resource).to.deep.equal([blue.state.arn, green.state.arn]);
    expect(statementBySid(statements, "ReadLoadBalancerState").Action.every((a: string) => a.startsWith("elasticloadbalancing:Describe"))).to.equal(true);
    expect(g.outputs.backendTargetGroupArns).to.deep.equal([blue.state.arn, green.state.arn]);
  });
});

// What the service sends, held against ECS's API model (botocore): every deployment setting is a
// member of the API's shapes, the strategy is in its enum, and the model's own documentation says
// the circuit breaker is for rolling updates and a bake time is required with BLUE_GREEN.
describe("backend deployment settings against the ECS API model", () => {
  it("sends only members ECS defines, and combines them as its documentation says", async function () {
    const model = serviceModel(requireBotocore(this), "ecs");
    const shapes = model.shapes;
    const deployment = shapes.DeploymentConfiguration.members;
    expect(docText(deployment.deploymentCircuitBreaker.documentation)).to.match(/circuit breaker can only be used for services using the rolling update \( ?ECS ?\) deployment type/);
    expect(docText(deployment.bakeTimeInMinutes.documentation)).to.match(/must provide this parameter when you use the BLUE_GREEN deployment strategy/);
    for (const stack of STACKS) {
      const s = (await buildStack(stack)).one(aws.ecs.Service, "backend-service").inputs;
      const strategy = s.deploymentConfiguration.strategy;
      expect(shapes.DeploymentStrategy.enum, stack).to.include(strategy);
      for (const key of Object.keys(s.deploymentConfiguration)) expect(deployment, `${stack} deploymentConfiguration.${key}`).to.have.property(key);
      // Pulumi lifts these into the service's own arguments; ECS has them in DeploymentConfiguration.
      expect(deployment).to.have.property("alarms");
      expect(Object.keys(s.alarms).sort()).to.deep.equal(Object.keys(shapes.DeploymentAlarms.members).sort());
      expect(shapes.DeploymentController.members.type && shapes.DeploymentControllerType.enum).to.include(s.deploymentController.type);
      if (strategy === "ROLLING") {
        expect(Object.keys(s.deploymentCircuitBreaker).sort(), stack).to.deep.equal([...shapes.DeploymentCircuitBreaker.required].sort());
      } else {
        expect(s, stack).to.not.have.property("deploymentCircuitBreaker");
        expect(s.deploymentConfiguration.bakeTimeInMinutes, stack).to.match(/^\d+$/);
        for (const lb of s.loadBalancers) {
          for (const key of Object.keys(lb.advancedConfiguration)) expect(shapes.AdvancedConfiguration.members, `${stack} advancedConfiguration.${key}`).to.have.property(key);
          expect(Object.keys(lb.advancedConfiguration).sort()).to.deep.equal(Object.keys(shapes.AdvancedConfiguration.members).sort());
        }
      }
    }
  });
});
