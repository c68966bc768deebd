import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { type AlarmKey, alarmSpecs, IMPACT_ALARMS } from "../lib/alarmSpecs";
import { matchesSpaceDelimited, NON_PUBLIC_DESTINATION_PATTERN } from "../lib/egressProxyDecisionLog";
import { WORKSPACE_LAUNCH_FAILURES, workspaceLaunchFailureDatum } from "../lib/metrics";
import type { StackGraph } from "../offline/graph";
import { FULL_STAGING } from "./helpers/services";
import { STAGING_EGRESS_PROXY } from "./helpers/egress";
import { SQUID_LINES } from "./ops/helpers/egress";
import { buildStack, stackConfig, STACKS } from "./helpers/stacks";

const KEYS: AlarmKey[] = [
  "backend-5xx",
  "backend-unhealthy-targets",
  "backend-running-below-desired",
  "cluster-cpu-reservation",
  "cluster-memory-reservation",
  "workspace-launch-failures",
  "rds-cpu",
  "rds-free-storage",
  "redis-engine-cpu",
  "redis-memory",
];
/** egressMode proxy (prod) adds the egress proxy's alarms. */
const EGRESS_KEYS: AlarmKey[] = ["egress-proxy-running-below-desired", "egress-proxy-unhealthy-targets", "egress-proxy-denied-requests", "egress-proxy-non-public-destinations"];
const keysOf = (stack: string) => (stack === "prod" ? [...KEYS, ...EGRESS_KEYS] : KEYS);

