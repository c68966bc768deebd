// IAM invariants for the two permissions that let a principal start code with other credentials:
// ecs:RunTask only on named task definition families and only on a named cluster; iam:PassRole
// only for named roles and only to a named service. And no account-wide managed policies.
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { asList, conditionKeys, grantsOf, type IamStatement, policyDocumentsOf, statementsOf, TYPES } from "./util";

/** Runs `check` on every Allow statement of every IAM document the resource carries. */
function onStatements(check: (statement: IamStatement, report: (message: string) => void) => void) {
  return (args: ResourceValidationArgs, report: ReportViolation) => {
    const documents = policyDocumentsOf(args.type, args.props);
    if (documents.length === 0) args.notApplicable("carries no IAM policy document");
    for (const doc of documents) {
      let statements: IamStatement[];
      try {
        statements = statementsOf(doc);
      } catch (err) {
        report(`${args.name}: policy document is not JSON: ${(err as Error).message}`);
        continue;
      }
      statements.forEach((statement, i) => check(statement, (message) => report(`${args.name} statement ${statement.Sid ?? i}: ${message}`)));
    }
  };
}

const TASK_DEFINITION_FAMILY = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+(:\*|:\d+)?$/;

export const iamRunTaskScoped: ResourceValidationPolicy = {
  name: "iam-runtask-scoped",
  description: "Any grant of ecs:RunTask names the action exactly, is limited to named task definition families, and is conditioned on ecs:cluster.",
  enforcementLevel: "mandatory",
  validateResource: onStatements((s, report) => {
    if (grantsOf([s], "ecs:RunTask").length === 0) return;
    const actions = asList(s.Action);
    if (s.NotAction !== undefined || actions.some((a) => a.includes("*") || a.includes("?"))) {
      report(`grants ecs:RunTask through a wildcard or NotAction (${JSON.stringify(s.Action ?? { NotAction: s.NotAction })}); name ecs:RunTask explicitly.`);
      return;
    }
    const resources = asList(s.Resource);
    const loose = resources.filter((r) => !TASK_DEFINITION_FAMILY.test(r));
    if (resources.length === 0 || loose.length > 0) report(`ecs:RunTask must be limited to task-definition/<family>:* ARNs, not ${JSON.stringify(loose.length ? loose : s.Resource)}.`);
    if (!conditionKeys(s).includes("ecs:cluster")) report("ecs:RunTask must carry a condition on ecs:cluster (this cluster only).");
  }),
};

export const iamPassRoleScoped: ResourceValidationPolicy = {
  name: "iam-passrole-scoped",
  description: "Any grant of iam:PassRole names the action exactly, lists specific role ARNs (no wildcards) and is conditioned on iam:PassedToService.",
  enforcementLevel: "mandatory",
  validateResource: onStatements((s, report) => {
    if (grantsOf([s], "iam:PassRole").length === 0) return;
    const actions = asList(s.Action);
    if (s.NotAction !== undefined || actions.some((a) => a.includes("*") || a.includes("?"))) {
      report(`grants iam:PassRole through a wildcard or NotAction (${JSON.stringify(s.Action ?? { NotAction: s.NotAction })}); name iam:PassRole explicitly.`);
      return;
    }
    const resources = asList(s.Resource);
    const loose = resources.filter((r) => r.includes("*") || !/^arn:aws[a-z-]*:iam::\d{12}:role\//.test(r));
    if (resources.length === 0 || loose.length > 0) report(`iam:PassRole must list specific role ARNs, not ${JSON.stringify(loose.length ? loose : s.Resource)}.`);
    if (!conditionKeys(s).includes("iam:passedtoservice")) report("iam:PassRole must carry a condition on iam:PassedToService.");
  }),
};

/** AWS managed policies far broader than anything the platform's roles need. */
const BROAD_MANAGED_POLICIES: readonly string[] = [
  "AdministratorAccess",
  "PowerUserAccess",
  "IAMFullAccess",
  "AmazonECS_FullAccess",
  "AmazonEC2FullAccess",
  "SecretsManagerReadWrite",
];

export const iamNoBroadManagedPolicies: ResourceValidationPolicy = {
  name: "iam-no-broad-managed-policies",
  description: `No role gets an account-wide AWS managed policy (${BROAD_MANAGED_POLICIES.join(", ")}).`,
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.rolePolicyAttachment && args.type !== TYPES.role) args.notApplicable("attaches no managed policy");
    const arns = args.type === TYPES.rolePolicyAttachment ? [args.props.policyArn] : asList<string>(args.props.managedPolicyArns);
    for (const arn of arns.filter((a): a is string => typeof a === "string")) {
      const name = arn.split("/").pop() ?? "";
      if (arn.startsWith("arn:aws:iam::aws:policy/") && BROAD_MANAGED_POLICIES.includes(name)) report(`${args.name}: attaches ${name}; write a scoped policy instead.`);
    }
  },
};
