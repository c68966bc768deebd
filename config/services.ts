// Services config: images, the ALB, the backend service and its scaling, the workspace task's
// size, and alarm thresholds. Cross checks: prod needs a certificate in the stack's region, and
// the backend's counts must nest (min ≤ desired ≤ max).
import * as fs from "node:fs";
import * as path from "node:path";
import type { CrossCheck } from "./problems";
import { boolean, integer, oneOf, optional, string } from "./schema";

/** The project directory: build contexts are relative to it, as Pulumi runs the program there. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

const ACM_ARN = /^arn:aws(-[a-z]+)*:acm:([a-z]{2}(-gov)?-[a-z]+-\d):(\d{12}):certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Region and account of an ACM certificate ARN, or undefined when it is not one. */
export function parseCertificateArn(arn: string): { region: string; accountId: string } | undefined {
  const match = ACM_ARN.exec(arn);
  return match ? { region: match[2], accountId: match[4] } : undefined;
}

/** Why `value` is not an image reference in the stack's repository: a tag or a digest. */
export function imageRefProblem(value: string): string | undefined {
  if (/^sha256:[0-9a-f]{64}$/.test(value)) return undefined;
  if (value.startsWith("sha256:")) return "is not a digest: sha256: and 64 lower-case hex digits";
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(value)) return "is not an image tag (letters, digits, '.', '_', '-'; at most 128) or a digest (sha256:…)";
  // The repositories have immutable tags: "latest" could be pushed once and never moved.
  if (value === "latest") return 'is "latest", which an immutable repository cannot move: use a version, a git sha or a digest';
  return undefined;
}

export function buildContextProblem(value: string): string | undefined {
  const dir = path.resolve(PROJECT_ROOT, value);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return `is not a directory (resolved to ${dir})`;
  if (!fs.existsSync(path.join(dir, "Dockerfile"))) return `has no Dockerfile (${path.join(dir, "Dockerfile")})`;
  return undefined;
}

const imageKey = (what: string) =>
  string({
    description: `Image of the ${what}: a tag or a digest (sha256:…) in the stack's own ECR repository; with a build context, the tag the built image is pushed under.`,
    required: true,
    expected: "an image tag other than latest, or a digest sha256:<64 hex>",
    check: imageRefProblem,
  });

const buildContextKey = (what: string) =>
  optional(string({
    description: `Docker build context of the ${what}, relative to the project directory. Set: \`pulumi up\` builds and pushes it (awsx.ecr.Image) and the task runs that exact digest.`,
    expected: "a directory with a Dockerfile, relative to the project directory",
    check: buildContextProblem,
  }));

