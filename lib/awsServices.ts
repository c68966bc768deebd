// The AWS services the platform reaches from inside the VPC, per region: the interface endpoints
// to create and the exact DNS names the DNS Firewall must allow. One table, so an endpoint and its
// allowed name cannot drift apart. No wildcard over amazonaws.com is ever produced. Every name the
// hosts and the AMI build resolve is audited below (NAME_AUDIT): who resolves it and the source
// that says so, and the names left out on purpose (REFUSED_NAMES).

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

/**
 * How the ECS agent's ACS and TCS names come about, read in aws/amazon-ecs-agent at commit
 * 8dfceca6cf380a83c3007349317566f2862f0673 (2026-06-30):
 * - ecs-agent/api/ecs/client/ecs_client.go:898 calls DiscoverPollEndpoint on the ECS API
 *   (ecs.<region>.amazonaws.com, through the `ecs` interface endpoint here); :825 and :837 return
 *   the answer's `endpoint` and `telemetryEndpoint` strings unchanged.
 * - ecs-agent/acs/session/session.go:265 discovers the ACS endpoint and :278 dials acsURL(it), which
 *   (:419-437) only appends "ws" and a query: the host is the one ECS returned.
 * - ecs-agent/tcs/handler/handler.go:244 discovers the TCS endpoint; formatURL (:326-339) appends
 *   "ws" and a query: again ECS's host.
 * - ecs-agent/api/ecs/client/ecs_client.go:52 caches the answer 12 hours, and :908-919 falls back to
 *   an expired one when the call fails: an agent that registered through the public ECS endpoint
 *   keeps its names for hours, hence hosts boot only after the endpoints exist (components/hosts.ts).
 * So the names are ECS's answer. Through the public endpoint it is numbered
 * (https://ecs-a-4.eu-west-1.amazonaws.com/, aws/amazon-ecs-agent#2169, and ecs-t-N); a call
 * through the `ecs` interface endpoint gets the un-numbered ecs-a.<region>/ecs-t.<region>
 * (aws-samples/aws-secure-environment-accelerator#1052: agents behind PrivateLink dial
 * ecs-a.ca-central-1.amazonaws.com), which is exactly what the ecs-agent and ecs-telemetry
 * endpoints' private DNS answers: AWS's Landing Zone Accelerator recreates those private zones as
 * ecs-a.<region>.amazonaws.com and ecs-t.<region>.amazonaws.com with an apex record only
 * (awslabs/landing-zone-accelerator-on-aws, source/packages/@aws-accelerator/constructs/lib/
 * aws-route-53/hosted-zone.ts, getHostedZoneNameForService; no wildcard record for them in
 * network-vpc-dns-stack.ts createRecordSets). ecs-a-N is outside those zones (another label), and
 * the DNS Firewall can express it only as *.<region>.amazonaws.com, which would admit every AWS
 * name: the list holds the exact un-numbered names, the `ecs` endpoint is created after the other
 * two (ECS Developer Guide, "Creating the VPC endpoints for Amazon ECS": in the order listed), and
 * a numbered name in the query log (ALERT) means an agent that bypassed the endpoint.
 */
export const ECS_AGENT_NAMES = {
  acs: (region: string) => `ecs-a.${region}.amazonaws.com`,
  tcs: (region: string) => `ecs-t.${region}.amazonaws.com`,
} as const;

