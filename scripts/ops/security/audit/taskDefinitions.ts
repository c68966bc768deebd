// The task definitions as registered: the workspace has no task role and runs awsvpc, its one
// volume is configured at launch (never a host path) and mounted by the agent; every
// workspace container is unprivileged, non-root, read-only root, all capabilities dropped, no new
// privileges; no container of either task definition is privileged or adds a capability; no
// secret-looking variable is passed in plain environment.
import { type ContainerDefinition, DescribeTaskDefinitionCommand, type TaskDefinition } from "@aws-sdk/client-ecs";
import { CONTAINERS } from "../../../../lib/names";
import type { OpsContext } from "../../context";
import type { ReportBuilder } from "../../report";
import type { Audit } from "./audit";

const ROOT_USERS = new Set(["0", "root", "0:0", "root:root", "0:root", "root:0"]);
const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

async function describe(ctx: OpsContext, taskDefinition: string): Promise<TaskDefinition | undefined> {
  const r = await ctx.api.call("DescribeTaskDefinition", () => ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })));
  return r.taskDefinition;
}

function commonChecks(report: ReportBuilder, group: string, c: ContainerDefinition): void {
  const name = c.name ?? "?";
  report.check(group, `${name}: privileged`, "false", String(c.privileged ?? false), c.privileged !== true);
  const added = c.linuxParameters?.capabilities?.add ?? [];
  report.check(group, `${name}: capabilities added`, "none", added.join(", ") || "none", added.length === 0);
  const plain = (c.environment ?? []).filter((e) => e.name && SECRET_NAME.test(e.name)).map((e) => e.name);
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

export const taskDefinitionAudit: Audit = {
  name: "task definitions",
  async run(ctx, _args, report) {
    const out = ctx.require(["workspaceTaskDefinitionArn", "backendTaskDefinitionFamily"]);
    const workspace = await describe(ctx, out.workspaceTaskDefinitionArn);
    if (workspace) auditWorkspaceTaskDefinition(report, workspace);
    const backend = await describe(ctx, out.backendTaskDefinitionFamily);
    for (const c of backend?.containerDefinitions ?? []) commonChecks(report, "audit:task-definitions", { ...c, name: `backend/${c.name}` });
  },
};
