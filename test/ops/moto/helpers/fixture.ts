// A deployed-stack equivalent in moto, built from the offline plan's own inputs (the graph the
// offline engine captures for `pulumi up`): the VPC and subnets, the security groups with exactly
// their planned rules, the launch templates, the Auto Scaling groups and their instances, the
// cluster with both capacity providers, a container instance per host registered with its pool
// attribute, the task definitions (container definitions verbatim), the backend service with its
// target group and load balancer, the alarms, log groups and ECR repositories; then retained
// workspace volumes tagged as the launch contract tags them. It returns the stack outputs with
// moto's ids, in the format `pulumi stack output --json` prints and `ops --outputs` reads.
//
// Each mapping from a Pulumi input to the API call is the provider's job during `pulumi up`;
// where the fixture does more than the plan says, it says why (moto stands in for ECS's
// scheduler, or for the ECS agent on the hosts).
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand } from "@aws-sdk/client-auto-scaling";
import { CloudWatchClient, PutMetricAlarmCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, CreateLogGroupCommand, PutRetentionPolicyCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  AttachVolumeCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  type IpPermission,
  type LaunchTemplateBlockDeviceMappingRequest,
  ModifyVpcAttributeCommand,
  RevokeSecurityGroupEgressCommand,
} from "@aws-sdk/client-ec2";
import { CreateRepositoryCommand, ECRClient, PutImageCommand, StartImageScanCommand } from "@aws-sdk/client-ecr";
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  PutAttributesCommand,
  PutClusterCapacityProvidersCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from "@aws-sdk/client-ecs";
import { CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { workspaceVolumeConfiguration } from "../../../../lib/launchContract";
import { POOL_ATTRIBUTE, type Pool } from "../../../../lib/names";
import type { CapturedResource, StackGraph } from "../../../../offline/graph";
import type { StackOutputs } from "../../../../stackOutputs";
import { registerTaskDefinitionInput } from "../../../helpers/plannedTaskDefinitions";
import type { MotoServer } from "../../../helpers/moto";
import type { MotoShim } from "./shim";

export const MOTO_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };
/** moto's default account: the plan's placeholder account is the same, so ARNs and ECR URLs carry over. */
const MOTO_ACCOUNT = "123456789012";
/**
 * Hosts per pool: the plan's minimum is one, and a drain drill refuses a pool of one (nothing to
 * move to). The fixture runs each pool at two, as managed scaling would for two backend tasks
 * spread over instances.
 */
const HOSTS_PER_POOL = 2;
const DAY_MS = 86_400_000;

interface SdkClients {
  readonly ec2: EC2Client;
  readonly ecs: ECSClient;
  readonly autoScaling: AutoScalingClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudWatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly ecr: ECRClient;
}

