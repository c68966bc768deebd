// ECS service deployment invariants: every service rolls a failed deployment back the way ECS
// documents its strategy. Rolling updates: the deployment circuit breaker with rollback. Blue/green
// (and linear, canary): CloudWatch alarms with rollback, a bake time, the load balancer's alternate
// target group, production rule and infrastructure role; never the circuit breaker, which the ECS
// API documents for rolling updates only (DeploymentConfiguration.deploymentCircuitBreaker).
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { asList } from "./util";

const ECS_SERVICE = "aws:ecs/service:Service";
/** The strategies that shift traffic between two revisions (ECS DeploymentStrategy). */
const TRAFFIC_SHIFTING = ["BLUE_GREEN", "LINEAR", "CANARY"];

export const ecsDeploymentRollbackAsDocumented: ResourceValidationPolicy = {
  name: "ecs-deployment-rollback-as-documented",
  description:
    "ECS services roll back failed deployments as ECS documents the strategy: rolling with the deployment circuit breaker (rollback on); blue/green, linear and canary with deployment alarms (rollback on), a bake time and the load balancer's alternate target group, production rule and role, never the circuit breaker.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== ECS_SERVICE) args.notApplicable("not an ECS service");
    const p = args.props;
    const controller = p.deploymentController?.type ?? "ECS";
    if (controller !== "ECS") args.notApplicable(`deployment controller ${controller}`);
    const strategy = String(p.deploymentConfiguration?.strategy ?? "ROLLING");
    const breaker = p.deploymentCircuitBreaker;
    if (!TRAFFIC_SHIFTING.includes(strategy)) {
      if (!breaker?.enable || !breaker?.rollback) {
        report(`${args.name}: a rolling update needs the deployment circuit breaker with rollback (deploymentCircuitBreaker { enable: true, rollback: true }).`);
      }
      return;
    }
    if (breaker?.enable) {
      report(`${args.name}: ${strategy} with the deployment circuit breaker: ECS documents the circuit breaker for rolling updates only; roll back on the deployment alarms instead.`);
    }
    if (!p.alarms?.enable || !p.alarms?.rollback || asList(p.alarms?.alarmNames).length === 0) {
      report(`${args.name}: ${strategy} needs deployment alarms with rollback (alarms { alarmNames, enable: true, rollback: true }).`);
    }
    if (p.deploymentConfiguration?.bakeTimeInMinutes === undefined) {
      report(`${args.name}: ${strategy} needs a bake time (deploymentConfiguration.bakeTimeInMinutes): blue stays, and the alarms can still roll back, while green takes production traffic.`);
    }
    for (const lb of asList<Record<string, any>>(p.loadBalancers)) {
      const a = lb.advancedConfiguration;
      if (!a?.alternateTargetGroupArn || !a?.productionListenerRule || !a?.roleArn) {
        report(`${args.name}: ${strategy} behind a load balancer needs advancedConfiguration with the alternate target group, the production listener rule and the role ECS shifts traffic with.`);
      }
    }
  },
};
