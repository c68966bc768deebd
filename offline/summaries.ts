// One line of key settings per resource type, for the plan's text view. Types without an entry
// show their name input, if any. Later components add their types here.
import type { CapturedResource, StackGraph } from "./graph";
import { containerSizes } from "./workloads";

type Summarize = (r: CapturedResource, g: StackGraph) => string;

/** The logical name of the resource whose physical id is `id`, or the id itself. */
export function nameOf(g: StackGraph, id: unknown): string {
  if (typeof id !== "string") return String(id);
  return g.byPhysicalId(id)?.name ?? g.byArn(id)?.name ?? id;
}

function peer(r: CapturedResource, g: StackGraph): string {
  const i = r.inputs;
  if (i.referencedSecurityGroupId) return `sg:${nameOf(g, i.referencedSecurityGroupId)}`;
  if (i.prefixListId) return `prefix list ${i.prefixListId}`;
  return String(i.cidrIpv4 ?? i.cidrIpv6);
}

const containerNames = (r: CapturedResource) => {
  try {
    return (JSON.parse(String(r.inputs.containerDefinitions)) as { name: string }[]).map((c) => c.name).join(" + ");
  } catch {
    return "?";
  }
};

/** What rolls a failed deployment back: the circuit breaker (rolling), alarms, a bake time (blue/green). */
const rollback = (r: CapturedResource) => {
  const parts = [`circuit breaker ${r.inputs.deploymentCircuitBreaker?.rollback ? "with rollback" : "off"}`];
  if (r.inputs.alarms?.rollback) parts.push(`alarm rollback (${(r.inputs.alarms.alarmNames ?? []).length})`);
  if (r.inputs.deploymentConfiguration?.bakeTimeInMinutes !== undefined) parts.push(`bake ${r.inputs.deploymentConfiguration.bakeTimeInMinutes} min`);
  return parts.join(", ");
};

/** A task-level cpu is a cap on ECS on EC2; without one the containers' cpu units are only shares. */
const taskCpu = (r: CapturedResource) =>
  r.inputs.cpu !== undefined ? `${r.inputs.cpu} CPU` : `CPU shares ${containerSizes(r).reduce((s, c) => s + c.cpu, 0)} (no cap)`;

