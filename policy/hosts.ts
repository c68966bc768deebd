// Host invariants, on the launch templates of the ECS host pools: IMDSv2 only with a hop limit of
// 1 (the AL2023 AMI defaults to 2, which lets a bridge-mode container reach IMDS), and an ECS
// agent configured to blackhole IMDS inside every awsvpc task and to refuse privileged containers.
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { decodeUserData, TYPES } from "./util";

export const launchTemplateImdsv2: ResourceValidationPolicy = {
  name: "launch-template-imdsv2-hop-limit-1",
  description: "Launch templates require IMDSv2 (httpTokens \"required\") with a PUT response hop limit of 1.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.launchTemplate) args.notApplicable("not a launch template");
    const options = args.props.metadataOptions;
    if (!options) {
      report(`${args.name}: metadataOptions is not set: the AMI's defaults apply (AL2023: hop limit 2).`);
      return;
    }
    if (options.httpTokens !== "required") report(`${args.name}: metadataOptions.httpTokens must be "required" (IMDSv2 only), not ${JSON.stringify(options.httpTokens)}.`);
    if (options.httpPutResponseHopLimit !== 1) {
      report(`${args.name}: metadataOptions.httpPutResponseHopLimit must be 1, not ${JSON.stringify(options.httpPutResponseHopLimit)}.`);
    }
  },
};

/** ECS agent settings every host's /etc/ecs/ecs.config must carry. */
export const REQUIRED_ECS_SETTINGS: Readonly<Record<string, string>> = {
  ECS_AWSVPC_BLOCK_IMDS: "true",
  ECS_DISABLE_PRIVILEGED: "true",
};

export const launchTemplateBlocksTaskImds: ResourceValidationPolicy = {
  name: "launch-template-ecs-agent-hardening",
  description: "Launch template user data sets ECS_AWSVPC_BLOCK_IMDS=true (no IMDS inside awsvpc tasks) and ECS_DISABLE_PRIVILEGED=true, and never the opposite.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.launchTemplate) args.notApplicable("not a launch template");
    const userData = args.props.userData;
    if (typeof userData !== "string" || userData === "") {
      report(`${args.name}: has no user data, so the ECS agent runs with its defaults (IMDS reachable from awsvpc tasks).`);
      return;
    }
    let text: string;
    try {
      text = decodeUserData(userData);
    } catch (err) {
      report(`${args.name}: user data cannot be decoded (base64, optionally gzip): ${(err as Error).message}`);
      return;
    }
    for (const [key, value] of Object.entries(REQUIRED_ECS_SETTINGS)) {
      const settings = [...text.matchAll(new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=\\s*["']?([^"'\\s]*)`, "gm"))].map((m) => m[1]);
      if (settings.length === 0) report(`${args.name}: user data does not set ${key}=${value}.`);
      else if (settings.some((v) => v !== value)) report(`${args.name}: user data sets ${key} to ${settings.join(", ")}; it must be ${value} only.`);
    }
  },
};
