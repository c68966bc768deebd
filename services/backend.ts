// The backend ECS service: FastAPI tasks on the backend host pool behind the ALB, which start,
// watch and stop workspace tasks through ECS. Its task role is the only role in the platform that
// can call RunTask, which is why it never shares a host with a workspace (placement + pools).
import * as aws from "@pulumi/aws";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import * as pulumi from "@pulumi/pulumi";
import { policyJson, serviceTrustPolicy } from "../lib/iam";
import { launchContractEnvironment, VOLUME_TAGS, type WorkspaceVolumeSettings } from "../lib/launchContract";
import { CONTAINERS, LOG_STREAM_PREFIX } from "../lib/names";
import { backendTaskRolePolicy, blueGreenInfrastructurePolicy, ECS_TASKS_SERVICE } from "../lib/workloadIam";
import { executionRole, poolServicePlacement, taskLogGroup } from "./taskResources";
import type { BackendLoadBalancer } from "./loadBalancer";
import { poolPlacementConstraint } from "../lib/placement";
import { awslogs, lockedDown } from "../lib/containerBasics";
import { httpHealthCommand } from "../lib/workspaceContainers";

export const BACKEND_PORT = 8000;
/** Environment variables the backend reads its data stores' coordinates from. */
export const BACKEND_ENV = {
  databaseHost: "DATABASE_HOST",
  databasePort: "DATABASE_PORT",
  databaseName: "DATABASE_NAME",
  databaseUser: "DATABASE_USER",
  databasePassword: "DATABASE_PASSWORD",
  databaseSslMode: "DATABASE_SSLMODE",
  redisHost: "REDIS_HOST",
  redisPort: "REDIS_PORT",
  redisTls: "REDIS_TLS",
  redisAuthToken: "REDIS_AUTH_TOKEN",
  metricsNamespace: "METRICS_NAMESPACE",
  region: "AWS_REGION",
} as const;
/**
 * Minutes a blue/green deployment keeps blue after green takes production traffic: the deployment
 * alarms can still roll back to blue within it (ECS requires a bake time with BLUE_GREEN).
 */
export const BLUE_GREEN_BAKE_MINUTES = 10;

export interface BackendServiceArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** Image URI the task runs. */
  readonly image: pulumi.Input<string>;
  /** ECR repository of its image: the execution role may pull from it only. */
  readonly repositoryArn: pulumi.Input<string>;
  /** Task CPU units (1024 = one vCPU). */
  readonly cpu: number;
  /** Task memory, MiB. */
  readonly memoryMiB: number;
  /** Path the ALB and the container health check request (config backendHealthCheckPath). */
  readonly healthCheckPath: string;
  /** Seconds ECS ignores failing health checks after a start (config backendHealthCheckGraceSeconds). */
  readonly healthCheckGracePeriodSeconds: number;
  /** Tasks the service keeps running. */
  readonly desiredCount: number;
  /** Fewest tasks autoscaling keeps (config backendMinCount). */
  readonly minCount: number;
  /** Most tasks autoscaling runs (config backendMaxCount). */
  readonly maxCount: number;
  /** Target tracking on average CPU, percent (config backendCpuTargetPercent). */
  readonly cpuTargetPercent: number;
  /** Target tracking on ALB requests per task (config backendRequestsPerTaskTarget). */
  readonly requestsPerTaskTarget: number;
  /** Rolling or blue/green deployments (config backendDeploymentStrategy). */
  readonly strategy: "rolling" | "blueGreen";
  /** Task definition family. */
  readonly family: string;
  /** Physical name of the ECS service (lib/names.ts). */
  readonly serviceName: string;
  /** Capacity provider of the host pool the tasks run on. */
  readonly capacityProvider: string;
  /** The ECS cluster's name. */
  readonly clusterName: string;
  /** The ECS cluster's ARN. */
  readonly clusterArn: pulumi.Input<string>;
  /** The private subnets the tasks run in. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The security group of the component's role (lib/flows.ts). */
  readonly securityGroupId: pulumi.Input<string>;
  /** Name of the CloudWatch log group of its containers. */
  readonly logGroupName: string;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The ALB and its target groups the service registers with. */
  readonly loadBalancer: BackendLoadBalancer;
  /** What RunTask needs, handed to the backend in its environment (RUNTASK_ENV). */
  readonly workspace: {
    /** Task definition family. */
    readonly family: string;
    readonly executionRoleArn: pulumi.Input<string>;
    readonly subnetIds: pulumi.Input<string>[];
    /** The security group of the component's role (lib/flows.ts). */
    readonly securityGroupId: pulumi.Input<string>;
    /** Capacity provider of the host pool the tasks run on. */
    readonly capacityProvider: string;
    /** Workspace storage: the volume every RunTask configures; the key and role ARNs resolve at deploy time. */
    readonly volume: Omit<WorkspaceVolumeSettings, "kmsKeyArn" | "infrastructureRoleArn"> & {
      /** The KMS key that encrypts what the component stores and logs. */
      readonly kmsKeyArn: pulumi.Input<string>;
      readonly infrastructureRoleArn: pulumi.Input<string>;
    };
  };
  /** Where the backend finds PostgreSQL, and the secret with its master credentials. */
  readonly database: { readonly host: pulumi.Input<string>; readonly port: number; readonly name: string; readonly masterSecretArn: pulumi.Input<string> };
  /** Where the backend finds Redis, and the secret with its AUTH token. */
  readonly redis: { readonly host: pulumi.Input<string>; readonly port: number; readonly authSecretArn: pulumi.Input<string> };
  /** CloudWatch namespace of the platform's own metrics. */
  readonly metricsNamespace: string;
  /** Alarms that fail (and roll back) a deployment when they fire during it. */
  readonly deploymentAlarmNames: pulumi.Input<string>[];
  /**
   * The capacity providers must be attached to the cluster before the service can use them
   * (aws.ecs.ClusterCapacityProviders of the host pools): the service depends on these.
   */
  readonly capacityReady?: pulumi.Resource[];
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

