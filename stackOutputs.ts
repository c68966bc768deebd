// The stack outputs: their names and meaning, shared by the program (which exports them) and the
// ops tool (which reads them with `pulumi stack output --json` or from a file). Grouped by the part
// of the platform that produces them; `StackOutputs` is the whole contract.
import type { Input } from "@pulumi/pulumi";
import type { GroupName } from "./lib/flows";
import type { PtraceChoice } from "./host/seccomp";
import type { EgressMode } from "./lib/egress";
import type { WorkspaceVolumeOutputSettings } from "./lib/launchContract";

/** Network, security groups, DNS Firewall and the cluster. */
export interface FoundationOutputs {
  readonly stack: string;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly availabilityZones: string[];
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly isolatedSubnetIds: string[];
  readonly securityGroupIds: Record<GroupName, string>;
  readonly dnsFirewallRuleGroupId: string;
  readonly dnsFirewallAssociationId: string;
  /** The catch-all rule's domain list ("*"): query log entries with this firewall_domain_list_id matched it. */
  readonly dnsFirewallCatchAllDomainListId: string;
  readonly flowLogGroupName: string;
  readonly dnsQueryLogGroupName: string;
  readonly clusterName: string;
  readonly clusterArn: string;
}

/** Host pools: AMI, launch templates, Auto Scaling groups and capacity providers. */
export interface HostOutputs {
  readonly amiId: string;
  readonly backendCapacityProvider: string;
  readonly workspaceCapacityProvider: string;
  readonly backendAutoScalingGroup: string;
  readonly workspaceAutoScalingGroup: string;
  readonly backendLaunchTemplateId: string;
  readonly workspaceLaunchTemplateId: string;
  /** The hosts' ptrace choice (config seccompPtrace); the security drill's ptrace expectation follows it. */
  readonly seccompPtrace: PtraceChoice;
}

/** Backend, workspace, data stores, observability and chaos templates. */
export interface ServiceOutputs {
  readonly backendServiceName: string;
  readonly backendTaskDefinitionFamily: string;
  readonly workspaceTaskDefinitionFamily: string;
  /** ARN with revision: what RunTask launches. */
  readonly workspaceTaskDefinitionArn: string;
  readonly workspaceExecutionRoleArn: string;
  readonly albDnsName: string;
  readonly albArnSuffix: string;
  readonly backendTargetGroupArn: string;
  readonly backendTargetGroupArnSuffix: string;
  /** Every target group the backend serves from: blue, and green with blue/green deployments. */
  readonly backendTargetGroupArns: string[];
  readonly backendLogGroupName: string;
  readonly workspaceLogGroupName: string;
  /** egressProxy only in egressMode proxy. */
  readonly ecrRepositoryUrls: Record<"backend" | "workspace" | "credentialProxy", string> & { readonly egressProxy?: string };
  readonly dbInstanceIdentifier: string;
  readonly redisReplicationGroupId: string;
  readonly credentialProxySecretArn: string;
  readonly alarmTopicArn: string;
  readonly alarmNames: string[];
  readonly dashboardName: string;
  /** FIS experiment template id per drill name (kill-backend-task, drain-az, …). */
  readonly fisTemplateIds: Record<string, string>;
  /** CloudWatch namespace of the platform's own metrics (launch failures, drill results). */
  readonly metricsNamespace: string;
}

/** Workspace storage: what every workspace's RunTask needs for its EBS volume, and the bill alarm. */
export interface StorageOutputs {
  /** The ECS infrastructure role RunTask's volumeConfigurations names. */
  readonly workspaceVolumeRoleArn: string;
  /** The KMS key workspace volumes (and their snapshots) are encrypted with. */
  readonly workspaceVolumeKeyArn: string;
  readonly workspaceVolumeSettings: WorkspaceVolumeOutputSettings;
  readonly retainedVolumesAlarmName: string;
}

/** Egress: the mode in force, where workspaces run, and the egress proxy. */
export interface EgressOutputs {
  /** "proxy" or "dns-firewall" (lib/egress.ts); the security drill's expectations follow it. */
  readonly egressMode: EgressMode;
  /** Where workspace tasks run: RunTask's subnets (the backend's WORKSPACE_SUBNETS, the ops tool). */
  readonly workspaceSubnetIds: string[];
  /** The egress proxy in proxy mode; empty in dns-firewall mode. */
  readonly egressProxy: EgressProxyOutput;
}

export interface EgressProxyOutput {
  /** What workspaces get as HTTPS_PROXY: http://<internal NLB>:3128. */
  readonly url?: string;
  readonly serviceName?: string;
  /** The decision log: one line per request (time, client, method, target, status, verdict). */
  readonly logGroupName?: string;
  /** CloudWatch namespace of its Requests and DeniedRequests metrics. */
  readonly metricsNamespace?: string;
}

export type StackOutputs = FoundationOutputs & HostOutputs & ServiceOutputs & StorageOutputs & EgressOutputs;

/** What a program section returns: every output of the section, each possibly still an Output. */
export type OutputInputs<T> = { readonly [K in keyof T]: Input<T[K]> };

/**
 * Outputs exported under another name by stacks deployed before a rename: new name → old name.
 * The ops tool names the rename when a stack has only the old one (run `pulumi up` to re-export).
 */