export const serviceKeys = {
  certificateArn: optional(string({
    description:
      "ACM certificate of the ALB's HTTPS listener, in the stack's region and account. Required in prod; unset elsewhere, the ALB serves plain HTTP on 80 only.",
    expected: "an ACM certificate ARN arn:aws:acm:<region>:<account>:certificate/<uuid>",
    check: (v) => (parseCertificateArn(v) ? undefined : "is not an ACM certificate ARN"),
  })),
  albIdleTimeoutSeconds: integer({
    description: "ALB idle timeout: how long a streaming response may stay silent before the ALB closes it.",
    default: 3600,
    min: 60,
    max: 4000,
    unit: "seconds",
  }),
  backendImage: imageKey("backend"),
  workspaceImage: imageKey("workspace agent"),
  credentialProxyImage: imageKey("credential proxy sidecar"),
  backendBuildContext: buildContextKey("backend image"),
  workspaceBuildContext: buildContextKey("workspace agent image"),
  credentialProxyBuildContext: buildContextKey("credential proxy image"),
  backendCpu: integer({ description: "CPU units of a backend task (1024 = 1 vCPU).", default: 512, min: 256, max: 8192, unit: "CPU units" }),
  backendMemoryMiB: integer({ description: "Memory of a backend task.", default: 1024, min: 512, max: 30720, unit: "MiB" }),
  backendDesiredCount: integer({
    description: "Backend tasks when the service is created; target-tracking scaling owns the count afterwards, within min and max.",
    default: 2,
    min: 1,
    max: 100,
  }),
  backendMinCount: integer({ description: "Fewest backend tasks autoscaling keeps.", default: 2, min: 1, max: 100 }),
  backendMaxCount: integer({ description: "Most backend tasks autoscaling runs.", default: 6, min: 1, max: 100 }),
  backendCpuTargetPercent: integer({ description: "Target average CPU of the backend service for target tracking.", default: 60, min: 10, max: 90, unit: "percent" }),
  backendRequestsPerTaskTarget: integer({
    description: "Target ALB requests per backend task per minute for target tracking.",
    default: 600,
    min: 1,
    max: 100000,
  }),
  backendHealthCheckPath: string({
    description: "HTTP path the ALB and the container health check probe on the backend (port 8000).",
    default: "/health",
    expected: "an absolute URL path",
    check: (v) => (/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(v) ? undefined : "is not an absolute path"),
  }),
  backendHealthCheckGraceSeconds: integer({
    description: "Seconds ECS ignores failing ALB health checks of a new backend task while it starts.",
    default: 60,
    min: 0,
    max: 3600,
    unit: "seconds",
  }),
  backendDeploymentStrategy: oneOf(["rolling", "blueGreen"] as const, {
    description: "How the backend deploys: ECS rolling update, or ECS native blue/green behind the ALB (two target groups, traffic shifted by ECS).",
    default: "rolling",
  }),
  // A coding workspace mostly waits on the model and sometimes compiles: it reserves a share and
  // bursts into idle cores. 384 + the credential proxy's 128 = 512 units per 2176 MiB keeps the
  // default task bound by memory, not CPU, on general-purpose types (4 GiB per vCPU), where the
  // advisor meets the design's cost goal (docs/scale.md).
  workspaceAgentCpu: integer({
    description: "CPU units of the workspace agent container (1024 = 1 vCPU): its placement reservation and its Docker CPU shares (a weight under contention, not a cap; workspaceCpuHardLimit makes the task's sum a cap).",
    default: 384,
    min: 128,
    max: 16384,
    unit: "CPU units",
  }),
  /**
   * Whether the workspace task definition sets a task-level `cpu` (the sum of its containers'),
   * which ECS on EC2 makes both the placement reservation and a hard CFS quota on the task's
   * cgroup. false (default): no task-level cpu; the containers' cpu units are the reservation and
   * CPU shares, so a workspace uses idle cores freely and, when the host is busy, the kernel
   * divides the CPU by weight (every workspace gets at least its reservation, none starves
   * another). true: a workspace never uses more than its reservation, even on an idle host
   * (predictable, but a build runs at the reserved speed while cores sit idle).
   */
  workspaceCpuHardLimit: boolean({
    description: "Cap each workspace at its CPU reservation (task-level cpu = the containers' sum, a hard CFS quota on ECS on EC2). false (default): the reservation is a weight (CPU shares): a workspace bursts into idle cores and, under contention, the kernel divides CPU by weight, so none starves another; the risk is that a workspace's speed depends on its neighbours. true: predictable, never faster than the reservation even on an idle host.",
    default: false,
  }),
  workspaceAgentMemoryMiB: integer({ description: "Hard memory limit of the workspace agent container.", default: 2048, min: 256, max: 61440, unit: "MiB" }),
  workspaceTmpfsMiB: integer({ description: "Size of the workspace agent's /tmp (tmpfs; the root filesystem is read-only).", default: 512, min: 16, max: 8192, unit: "MiB" }),
  alarmEmail: optional(string({
    description: "E-mail address subscribed to the alarm topic (confirm the subscription mail). Unset: subscribe your own endpoints to the topic.",
    expected: "an e-mail address",
    check: (v) => (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? undefined : "is not an e-mail address"),
  })),
  backend5xxThreshold: integer({ description: "5xx responses (ALB and targets) in 5 minutes that raise the backend 5xx alarm.", default: 10, min: 1, max: 100000 }),
  workspaceLaunchFailureThreshold: integer({
    description: "Workspace launch failures (metric WorkspaceLaunchFailures) in 5 minutes that raise the launch-failure alarm.",
    default: 5,
    min: 1,
    max: 10000,
  }),
};

export const serviceChecks: CrossCheck[] = [
  (cfg, report) => {
    if (cfg.certificateArn === undefined) {
      if (cfg.isProd) {
        report("certificateArn", undefined, "an ACM certificate ARN: production serves HTTPS only (request or import one in ACM in this region)");
      }
      return;
    }
    const cert = parseCertificateArn(cfg.certificateArn);
    if (cert && cert.region !== cfg.region) {
      report("certificateArn", cfg.certificateArn, `a certificate in the stack's region ${cfg.region} (an ALB can only use ACM certificates of its own region); this one is in ${cert.region}`);
    }
  },
  (cfg, report) => {
    if (cfg.backendMinCount > cfg.backendMaxCount) {
      report("backendMinCount", cfg.backendMinCount, `at most backendMaxCount (${cfg.backendMaxCount})`);
    } else if (cfg.backendDesiredCount < cfg.backendMinCount || cfg.backendDesiredCount > cfg.backendMaxCount) {
      report("backendDesiredCount", cfg.backendDesiredCount, `a count from backendMinCount (${cfg.backendMinCount}) to backendMaxCount (${cfg.backendMaxCount})`);
    }
  },
  (cfg, report) => {
    // A built image is pushed under its tag; a digest names an image that already exists.
    const pairs = [
      ["backendImage", cfg.backendImage, cfg.backendBuildContext],
      ["workspaceImage", cfg.workspaceImage, cfg.workspaceBuildContext],
      ["credentialProxyImage", cfg.credentialProxyImage, cfg.credentialProxyBuildContext],
    ] as const;
    for (const [key, ref, context] of pairs) {
      if (context !== undefined && ref?.startsWith("sha256:")) {
        report(key, ref, `a tag to push the image built from ${context} under (a digest names an existing image; unset the build context to use it)`);
      }
    }
  },
  (cfg, report) => {
    // One backend task is one AZ: production keeps at least two so an AZ or a host can fail.
    if (cfg.isProd && cfg.backendMinCount < 2) {
      report("backendMinCount", cfg.backendMinCount, "at least 2 in production, so the backend survives the loss of a task, a host or an AZ");
    }
  },
];