interface BackendContainerSettings {
  readonly image: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly healthCheckPath: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Environment variable → Secrets Manager reference (ARN, or ARN:json-key::). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly logGroup: string;
  readonly region: string;
}

/** The backend container: port 8000, no capabilities, read-only root with a tmpfs /tmp. */
function backendContainer(s: BackendContainerSettings): ContainerDefinition {
  return {
    name: CONTAINERS.backend,
    image: s.image,
    essential: true,
    cpu: s.cpu,
    memory: s.memoryMiB,
    portMappings: [{ name: "http", containerPort: BACKEND_PORT, protocol: "tcp" }],
    environment: Object.entries(s.environment).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
    secrets: Object.entries(s.secrets).sort(([a], [b]) => a.localeCompare(b)).map(([name, valueFrom]) => ({ name, valueFrom })),
    ...lockedDown({ sizeMiB: 256, exec: false }),
    ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
    healthCheck: { command: httpHealthCommand(BACKEND_PORT, s.healthCheckPath), interval: 15, timeout: 5, retries: 3, startPeriod: 30 },
    // Long streams get time to finish when a task is replaced (the ALB drains for longer).
    stopTimeout: 120,
    logConfiguration: awslogs(s, LOG_STREAM_PREFIX.backend),
  };
}

/**
 * How a deployment fails and rolls back, as ECS documents each strategy. Both: the deployment
 * alarms (5xx) fail it and roll back. Rolling: also the deployment circuit breaker, which ECS
 * documents for rolling updates only (API DeploymentConfiguration.deploymentCircuitBreaker).
 * Blue/green: a bake time with blue kept (required with BLUE_GREEN), the load balancer's two
 * target groups and rules (the service's advancedConfiguration), no circuit breaker.
 */
function deploymentSettings(strategy: "rolling" | "blueGreen", alarmNames: pulumi.Input<string>[]) {
  const alarms = { alarmNames, enable: true, rollback: true };
  const capacity = { deploymentMinimumHealthyPercent: 100, deploymentMaximumPercent: 200 };
  return strategy === "blueGreen"
    ? { deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: String(BLUE_GREEN_BAKE_MINUTES) }, alarms, ...capacity }
    : { deploymentConfiguration: { strategy: "ROLLING" }, deploymentCircuitBreaker: { enable: true, rollback: true }, alarms, ...capacity };
}

export class BackendService extends pulumi.ComponentResource {
  readonly service: aws.ecs.Service;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly taskRole: aws.iam.Role;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly serviceName: string;