/** SDK clients straight to moto (not through the shim): the fixture and the tests' own checks. */
function motoClients(url: string, region: string): SdkClients {
  const config = { region, endpoint: url, credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
  return {
    ec2: new EC2Client(config),
    ecs: new ECSClient(config),
    autoScaling: new AutoScalingClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudWatch: new CloudWatchClient(config),
    logs: new CloudWatchLogsClient(config),
    ecr: new ECRClient(config),
  };
}

interface HostRecord {
  readonly pool: Pool;
  readonly instanceId: string;
  readonly containerInstanceArn: string;
}

interface RetainedVolumeRecord {
  readonly volumeId: string;
  readonly workspaceId: string;
  /** Days since the retained-volumes monitor first saw it detached. */
  readonly retainedDays: number;
  readonly attached: boolean;
  readonly stack: string;
}

export interface DeployedStack {
  readonly stack: string;
  readonly region: string;
  readonly outputs: StackOutputs;
  readonly hosts: readonly HostRecord[];
  readonly backendTasks: readonly string[];
  readonly volumes: readonly RetainedVolumeRecord[];
  readonly clients: SdkClients;
}

const tagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
const ecsTags = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
const bool = (v: unknown) => (v === undefined ? undefined : v === true || v === "true");

/** Planned physical ids and ARNs → moto's, so an input naming another resource names moto's. */
class Ids {
  private readonly map = new Map<string, string>();
  set(planned: string | undefined, actual: string): void {
    if (planned) this.map.set(planned, actual);
  }
  of(planned: string): string {
    const actual = this.map.get(planned);
    if (!actual) throw new Error(`fixture: no moto resource for planned id ${planned}`);
    return actual;
  }
  all(planned: readonly string[]): string[] {
    return planned.map((p) => this.of(p));
  }
}

function one(graph: StackGraph, type: string, pick: (r: CapturedResource) => boolean = () => true): CapturedResource {
  const found = graph.ofType(type).filter(pick);
  if (found.length !== 1) throw new Error(`fixture: expected one ${type}, found ${found.length}`);
  return found[0];
}

/** Builds the stack in moto; `shim` receives what moto has no API for (the DNS Firewall). */
export async function deployStack(graph: StackGraph, moto: MotoServer, shim: MotoShim): Promise<DeployedStack> {
  const planned = graph.outputs as StackOutputs;
  const region = planned.region;
  const c = motoClients(moto.url, region);
  const ids = new Ids();

  // Network: the VPC (DNS hostnames on: moto's RunTask needs them for awsvpc tasks, as the plan has them) and subnets.
  const vpcInput = one(graph, "aws:ec2/vpc:Vpc");
  const vpc = (await c.ec2.send(new CreateVpcCommand({ CidrBlock: vpcInput.inputs.cidrBlock, TagSpecifications: [{ ResourceType: "vpc", Tags: tagList(vpcInput.inputs.tags) }] }))).Vpc!.VpcId!;
  ids.set(vpcInput.physicalId, vpc);
  await c.ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsSupport: { Value: bool(vpcInput.inputs.enableDnsSupport) ?? true } }));
  await c.ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: bool(vpcInput.inputs.enableDnsHostnames) ?? false } }));
  for (const s of graph.ofType("aws:ec2/subnet:Subnet")) {
    const subnet = await c.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: s.inputs.cidrBlock, AvailabilityZone: s.inputs.availabilityZone, TagSpecifications: [{ ResourceType: "subnet", Tags: tagList(s.inputs.tags) }] }));
    ids.set(s.physicalId, subnet.Subnet!.SubnetId!);
  }

  // Security groups, each emptied of AWS's default allow-all egress (the provider removes it), then the planned rules.
  for (const g of graph.ofType("aws:ec2/securityGroup:SecurityGroup")) {
    const sg = (await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: g.inputs.name, Description: g.inputs.description, VpcId: vpc, TagSpecifications: [{ ResourceType: "security-group", Tags: tagList(g.inputs.tags) }] }))).GroupId!;
    ids.set(g.physicalId, sg);
    const defaults = (await c.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [sg] }] }))).SecurityGroupRules ?? [];
    const egress = defaults.filter((r) => r.IsEgress).map((r) => r.SecurityGroupRuleId!);
    if (egress.length > 0) await c.ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: sg, SecurityGroupRuleIds: egress }));
  }
  const s3Endpoint = one(graph, "aws:ec2/vpcEndpoint:VpcEndpoint", (r) => String(r.inputs.serviceName).endsWith(".s3"));
  const s3List = (await c.ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: "prefix-list-name", Values: [s3Endpoint.inputs.serviceName] }] }))).PrefixLists?.[0]?.PrefixListId;
  if (!s3List) throw new Error(`fixture: moto has no prefix list ${s3Endpoint.inputs.serviceName}`);
  ids.set(s3Endpoint.state.prefixListId, s3List);
  for (const [type, Command] of [["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", AuthorizeSecurityGroupIngressCommand], ["aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", AuthorizeSecurityGroupEgressCommand]] as const) {
    for (const rule of graph.ofType(type)) {
      const i = rule.inputs;
      const permission: IpPermission = {
        IpProtocol: i.ipProtocol,
        FromPort: i.fromPort,
        ToPort: i.toPort,
        ...(i.cidrIpv4 ? { IpRanges: [{ CidrIp: i.cidrIpv4, Description: i.description }] } : {}),
        ...(i.cidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: i.cidrIpv6, Description: i.description }] } : {}),
        ...(i.referencedSecurityGroupId ? { UserIdGroupPairs: [{ GroupId: ids.of(i.referencedSecurityGroupId), Description: i.description }] } : {}),
        ...(i.prefixListId ? { PrefixListIds: [{ PrefixListId: ids.of(i.prefixListId), Description: i.description }] } : {}),
      };
      await c.ec2.send(new (Command as typeof AuthorizeSecurityGroupIngressCommand)({ GroupId: ids.of(i.securityGroupId), IpPermissions: [permission] }));
    }
  }

  // Launch templates.
  for (const lt of graph.ofType("aws:ec2/launchTemplate:LaunchTemplate")) {
    const i = lt.inputs;
    const md = i.metadataOptions ?? {};
    const created = await c.ec2.send(new CreateLaunchTemplateCommand({
      LaunchTemplateName: i.name,
      TagSpecifications: [{ ResourceType: "launch-template", Tags: tagList(i.tags) }],
      LaunchTemplateData: {
        ImageId: i.imageId,
        ...(i.instanceType ? { InstanceType: i.instanceType } : {}),
        EbsOptimized: bool(i.ebsOptimized),
        IamInstanceProfile: i.iamInstanceProfile ? { Arn: i.iamInstanceProfile.arn } : undefined,
        UserData: i.userData,
        MetadataOptions: { HttpEndpoint: md.httpEndpoint, HttpTokens: md.httpTokens, HttpPutResponseHopLimit: md.httpPutResponseHopLimit, HttpProtocolIpv6: md.httpProtocolIpv6, InstanceMetadataTags: md.instanceMetadataTags },
        BlockDeviceMappings: (i.blockDeviceMappings ?? []).map((b: any): LaunchTemplateBlockDeviceMappingRequest => ({
          DeviceName: b.deviceName,
          Ebs: { Encrypted: bool(b.ebs?.encrypted), DeleteOnTermination: bool(b.ebs?.deleteOnTermination), VolumeSize: b.ebs?.volumeSize, VolumeType: b.ebs?.volumeType },
        })),
        NetworkInterfaces: (i.networkInterfaces ?? []).map((n: any) => ({
          DeviceIndex: n.deviceIndex,
          AssociatePublicIpAddress: bool(n.associatePublicIpAddress),
          DeleteOnTermination: bool(n.deleteOnTermination),
          Groups: ids.all(n.securityGroups ?? []),
        })),
        TagSpecifications: (i.tagSpecifications ?? []).map((t: any) => ({ ResourceType: t.resourceType, Tags: tagList(t.tags) })),
      },
    }));
    ids.set(lt.physicalId, created.LaunchTemplate!.LaunchTemplateId!);
  }

  // Auto Scaling groups (moto launches their instances), each at HOSTS_PER_POOL.
  const poolOf = (r: CapturedResource) => (r.inputs.tags as { key: string; value: string }[]).find((t) => t.key === POOL_ATTRIBUTE)?.value as Pool;
  const asgArns = new Map<string, string>();
  for (const asg of graph.ofType("aws:autoscaling/group:Group")) {
    const i = asg.inputs;
    const lt = i.launchTemplate ? { LaunchTemplateId: ids.of(i.launchTemplate.id), Version: String(i.launchTemplate.version) } : undefined;
    const mixed = i.mixedInstancesPolicy;
    await c.autoScaling.send(new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: i.name,
      MinSize: i.minSize,
      MaxSize: i.maxSize,
      DesiredCapacity: Math.min(i.maxSize, Math.max(i.minSize, HOSTS_PER_POOL)),
      VPCZoneIdentifier: ids.all(i.vpcZoneIdentifiers).join(","),
      ...(lt ? { LaunchTemplate: lt } : {}),
      ...(mixed ? {
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateId: ids.of(mixed.launchTemplate.launchTemplateSpecification.launchTemplateId), Version: String(mixed.launchTemplate.launchTemplateSpecification.version) },
            Overrides: (mixed.launchTemplate.overrides ?? []).map((o: any) => ({ InstanceType: o.instanceType })),
          },
          InstancesDistribution: {
            OnDemandAllocationStrategy: mixed.instancesDistribution?.onDemandAllocationStrategy,
            OnDemandBaseCapacity: mixed.instancesDistribution?.onDemandBaseCapacity,
            OnDemandPercentageAboveBaseCapacity: mixed.instancesDistribution?.onDemandPercentageAboveBaseCapacity,
            SpotAllocationStrategy: mixed.instancesDistribution?.spotAllocationStrategy,
          },
        },
      } : {}),
      NewInstancesProtectedFromScaleIn: bool(i.protectFromScaleIn),
      HealthCheckType: i.healthCheckType,
      HealthCheckGracePeriod: i.healthCheckGracePeriod,
      DefaultInstanceWarmup: i.defaultInstanceWarmup,
      CapacityRebalance: bool(i.capacityRebalance),
      Tags: (i.tags ?? []).map((t: any) => ({ Key: t.key, Value: t.value, PropagateAtLaunch: bool(t.propagateAtLaunch) })),
    }));
    const described = (await c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [i.name] }))).AutoScalingGroups![0];
    asgArns.set(i.name, described.AutoScalingGroupARN!);
    ids.set(asg.physicalId, i.name);
    if ((described.Instances ?? []).length < HOSTS_PER_POOL) await c.autoScaling.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: i.name, DesiredCapacity: HOSTS_PER_POOL }));
  }

  // The cluster and its capacity providers.
  const clusterInput = one(graph, "aws:ecs/cluster:Cluster").inputs;
  const cluster = (await c.ecs.send(new CreateClusterCommand({ clusterName: clusterInput.name, settings: clusterInput.settings, tags: ecsTags(clusterInput.tags) }))).cluster!;
  for (const cp of graph.ofType("aws:ecs/capacityProvider:CapacityProvider")) {
    const p = cp.inputs.autoScalingGroupProvider;
    const asgName = String(p.autoScalingGroupArn).split("autoScalingGroupName/").pop()!;
    await c.ecs.send(new CreateCapacityProviderCommand({
      name: cp.inputs.name,
      autoScalingGroupProvider: {
        autoScalingGroupArn: asgArns.get(asgName),
        managedScaling: p.managedScaling,
        managedTerminationProtection: p.managedTerminationProtection,
        managedDraining: p.managedDraining,
      },
      tags: ecsTags(cp.inputs.tags),
    }));
  }
  const ccp = one(graph, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs;
  await c.ecs.send(new PutClusterCapacityProvidersCommand({ cluster: cluster.clusterName, capacityProviders: ccp.capacityProviders, defaultCapacityProviderStrategy: ccp.defaultCapacityProviderStrategies }));

  // Each host joins the cluster as its ECS agent would, with the pool attribute ecs.config gives it.
  const hosts: HostRecord[] = [];
  for (const asg of graph.ofType("aws:autoscaling/group:Group")) {
    const pool = poolOf(asg);
    const instances = (await c.autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asg.inputs.name] }))).AutoScalingGroups![0].Instances ?? [];
    const details = (await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: instances.map((x) => x.InstanceId!) }))).Reservations!.flatMap((r) => r.Instances ?? []);
    for (const inst of details) {
      const ci = (await c.ecs.send(new RegisterContainerInstanceCommand({
        cluster: cluster.clusterName,
        instanceIdentityDocument: JSON.stringify({ instanceId: inst.InstanceId, region, availabilityZone: inst.Placement?.AvailabilityZone, instanceType: inst.InstanceType, imageId: inst.ImageId, accountId: MOTO_ACCOUNT }),
      }))).containerInstance!;
      await c.ecs.send(new PutAttributesCommand({ cluster: cluster.clusterName, attributes: [{ name: POOL_ATTRIBUTE, value: pool, targetId: ci.containerInstanceArn }] }));
      hosts.push({ pool, instanceId: inst.InstanceId!, containerInstanceArn: ci.containerInstanceArn! });
    }
  }

  // Task definitions: the planned container definitions verbatim. Each placement constraint must
  // name a pool the hosts joined with (moto does not place by them; the fixture checks they can hold).
  const taskDefinitionArns = new Map<string, string>();
  for (const td of graph.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
    for (const c of (td.inputs.placementConstraints ?? []) as { type: string; expression?: string }[]) {
      const m = /^attribute:(\S+) == (\S+)$/.exec(c.expression ?? "");
      if (c.type !== "memberOf" || !m || m[1] !== POOL_ATTRIBUTE || !hosts.some((h) => h.pool === m[2])) {
        throw new Error(`fixture: ${td.inputs.family}'s placement constraint ${JSON.stringify(c)} matches no host the fixture registered`);
      }
    }
    const registered = (await c.ecs.send(new RegisterTaskDefinitionCommand(registerTaskDefinitionInput(td)))).taskDefinition!;
    taskDefinitionArns.set(registered.family!, registered.taskDefinitionArn!);
    ids.set(td.state.arn, registered.taskDefinitionArn!);
  }

  // The backend's load balancer and target group.
  const lbInput = one(graph, "aws:lb/loadBalancer:LoadBalancer", (r) => r.inputs.loadBalancerType === "application").inputs;
  const lb = (await c.elbv2.send(new CreateLoadBalancerCommand({ Name: lbInput.name, Subnets: ids.all(lbInput.subnets), SecurityGroups: ids.all(lbInput.securityGroups), Scheme: lbInput.internal ? "internal" : "internet-facing", Type: "application", IpAddressType: lbInput.ipAddressType, Tags: tagList(lbInput.tags) }))).LoadBalancers![0];
  const targetGroupArns: string[] = [];
  for (const plannedArn of planned.backendTargetGroupArns) {
    const tg = graph.byArn(plannedArn);
    if (!tg) throw new Error(`fixture: no planned target group ${plannedArn}`);
    const h = tg.inputs.healthCheck ?? {};
    const created = (await c.elbv2.send(new CreateTargetGroupCommand({
      Name: tg.inputs.name, Protocol: tg.inputs.protocol, Port: tg.inputs.port, VpcId: vpc, TargetType: tg.inputs.targetType,
      HealthCheckEnabled: h.enabled, HealthCheckPath: h.path, HealthCheckProtocol: h.protocol, HealthCheckIntervalSeconds: h.interval, HealthCheckTimeoutSeconds: h.timeout,
      HealthyThresholdCount: h.healthyThreshold, UnhealthyThresholdCount: h.unhealthyThreshold, Matcher: h.matcher ? { HttpCode: h.matcher } : undefined, Tags: tagList(tg.inputs.tags),
    }))).TargetGroups![0];
    ids.set(plannedArn, created.TargetGroupArn!);
    targetGroupArns.push(created.TargetGroupArn!);
  }

  // The backend service. moto's services start no tasks: the fixture starts the desired count as
  // the scheduler would (group "service:NAME", the service's network configuration) and registers
  // their addresses in the target group, as ECS does for a service with a load balancer.
  const svc = one(graph, "aws:ecs/service:Service", (r) => r.inputs.name === planned.backendServiceName).inputs;
  const network = { awsvpcConfiguration: { subnets: ids.all(svc.networkConfiguration.subnets), securityGroups: ids.all(svc.networkConfiguration.securityGroups), assignPublicIp: svc.networkConfiguration.assignPublicIp ? "ENABLED" as const : "DISABLED" as const } };
  await c.ecs.send(new CreateServiceCommand({
    cluster: cluster.clusterName,
    serviceName: svc.name,
    taskDefinition: ids.of(svc.taskDefinition),
    desiredCount: svc.desiredCount,
    loadBalancers: (svc.loadBalancers ?? []).map((l: any) => ({ containerName: l.containerName, containerPort: l.containerPort, targetGroupArn: ids.of(l.targetGroupArn) })),
    networkConfiguration: network,
    capacityProviderStrategy: svc.capacityProviderStrategies,
    placementStrategy: svc.orderedPlacementStrategies,
    deploymentController: svc.deploymentController,
    enableECSManagedTags: svc.enableEcsManagedTags,
    propagateTags: svc.propagateTags,
    tags: ecsTags(svc.tags),
  }));
  const started = await c.ecs.send(new RunTaskCommand({ cluster: cluster.clusterName, taskDefinition: ids.of(svc.taskDefinition), count: svc.desiredCount, group: `service:${svc.name}`, startedBy: "ecs-svc/fixture", networkConfiguration: network }));
  const backendTasks = (started.tasks ?? []).map((t) => t.taskArn!);
  if (backendTasks.length !== svc.desiredCount) throw new Error(`fixture: moto started ${backendTasks.length} of ${svc.desiredCount} backend tasks`);
  const addresses = (started.tasks ?? []).map((t) => t.attachments?.[0]?.details?.find((d) => d.name === "privateIPv4Address")?.value).filter((a): a is string => Boolean(a));
  for (const arn of targetGroupArns) await c.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: addresses.map((Id) => ({ Id, Port: 8000 })) }));

  // Alarms, log groups, ECR repositories with the images the task definitions name.
  for (const a of graph.ofType("aws:cloudwatch/metricAlarm:MetricAlarm")) {
    const i = a.inputs;
    const metrics: MetricDataQuery[] | undefined = i.metricQueries?.map((q: any) => ({
      Id: q.id, ReturnData: q.returnData, Label: q.label, Expression: q.expression,
      ...(q.metric ? { MetricStat: { Metric: { Namespace: q.metric.namespace, MetricName: q.metric.metricName, Dimensions: Object.entries(q.metric.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value: String(Value) })) }, Period: q.metric.period, Stat: q.metric.stat } } : {}),
    }));
    await c.cloudWatch.send(new PutMetricAlarmCommand({
      AlarmName: i.name, AlarmDescription: i.alarmDescription, ComparisonOperator: i.comparisonOperator, EvaluationPeriods: i.evaluationPeriods, DatapointsToAlarm: i.datapointsToAlarm,
      Threshold: i.threshold, TreatMissingData: i.treatMissingData, AlarmActions: i.alarmActions, OKActions: i.okActions, ActionsEnabled: true,
      ...(metrics ? { Metrics: metrics } : { MetricName: i.metricName, Namespace: i.namespace, Statistic: i.statistic, Period: i.period, Dimensions: Object.entries(i.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value: String(Value) })) }),
      Tags: tagList(i.tags),
    }));
  }
  for (const g of graph.ofType("aws:cloudwatch/logGroup:LogGroup")) {
    await c.logs.send(new CreateLogGroupCommand({ logGroupName: g.inputs.name, tags: g.inputs.tags }));
    if (g.inputs.retentionInDays) await c.logs.send(new PutRetentionPolicyCommand({ logGroupName: g.inputs.name, retentionInDays: g.inputs.retentionInDays }));
  }
  const images = new Set(graph.ofType("aws:ecs/taskDefinition:TaskDefinition").flatMap((td) => registerTaskDefinitionInput(td).containerDefinitions!.map((cd) => cd.image!)));
  const scanResults: unknown[] = [];
  for (const repo of graph.ofType("aws:ecr/repository:Repository")) {
    const name: string = repo.inputs.name;
    await c.ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: repo.inputs.imageTagMutability, imageScanningConfiguration: repo.inputs.imageScanningConfiguration, tags: tagList(repo.inputs.tags) }));
    for (const image of images) {
      const m = new RegExp(`/${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:([\\w.-]+)$`).exec(image);
      if (!m) continue;
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json", config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 1, digest: `sha256:${"0".repeat(63)}1` }, layers: [], name: image });
      await c.ecr.send(new PutImageCommand({ repositoryName: name, imageTag: m[1], imageManifest: manifest }));
      await c.ecr.send(new StartImageScanCommand({ repositoryName: name, imageId: { imageTag: m[1] } }));
      // moto answers a fixed HIGH finding for any scan unless told the result: a clean scan here.
      scanResults.push({ registryId: MOTO_ACCOUNT, repositoryName: name, imageId: { imageTag: m[1] }, imageScanStatus: { status: "COMPLETE", description: "The scan was completed successfully." }, imageScanFindings: { findingSeverityCounts: {}, findings: [] } });
    }
  }
  if (scanResults.length > 0) await moto.motoApi("static/ecr/scan-finding-results", { results: scanResults, region });

  // What moto has no API for: the DNS Firewall, recorded from the plan for the shim to answer.
  const association = one(graph, "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation");
  const config = one(graph, "aws:route53/resolverFirewallConfig:ResolverFirewallConfig");
  shim.firewalls.set(vpc, {
    ruleGroupId: planned.dnsFirewallRuleGroupId,
    associationId: planned.dnsFirewallAssociationId,
    vpcId: vpc,
    mutationProtection: association.inputs.mutationProtection,
    failOpen: config.inputs.firewallFailOpen,
    rules: graph.ofType("aws:route53/resolverFirewallRule:ResolverFirewallRule").map((r) => ({ Name: r.inputs.name, Action: r.inputs.action, Priority: r.inputs.priority, FirewallDomainListId: r.inputs.firewallDomainListId, ...(r.inputs.blockResponse ? { BlockResponse: r.inputs.blockResponse } : {}) })),
  });

  const outputs: StackOutputs = {
    ...planned,
    vpcId: vpc,
    publicSubnetIds: ids.all(planned.publicSubnetIds),
    privateSubnetIds: ids.all(planned.privateSubnetIds),
    isolatedSubnetIds: ids.all(planned.isolatedSubnetIds),
    workspaceSubnetIds: ids.all(planned.workspaceSubnetIds),
    securityGroupIds: Object.fromEntries(Object.entries(planned.securityGroupIds).map(([role, id]) => [role, ids.of(id)])) as StackOutputs["securityGroupIds"],
    clusterName: cluster.clusterName!,
    clusterArn: cluster.clusterArn!,
    backendLaunchTemplateId: ids.of(planned.backendLaunchTemplateId),
    workspaceLaunchTemplateId: ids.of(planned.workspaceLaunchTemplateId),
    workspaceTaskDefinitionArn: taskDefinitionArns.get(planned.workspaceTaskDefinitionFamily)!,
    albDnsName: lb.DNSName!,
    albArnSuffix: lb.LoadBalancerArn!.split(":loadbalancer/").pop()!,
    backendTargetGroupArn: targetGroupArns[0],
    backendTargetGroupArnSuffix: targetGroupArns[0].split(":").pop()!,
    backendTargetGroupArns: targetGroupArns,
  };

  const volumes = await retainedVolumes(c, outputs, hosts);
  return { stack: planned.stack, region, outputs, hosts, backendTasks, volumes, clients: c };
}

