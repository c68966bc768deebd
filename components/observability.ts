// Alarms to an encrypted SNS topic (optionally mailed), and the stack's dashboard. The alarm list
// is alarmSpecs(): the backend's deployments roll back on some of them and FIS stops on others.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmKey, type AlarmInputs, alarmSpecs } from "../lib/alarmSpecs";
import { dashboardBody } from "./dashboard";

export interface ObservabilityArgs extends AlarmInputs<pulumi.Input<string>> {
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Address subscribed to the alarm topic (config alarmEmail); none: no subscription. */
  readonly alarmEmail?: string;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export class Observability extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly alarms: Readonly<Record<AlarmKey, aws.cloudwatch.MetricAlarm>>;
  readonly alarmNames: readonly string[];
  readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:observability:Observability", name, {}, opts);
    const parent = { parent: this };

    this.topic = new aws.sns.Topic(`${name}-alarms`, {
      name: `${args.prefix}-alarms`,
      displayName: `${args.prefix} alarms`,
      kmsMasterKeyId: args.kmsKeyArn,
      tags: args.tags,
    }, parent);
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: this.topic.arn, protocol: "email", endpoint: args.alarmEmail }, parent);
    }

    const specs = alarmSpecs(args);
    const alarms = {} as Record<AlarmKey, aws.cloudwatch.MetricAlarm>;
    for (const spec of specs) {
      const queries = Object.entries(spec.metrics).map(([id, m]) => ({
        id,
        returnData: spec.expression === undefined,
        metric: {
          namespace: m.namespace,
          metricName: m.metricName,
          dimensions: m.dimensions,
          stat: m.stat,
          period: spec.periodSeconds,
        },
      }));
      if (spec.expression) queries.push({ id: "e1", expression: spec.expression, label: spec.key, returnData: true } as never);
      alarms[spec.key] = new aws.cloudwatch.MetricAlarm(`${name}-${spec.key}`, {
        name: spec.name,
        alarmDescription: spec.description,
        metricQueries: queries,
        comparisonOperator: spec.comparison,
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        treatMissingData: spec.treatMissingData,
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
        tags: args.tags,
      }, parent);
    }
    this.alarms = alarms;
    this.alarmNames = specs.map((s) => s.name);

    const egress = args.egressProxy;
    const body = pulumi
      .all([args.albArnSuffix, pulumi.all([...args.targetGroupArnSuffixes]), egress?.loadBalancerArnSuffix, egress?.targetGroupArnSuffix])
      .apply(([albArnSuffix, targetGroupArnSuffixes, egressLb, egressTg]) => dashboardBody({
        region: args.region,
        accountId: args.accountId,
        alarms: alarmSpecs({
          ...args,
          albArnSuffix,
          targetGroupArnSuffixes,
          // Egress proxy: its alarms are drawn like the others.
          egressProxy: egress ? { ...egress, loadBalancerArnSuffix: egressLb as string, targetGroupArnSuffix: egressTg as string } : undefined,
        }),
        albArnSuffix,
        clusterName: args.clusterName,
        serviceName: args.serviceName,
      }));
    this.dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: args.prefix, dashboardBody: body }, parent);

    this.registerOutputs({ topicArn: this.topic.arn, alarmNames: this.alarmNames, dashboardName: this.dashboard.dashboardName });
  }
}