const INTERFACE_SERVICES: readonly InterfaceEndpointService[] = [
  // ECR API; the registry host (<account>.dkr.ecr.<region>.amazonaws.com) is account specific.
  { id: "ecr-api", service: "ecr.api", names: simple("api.ecr"), usedBy: "hosts (image pulls), CI" },
  { id: "ecr-dkr", service: "ecr.dkr", names: () => [], usedBy: "hosts (image pulls)" },
  { id: "logs", service: "logs", names: simple("logs"), usedBy: "hosts (awslogs driver), flow logs" },
  { id: "monitoring", service: "monitoring", names: simple("monitoring"), usedBy: "backend and ops metrics" },
  { id: "secretsmanager", service: "secretsmanager", names: simple("secretsmanager"), usedBy: "ECS agent (task secrets)" },
  // The ECS agent dials, verbatim, the URLs DiscoverPollEndpoint returns (ACS: endpoint, TCS:
  // telemetryEndpoint); it never builds an ecs-a/ecs-t name itself. See ECS_AGENT_NAMES above.
  { id: "ecs", service: "ecs", names: simple("ecs"), usedBy: "ECS agent, backend (RunTask)" },
  { id: "ecs-agent", service: "ecs-agent", names: (r) => [ECS_AGENT_NAMES.acs(r)], usedBy: "ECS agent (ACS)" },
  { id: "ecs-telemetry", service: "ecs-telemetry", names: (r) => [ECS_AGENT_NAMES.tcs(r)], usedBy: "ECS agent (TCS)" },
  { id: "ssm", service: "ssm", names: simple("ssm"), usedBy: "SSM agent on hosts, AMI parameter" },
  // The SSM agent's messages (Run Command as well as Session Manager) go through ssmmessages; the
  // retired ec2messages gets no endpoint (REFUSED_NAMES says why).
  { id: "ssmmessages", service: "ssmmessages", names: simple("ssmmessages"), usedBy: "SSM agent (Run Command and Session Manager messages)" },
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

function ecrRegistryHost(accountId: string, region: string): string {
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
  names.push(instanceHostnames(region));
  return [...new Set(names)].sort();
}

/** The VPC's own instance hostnames (ip-10-0-1-2.<region>.compute.internal; ec2.internal in us-east-1). */
function instanceHostnames(region: string): string {
  return region === "us-east-1" ? "*.ec2.internal" : `*.${region}.compute.internal`;
}

/** One name a host, the ECS agent, the backend, a workspace or the AMI build resolves. */
interface NameEvidence {
  readonly host: (region: string, accountId: string) => string;
  readonly resolvedBy: string;
  /** The source that says this client resolves this name: code (file:line at a commit) or AWS's documentation. */
  readonly source: string;
  /** botocore's service name when botocore's endpoint rules give this exact host (the tests' judge). */
  readonly botocoreService?: string;
  /** Regions the name exists in, when not all. */
  readonly onlyIn?: (region: string) => boolean;
}

const regional = (label: string) => (region: string) => `${label}.${region}.amazonaws.com`;
const bucketHost = (label: string) => (region: string) => gatewayBuckets(region).find((b) => b.bucket.startsWith(label))!.host;
const ECS_AGENT_AT = "aws/amazon-ecs-agent@8dfceca6cf38";
const SSM_AGENT_AT = "aws/amazon-ssm-agent@1c217c89b42d";
const ECS_AMI_AT = "aws/amazon-ecs-ami@a2532d3503f2";

/**
 * The audit behind platformAwsDomains: every name it allows, who resolves it and why we know.
 * Checked 2026-12-05; tests hold the list and this table equal and compare the API hosts with
 * botocore's endpoint rules.
 */
export const NAME_AUDIT: readonly NameEvidence[] = [
  { host: regional("ecs"), resolvedBy: "ECS agent (register, DiscoverPollEndpoint, state changes); backend (RunTask)", source: `${ECS_AGENT_AT} ecs-agent/api/ecs/client/ecs_client.go:142,898`, botocoreService: "ecs" },
  { host: ECS_AGENT_NAMES.acs, resolvedBy: "ECS agent (ACS websocket)", source: `${ECS_AGENT_AT} ecs-agent/acs/session/session.go:265,278; see ECS_AGENT_NAMES` },
  { host: ECS_AGENT_NAMES.tcs, resolvedBy: "ECS agent (TCS websocket: metrics, Container Insights)", source: `${ECS_AGENT_AT} ecs-agent/tcs/handler/handler.go:184,244; see ECS_AGENT_NAMES` },
  { host: regional("api.ecr"), resolvedBy: "ECS agent (GetAuthorizationToken with the execution role)", source: `${ECS_AGENT_AT} agent/ecr/factory.go:126 (SDK default endpoint)`, botocoreService: "ecr" },
  { host: (r, a) => ecrRegistryHost(a, r), resolvedBy: "dockerd pulling the task definitions' images (components/ecr.ts repositories)", source: "ECR User Guide, private registry concepts: https://<account>.dkr.ecr.<region>.amazonaws.com; GetAuthorizationToken's proxyEndpoint" },
  { host: bucketHost("prod-"), resolvedBy: "dockerd following the registry's redirect for each layer", source: `${ECS_AGENT_AT} agent/dockerclient/dockerapi/errors_test.go:77 (a pull error naming prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com); agent/dockerclient/dockerapi/errors.go:445 redacts these URLs` },
  { host: regional("logs"), resolvedBy: "dockerd's awslogs driver; the AMI build's log group", source: "host/files/ecs.config.tmpl (ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE); services' awslogs logConfiguration", botocoreService: "logs" },
  { host: regional("monitoring"), resolvedBy: "backend (PutMetricData)", source: "lib/metrics.ts (the backend's WorkspaceLaunchFailures); services/backend.ts METRICS_NAMESPACE", botocoreService: "cloudwatch" },
  { host: regional("secretsmanager"), resolvedBy: "ECS agent (task secrets)", source: `${ECS_AGENT_AT} agent/asm/factory/factory.go:63`, botocoreService: "secretsmanager" },
  { host: regional("ssm"), resolvedBy: "SSM agent (enabled in the ECS AMI); Image Builder's Run Command", source: `${ECS_AMI_AT} scripts/enable-services.sh:6`, botocoreService: "ssm" },
  { host: regional("ssmmessages"), resolvedBy: "SSM agent (Session Manager channels; Run Command documents through the Message Gateway Service since agent 3.3.40.0)", source: `${SSM_AGENT_AT} agent/session/config/config.go:29; Systems Manager User Guide, "Reference: ec2messages, ssmmessages, and other API operations"` },
  { host: regional("ec2"), resolvedBy: "backend (find and snapshot workspace volumes for the resume path)", source: "lib/workloadIam.ts workspaceResumeStatements (ec2:DescribeVolumes, DescribeSnapshots, CreateSnapshot)", botocoreService: "ec2" },
  { host: regional("imagebuilder"), resolvedBy: "AWSTOE on the AMI build and test instances (GetComponent)", source: "Image Builder User Guide, VPC endpoints; components/hostImage.ts (imagebuilder:GetComponent)", botocoreService: "imagebuilder" },
  { host: bucketHost("ec2imagebuilder-toe-"), resolvedBy: "the AMI build and test instances downloading AWSTOE", source: "Image Builder User Guide, Manage AWSTOE (ec2imagebuilder-toe-<region>-prod)" },
  {
    host: bucketHost("al2023-repos-"),
    resolvedBy: "dnf (mirror list and packages on one host): an operator's install through Session Manager; no boot step runs it",
    source: `AL2023 User Guide, package repositories; the ECS AMI sets cloud-init repo_upgrade: none (${ECS_AMI_AT} files/90_ecs.cfg.amzn2:2)`,
  },
  {
    host: regional("bedrock-runtime"),
    resolvedBy: "workspaces through the credential proxy",
    source: "the design's workspace flow (lib/flows.ts: workspace → endpoints 443, Bedrock runtime); NO_PROXY in lib/workspaceContainers.ts",
    botocoreService: "bedrock-runtime",
    onlyIn: (r) => BEDROCK_RUNTIME_REGIONS.has(r),
  },
  { host: instanceHostnames, resolvedBy: "the OS (its own and peers' instance hostnames)", source: "EC2 User Guide, instance hostname types (ip-a-b-c-d.<region>.compute.internal; ec2.internal in us-east-1)" },
];

/**
 * A name a host could resolve that the allow list leaves out on purpose. (EC2's API is allowed for
 * the backend, not because hosts need it: the agent calls it only with
 * ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance, agent/app/agent.go:849 at the commit
 * above, which ecs.config does not set.)
 */
interface RefusedName {
  readonly host: (region: string) => string;
  readonly why: string;
}

export const REFUSED_NAMES: readonly RefusedName[] = [
  { host: (r) => `ecs-a-1.${r}.amazonaws.com`, why: "numbered ACS names come only through the public ECS endpoint (ECS_AGENT_NAMES); the agent here goes through the `ecs` interface endpoint" },
  { host: (r) => `ecs-t-1.${r}.amazonaws.com`, why: "numbered TCS names, likewise" },
  { host: (r) => `ecs-sc.${r}.api.aws`, why: `Service Connect's relay (${ECS_AGENT_AT} agent/engine/serviceconnect/manager_linux.go:302): no service uses Service Connect` },
  {
    host: (r) => `amazon-ecs-agent-${r}.s3.${r}.amazonaws.com`,
    why: `ecs-init downloads the agent only when its cache is empty (${ECS_AGENT_AT} ecs-init/engine/engine.go:191-209); the ECS AMI ships it cached (packaging/amazon-linux-ami-integrated/ecs-agent.spec:296-298), and agent updates are off (agent/config/config.go:542)`,
  },
  {
    // Checked 2026-12-05. AWS's notice, as quoted in ministryofjustice/modernisation-platform#13918
    // (2026-09-04): "AWS retires the ec2messages SSM endpoint on 30 Sep 2026 (extended from 16 Jun
    // 2026)"; the fix it names is SSM Agent >= 3.3.40.0, which "uses ssmmessages whenever available".
    // The Systems Manager User Guide ("Reference: ec2messages, ssmmessages, and other API
    // operations"; VPC endpoints: com.amazonaws.<region>.ec2messages) says the same of 3.3.40.0:
    // Command documents come through ssmmessages when it is reachable, ec2messages only otherwise.
    host: regional("ec2messages"),
    why: `retired 2026-09-30; the SSM agent (>= 3.3.40.0, as every ECS AMI of 2026 ships) takes its messages through ssmmessages, which has an endpoint. Its legacy delivery path is still in the agent's source (${SSM_AGENT_AT} agent/runcommand/mds/service.go:92) and only runs when ssmmessages is unreachable`,
  },
  { host: regional("sts"), why: "nothing on a host calls STS: the instance role comes from IMDS, task roles from the ECS agent" },
  { host: regional("kms"), why: "hosts decrypt nothing themselves: Secrets Manager (kms:ViaService, lib/workloadIam.ts), EBS, ECR and CloudWatch Logs decrypt server-side" },
  { host: regional("s3"), why: "path-style S3 would reach every bucket by name; the platform's buckets are reached by their virtual-host names only" },
];
