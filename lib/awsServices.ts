// The AWS services the platform reaches from inside the VPC, per region: the interface endpoints
// to create and the exact DNS names the DNS Firewall must allow. One table, so an endpoint and its
// allowed name cannot drift apart. No wildcard over amazonaws.com is ever produced.

export interface InterfaceEndpointService {
  /** Short id used in resource names, e.g. "ecr-api". */
  readonly id: string;
  /** The PrivateLink service suffix after com.amazonaws.<region>. */
  readonly service: string;
  /** Names clients resolve for this service (account-specific ones are built by the caller). */
  readonly names: (region: string) => readonly string[];
  readonly usedBy: string;
}

// Regions where Amazon Bedrock runtime (and its PrivateLink endpoint) is offered, after the AWS
// General Reference page "Amazon Bedrock endpoints and quotas". Kept by hand: add a region when
// AWS does; a region missing here only means no bedrock-runtime endpoint is created.
export const BEDROCK_RUNTIME_REGIONS: ReadonlySet<string> = new Set([
  "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "sa-east-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2",
  "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
]);

const simple = (host: string) => (region: string) => [`${host}.${region}.amazonaws.com`];

const INTERFACE_SERVICES: readonly InterfaceEndpointService[] = [
  // ECR API; the registry host (<account>.dkr.ecr.<region>.amazonaws.com) is account specific.
  { id: "ecr-api", service: "ecr.api", names: simple("api.ecr"), usedBy: "hosts (image pulls), CI" },
  { id: "ecr-dkr", service: "ecr.dkr", names: () => [], usedBy: "hosts (image pulls)" },
  { id: "logs", service: "logs", names: simple("logs"), usedBy: "hosts (awslogs driver), flow logs" },
  { id: "monitoring", service: "monitoring", names: simple("monitoring"), usedBy: "backend and ops metrics" },
  { id: "secretsmanager", service: "secretsmanager", names: simple("secretsmanager"), usedBy: "ECS agent (task secrets)" },
  // With the ecs endpoint in place the agent is sent to the un-numbered ecs-a/ecs-t names
  // (ECS Developer Guide, "Understanding Amazon ECS endpoint naming patterns").
  { id: "ecs", service: "ecs", names: simple("ecs"), usedBy: "ECS agent, backend (RunTask)" },
  { id: "ecs-agent", service: "ecs-agent", names: simple("ecs-a"), usedBy: "ECS agent (ACS)" },
  { id: "ecs-telemetry", service: "ecs-telemetry", names: simple("ecs-t"), usedBy: "ECS agent (TCS)" },
  { id: "ssm", service: "ssm", names: simple("ssm"), usedBy: "SSM agent on hosts, AMI parameter" },
  { id: "ssmmessages", service: "ssmmessages", names: simple("ssmmessages"), usedBy: "Session Manager" },
  { id: "ec2messages", service: "ec2messages", names: simple("ec2messages"), usedBy: "SSM agent" },
  // The AMI build instance runs in the private subnets with the hosts' security group (no route
  // out but the endpoints): AWSTOE on it fetches the component document from Image Builder.
  { id: "imagebuilder", service: "imagebuilder", names: simple("imagebuilder"), usedBy: "AMI build instance (AWSTOE GetComponent)" },
  // Resuming a workspace whose host died: the backend finds its kept volume and snapshots it.
  { id: "ec2", service: "ec2", names: simple("ec2"), usedBy: "backend (find and snapshot workspace volumes)" },
];

const BEDROCK_RUNTIME: InterfaceEndpointService = {
  id: "bedrock-runtime",
  service: "bedrock-runtime",
  names: simple("bedrock-runtime"),
  usedBy: "workspaces through the credential proxy",
};

export function interfaceEndpointServices(region: string): readonly InterfaceEndpointService[] {
  return BEDROCK_RUNTIME_REGIONS.has(region) ? [...INTERFACE_SERVICES, BEDROCK_RUNTIME] : INTERFACE_SERVICES;
}

/** S3 buckets reached through the gateway endpoint: its policy allows only these. */
export function gatewayBuckets(region: string): readonly { bucket: string; host: string; usedBy: string }[] {
  const ecrLayers = `prod-${region}-starport-layer-bucket`;
  // Amazon Linux 2023 package repositories (AL2023 User Guide, "Package repositories").
  const al2023Repos = `al2023-repos-${region}-de612dc2`;
  // The AWSTOE binary the Image Builder build and test instances download (Image Builder User
  // Guide, "Manage AWSTOE": ec2imagebuilder-toe-<region>-prod).
  const toe = `ec2imagebuilder-toe-${region}-prod`;
  return [
    { bucket: ecrLayers, host: `${ecrLayers}.s3.${region}.amazonaws.com`, usedBy: "ECR image layers" },
    { bucket: al2023Repos, host: `${al2023Repos}.s3.dualstack.${region}.amazonaws.com`, usedBy: "AL2023 packages (AMI builds)" },
    { bucket: toe, host: `${toe}.s3.${region}.amazonaws.com`, usedBy: "AWSTOE binary (AMI build and test instances)" },
  ];
}

export function ecrRegistryHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}

/**
 * Every AWS name the hosts, the ECS agent, the backend and the endpoints resolve, enumerated for
 * the region. The DNS Firewall allows exactly these plus the configured list and the stack's
 * own data store endpoints.
 */
export function platformAwsDomains(region: string, accountId: string): string[] {
  const names = interfaceEndpointServices(region).flatMap((s) => s.names(region));
  names.push(ecrRegistryHost(accountId, region));
  names.push(...gatewayBuckets(region).map((b) => b.host));
  // The VPC's own instance hostnames (ip-10-0-1-2.<region>.compute.internal; ec2.internal in us-east-1).
  names.push(region === "us-east-1" ? "*.ec2.internal" : `*.${region}.compute.internal`);
  return [...new Set(names)].sort();
}
