// The workspace task definition that the backend starts with RunTask, one task per conversation:
// awsvpc (its own ENI and security group), no task role (nothing to steal from 169.254.170.2),
// an execution role that can only pull the two images, write the workspace logs and read the
// proxy's secret, and placement on the workspace host pool only. Its memory is a hard limit; its
// CPU is a reservation by weight with no cap unless workspaceCpuHardLimit (workspaceTaskCpu).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { poolPlacementConstraint } from "../lib/placement";
import { executionRole, taskLogGroup } from "./taskResources";
import type { Volume } from "@aws-sdk/client-ecs";
import { workspaceContainers, workspaceTaskCpu, workspaceTaskSize, workspaceVolumes } from "../lib/workspaceContainers";

/**
 * An ECS API volume as the provider's input. The names differ: the API's configuredAtLaunch is
 * @pulumi/aws's configureAtLaunch (TaskDefinitionVolume, 7.48). Anything else is refused rather
 * than dropped, so a volume kind added to workspaceVolumes() cannot silently vanish here.
 */
function taskDefinitionVolume(v: Volume): aws.types.input.ecs.TaskDefinitionVolume {
  const { name, configuredAtLaunch, dockerVolumeConfiguration, ...rest } = v;
  if (Object.keys(rest).length > 0) throw new Error(`workspace volume ${name}: unsupported settings ${Object.keys(rest).join(", ")}`);
  return {
    name: name as string,
    ...(configuredAtLaunch !== undefined ? { configureAtLaunch: configuredAtLaunch } : {}),
    ...(dockerVolumeConfiguration ? { dockerVolumeConfiguration: { scope: dockerVolumeConfiguration.scope, driver: dockerVolumeConfiguration.driver } } : {}),
  };
}

export interface WorkspaceTaskArgs {
  /** `<project>-<stack>`: the start of every physical name. */
  readonly prefix: string;
  /** AWS region of the stack. */
  readonly region: string;
  /** AWS account the stack deploys to. */
  readonly accountId: string;
  /** Task definition family. */
  readonly family: string;
  /** Name of the CloudWatch log group of its containers. */
  readonly logGroupName: string;
  /** Days its log groups keep entries (config logRetentionDays). */
  readonly logRetentionDays: number;
  /** The KMS key that encrypts what the component stores and logs. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Image URI of the workspace agent. */
  readonly agentImage: pulumi.Input<string>;
  /** Image URI of the credential proxy. */
  readonly credentialProxyImage: pulumi.Input<string>;
  /** ECR repositories of both images: the execution role may pull from them only. */
  readonly repositoryArns: pulumi.Input<string>[];
  /** Secret holding the credential proxy's credential: injected into the credential proxy only. */
  readonly credentialProxySecretArn: pulumi.Input<string>;
  /** The agent's CPU units: its CPU shares and, with the credential proxy's, the task's reservation. */
  readonly agentCpu: number;
  /** Memory of the agent container, MiB (config workspaceAgentMemoryMiB). */
  readonly agentMemoryMiB: number;
  /** Set a task-level cpu (the containers' sum): a hard CFS quota on ECS on EC2. Without it the reservation is a weight only. */
  readonly cpuHardLimit: boolean;
  /** Size of the agent's /tmp tmpfs, MiB (config workspaceTmpfsMiB). */
  readonly tmpfsMiB: number;
  /** egressMode proxy: the proxy's URL and the names reached directly (NO_PROXY). */
  readonly egressProxy?: { readonly url: pulumi.Input<string>; readonly directNames: readonly string[] };
  /** Tags every resource of the component carries (config tags). */
  readonly tags: Readonly<Record<string, string>>;
}

export class WorkspaceTask extends pulumi.ComponentResource {
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly family: string;

  constructor(name: string, args: WorkspaceTaskArgs, opts?: pulumi.ComponentResourceOptions) {
    super("remote-claude:services:WorkspaceTask", name, {}, opts);
    this.family = args.family;

    this.logGroup = taskLogGroup(name, args, this);
    this.executionRole = executionRole(name, {
      workload: "workspace",
      description: "ECS agent on behalf of workspace tasks: pull the two images, write logs, read the proxy secret",
      prefix: args.prefix,
      region: args.region,
      accountId: args.accountId,
      repositoryArns: args.repositoryArns,
      logGroupArn: this.logGroup.arn,
      secretArns: [args.credentialProxySecretArn],
      kmsKeyArn: args.kmsKeyArn,
      tags: args.tags,
    }, this);

    const egress = args.egressProxy;
    const containers = pulumi
      .all([args.agentImage, args.credentialProxyImage, args.credentialProxySecretArn, egress?.url])
      .apply(([agentImage, credentialProxyImage, credentialProxySecretArn, egressProxyUrl]) => workspaceContainers({
        agentImage,
        credentialProxyImage,
        credentialProxySecretArn,
        agentCpu: args.agentCpu,
        agentMemoryMiB: args.agentMemoryMiB,
        tmpfsMiB: args.tmpfsMiB,
        logGroup: args.logGroupName,
        region: args.region,
        egressProxy: egress && egressProxyUrl ? { url: egressProxyUrl, directNames: egress.directNames } : undefined,
      }));
    const size = containers.apply(workspaceTaskSize);

    this.taskDefinition = new aws.ecs.TaskDefinition(`${name}-task`, {
      family: args.family,
      networkMode: "awsvpc",
      requiresCompatibilities: ["EC2"],
      // No taskRoleArn: a workspace holds no AWS credentials at all.
      executionRoleArn: this.executionRole.arn,
      // No task-level cpu unless cpuHardLimit: the containers' cpu units are then the placement
      // reservation and CPU shares, not a cap (workspaceTaskCpu). Memory is always a hard limit.
      ...(args.cpuHardLimit ? { cpu: containers.apply((c) => String(workspaceTaskCpu(c, true))) } : {}),
      memory: size.apply((s) => String(s.memoryMiB)),
      containerDefinitions: containers.apply((c) => JSON.stringify(c)),
      volumes: workspaceVolumes().map(taskDefinitionVolume),
      placementConstraints: [poolPlacementConstraint("workspace")],
      tags: { ...args.tags, Name: args.family },
    }, { parent: this, dependsOn: [this.logGroup] });

    this.registerOutputs({ family: args.family, taskDefinitionArn: this.taskDefinition.arn });
  }
}
