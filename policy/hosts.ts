// Host invariants, on the launch templates of the ECS host pools: IMDSv2 only with a hop limit of
// 1 (the AL2023 AMI defaults to 2, which lets a bridge-mode container reach IMDS), an ECS agent
// configured to blackhole IMDS inside every awsvpc task and to refuse privileged containers, and a
// process budget on every task (pids.max on its cgroup).
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { agentTaskCgroupsOn, agentTaskPidsLimit, PID_MAX_LIMIT } from "../lib/taskLimits";
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
const REQUIRED_ECS_SETTINGS: Readonly<Record<string, string>> = {
  ECS_AWSVPC_BLOCK_IMDS: "true",
  ECS_DISABLE_PRIVILEGED: "true",
};

export const launchTemplateBlocksTaskImds: ResourceValidationPolicy = {
  name: "launch-template-ecs-agent-hardening",
  description: "Launch template user data sets ECS_AWSVPC_BLOCK_IMDS=true (no IMDS inside awsvpc tasks) and ECS_DISABLE_PRIVILEGED=true, and never the opposite.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const text = userDataText(args, report, "IMDS reachable from awsvpc tasks");
    if (text === undefined) return;
    for (const [key, value] of Object.entries(REQUIRED_ECS_SETTINGS)) {
      const settings = settingsIn(text, key);
      if (settings.length === 0) report(`${args.name}: user data does not set ${key}=${value}.`);
      else if (settings.some((v) => v !== value)) report(`${args.name}: user data sets ${key} to ${settings.join(", ")}; it must be ${value} only.`);
    }
  },
};

export const launchTemplateTaskPidsLimit: ResourceValidationPolicy = {
  name: "launch-template-task-pids-limit",
  description: `Launch template user data sets ECS_TASK_PIDS_LIMIT to a whole number from 1 to ${PID_MAX_LIMIT} (what the ECS agent accepts; pids.max of every task's cgroup) and never ECS_ENABLE_TASK_CPU_MEM_LIMIT to false (no task cgroup, no pids.max).`,
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const text = userDataText(args, report, "no pids.max on any task");
    if (text === undefined) return;
    const limits = settingsIn(text, "ECS_TASK_PIDS_LIMIT");
    if (limits.length === 0) {
      report(`${args.name}: user data does not set ECS_TASK_PIDS_LIMIT, so tasks get no pids.max and one fork bomb takes every PID of the host; set it (lib/taskLimits.ts, TASK_PIDS_LIMIT).`);
    }
    const ignored = limits.filter((v) => agentTaskPidsLimit(v) === undefined);
    if (ignored.length) {
      report(`${args.name}: user data sets ECS_TASK_PIDS_LIMIT to ${ignored.join(", ")}, which the ECS agent ignores: it takes a whole number from 1 to ${PID_MAX_LIMIT}.`);
    }
    const off = settingsIn(text, "ECS_ENABLE_TASK_CPU_MEM_LIMIT").filter((v) => !agentTaskCgroupsOn(v));
    if (off.length) {
      report(`${args.name}: user data sets ECS_ENABLE_TASK_CPU_MEM_LIMIT to ${off.join(", ")}: without task CPU/memory limits the agent makes no task cgroup, so ECS_TASK_PIDS_LIMIT sets no pids.max; leave it true.`);
    }
  },
};

/** The decoded user data of a launch template, or undefined after reporting why there is none. */
function userDataText(args: ResourceValidationArgs, report: ReportViolation, withoutIt: string): string | undefined {
  if (args.type !== TYPES.launchTemplate) args.notApplicable("not a launch template");
  const userData = args.props.userData;
  if (typeof userData !== "string" || userData === "") {
    report(`${args.name}: has no user data, so the ECS agent runs with its defaults (${withoutIt}).`);
    return undefined;
  }
  try {
    return decodeUserData(userData);
  } catch (err) {
    report(`${args.name}: user data cannot be decoded (base64, optionally gzip): ${(err as Error).message}`);
    return undefined;
  }
}

/** Every value user data gives `key` on a line of its own (an ecs.config line, optionally exported). */
function settingsIn(text: string, key: string): string[] {
  return [...text.matchAll(new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=\\s*["']?([^"'\\s]*)`, "gm"))].map((m) => m[1]);
}
