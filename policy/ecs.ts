// Task definition invariants. The workspace task runs untrusted code: no task role, nothing
// privileged, every capability dropped, a non-root user, a read-only root filesystem,
// no-new-privileges, the proxy's credential in the proxy container only, and bounded resources
// (hard memory limits, a CPU weight). No task definition of the platform may be privileged or
// share the host's network or PID namespace.
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { CONTAINERS, POOL_ATTRIBUTE } from "../lib/names";
import { asList, TYPES } from "./util";

type Container = Record<string, any>;

function containersOf(props: Record<string, any>): Container[] {
  const raw = props.containerDefinitions;
  if (raw === undefined) return [];
  const parsed = typeof raw === "string" ? JSON.parse(raw) : raw;
  return asList<Container>(parsed);
}

/** A workspace task definition: placed on the workspace pool, or named so. */
function isWorkspaceTaskDefinition(props: Record<string, any>): boolean {
  const onWorkspacePool = asList<{ type?: string; expression?: string }>(props.placementConstraints).some((c) =>
    c.type === "memberOf" && typeof c.expression === "string" && new RegExp(`attribute:${POOL_ATTRIBUTE.replace(/\./g, "\\.")}\\s*==\\s*workspace\\b`).test(c.expression));
  return onWorkspacePool || /-workspace$/.test(String(props.family ?? ""));
}

function workspaceOnly(validate: (props: Record<string, any>, report: ReportViolation, name: string) => void) {
  return (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.taskDefinition || !isWorkspaceTaskDefinition(args.props)) args.notApplicable("not a workspace task definition");
    validate(args.props, report, args.name);
  };
}

const ROOT_USER = /^(root|0)(:.*)?$/;

export const workspaceNoTaskRole: ResourceValidationPolicy = {
  name: "workspace-task-no-task-role",
  description: "The workspace task definition has no task role (nothing at 169.254.170.2 to steal) and uses awsvpc networking.",
  enforcementLevel: "mandatory",
  validateResource: workspaceOnly((props, report, name) => {
    if (props.taskRoleArn !== undefined && props.taskRoleArn !== null && props.taskRoleArn !== "") {
      report(`${name}: a workspace task must have no task role; it has ${props.taskRoleArn}.`);
    }
    if (props.networkMode !== "awsvpc") report(`${name}: networkMode must be "awsvpc" (its own ENI and security group), not ${JSON.stringify(props.networkMode)}.`);
  }),
};

export const workspaceContainersHardened: ResourceValidationPolicy = {
  name: "workspace-containers-hardened",
  description: "Every workspace container drops all capabilities and adds none, runs as a non-root user on a read-only root filesystem with no-new-privileges, and is not privileged.",
  enforcementLevel: "mandatory",
  validateResource: workspaceOnly((props, report, name) => {
    const containers = containersOf(props);
    if (containers.length === 0) report(`${name}: no container definitions to check.`);
    for (const c of containers) {
      const where = `${name}/${c.name}`;
      if (c.privileged === true) report(`${where}: privileged must be false.`);
      const caps = c.linuxParameters?.capabilities ?? {};
      if (!asList<string>(caps.drop).includes("ALL")) report(`${where}: linuxParameters.capabilities.drop must include "ALL".`);
      if (asList<string>(caps.add).length > 0) report(`${where}: adds capabilities ${asList<string>(caps.add).join(", ")}; a workspace adds none.`);
      if (typeof c.user !== "string" || c.user === "" || ROOT_USER.test(c.user)) {
        report(`${where}: user must be set to a non-root uid (got ${JSON.stringify(c.user)}).`);
      }
      if (c.readonlyRootFilesystem !== true) report(`${where}: readonlyRootFilesystem must be true (write to the workspace volume and tmpfs only).`);
      if (!asList<string>(c.dockerSecurityOptions).includes("no-new-privileges")) report(`${where}: dockerSecurityOptions must include "no-new-privileges".`);
    }
  }),
};

export const workspaceSecretOnlyInCredentialProxy: ResourceValidationPolicy = {
  name: "workspace-secret-only-in-credential-proxy",
  description: `In the workspace task only the ${CONTAINERS.credentialProxy} container receives secrets; the agent and any other container get none (no secrets, no environment files).`,
  enforcementLevel: "mandatory",
  validateResource: workspaceOnly((props, report, name) => {
    for (const c of containersOf(props)) {
      if (c.name === CONTAINERS.credentialProxy) continue;
      const secrets = asList<{ name?: string }>(c.secrets);
      if (secrets.length > 0) report(`${name}/${c.name}: receives secrets ${secrets.map((s) => s.name).join(", ")}; only ${CONTAINERS.credentialProxy} may.`);
      if (asList(c.environmentFiles).length > 0) report(`${name}/${c.name}: has environmentFiles; only ${CONTAINERS.credentialProxy} may receive secret material.`);
    }
  }),
};

/** The smallest task-level cpu ECS accepts on EC2; a container weight below it is a rounding error beside its neighbours'. */
const MIN_WORKSPACE_CONTAINER_CPU = 128;