  constructor(name: string, args: BackendServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:services:BackendService", name, {}, opts);
    const parent = { parent: this };
    this.serviceName = args.serviceName;

    this.logGroup = taskLogGroup(name, args, this);

    this.taskRole = new aws.iam.Role(`${name}-task`, {
      name: `${args.prefix}-backend-task`,
      description: "Backend tasks: start, watch and stop workspace tasks on this cluster only",
      assumeRolePolicy: policyJson(serviceTrustPolicy(ECS_TASKS_SERVICE, args.accountId)),
      tags: args.tags,
    }, parent);
    new aws.iam.RolePolicy(`${name}-task`, {
      role: this.taskRole.id,
      name: "backend-task",
      policy: policyJson(backendTaskRolePolicy({
        region: args.region,
        accountId: args.accountId,
        clusterName: args.clusterName,
        clusterArn: args.clusterArn,
        workspaceFamily: args.workspace.family,
        workspaceExecutionRoleArn: args.workspace.executionRoleArn,
        workspaceVolumeRoleArn: args.workspace.volume.infrastructureRoleArn,
        workspaceVolumeTag: { key: VOLUME_TAGS.stack, value: args.workspace.volume.stack },
        metricsNamespace: args.metricsNamespace,
      })),
    }, parent);

    this.executionRole = executionRole(name, {
      workload: "backend",
      description: "ECS agent on behalf of backend tasks: pull the backend image, write logs, read its two secrets",
      prefix: args.prefix,
      region: args.region,
      accountId: args.accountId,
      repositoryArns: [args.repositoryArn],
      logGroupArn: this.logGroup.arn,
      secretArns: [args.database.masterSecretArn, args.redis.authSecretArn],
      kmsKeyArn: args.kmsKeyArn,
      tags: args.tags,
    }, this);

    const container = pulumi
      .all([
        args.image,
        pulumi.all(args.workspace.subnetIds),
        args.workspace.securityGroupId,
        args.database.host,
        args.database.masterSecretArn,
        args.redis.host,
        args.redis.authSecretArn,
        pulumi.all([args.workspace.volume.kmsKeyArn, args.workspace.volume.infrastructureRoleArn]),
      ])
      .apply(([image, workspaceSubnets, workspaceSg, dbHost, dbSecret, redisHost, redisSecret, [volumeKeyArn, volumeRoleArn]]) => backendContainer({
        image,
        cpu: args.cpu,
        memoryMiB: args.memoryMiB,
        healthCheckPath: args.healthCheckPath,
        logGroup: args.logGroupName,
        region: args.region,
        environment: {
          // Everything RunTask needs, volume included: the launch contract's own mapping.
          ...launchContractEnvironment({
            cluster: args.clusterName,
            taskDefinition: args.workspace.family,
            subnets: workspaceSubnets,
            securityGroups: [workspaceSg],
            capacityProvider: args.workspace.capacityProvider,
            volume: { ...args.workspace.volume, kmsKeyArn: volumeKeyArn, infrastructureRoleArn: volumeRoleArn },
          }),
          [BACKEND_ENV.databaseHost]: dbHost,
          [BACKEND_ENV.databasePort]: String(args.database.port),
          [BACKEND_ENV.databaseName]: args.database.name,
          [BACKEND_ENV.databaseSslMode]: "verify-full",
          [BACKEND_ENV.redisHost]: redisHost,
          [BACKEND_ENV.redisPort]: String(args.redis.port),
          [BACKEND_ENV.redisTls]: "true",
          [BACKEND_ENV.metricsNamespace]: args.metricsNamespace,
          [BACKEND_ENV.region]: args.region,
        },
        secrets: {
          // JSON keys of the RDS-managed master secret.
          [BACKEND_ENV.databaseUser]: `${dbSecret}:username::`,
          [BACKEND_ENV.databasePassword]: `${dbSecret}:password::`,
          [BACKEND_ENV.redisAuthToken]: redisSecret,
        },
      }));

    this.taskDefinition = new aws.ecs.TaskDefinition(`${name}-task`, {
      family: args.family,
      networkMode: "awsvpc",
      requiresCompatibilities: ["EC2"],
      taskRoleArn: this.taskRole.arn,
      executionRoleArn: this.executionRole.arn,
      cpu: String(args.cpu),
      memory: String(args.memoryMiB),
      containerDefinitions: container.apply((c) => JSON.stringify([c])),
      placementConstraints: [poolPlacementConstraint("backend")],
      tags: { ...args.tags, Name: args.family },
    }, { parent: this, dependsOn: [this.logGroup] });

    const lb = args.loadBalancer;
    const blueGreen = args.strategy === "blueGreen";
    if (blueGreen && (!lb.green || !lb.testRule)) throw new Error("blue/green deployment needs the load balancer's green target group and test rule");
    let advancedConfiguration: aws.types.input.ecs.ServiceLoadBalancerAdvancedConfiguration | undefined;
    if (blueGreen && lb.green && lb.testRule) {
      const infraRole = new aws.iam.Role(`${name}-blue-green`, {
        name: `${args.prefix}-backend-blue-green`,
        description: "ECS shifts the backend's production traffic between blue and green",
        assumeRolePolicy: policyJson(serviceTrustPolicy("ecs.amazonaws.com", args.accountId)),
        tags: args.tags,
      }, parent);
      const infraPolicy = new aws.iam.RolePolicy(`${name}-blue-green`, {
        role: infraRole.id,
        name: "backend-blue-green",
        policy: policyJson(blueGreenInfrastructurePolicy({
          listenerArns: [lb.productionListener.arn],
          productionRuleArn: lb.productionRule.arn,
          testRuleArn: lb.testRule.arn,
          targetGroupArns: [lb.blue.arn, lb.green.arn],
        })),
      }, parent);
      advancedConfiguration = {
        alternateTargetGroupArn: lb.green.arn,
        productionListenerRule: lb.productionRule.arn,
        testListenerRule: lb.testRule.arn,
        // The policy must be in place before ECS assumes the role.
        roleArn: pulumi.all([infraRole.arn, infraPolicy.id]).apply(([arn]) => arn),
      };
    }

    this.service = new aws.ecs.Service(`${name}-service`, {
      name: args.serviceName,
      cluster: args.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: args.desiredCount,
      ...poolServicePlacement(args.capacityProvider),
      networkConfiguration: { subnets: args.subnetIds, securityGroups: [args.securityGroupId], assignPublicIp: false },
      loadBalancers: [{ targetGroupArn: lb.blue.arn, containerName: CONTAINERS.backend, containerPort: BACKEND_PORT, advancedConfiguration }],
      healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds,
      deploymentController: { type: "ECS" },
      ...deploymentSettings(args.strategy, args.deploymentAlarmNames),
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      // Nobody gets a shell in a task whose role can start workspaces.
      enableExecuteCommand: false,
      waitForSteadyState: false,
      tags: { ...args.tags, Name: args.serviceName },
    }, {
      parent: this,
      dependsOn: [lb.productionRule, ...(args.capacityReady ?? [])],
      // Target tracking owns the count once the service exists.
      ignoreChanges: ["desiredCount"],
    });

    this.createAutoscaling(name, args);
    this.registerOutputs({ serviceName: this.serviceName, taskDefinitionArn: this.taskDefinition.arn });
  }