for (const stack of STACKS) {
  describe(`observability (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });
    const alarm = (key: AlarmKey) => g.one(aws.cloudwatch.MetricAlarm, `observability-${key}`);
    const metricsOf = (key: AlarmKey) => alarm(key).inputs.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric);
    const expressionOf = (key: AlarmKey) => alarm(key).inputs.metricQueries.find((q: any) => q.expression)?.expression;

    it("has the alarms the drills and the on-call read, each notifying the encrypted topic", () => {
      const topic = g.one(aws.sns.Topic);
      expect(topic.inputs.kmsMasterKeyId).to.equal(g.one(aws.kms.Key, "kms-key").state.arn);
      // The retained-volumes alarm belongs to its monitor and is no health alarm: test/storage.test.ts.
      const alarms = g.ofType(aws.cloudwatch.MetricAlarm).filter((a) => a.name.startsWith("observability-"));
      expect(alarms.map((a) => a.inputs.name).sort()).to.deep.equal(keysOf(stack).map((k) => `remote-claude-${stack}-${k}`).sort());
      for (const a of alarms) {
        expect(a.inputs.alarmActions, a.name).to.deep.equal([topic.state.arn]);
        expect(a.inputs.okActions).to.deep.equal([topic.state.arn]);
        expect(a.inputs.metricQueries.filter((q: any) => q.returnData)).to.have.length(1);
      }
      expect(g.outputs.alarmNames).to.deep.equal(keysOf(stack).map((k) => `remote-claude-${stack}-${k}`));
      expect(g.outputs.alarmTopicArn).to.equal(topic.state.arn);
      expect(g.ofType(aws.sns.TopicSubscription)).to.have.length(0);
    });

    it("watches the backend: 5xx of ALB and targets, unhealthy targets in every target group, running below desired", () => {
      const lb = g.one(aws.lb.LoadBalancer, "alb-alb").state.arnSuffix;
      expect(metricsOf("backend-5xx").map((m: any) => m.metricName)).to.deep.equal(["HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"]);
      expect(metricsOf("backend-5xx").every((m: any) => m.dimensions.LoadBalancer === lb)).to.equal(true);
      expect(expressionOf("backend-5xx")).to.equal("FILL(target, 0) + FILL(elb, 0)");
      expect(alarm("backend-5xx").inputs.threshold).to.equal(stackConfig(stack).backend5xxThreshold);
      const tgs = g.ofType(aws.lb.TargetGroup).filter((t) => t.parent?.endsWith("::alb")).map((t) => t.state.arnSuffix);
      expect(tgs).to.have.length(stack === "prod" ? 2 : 1);
      expect(metricsOf("backend-unhealthy-targets").map((m: any) => m.dimensions.TargetGroup)).to.deep.equal(tgs);
      expect(metricsOf("backend-running-below-desired").map((m: any) => [m.namespace, m.metricName, m.dimensions])).to.deep.equal([
        ["ECS/ContainerInsights", "DesiredTaskCount", { ClusterName: `remote-claude-${stack}`, ServiceName: `remote-claude-${stack}-backend` }],
        ["ECS/ContainerInsights", "RunningTaskCount", { ClusterName: `remote-claude-${stack}`, ServiceName: `remote-claude-${stack}-backend` }],
      ]);
      expect(expressionOf("backend-running-below-desired")).to.equal("desired - running");
      expect(alarm("backend-running-below-desired").inputs).to.include({ comparisonOperator: "GreaterThanThreshold", threshold: 0 });
    });

    it("watches capacity and workspace launches in the platform's own metric", () => {
      expect(metricsOf("cluster-cpu-reservation")[0]).to.deep.include({ namespace: "AWS/ECS", metricName: "CPUReservation", dimensions: { ClusterName: `remote-claude-${stack}` } });
      expect(metricsOf("cluster-memory-reservation")[0]).to.deep.include({ namespace: "AWS/ECS", metricName: "MemoryReservation" });
      expect(metricsOf("workspace-launch-failures")[0]).to.deep.include({
        namespace: "RemoteClaude",
        metricName: WORKSPACE_LAUNCH_FAILURES.metricName,
        dimensions: { ClusterName: `remote-claude-${stack}` },
        stat: "Sum",
      });
      expect(g.outputs.metricsNamespace).to.equal("RemoteClaude");
    });

    it("watches the data stores by their real identifiers", () => {
      expect(metricsOf("rds-cpu")[0].dimensions).to.deep.equal({ DBInstanceIdentifier: g.one(aws.rds.Instance).state.identifier });
      const free = alarm("rds-free-storage").inputs;
      expect(free.comparisonOperator).to.equal("LessThanThreshold");
      expect(free.threshold).to.equal(Math.round(stackConfig(stack).dbAllocatedStorageGiB * 0.1 * 1024 ** 3));
      const members = stack === "prod" ? ["remote-claude-prod-redis-001", "remote-claude-prod-redis-002"] : ["remote-claude-staging-redis-001"];
      expect(metricsOf("redis-memory").map((m: any) => m.dimensions.CacheClusterId)).to.deep.equal(members);
      expect(expressionOf("redis-engine-cpu")).to.equal(stack === "prod" ? "MAX([m1, m2])" : undefined);
      expect(g.one(aws.elasticache.ReplicationGroup).state.memberClusters.slice(0, members.length)).to.deep.equal(members);
    });

    it("draws every alarm on the dashboard", () => {
      const dashboard = g.one(aws.cloudwatch.Dashboard);
      expect(dashboard.inputs.dashboardName).to.equal(`remote-claude-${stack}`);
      const body = JSON.parse(dashboard.inputs.dashboardBody);
      const alarmWidget = body.widgets.find((w: any) => w.type === "alarm");
      expect(alarmWidget.properties.alarms).to.deep.equal(keysOf(stack).map((k) => alarm(k).state.arn));
      const titles = body.widgets.filter((w: any) => w.type === "metric").map((w: any) => w.properties.title);
      expect(titles).to.include.members(keysOf(stack));
      const fiveXx = body.widgets.find((w: any) => w.properties.title === "backend-5xx");
      expect(fiveXx.properties.metrics[0]).to.deep.equal(["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", g.one(aws.lb.LoadBalancer, "alb-alb").state.arnSuffix, { stat: "Sum", id: "target", visible: false }]);
      expect(g.outputs.dashboardName).to.equal(`remote-claude-${stack}`);
    });

    it("encrypts every log group with the platform key, which Pulumi creates first, under the prefix its policy names", () => {
      const key = g.one(aws.kms.Key, "kms-key");
      const groups = g.ofType(aws.cloudwatch.LogGroup);
      expect(groups.map((l) => l.inputs.name)).to.include.members(["backend", "workspace", "vpc-flow-logs", "dns-queries", "ami-builds"].map((n) => `/remote-claude-${stack}/${n}`));
      for (const group of groups) {
        expect(group.inputs.kmsKeyId, group.inputs.name).to.equal(key.state.arn);
        // An input taken from the key: the key exists before the group (flow logs come early).
        expect(group.propertyDependencies.kmsKeyId, group.inputs.name).to.deep.equal([key.id]);
        expect(group.inputs.name).to.match(new RegExp(`^/remote-claude-${stack}/`));
        expect(group.inputs.retentionInDays).to.equal(stackConfig(stack).logRetentionDays);
      }
    });
  });
}

describe("egress proxy alarms (egressMode proxy)", () => {
  let g: StackGraph;
  before(async () => {
    g = await buildStack("prod");
  });
  const alarm = (key: AlarmKey) => g.one(aws.cloudwatch.MetricAlarm, `observability-${key}`);
  const metricsOf = (key: AlarmKey) => alarm(key).inputs.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric);

  it("watches the egress proxy service's running count and its NLB targets' health by their real identifiers", () => {
    expect(metricsOf("egress-proxy-running-below-desired").map((m: any) => [m.metricName, m.dimensions])).to.deep.equal([
      ["DesiredTaskCount", { ClusterName: "remote-claude-prod", ServiceName: "remote-claude-prod-egress-proxy" }],
      ["RunningTaskCount", { ClusterName: "remote-claude-prod", ServiceName: "remote-claude-prod-egress-proxy" }],
    ]);
    expect(g.one(aws.ecs.Service, "egress-proxy-service").inputs.name).to.equal("remote-claude-prod-egress-proxy");
    const [unhealthy] = metricsOf("egress-proxy-unhealthy-targets");
    expect(unhealthy).to.deep.include({ namespace: "AWS/NetworkELB", metricName: "UnHealthyHostCount", stat: "Maximum" });
    expect(unhealthy.dimensions).to.deep.equal({
      TargetGroup: g.one(aws.lb.TargetGroup, "egress-proxy-lb-targets").state.arnSuffix,
      LoadBalancer: g.one(aws.lb.LoadBalancer, "egress-proxy-lb-nlb").state.arnSuffix,
    });
    expect(unhealthy.dimensions.LoadBalancer).to.match(/^net\//);
  });

  it("counts denied requests from the metric filter on the egress proxy's decision log", () => {
    const [denied] = metricsOf("egress-proxy-denied-requests");
    const filter = g.one(aws.cloudwatch.LogMetricFilter, "egress-proxy-denied");
    expect(denied).to.deep.include({ namespace: filter.inputs.metricTransformation.namespace, metricName: filter.inputs.metricTransformation.name, stat: "Sum" });
    expect(alarm("egress-proxy-denied-requests").inputs).to.include({ threshold: stackConfig("prod").egressDeniedThreshold, comparisonOperator: "GreaterThanOrEqualToThreshold" });
    expect(g.outputs.egressProxy.metricsNamespace).to.equal(denied.namespace);
  });

  it("alarms on a single refused non-public destination, counted by the metric filter on the decision log, to the topic", () => {
    const a = alarm("egress-proxy-non-public-destinations");
    const [m] = metricsOf("egress-proxy-non-public-destinations");
    const filter = g.one(aws.cloudwatch.LogMetricFilter, "egress-proxy-non-public-destinations");
    expect(filter.inputs.pattern).to.equal(NON_PUBLIC_DESTINATION_PATTERN);
    expect(m).to.deep.equal({ namespace: filter.inputs.metricTransformation.namespace, metricName: filter.inputs.metricTransformation.name, dimensions: {}, stat: "Sum", period: 300 });
    expect(a.inputs).to.include({ threshold: 1, comparisonOperator: "GreaterThanOrEqualToThreshold", evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: "notBreaching" });
    expect(a.inputs.alarmActions).to.deep.equal([g.one(aws.sns.Topic).state.arn]);
    // A refusal as the real Squid logs it (test/fixtures/egress, held to the real Squid by
    // test/egressProxy.squid.test.ts) matches the filter, and each match counts the filter's value:
    // one refusal alone reaches the threshold.
    expect(SQUID_LINES.filter((l) => matchesSpaceDelimited(NON_PUBLIC_DESTINATION_PATTERN, l))).to.have.length.greaterThan(0);
    expect(Number(filter.inputs.metricTransformation.value)).to.be.at.least(a.inputs.threshold);
    // Not an FIS stop condition: a refusal hurts no user (the stop conditions stay within FIS's 5).
    expect(IMPACT_ALARMS).to.not.include("egress-proxy-non-public-destinations");
    for (const t of g.ofType(aws.fis.ExperimentTemplate)) {
      expect(t.inputs.stopConditions.map((s: any) => s.value), t.name).to.not.include(a.state.arn);
      expect(t.inputs.stopConditions, t.name).to.have.length.at.most(5);
    }
  });

  it("exists only in proxy mode", async () => {
    const staging = await buildStack("staging");
    expect(staging.ofType(aws.cloudwatch.MetricAlarm).map((a) => a.name).filter((n) => n.includes("egress"))).to.deep.equal([]);
    const proxied = await buildStack("staging", STAGING_EGRESS_PROXY);
    expect(proxied.outputs.alarmNames.filter((n: string) => n.includes("egress"))).to.deep.equal(EGRESS_KEYS.map((k) => `remote-claude-staging-${k}`));
  });
});

describe("alarm e-mail and the launch-failure metric contract", () => {
  it("subscribes the configured address to the topic", async () => {
    const g = await buildStack("staging", FULL_STAGING);
    const sub = g.one(aws.sns.TopicSubscription);
    expect(sub.inputs).to.deep.equal({ topic: g.one(aws.sns.Topic).state.arn, protocol: "email", endpoint: "oncall@example.com" });
  });

  it("publishes exactly what the alarm reads", () => {
    const at = new Date("2026-11-01T00:00:00Z");
    expect(workspaceLaunchFailureDatum("remote-claude-prod", 3, at)).to.deep.equal({
      MetricName: "WorkspaceLaunchFailures",
      Unit: "Count",
      Dimensions: [{ Name: "ClusterName", Value: "remote-claude-prod" }],
      Value: 3,
      Timestamp: at,
    });
    expect(() => workspaceLaunchFailureDatum("c", 0)).to.throw(RangeError);
    const [spec] = alarmSpecs({
      prefix: "p",
      clusterName: "remote-claude-prod",
      serviceName: "s",
      albArnSuffix: "app/x/1",
      targetGroupArnSuffixes: ["targetgroup/x/1"],
      dbIdentifier: "db",
      dbAllocatedStorageGiB: 20,
      redisMemberIds: ["r-001"],
      metricsNamespace: "RemoteClaude",
      backend5xxThreshold: 10,
      workspaceLaunchFailureThreshold: 5,
    }).filter((s) => s.key === "workspace-launch-failures");
    const datum = workspaceLaunchFailureDatum("remote-claude-prod", 1);
    expect(spec.metrics.m.metricName).to.equal(datum.MetricName);
    expect(spec.metrics.m.dimensions).to.deep.equal(Object.fromEntries(datum.Dimensions!.map((d) => [d.Name, d.Value])));
  });
});
