// Where an IAM action's call goes: the interface endpoint (an id of lib/awsServices.ts) or the S3
// gateway that must carry it, or nothing at all because the action only authorises part of another
// call. The reachability policy (policy/reachability.ts) walks every role's allowed actions through
// this table; test/reachability.test.ts holds the table to botocore's service models (each action's
// endpointPrefix), so a wrong entry fails there rather than at a first deploy.

/** How a caller in the VPC reaches what an action needs. */
export type CallTarget =
  | { readonly kind: "endpoint"; readonly endpoint: string }
  /** An object in an S3 bucket, through the gateway endpoint (the bucket is the statement's, or named here). */
  | { readonly kind: "s3"; readonly bucket?: (region: string) => string };

type CallRoute =
  | { readonly kind: "call"; readonly targets: readonly CallTarget[] }
  /** No request of its own: the action authorises part of another call, which `by` names. */
  | { readonly kind: "authorization"; readonly by: string }
  | { readonly kind: "unknown" };

const endpoint = (id: string): CallTarget => ({ kind: "endpoint", endpoint: id });

/** ECR's layer bucket: an image pull downloads its layers from it (ECR User Guide, "Amazon ECR interface VPC endpoints"). */
const ecrLayerBucket = (region: string) => `prod-${region}-starport-layer-bucket`;

/** The endpoint each service prefix's API is served from, where every action of the prefix goes to one. */
const BY_PREFIX: Readonly<Record<string, string>> = {
  ecs: "ecs",
  ecr: "ecr-api",
  logs: "logs",
  cloudwatch: "monitoring",
  secretsmanager: "secretsmanager",
  ssm: "ssm",
  ssmmessages: "ssmmessages",
  imagebuilder: "imagebuilder",
  ec2: "ec2",
};

/** Actions served elsewhere than their prefix's API. */
const BY_ACTION: Readonly<Record<string, readonly CallTarget[]>> = {
  // The ECS agent's two long-lived channels have endpoints of their own (ECS Developer Guide,
  // "Amazon ECS interface VPC endpoints"): ACS (Poll) on ecs-a, TCS (telemetry) on ecs-t.
  "ecs:Poll": [endpoint("ecs-agent")],
  "ecs:StartTelemetrySession": [endpoint("ecs-telemetry")],
  // A pull authorises these against the registry host (ecr.dkr), fetches the layers from ECR's bucket
  // through S3, and the same actions are callable on the API (ecr.api) too.
  "ecr:BatchGetImage": [endpoint("ecr-api"), endpoint("ecr-dkr"), { kind: "s3", bucket: ecrLayerBucket }],
  "ecr:GetDownloadUrlForLayer": [endpoint("ecr-api"), endpoint("ecr-dkr"), { kind: "s3", bucket: ecrLayerBucket }],
  "ecr:BatchCheckLayerAvailability": [endpoint("ecr-api"), endpoint("ecr-dkr")],
};

const lower = (s: string) => s.toLowerCase();

/**
 * The route of one allowed action, given the keys its statement's conditions test (lower case).
 * `<service>:CreateAction` ties a grant to a create call (tagging at creation); kms:ViaService ties a
 * key's use to the service that calls KMS on the caller's behalf; iam:PassRole is checked by the
 * service the role is handed to.
 */
export function callRoute(action: string, conditionKeys: readonly string[] = []): CallRoute {
  const [prefix, name = ""] = action.split(":");
  const keys = conditionKeys.map(lower);
  if (lower(action) === "iam:passrole") return { kind: "authorization", by: "the service the role is passed to (RunTask, …)" };
  const createAction = keys.find((k) => k === `${lower(prefix)}:createaction`);
  if (createAction) return { kind: "authorization", by: "the create call that tags the resource" };
  if (lower(prefix) === "kms" && keys.includes("kms:viaservice")) return { kind: "authorization", by: "the service named in kms:ViaService, on AWS's side" };
  const special = Object.entries(BY_ACTION).find(([a]) => lower(a) === lower(action));
  if (special) return { kind: "call", targets: special[1] };
  if (lower(prefix) === "s3" && name) return { kind: "call", targets: [{ kind: "s3" }] };
  const id = BY_PREFIX[lower(prefix)];
  return id ? { kind: "call", targets: [endpoint(id)] } : { kind: "unknown" };
}

/**
 * Service principals whose roles AWS assumes and uses on its own side: their calls never start in the
 * VPC, so no endpoint, name or flow of the stack is involved. Roles of ec2 (instances), ecs-tasks
 * (tasks and the ECS agent) and lambda (a function attached to the VPC) are placed by the graph.
 */
export const AWS_SIDE_PRINCIPALS: Readonly<Record<string, string>> = {
  "fis.amazonaws.com": "AWS FIS runs the experiment's actions itself",
  "ecs.amazonaws.com": "ECS uses its infrastructure roles (volumes, blue/green) itself",
  "vpc-flow-logs.amazonaws.com": "the flow log service delivers to CloudWatch Logs itself",
  "events.amazonaws.com": "EventBridge calls its targets itself",
  "imagebuilder.amazonaws.com": "Image Builder calls AWS itself",
};