export const workspaceTaskResourcesBounded: ResourceValidationPolicy = {
  name: "workspace-task-resources-bounded",
  description: `Every workspace container has a hard memory limit and reserves at least ${MIN_WORKSPACE_CONTAINER_CPU} CPU units (its Docker CPU shares and placement reservation), and the task has a memory limit: no workspace can take its host's memory, and when the host is busy each gets its weight of the CPU. A task-level cpu (a hard cap on ECS on EC2) is optional.`,
  enforcementLevel: "mandatory",
  validateResource: workspaceOnly((props, report, name) => {
    const containers = containersOf(props);
    if (!(Number(props.memory) > 0)) report(`${name}: the task needs a memory limit (task-level memory), got ${JSON.stringify(props.memory)}.`);
    for (const c of containers) {
      const where = `${name}/${c.name}`;
      if (!(Number(c.memory) > 0)) report(`${where}: needs a hard memory limit (memory); memoryReservation alone lets it grow into its neighbours' memory.`);
      if (!(Number(c.cpu) >= MIN_WORKSPACE_CONTAINER_CPU)) {
        report(`${where}: cpu must be at least ${MIN_WORKSPACE_CONTAINER_CPU} units (got ${JSON.stringify(c.cpu)}): without it the container reserves no CPU and ECS gives it 2 CPU shares, so a busy host starves it.`);
      }
    }
  }),
};

export const ecsNoPrivilegedTasks: ResourceValidationPolicy = {
  name: "ecs-no-privileged-tasks",
  description: "No task definition is privileged, adds SYS_ADMIN/NET_ADMIN/ALL capabilities, or shares the host's network or PID namespace.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== TYPES.taskDefinition) args.notApplicable("not a task definition");
    const p = args.props;
    if (p.networkMode === "host") report(`${args.name}: networkMode "host" shares the host's network (and its IMDS) with the task.`);
    if (p.pidMode === "host") report(`${args.name}: pidMode "host" lets the task see and signal host processes.`);
    for (const c of containersOf(p)) {
      if (c.privileged === true) report(`${args.name}/${c.name}: privileged containers are not allowed.`);
      const added = asList<string>(c.linuxParameters?.capabilities?.add).filter((cap) => ["ALL", "SYS_ADMIN", "NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_ADMIN"].includes(cap));
      if (added.length > 0) report(`${args.name}/${c.name}: adds ${added.join(", ")} (NET_ADMIN could delete the IMDS block route).`);
    }
  },
};

/** The volume fields of a task definition, as @pulumi/aws names them (and the ECS API, for reuse). */
const configuredAtLaunch = (v: Record<string, any>) => v.configureAtLaunch === true || v.configuredAtLaunch === true;
const hostPathOf = (v: Record<string, any>): string | undefined => v.hostPath ?? v.host?.sourcePath;

export const workspaceVolumeConfiguredAtLaunch: ResourceValidationPolicy = {
  name: "workspace-volume-configured-at-launch",
  description: `The workspace task's one writable volume is configured at launch (an EBS volume of its own per task) and mounted by ${CONTAINERS.workspaceAgent} only; no workspace volume is a host path or any other kind that tasks could share.`,
  enforcementLevel: "mandatory",
  validateResource: workspaceOnly((props, report, name) => {
    const volumes = asList<Record<string, any>>(props.volumes);
    const atLaunch = volumes.filter(configuredAtLaunch);
    if (atLaunch.length !== 1) report(`${name}: needs exactly one volume configured at launch (the workspace's own EBS volume); has ${atLaunch.length}.`);
    for (const v of volumes) {
      const hostPath = hostPathOf(v);
      if (hostPath !== undefined) {
        report(`${name}: volume ${v.name} is the host path ${JSON.stringify(hostPath)}: it lives on whichever host runs the task (lost with it) and every task placed there can share it.`);
      } else if (!configuredAtLaunch(v)) {
        const kind = ["dockerVolumeConfiguration", "efsVolumeConfiguration", "fsxWindowsFileServerVolumeConfiguration", "s3filesVolumeConfiguration"].find((k) => v[k] !== undefined) ?? "a bind mount";
        report(`${name}: volume ${v.name} (${kind}) is not configured at launch: a workspace writes only to its own EBS volume (and tmpfs).`);
      }
    }
    const names = new Set(atLaunch.map((v) => v.name));
    for (const c of containersOf(props)) {
      const mounts = asList<{ sourceVolume?: string }>(c.mountPoints);
      if (c.name === CONTAINERS.workspaceAgent) {
        if (!mounts.some((m) => names.has(m.sourceVolume))) report(`${name}/${c.name}: does not mount the volume configured at launch (its workspace).`);
      } else if (mounts.length > 0 || asList(c.volumesFrom).length > 0) {
        report(`${name}/${c.name}: mounts ${mounts.map((m) => m.sourceVolume).join(", ") || "another container's volumes"}; only ${CONTAINERS.workspaceAgent} mounts the workspace.`);
      }
    }
  }),
};