const SERVICE_SUMMARIES: Record<string, Summarize> = {
  "aws:ecs/service:Service": (r) =>
    `${r.inputs.name}: ${r.inputs.desiredCount} tasks on ${r.inputs.capacityProviderStrategies?.map((s: { capacityProvider: string }) => s.capacityProvider).join(", ")}, ` +
    `${String(r.inputs.deploymentConfiguration?.strategy ?? "ROLLING").toLowerCase().replace("_", "/")}, ${rollback(r)}`,
  "aws:ecs/taskDefinition:TaskDefinition": (r) =>
    `${r.inputs.family}: ${containerNames(r)}, ${r.inputs.networkMode}, ${taskCpu(r)} / ${r.inputs.memory} MiB, ${r.inputs.taskRoleArn ? "task role" : "no task role"}` +
    // The volume ECS creates per task at launch.
    (r.inputs.volumes ?? []).filter((v: { configureAtLaunch?: boolean }) => v.configureAtLaunch).map((v: { name: string }) => `, EBS volume ${v.name} configured at launch`).join(""),
  "aws:lb/loadBalancer:LoadBalancer": (r) =>
    r.inputs.loadBalancerType === "network"
      ? `${r.inputs.name}, network, ${r.inputs.internal ? "internal" : "internet-facing"}, cross-zone ${r.inputs.enableCrossZoneLoadBalancing ? "on" : "off"}`
      : `${r.inputs.name}, ${r.inputs.internal ? "internal" : "internet-facing"}, idle timeout ${r.inputs.idleTimeout} s`,
  "aws:lb/targetGroup:TargetGroup": (r) =>
    `${r.inputs.name}: ${r.inputs.targetType} ${r.inputs.protocol}/${r.inputs.port}, health ${r.inputs.healthCheck?.path ?? r.inputs.healthCheck?.protocol}` +
    `${r.inputs.proxyProtocolV2 ? ", PROXY protocol v2" : ""}`,
  // The egress proxy's decision log metric filters.
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": (r) =>
    `${r.inputs.name}: ${r.inputs.pattern} -> ${r.inputs.metricTransformation?.namespace}/${r.inputs.metricTransformation?.name}`,
  "aws:lb/listener:Listener": (r) =>
    `${r.inputs.protocol}/${r.inputs.port}${r.inputs.defaultActions?.[0]?.type === "redirect" ? " -> HTTPS redirect" : ""}${r.inputs.sslPolicy ? ` (${r.inputs.sslPolicy})` : ""}`,
  "aws:lb/listenerRule:ListenerRule": (r) =>
    `priority ${r.inputs.priority}: forward ${r.inputs.actions?.[0]?.forward ? "weighted blue/green" : "to the target group"}`,
  "aws:appautoscaling/target:Target": (r) => `${r.inputs.resourceId}: ${r.inputs.minCapacity}..${r.inputs.maxCapacity}`,
  "aws:appautoscaling/policy:Policy": (r) => `${r.inputs.name}: target ${r.inputs.targetTrackingScalingPolicyConfiguration?.targetValue}`,
  "aws:rds/instance:Instance": (r) =>
    `${r.inputs.identifier}: postgres ${r.inputs.engineVersion} ${r.inputs.instanceClass}, ${r.inputs.multiAz ? "Multi-AZ" : "single AZ"}, encrypted ${r.inputs.storageEncrypted ? "yes" : "NO"}, deletion protection ${r.inputs.deletionProtection ? "on" : "off"}`,
  "aws:rds/parameterGroup:ParameterGroup": (r) => `${r.inputs.name}: ${(r.inputs.parameters ?? []).map((p: { name: string; value: string }) => `${p.name}=${p.value}`).join(", ")}`,
  "aws:elasticache/replicationGroup:ReplicationGroup": (r) =>
    `${r.inputs.replicationGroupId}: redis ${r.inputs.engineVersion} ${r.inputs.nodeType} x${r.inputs.numCacheClusters}, ${r.inputs.multiAzEnabled ? "Multi-AZ failover" : "single node"}, TLS ${r.inputs.transitEncryptionMode ?? "off"} + AUTH`,
  "aws:ecr/repository:Repository": (r) => `${r.inputs.name}: tags ${String(r.inputs.imageTagMutability).toLowerCase()}, scan on push ${r.inputs.imageScanningConfiguration?.scanOnPush ? "on" : "off"}`,
  "aws:kms/key:Key": (r) => `rotation ${r.inputs.enableKeyRotation ? "on" : "off"}, deletion window ${r.inputs.deletionWindowInDays} days`,
  "aws:cloudwatch/metricAlarm:MetricAlarm": (r) => `${r.inputs.name} (${r.inputs.comparisonOperator} ${r.inputs.threshold})`,
  "aws:fis/experimentTemplate:ExperimentTemplate": (r) =>
    `${r.inputs.actions?.[0]?.actionId} on ${r.inputs.targets?.[0]?.selectionMode} ${r.inputs.targets?.[0]?.resourceType}, ${r.inputs.stopConditions?.length} stop alarms`,
  "awsx:ecr:Image": (r) => `build ${r.inputs.context} -> ${r.inputs.imageTag ?? "(digest)"}`,
  "aws:lambda/function:Function": (r) => `${r.inputs.name}: ${r.inputs.runtime} ${[r.inputs.architectures ?? []].flat().join("/")}, ${r.inputs.memorySize} MB, timeout ${r.inputs.timeout} s`,
  "aws:cloudwatch/eventRule:EventRule": (r) => `${r.inputs.name}: ${r.inputs.scheduleExpression ?? "event pattern"}`,
};