/**
 * Workspace volumes as ECS leaves them after their tasks stopped (kept: deleteOnTermination false),
 * tagged exactly as the launch contract's volume configuration asks, with ECS's own two tags and,
 * where the retained-volumes monitor has seen them detached, its retained-since tag: two old
 * retained volumes, one recent, one still attached to a workspace host, and one of another stack.
 */
async function retainedVolumes(c: SdkClients, out: StackOutputs, hosts: readonly HostRecord[]): Promise<RetainedVolumeRecord[]> {
  const s = out.workspaceVolumeSettings;
  const settings = { volumeName: s.volumeName, sizeGiB: s.sizeGiB, iops: s.iops, throughputMiBps: s.throughputMiBps, filesystem: s.filesystem, kmsKeyArn: out.workspaceVolumeKeyArn, infrastructureRoleArn: out.workspaceVolumeRoleArn, stack: s.stackTag };
  const host = hosts.find((h) => h.pool === "workspace")!;
  const hostAz = (await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [host.instanceId] }))).Reservations![0].Instances![0].Placement!.AvailabilityZone!;
  const now = Date.now();
  const wanted = [
    { workspaceId: "conv-old-1", retainedDays: 30, attached: false, stack: s.stackTag },
    { workspaceId: "conv-old-2", retainedDays: 12, attached: false, stack: s.stackTag },
    { workspaceId: "conv-recent", retainedDays: 1, attached: false, stack: s.stackTag },
    { workspaceId: "conv-live", retainedDays: 0, attached: true, stack: s.stackTag },
    { workspaceId: "conv-elsewhere", retainedDays: 30, attached: false, stack: `${s.stackTag}-other` },
  ];
  const out2: RetainedVolumeRecord[] = [];
  for (const w of wanted) {
    const ebs = workspaceVolumeConfiguration({ ...settings, stack: w.stack }, { workspaceId: w.workspaceId }).managedEBSVolume!;
    const tags: Record<string, string> = {
      ...Object.fromEntries((ebs.tagSpecifications?.[0]?.tags ?? []).map((t) => [t.key!, t.value!])),
      AmazonECSCreated: `arn:aws:ecs:${out.region}:${MOTO_ACCOUNT}:task/${out.clusterName}/${w.workspaceId.replace(/[^0-9a-z]/g, "").padEnd(32, "0").slice(0, 32)}`,
      AmazonECSManaged: "true",
      ...(w.attached ? {} : { "remote-claude:retained-since": new Date(now - w.retainedDays * DAY_MS).toISOString() }),
    };
    const v = await c.ec2.send(new CreateVolumeCommand({
      AvailabilityZone: hostAz, Size: ebs.sizeInGiB, VolumeType: ebs.volumeType as "gp3", Iops: ebs.iops, Throughput: ebs.throughput, Encrypted: ebs.encrypted, KmsKeyId: ebs.kmsKeyId,
      TagSpecifications: [{ ResourceType: "volume", Tags: tagList(tags) }],
    }));
    if (w.attached) await c.ec2.send(new AttachVolumeCommand({ VolumeId: v.VolumeId!, InstanceId: host.instanceId, Device: "/dev/xvdf" }));
    out2.push({ volumeId: v.VolumeId!, ...w });
  }
  return out2;
}
