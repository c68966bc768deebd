// `ops security`: the in-task probe and the static audit (ECS), or the probe in a local workspace
// (--target docker). Both are loaded only when they run.
import type { LocalContext } from "../docker/context";
import { SEVERITIES } from "../security/audit/audit";
import { type OpsCommand, type Target, positive, probeOptions, refuseOtherTargetFlags, targetOptions } from "./options";

export const securityCommand: OpsCommand = {
  command: "security",
  describe: "in-task probe and static audit; matrix report",
  builder: (s) => probeOptions(targetOptions(s, true)
    .option("only", { choices: ["probe", "audit"], describe: "run only one part" }))
    .option("fail-severity", { choices: SEVERITIES as unknown as string[], default: "HIGH", describe: "ECR findings of this severity or worse fail" })
    .option("alb-ingress-cidrs", { type: "string", array: true, describe: "client CIDRs of the ALB (default: Pulumi.<stack>.yaml)" })
    .example("$0 security --target docker", "the probe in a local workspace; IMDS and the audit are reported as not applicable"),
  handler: (a, { argv, select }) => {
    const target = a.target as Target;
    refuseOtherTargetFlags(argv, target, { ecs: ["log-wait", "fail-severity", "alb-ingress-cidrs"], docker: ["image", "credential-proxy-image"] });
    positive("probe-timeout", a.probeTimeout, { min: 1 });
    positive("log-wait", a.logWait, { min: 0 });
    if (target === "docker") select("security", async (ctx) => (await import("../docker/security")).dockerSecurity(ctx as LocalContext, a as never), true);
    else select("security", async (ctx) => (await import("../security/command")).security(ctx, a as never));
  },
};