const SUMMARIES: Record<string, Summarize> = {
  "aws:ec2/vpc:Vpc": (r) => `${r.inputs.cidrBlock}, DNS hostnames ${r.inputs.enableDnsHostnames ? "on" : "off"}`,
  "aws:ec2/subnet:Subnet": (r) => `${r.inputs.cidrBlock} in ${r.inputs.availabilityZone} (${r.inputs.tags?.Tier ?? "?"})`,
  "aws:ec2/route:Route": (r, g) =>
    `${r.inputs.destinationCidrBlock} -> ${nameOf(g, r.inputs.natGatewayId ?? r.inputs.gatewayId ?? r.inputs.transitGatewayId ?? r.inputs.vpcEndpointId)} (table ${nameOf(g, r.inputs.routeTableId)})`,
  "aws:ec2/natGateway:NatGateway": (r, g) => `in ${nameOf(g, r.inputs.subnetId)}`,
  "aws:ec2/vpcEndpoint:VpcEndpoint": (r) => `${r.inputs.vpcEndpointType} ${r.inputs.serviceName}${r.inputs.privateDnsEnabled ? ", private DNS" : ""}`,
  "aws:ec2/securityGroup:SecurityGroup": (r) => String(r.inputs.name),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (r, g) =>
    `sg:${nameOf(g, r.inputs.securityGroupId)} <- ${peer(r, g)} ${r.inputs.ipProtocol}/${r.inputs.fromPort}`,
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (r, g) =>
    `sg:${nameOf(g, r.inputs.securityGroupId)} -> ${peer(r, g)} ${r.inputs.ipProtocol}/${r.inputs.fromPort}`,
  "aws:cloudwatch/logGroup:LogGroup": (r) => `${r.inputs.name}, ${r.inputs.retentionInDays} days`,
  "aws:ec2/flowLog:FlowLog": (r) => `${r.inputs.trafficType} traffic to ${r.inputs.logDestinationType}`,
  "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": (r) =>
    `${r.inputs.domains?.length ?? 0} names${r.inputs.domains?.length === 1 ? ` (${r.inputs.domains[0]})` : ""}`,
  "aws:route53/resolverFirewallRule:ResolverFirewallRule": (r) =>
    `priority ${r.inputs.priority}: ${r.inputs.action}${r.inputs.blockResponse ? ` (${r.inputs.blockResponse})` : ""}`,
  "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": (r) =>
    `priority ${r.inputs.priority}, mutation protection ${r.inputs.mutationProtection}`,
  "aws:route53/resolverFirewallConfig:ResolverFirewallConfig": (r) => `fail-open ${r.inputs.firewallFailOpen}`,
  // Host pools.
  "aws:ec2/launchTemplate:LaunchTemplate": (r) => {
    const m = r.inputs.metadataOptions ?? {};
    const ebs = r.inputs.blockDeviceMappings?.[0]?.ebs ?? {};
    return `${r.inputs.instanceType ?? "types from the ASG"}, IMDSv2 ${m.httpTokens}, hop limit ${m.httpPutResponseHopLimit}, ` +
      `root ${ebs.volumeSize} GiB ${ebs.volumeType}${ebs.encrypted === "true" ? " encrypted" : ""}, public IP ${r.inputs.networkInterfaces?.[0]?.associatePublicIpAddress === "true" ? "yes" : "no"}`;
  },
  "aws:autoscaling/group:Group": (r) => {
    const types = r.inputs.mixedInstancesPolicy?.launchTemplate?.overrides?.map((o: any) => o.instanceType) ?? [];
    const spot = r.inputs.mixedInstancesPolicy?.instancesDistribution?.onDemandPercentageAboveBaseCapacity === 0;
    const warm = r.inputs.warmPool ? `, warm pool ${r.inputs.warmPool.minSize} ${r.inputs.warmPool.poolState}` : "";
    return `${r.inputs.name}: ${r.inputs.minSize}..${r.inputs.maxSize}${types.length ? ` of ${types.join("/")}` : ""}${spot ? " (Spot above the minimum)" : ""}` +
      `${warm}, scale-in protected, refresh on launch template change`;
  },
  "aws:ecs/capacityProvider:CapacityProvider": (r) => {
    const p = r.inputs.autoScalingGroupProvider ?? {};
    return `${r.inputs.name}: managed scaling target ${p.managedScaling?.targetCapacity}%, termination protection ${p.managedTerminationProtection}, draining ${p.managedDraining}`;
  },
  "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (r) =>
    `${r.inputs.capacityProviders?.join(" + ")} on cluster ${r.inputs.clusterName} (default ${r.inputs.defaultCapacityProviderStrategies?.[0]?.capacityProvider})`,
  "aws:ecs/accountSettingDefault:AccountSettingDefault": (r) => `${r.inputs.name} = ${r.inputs.value}`,
  "aws:imagebuilder/imageRecipe:ImageRecipe": (r) => `${r.inputs.name} from ${r.inputs.parentImage}`,
  "aws:imagebuilder/image:Image": (r) => `builds the host AMI (tests ${r.inputs.imageTestsConfiguration?.imageTestsEnabled ? "on" : "off"})`,
  "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": (r) =>
    `${r.inputs.name}: ${r.inputs.instanceTypes?.join(", ")} in ${r.inputs.subnetId}, IMDSv2 ${r.inputs.instanceMetadataOptions?.httpTokens}`,

  // Services layer.
  ...SERVICE_SUMMARIES,
};

export function summarize(r: CapturedResource, g: StackGraph): string {
  const fn = SUMMARIES[r.type];
  if (fn) return fn(r, g);
  return typeof r.inputs.name === "string" ? r.inputs.name : "";
}