  private createAutoscaling(name: string, args: BackendServiceArgs) {
    const parent = { parent: this };
    const target = new aws.appautoscaling.Target(`${name}-scaling`, {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: pulumi.interpolate`service/${args.clusterName}/${this.service.name}`,
      minCapacity: args.minCount,
      maxCapacity: args.maxCount,
      tags: args.tags,
    }, parent);
    const common = {
      policyType: "TargetTrackingScaling",
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      serviceNamespace: target.serviceNamespace,
    };
    new aws.appautoscaling.Policy(`${name}-cpu`, {
      name: `${args.serviceName}-cpu`,
      ...common,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        targetValue: args.cpuTargetPercent,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
      },
    }, parent);
    new aws.appautoscaling.Policy(`${name}-requests`, {
      name: `${args.serviceName}-requests-per-task`,
      ...common,
      targetTrackingScalingPolicyConfiguration: {
        // ALB requests per running task, from the load balancer's total: unlike the predefined
        // ALBRequestCountPerTarget (one target group), it stays right when blue/green swaps groups.
        customizedMetricSpecification: {
          metrics: [
            {
              id: "requests",
              metricStat: {
                metric: { namespace: "AWS/ApplicationELB", metricName: "RequestCount", dimensions: [{ name: "LoadBalancer", value: args.loadBalancer.arnSuffix }] },
                stat: "Sum",
              },
              returnData: false,
            },
            {
              id: "tasks",
              metricStat: {
                metric: {
                  namespace: "ECS/ContainerInsights",
                  metricName: "RunningTaskCount",
                  dimensions: [{ name: "ClusterName", value: args.clusterName }, { name: "ServiceName", value: args.serviceName }],
                },
                stat: "Average",
              },
              returnData: false,
            },
            { id: "requestsPerTask", expression: "requests / tasks", label: "ALB requests per backend task", returnData: true },
          ],
        },
        targetValue: args.requestsPerTaskTarget,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
      },
    }, parent);
  }
}