export const RENAMED_OUTPUTS: Readonly<Partial<Record<keyof StackOutputs, string>>> = { credentialProxySecretArn: "proxySecretArn" };

/** One line per output, for the README and for `ops` error messages about missing outputs. */
export const STACK_OUTPUT_DOCS: Readonly<Record<keyof StackOutputs, string>> = {
  stack: "Stack name (staging, prod); the ops tool's prod guard reads it.",
  region: "AWS region of the stack.",
  accountId: "AWS account the stack is deployed in.",
  vpcId: "VPC id.",
  vpcCidr: "VPC IPv4 CIDR.",
  availabilityZones: "AZ names, in subnet order.",
  publicSubnetIds: "Public subnets (ALB, NAT), one per AZ.",
  privateSubnetIds: "Private subnets (ECS hosts and tasks), one per AZ.",
  isolatedSubnetIds: "Isolated subnets (RDS, Redis), one per AZ.",
  securityGroupIds: "Security group id per role (alb, backend, workspace, egressProxyLb, egressProxy, backendHosts, workspaceHosts, endpoints, database, redis).",
  dnsFirewallRuleGroupId: "Route 53 Resolver DNS Firewall rule group.",
  dnsFirewallAssociationId: "Its association with the VPC.",
  dnsFirewallCatchAllDomainListId: "Domain list (\"*\") of the DNS Firewall's catch-all rule; `ops egress report` finds the queries it matched by this id.",
  flowLogGroupName: "CloudWatch log group of the VPC flow logs.",
  dnsQueryLogGroupName: "CloudWatch log group of the DNS query logs.",
  clusterName: "ECS cluster name.",
  clusterArn: "ECS cluster ARN.",
  amiId: "AMI the host launch templates use (built by Image Builder or pinned by config).",
  backendCapacityProvider: "Capacity provider of the backend (trusted) host pool.",
  workspaceCapacityProvider: "Capacity provider of the workspace host pool: RunTask uses it.",
  backendAutoScalingGroup: "Auto Scaling group of the backend pool.",
  workspaceAutoScalingGroup: "Auto Scaling group of the workspace pool.",
  backendLaunchTemplateId: "Launch template of the backend pool.",
  workspaceLaunchTemplateId: "Launch template of the workspace pool.",
  seccompPtrace: "The hosts' ptrace choice (allowed or denied, config seccompPtrace): what the security drill expects of its ptrace check.",
  backendServiceName: "ECS service of the backend.",
  backendTaskDefinitionFamily: "Task definition family of the backend.",
  workspaceTaskDefinitionFamily: "Task definition family of the workspace (RunTask's taskDefinition).",
  workspaceTaskDefinitionArn: "Workspace task definition ARN with its revision.",
  workspaceExecutionRoleArn: "Execution role of the workspace task (the only role the backend may pass).",
  albDnsName: "DNS name of the ALB.",
  albArnSuffix: "ALB ARN suffix (CloudWatch LoadBalancer dimension).",
  backendTargetGroupArn: "Target group of the backend service.",
  backendTargetGroupArnSuffix: "Its ARN suffix (CloudWatch TargetGroup dimension).",
  backendTargetGroupArns: "Every target group the backend may serve from (blue, and green when it deploys blue/green: ECS swaps them).",
  backendLogGroupName: "Log group of the backend containers.",
  workspaceLogGroupName: "Log group of the workspace containers (the security probe's verdicts land here).",
  ecrRepositoryUrls: "ECR repository URL per image (backend, workspace, credentialProxy, and egressProxy in proxy mode).",
  dbInstanceIdentifier: "RDS PostgreSQL instance identifier.",
  redisReplicationGroupId: "ElastiCache Redis replication group id.",
  credentialProxySecretArn: "Secrets Manager secret holding the credential proxy's credential.",
  alarmTopicArn: "SNS topic the alarms notify.",
  alarmNames: "Names of the stack's CloudWatch alarms (drills check none is in ALARM).",
  dashboardName: "CloudWatch dashboard of the stack.",
  fisTemplateIds: "FIS experiment template id per failure drill.",
  metricsNamespace: "CloudWatch namespace of the platform's own metrics.",
  workspaceVolumeRoleArn: "ECS infrastructure role that creates and attaches workspace EBS volumes (RunTask's volumeConfigurations names it; the backend may pass it to ECS).",
  workspaceVolumeKeyArn: "KMS key that encrypts workspace volumes and their snapshots.",
  workspaceVolumeSettings: "How every workspace volume is made: volumeName, volumeType (gp3), sizeGiB, iops, throughputMiBps, filesystem, stackTag.",
  retainedVolumesAlarmName: "Alarm on retained (detached) workspace volumes passing a count or GiB threshold (not a health alarm: drills ignore it).",
  egressMode: "Egress mode in force: proxy (no route out; HTTPS through the egress proxy) or dns-firewall (NAT + TCP 443 + DNS Firewall).",
  workspaceSubnetIds: "Subnets workspace tasks run in (RunTask's subnets), one per AZ: no internet route in proxy mode.",
  egressProxy: "The egress proxy in proxy mode (url, serviceName, logGroupName of its decision log, metricsNamespace); empty in dns-firewall mode.",
};
