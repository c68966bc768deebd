// Log invariants: every log group is encrypted with a KMS key of this program, and that key's
// policy lets CloudWatch Logs use it for the group, bound to this region and account by the
// encryption context CloudWatch Logs sends (kms:EncryptionContext:aws:logs:arn). Without the
// grant CloudWatch Logs refuses the key when the group is created; with an unbound grant the key
// would encrypt any account's log groups.
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { asList, grantsOf, type IamStatement, referenced, statementsOf, wildcardMatch } from "./util";

const T = {
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  kmsKey: "aws:kms/key:Key",
} as const;

const LOGS_SERVICE = /^logs\.[a-z0-9-]+\.amazonaws\.com$/;
const CONTEXT_KEY = "kms:encryptioncontext:aws:logs:arn";
/** What CloudWatch Logs asks KMS for when it writes and reads an encrypted group. */
const LOGS_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"];
/** Condition operators that bind the grant to named log groups. */
const BINDING_OPERATORS = new Set(["arnlike", "arnequals", "stringlike", "stringequals"]);

function servicesOf(statement: IamStatement & { Principal?: unknown }): string[] {
  const principal = statement.Principal as { Service?: string | string[] } | string | undefined;
  return typeof principal === "object" && principal ? asList(principal.Service) : [];
}

/** The log group ARN patterns a statement is bound to; [] when it is bound to none. */
function boundArns(statement: IamStatement): string[] {
  return Object.entries(statement.Condition ?? {})
    .filter(([operator]) => BINDING_OPERATORS.has(operator.toLowerCase()))
    .flatMap(([, block]) => Object.entries(block ?? {}))
    .filter(([key]) => key.toLowerCase() === CONTEXT_KEY)
    .flatMap(([, values]) => asList(values as string | string[]));
}

/** Why `key` does not let CloudWatch Logs encrypt the group `name`, or undefined when it does. */
function keyProblem(key: PolicyResource, name: string): string | undefined {
  const statements = statementsOf(key.props.policy ?? "{}");
  const logs = statements.filter((s) => s.Effect === "Allow" && servicesOf(s).some((svc) => LOGS_SERVICE.test(svc)));
  const granting = logs.filter((s) => LOGS_ACTIONS.every((a) => grantsOf([s], a).length > 0));
  if (granting.length === 0) return `its key ${key.name}'s policy grants CloudWatch Logs (logs.<region>.amazonaws.com) no ${LOGS_ACTIONS.join(" and ")}`;
  const unbound = granting.filter((s) => boundArns(s).length === 0);
  if (unbound.length > 0) return `its key ${key.name} lets CloudWatch Logs use it for any log group of any account: bind the grant with ArnLike ${CONTEXT_KEY.replace("kms:encryptioncontext", "kms:EncryptionContext")}`;
  const arns = granting.flatMap(boundArns);
  const loose = arns.filter((arn) => {
    const [, , service, region, account] = arn.split(":");
    return service !== "logs" || !region || region.includes("*") || !/^\d{12}$/.test(account ?? "");
  });
  if (loose.length > 0) return `its key ${key.name} binds CloudWatch Logs to ${loose.join(", ")}: name this region and account`;
  const covered = arns.some((arn) => wildcardMatch(arn.split(":").slice(5).join(":"), `log-group:${name}`));
  if (!covered) return `its key ${key.name} lets CloudWatch Logs use it only for ${arns.join(", ")}, not for this group: CloudWatch Logs would refuse the key`;
  return undefined;
}

export const logGroupsPlatformKey: StackValidationPolicy = {
  name: "log-groups-platform-key",
  description: "Every CloudWatch Logs group is encrypted with a KMS key of this program whose policy lets CloudWatch Logs use it for that group, bound to this region and account.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const groups = args.resources.filter((r) => r.type === T.logGroup);
    if (groups.length === 0) args.notApplicable("no log group");
    for (const group of groups) {
      const name = String(group.props.name ?? group.name);
      const keys = referenced(group, "kmsKeyId").filter((r) => r.type === T.kmsKey);
      if (keys.length === 0) {
        report(group.props.kmsKeyId
          ? `${name}: kmsKeyId is not a KMS key of this program, so its policy cannot be checked: use the platform key.`
          : `${name}: no kmsKeyId: encrypt it with the platform key (CloudWatch Logs' own encryption has no key policy, no record of use, no way to revoke).`, group.urn);
        continue;
      }
      for (const key of keys) {
        const problem = keyProblem(key, name);
        if (problem) report(`${name}: ${problem}.`, group.urn);
      }
    }
  },
};
