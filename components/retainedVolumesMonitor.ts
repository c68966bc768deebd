// Keeps retained workspace volumes from turning into an unnoticed bill: a scheduled Lambda
// (lambda/retainedVolumes.ts) publishes how many of this stack's workspace volumes are detached and
// how many GiB they hold, and one alarm fires to the alarm topic when either passes its threshold,
// or when the monitor stops reporting (a monitor that is down would hide the bill as well).
//
// The alarm is not one of the stack's health alarms (output alarmNames): the drills require those
// to be OK before they inject anything, and a storage bill is no reason to refuse a failure drill.
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { ENV } from "../lambda/retainedVolumes";
import { type PolicyDocument, policyJson, serviceTrustPolicy } from "../lib/iam";
import { VOLUME_TAGS } from "../lib/launchContract";
import { RETAINED_VOLUMES } from "../lib/metrics";

const MONITOR_SOURCE = path.resolve(__dirname, "../lambda/retainedVolumes.ts");
const MONITOR_SCHEDULE = "rate(15 minutes)";
/** The alarm looks at hourly maxima: four reports per hour, so one late run is not an outage. */
const MONITOR_ALARM_PERIOD_SECONDS = 3600;

/** The handler as the CommonJS file the Lambda runtime loads (index.js, export `handler`). */
export function monitorCode(source = fs.readFileSync(MONITOR_SOURCE, "utf8")): string {
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    reportDiagnostics: true,
    fileName: "retainedVolumes.ts",
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(`lambda/retainedVolumes.ts does not transpile: ${errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; ")}`);
  return `// Generated from lambda/retainedVolumes.ts by components/retainedVolumesMonitor.ts.\n${out.outputText}`;
}

export interface RetainedVolumesMonitorArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** The stack name (staging, prod). */
  readonly stack: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** CloudWatch namespace of the platform's own metrics. */
  readonly metricsNamespace: string;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The platform key: it encrypts the function's log group (its policy covers /<prefix>/*). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** SNS topic its alarms notify. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Alarm when more retained volumes than this (config retainedVolumesAlarmCount). */
  readonly countThreshold: number;
  /** Alarm when they hold more GiB than this (config retainedVolumesAlarmGiB). */
  readonly gibThreshold: number;
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

interface RetainedVolumesAlarm {
  readonly name: string;
  readonly description: string;
  /** Metric math: 1 when either threshold is passed; no data (the monitor is down) is missing data. */
  readonly expression: string;
}

function retainedVolumesAlarm(prefix: string, countThreshold: number, gibThreshold: number): RetainedVolumesAlarm {
  return {
    name: `${prefix}-retained-workspace-volumes`,
    description: `More than ${countThreshold} detached workspace volumes or more than ${gibThreshold} GiB of them are kept ` +
      `(${RETAINED_VOLUMES.countMetric}, ${RETAINED_VOLUMES.sizeMetric}), or the retained-volumes monitor has not reported for an hour. ` +
      "List them with `ops volumes list`; snapshot and delete old ones with `ops volumes prune --older-than D`.",
    expression: `IF(count > ${countThreshold} OR gib > ${gibThreshold}, 1, 0)`,
  };
}

/** What the function may do: read volumes, stamp this stack's with the retained-since tag, publish two metrics, log. */
function monitorRolePolicy(args: { region: string; accountId: string; stack: string; metricsNamespace: string; logGroupArn: pulumi.Input<string> }): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // DescribeVolumes has no resource-level permissions.
        Sid: "ReadVolumes",
        Effect: "Allow",
        Action: "ec2:DescribeVolumes",
        Resource: "*",
      },
      {
        Sid: "StampThisStacksVolumesOnly",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: `arn:aws:ec2:${args.region}:${args.accountId}:volume/*`,
        Condition: {
          StringEquals: { [`aws:ResourceTag/${VOLUME_TAGS.stack}`]: args.stack },
          "ForAllValues:StringEquals": { "aws:TagKeys": [VOLUME_TAGS.retainedSince] },
        },
      },
      {
        // PutMetricData has no resource-level permissions; the namespace condition bounds it.
        Sid: "PublishRetainedVolumeMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": args.metricsNamespace } },
      },
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: pulumi.output(args.logGroupArn).apply((arn) => `${arn}:log-stream:*`),
      },
    ],
  };
}

