// The steady state every failure drill starts from and waits to get back to: each service at its
// desired count with one deployment, every target of the backend target group healthy (and at
// least as many as the service wants), and none of the stack's alarms in ALARM.
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { chunk } from "../concurrency";
import type { OpsContext } from "../context";

export interface SteadyTargets {
  readonly cluster: string;
  readonly services: readonly string[];
  readonly targetGroupArns: readonly string[];
  readonly alarmNames: readonly string[];
}

interface ServiceState {
  readonly name: string;
  readonly desired: number;
  readonly running: number;
  readonly pending: number;
  readonly deployments: number;
}

interface SteadyState {
  readonly ok: boolean;
  readonly problems: string[];
  readonly services: ServiceState[];
  readonly healthyTargets: number;
  readonly targets: number;
  readonly alarmsInAlarm: string[];
}

const MAX_ALARM_NAMES = 100;

export async function checkSteadyState(ctx: OpsContext, t: SteadyTargets): Promise<SteadyState> {
  const problems: string[] = [];
  const services: ServiceState[] = [];
  if (t.services.length > 0) {
    const response = await ctx.api.call("DescribeServices", () => ctx.aws.ecs.send(new DescribeServicesCommand({ cluster: t.cluster, services: [...t.services] })));
    for (const f of response.failures ?? []) problems.push(`service ${f.arn}: ${f.reason}`);
    for (const s of response.services ?? []) {
      const state: ServiceState = {
        name: s.serviceName ?? "",
        desired: s.desiredCount ?? 0,
        running: s.runningCount ?? 0,
        pending: s.pendingCount ?? 0,
        deployments: s.deployments?.length ?? 0,
      };
      services.push(state);
      if (s.status !== "ACTIVE") problems.push(`service ${state.name} is ${s.status}`);
      if (state.running !== state.desired || state.pending > 0) problems.push(`service ${state.name} runs ${state.running}/${state.desired} (${state.pending} pending)`);
      if (state.deployments > 1) problems.push(`service ${state.name} has ${state.deployments} deployments in progress`);
    }
  }
  let healthy = 0;
  let targets = 0;
  for (const arn of t.targetGroupArns) {
    const response = await ctx.api.call("DescribeTargetHealth", () => ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })));
    const descriptions = response.TargetHealthDescriptions ?? [];
    targets += descriptions.length;
    const good = descriptions.filter((d) => d.TargetHealth?.State === "healthy").length;
    healthy += good;
    const bad = descriptions.filter((d) => d.TargetHealth?.State !== "healthy").map((d) => `${d.Target?.Id}:${d.TargetHealth?.State}`);
    if (bad.length > 0) problems.push(`targets not healthy: ${bad.join(", ")}`);
  }
  const wanted = services.reduce((n, s) => n + s.desired, 0);
  if (t.targetGroupArns.length > 0 && healthy < wanted) problems.push(`${healthy} healthy targets for ${wanted} desired tasks`);
  const alarmsInAlarm = await alarmsFiring(ctx, t.alarmNames);
  if (alarmsInAlarm.length > 0) problems.push(`alarms in ALARM: ${alarmsInAlarm.join(", ")}`);
  return { ok: problems.length === 0, problems, services, healthyTargets: healthy, targets, alarmsInAlarm };
}

async function alarmsFiring(ctx: OpsContext, names: readonly string[]): Promise<string[]> {
  const firing: string[] = [];
  for (const batch of chunk(names, MAX_ALARM_NAMES)) {
    const response = await ctx.api.call("DescribeAlarms", () => ctx.aws.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: batch, StateValue: "ALARM", MaxRecords: 100 })));
    for (const a of [...(response.MetricAlarms ?? []), ...(response.CompositeAlarms ?? [])]) if (a.AlarmName) firing.push(a.AlarmName);
  }
  return firing.sort();
}
