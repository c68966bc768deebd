// The task definitions as registered: the workspace has no task role and runs awsvpc, its one
// volume is configured at launch (never a host path) and mounted by the agent; every
// workspace container is unprivileged, non-root, read-only root, all capabilities dropped, no new
// privileges; no container of either task definition is privileged or adds a capability; no
// secret is passed in plain environment (by its name, or by a value shaped like one).
import { type ContainerDefinition, DescribeTaskDefinitionCommand, type KeyValuePair, type TaskDefinition } from "@aws-sdk/client-ecs";
import { CONTAINERS } from "../../../../lib/names";
import type { OpsContext } from "../../context";
import type { ReportBuilder } from "../../report";
import type { Audit } from "./audit";

const ROOT_USERS = new Set(["0", "root", "0:0", "root:root", "0:root", "root:0"]);

/** Words of a variable name that make it a secret (GITHUB_TOKEN, DB_PASSWORD, PROXY_CREDENTIALS). */
const SECRET_WORDS = new Set(["SECRET", "SECRETS", "TOKEN", "TOKENS", "PASSWORD", "PASSWORDS", "PASSWD", "PASSPHRASE", "CREDENTIAL", "CREDENTIALS", "APIKEY", "PRIVATEKEY"]);
/** Adjacent words that do (API_KEY, apiKey, PRIVATE_KEY, ACCESS_KEY, SIGNING_KEY). */
const SECRET_PAIRS = new Set(["API KEY", "PRIVATE KEY", "ACCESS KEY", "SIGNING KEY", "ENCRYPTION KEY", "CLIENT KEY"]);
/**
 * A last word that makes the name a reference to something, not the thing: CREDENTIAL_PROXY_URL,
 * DB_PASSWORD_SECRET_ARN, TOKEN_FILE. Their values are still checked.
 */
const REFERENCE_WORDS = new Set(["URL", "URI", "ENDPOINT", "HOST", "PORT", "ARN", "ID", "NAME", "FILE", "PATH", "DIR", "REGION"]);
/** Values that are secrets whatever the name: a URL carrying a password, and well-known key and token shapes. */
const SECRET_VALUES: readonly RegExp[] = [
  /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
  /\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}/,
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}/,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

function nameWords(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().split(/[^A-Z0-9]+/).filter(Boolean);
}

function secretLikeName(name: string): boolean {
  const words = nameWords(name);
  if (words.length === 0 || REFERENCE_WORDS.has(words[words.length - 1])) return false;
  return words.some((w, i) => SECRET_WORDS.has(w) || (i > 0 && SECRET_PAIRS.has(`${words[i - 1]} ${w}`)));
}

/** Names of plain environment variables that hold a secret, by name or by value. */
export function secretLikeVariables(environment: readonly KeyValuePair[]): string[] {
  return environment
    .filter((e) => e.name && (secretLikeName(e.name) || SECRET_VALUES.some((re) => re.test(e.value ?? ""))))
    .map((e) => e.name as string);
}

async function describe(ctx: OpsContext, taskDefinition: string): Promise<TaskDefinition | undefined> {
  const r = await ctx.api.call("DescribeTaskDefinition", () => ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })));
  return r.taskDefinition;
}

function commonChecks(report: ReportBuilder, group: string, c: ContainerDefinition): void {
  const name = c.name ?? "?";
  report.check(group, `${name}: privileged`, "false", String(c.privileged ?? false), c.privileged !== true);
  const added = c.linuxParameters?.capabilities?.add ?? [];
  report.check(group, `${name}: capabilities added`, "none", added.join(", ") || "none", added.length === 0);
  const plain = secretLikeVariables(c.environment ?? []);
  report.check(group, `${name}: secret-like variables in plain environment`, "none (use secrets)", plain.join(", ") || "none", plain.length === 0);
}

export function auditWorkspaceTaskDefinition(report: ReportBuilder, td: TaskDefinition): void {
  const group = "audit:task-definitions";
  report.check(group, "workspace: task role", "none", td.taskRoleArn ?? "none", !td.taskRoleArn);
  report.check(group, "workspace: network mode", "awsvpc", td.networkMode ?? "default", td.networkMode === "awsvpc");
  // Workspace storage: its own EBS volume, made at launch, mounted by the agent; nothing on the host.
  const volumes = td.volumes ?? [];
  const atLaunch = volumes.filter((v) => v.configuredAtLaunch === true).map((v) => v.name ?? "?");
  const agentMounts = (td.containerDefinitions ?? []).find((c) => c.name === CONTAINERS.workspaceAgent)?.mountPoints?.map((m) => m.sourceVolume) ?? [];
  report.check(group, "workspace: volume configured at launch", `one, mounted by ${CONTAINERS.workspaceAgent}`,
    atLaunch.length === 0 ? "none" : `${atLaunch.join(", ")}${atLaunch.some((n) => agentMounts.includes(n)) ? "" : " (not mounted by the agent)"}`,
    atLaunch.length === 1 && agentMounts.includes(atLaunch[0]));
  const others = volumes.filter((v) => v.configuredAtLaunch !== true).map((v) => `${v.name}${v.host?.sourcePath ? ` (host path ${v.host.sourcePath})` : ""}`);
  report.check(group, "workspace: other volumes (host paths, shared)", "none", others.join(", ") || "none", others.length === 0);
  for (const c of td.containerDefinitions ?? []) {
    const name = c.name ?? "?";
    commonChecks(report, group, c);
    report.check(group, `${name}: read-only root filesystem`, "true", String(c.readonlyRootFilesystem ?? false), c.readonlyRootFilesystem === true);
    const user = c.user ?? "";
    report.check(group, `${name}: user`, "set, not root", user || "(image default)", user !== "" && !ROOT_USERS.has(user));
    const dropped = c.linuxParameters?.capabilities?.drop ?? [];
    report.check(group, `${name}: capabilities dropped`, "ALL", dropped.join(", ") || "none", dropped.includes("ALL"));
    const opts = c.dockerSecurityOptions ?? [];
    report.check(group, `${name}: no-new-privileges`, "set", opts.join(", ") || "none", opts.includes("no-new-privileges"));
  }
}

export function auditBackendTaskDefinition(report: ReportBuilder, td: TaskDefinition): void {
  for (const c of td.containerDefinitions ?? []) commonChecks(report, "audit:task-definitions", { ...c, name: `backend/${c.name}` });
}

export const taskDefinitionAudit: Audit = {
  name: "task definitions",
  async run(ctx, _args, report) {
    const out = ctx.require(["workspaceTaskDefinitionArn", "backendTaskDefinitionFamily"]);
    const workspace = await describe(ctx, out.workspaceTaskDefinitionArn);
    if (workspace) auditWorkspaceTaskDefinition(report, workspace);
    const backend = await describe(ctx, out.backendTaskDefinitionFamily);
    if (backend) auditBackendTaskDefinition(report, backend);
  },
};