export class RetainedVolumesMonitor extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly alarm: aws.cloudwatch.MetricAlarm;
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: RetainedVolumesMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:storage:RetainedVolumesMonitor", name, {}, opts);
    const parent = { parent: this };
    const functionName = `${args.prefix}-retained-volumes`;

    this.logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
      name: `/${args.prefix}/retained-volumes`,
      retentionInDays: args.logRetentionDays,
      kmsKeyId: args.kmsKeyArn,
      tags: { ...args.tags, Name: `/${args.prefix}/retained-volumes` },
    }, parent);

    const role = new aws.iam.Role(`${name}-role`, {
      name: functionName,
      description: "The retained-volumes monitor: count this stack's detached workspace volumes, publish two metrics",
      assumeRolePolicy: policyJson(serviceTrustPolicy("lambda.amazonaws.com", args.accountId)),
      tags: args.tags,
    }, parent);
    const rolePolicy = new aws.iam.RolePolicy(`${name}-role`, {
      role: role.id,
      name: "retained-volumes",
      policy: policyJson(monitorRolePolicy({ ...args, logGroupArn: this.logGroup.arn })),
    }, parent);

    this.function = new aws.lambda.Function(`${name}-function`, {
      name: functionName,
      description: "Counts this stack's retained workspace volumes every 15 minutes (lambda/retainedVolumes.ts)",
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: ["arm64"],
      handler: "index.handler",
      code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(monitorCode()) }),
      role: role.arn,
      memorySize: 256,
      timeout: 120,
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      environment: {
        variables: {
          [ENV.stackTagKey]: VOLUME_TAGS.stack,
          [ENV.stack]: args.stack,
          [ENV.retainedSinceTagKey]: VOLUME_TAGS.retainedSince,
          [ENV.namespace]: args.metricsNamespace,
          [ENV.countMetric]: RETAINED_VOLUMES.countMetric,
          [ENV.sizeMetric]: RETAINED_VOLUMES.sizeMetric,
          [ENV.dimension]: RETAINED_VOLUMES.dimension,
        },
      },
      tags: args.tags,
    }, { parent: this, dependsOn: [rolePolicy, this.logGroup] });

    const schedule = new aws.cloudwatch.EventRule(`${name}-schedule`, {
      name: functionName,
      description: "Runs the retained-volumes monitor",
      scheduleExpression: MONITOR_SCHEDULE,
      tags: args.tags,
    }, parent);
    new aws.cloudwatch.EventTarget(`${name}-target`, { rule: schedule.name, arn: this.function.arn }, parent);
    new aws.lambda.Permission(`${name}-invoke`, {
      action: "lambda:InvokeFunction",
      function: this.function.name,
      principal: "events.amazonaws.com",
      sourceArn: schedule.arn,
      sourceAccount: args.accountId,
    }, parent);

    const spec = retainedVolumesAlarm(args.prefix, args.countThreshold, args.gibThreshold);
    const metric = (metricName: string) => ({
      namespace: args.metricsNamespace,
      metricName,
      dimensions: { [RETAINED_VOLUMES.dimension]: args.stack },
      stat: "Maximum",
      period: MONITOR_ALARM_PERIOD_SECONDS,
    });
    this.alarm = new aws.cloudwatch.MetricAlarm(`${name}-alarm`, {
      name: spec.name,
      alarmDescription: spec.description,
      metricQueries: [
        { id: "count", returnData: false, metric: metric(RETAINED_VOLUMES.countMetric) },
        { id: "gib", returnData: false, metric: metric(RETAINED_VOLUMES.sizeMetric) },
        { id: "e1", expression: spec.expression, label: "retained volumes over a threshold", returnData: true },
      ],
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No data means the monitor is not running: the bill would go unnoticed, so that alarms too.
      treatMissingData: "breaching",
      alarmActions: [args.alarmTopicArn],
      okActions: [args.alarmTopicArn],
      tags: args.tags,
    }, parent);

    this.registerOutputs({ functionName: this.function.name, alarmName: this.alarm.name });
  }
}
