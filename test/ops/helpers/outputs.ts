// A complete, realistic set of stack outputs (the contract in stackOutputs.ts) for the ops tests.
import type { StackOutputs } from "../../../stackOutputs";

export function stackOutputs(stack: "staging" | "prod" = "staging"): StackOutputs {
  const p = `remote-claude-${stack}`;
  const acct = "123456789012";
  const region = "ap-northeast-1";
  return {
    stack,
    region,
    accountId: acct,
    vpcId: "vpc-0a1b2c3d",
    vpcCidr: "10.20.0.0/16",
    availabilityZones: ["ap-northeast-1a", "ap-northeast-1c"],
    publicSubnetIds: ["subnet-pub-a", "subnet-pub-c"],
    privateSubnetIds: ["subnet-priv-a", "subnet-priv-c"],
    isolatedSubnetIds: ["subnet-iso-a", "subnet-iso-c"],
    securityGroupIds: {
      alb: "sg-alb", backend: "sg-backend", workspace: "sg-workspace", egressProxyLb: "sg-egress-proxy-lb", egressProxy: "sg-egress-proxy", backendHosts: "sg-backend-hosts",
      workspaceHosts: "sg-workspace-hosts", endpoints: "sg-endpoints", database: "sg-database", redis: "sg-redis",
    },
    dnsFirewallRuleGroupId: "rslvr-frg-1",
    dnsFirewallAssociationId: "rslvr-frgassoc-1",
    dnsFirewallCatchAllDomainListId: "rslvr-fdl-everything1",
    flowLogGroupName: `/${p}/flow-logs`,
    dnsQueryLogGroupName: `/${p}/dns-queries`,
    clusterName: p,
    clusterArn: `arn:aws:ecs:${region}:${acct}:cluster/${p}`,
    amiId: "ami-0123456789abcdef0",
    backendCapacityProvider: `${p}-backend`,
    workspaceCapacityProvider: `${p}-workspace`,
    backendAutoScalingGroup: `${p}-backend-hosts`,
    workspaceAutoScalingGroup: `${p}-workspace-hosts`,
    backendLaunchTemplateId: "lt-backend",
    workspaceLaunchTemplateId: "lt-workspace",
    backendServiceName: `${p}-backend`,
    backendTaskDefinitionFamily: `${p}-backend`,
    workspaceTaskDefinitionFamily: `${p}-workspace`,
    workspaceTaskDefinitionArn: `arn:aws:ecs:${region}:${acct}:task-definition/${p}-workspace:7`,
    workspaceExecutionRoleArn: `arn:aws:iam::${acct}:role/${p}-workspace-exec`,
    albDnsName: `${p}-alb-123.${region}.elb.amazonaws.com`,
    albArnSuffix: `app/${p}/abc`,
    backendTargetGroupArn: `arn:aws:elasticloadbalancing:${region}:${acct}:targetgroup/${p}-backend/def`,
    backendTargetGroupArnSuffix: `targetgroup/${p}-backend/def`,
    // Blue/green (prod) swaps traffic between two target groups; healthy targets count across both.
    backendTargetGroupArns: [`arn:aws:elasticloadbalancing:${region}:${acct}:targetgroup/${p}-backend/def`],
    backendLogGroupName: `/${p}/backend`,
    workspaceLogGroupName: `/${p}/workspace`,
    ecrRepositoryUrls: {
      backend: `${acct}.dkr.ecr.${region}.amazonaws.com/${p}/backend`,
      workspace: `${acct}.dkr.ecr.${region}.amazonaws.com/${p}/workspace`,
      credentialProxy: `${acct}.dkr.ecr.${region}.amazonaws.com/${p}/credential-proxy`,
      ...(stack === "prod" ? { egressProxy: `${acct}.dkr.ecr.${region}.amazonaws.com/${p}/egress-proxy` } : {}),
    },
    dbInstanceIdentifier: `${p}-db`,
    redisReplicationGroupId: `${p}-redis`,
    credentialProxySecretArn: `arn:aws:secretsmanager:${region}:${acct}:secret:${p}/proxy-AbCdEf`,
    alarmTopicArn: `arn:aws:sns:${region}:${acct}:${p}-alarms`,
    alarmNames: [`${p}-backend-5xx`, `${p}-unhealthy-targets`, `${p}-backend-running-below-desired`],
    dashboardName: p,
    fisTemplateIds: { "kill-backend-task": "EXTkill123", "drain-az": "EXTdrain456" },
    metricsNamespace: "RemoteClaude",
    workspaceVolumeRoleArn: `arn:aws:iam::${acct}:role/${p}-workspace-volumes`,
    workspaceVolumeKeyArn: `arn:aws:kms:${region}:${acct}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
    workspaceVolumeSettings: { volumeName: "workspace", volumeType: "gp3", sizeGiB: 20, iops: 3000, throughputMiBps: 125, filesystem: "xfs", stackTag: stack },
    retainedVolumesAlarmName: `${p}-retained-workspace-volumes`,
    // Staging runs dns-firewall, prod the egress proxy.
    egressMode: stack === "prod" ? "proxy" : "dns-firewall",
    seccompPtrace: "allowed",
    workspaceSubnetIds: ["subnet-ws-a", "subnet-ws-c"],
    egressProxy: stack === "prod"
      ? {
        url: `http://internal-${p}-egress-0123456789abcdef.elb.${region}.amazonaws.com:3128`,
        serviceName: `${p}-egress-proxy`,
        logGroupName: `/${p}/egress-proxy`,
        metricsNamespace: `RemoteClaude/EgressProxy/${p}`,
      }
      : {},
  };
}
