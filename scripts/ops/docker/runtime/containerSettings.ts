// One mapping from an ECS container definition (lib/workspaceContainers.ts builds the
// workspace task's) to the Docker Engine API's container-create body, as the ECS agent on the
// hosts would create the container. The local drill target, the start benchmark and the Docker
// hardening tests all run workspaces through it, so they get the task definition's settings and
// never a second, hand-written copy.
//
// What cannot be mapped one to one is said in `adaptations` (a value changed to fit this engine)
// or `notMapped` (a setting that has no meaning without ECS); a field this mapping does not know
// is an error, so a new hardening setting in the task definition cannot be dropped silently.
import type { ContainerDefinition, ContainerOverride } from "@aws-sdk/client-ecs";

const MIB = 1024 * 1024;
const SECOND_NS = 1_000_000_000;
/** The ECS agent never gives a container fewer CPU shares than Docker's minimum of 2. */
const MIN_CPU_SHARES = 2;
/** ECS's health check defaults when the definition leaves a field unset. */
const ECS_HEALTH_DEFAULTS = { interval: 30, timeout: 5, retries: 3, startPeriod: 0 } as const;

export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env: string[];
  User?: string;
  WorkingDir?: string;
  Hostname?: string;
  Labels: Record<string, string>;
  Healthcheck?: { Test: string[]; Interval: number; Timeout: number; Retries: number; StartPeriod: number };
  StopTimeout?: number;
  NetworkDisabled?: boolean;
  OpenStdin?: boolean;
  Tty?: boolean;
  HostConfig: {
    NetworkMode: string;
    Privileged: boolean;
    ReadonlyRootfs: boolean;
    CapAdd?: string[];
    CapDrop?: string[];
    SecurityOpt: string[];
    Init?: boolean;
    Tmpfs?: Record<string, string>;
    Ulimits?: { Name: string; Soft: number; Hard: number }[];
    PidsLimit?: number;
    Memory?: number;
    MemoryReservation?: number;
    CpuShares?: number;
    NanoCpus?: number;
    ShmSize?: number;
    Mounts: { Type: "volume"; Source?: string; Target: string; ReadOnly: boolean }[];
    Dns?: string[];
    DnsSearch?: string[];
    ExtraHosts?: string[];
    Sysctls?: Record<string, string>;
  };
}

interface LocalContainerContext {
  /** Docker volume name for each task volume the mount points name; unset → an anonymous volume, removed with the container. */
  readonly volumes?: Readonly<Record<string, string>>;
  /** A network name, "none", or "container:<id>" to join another container's network namespace (awsvpc: one per task). */
  readonly networkMode: string;
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The seccomp profile (its JSON text, or "unconfined"). The hosts' Docker daemon applies the
   * project's profile to every container (ECS cannot name one per container); locally it is
   * named per container, so any engine confines the workspace the same way.
   */
  readonly seccompProfile?: string;
  /** Values of the container's secrets by `valueFrom` (ECS reads them from Secrets Manager). */
  readonly secretValues?: Readonly<Record<string, string>>;
  /**
   * The task definition's task-level CPU units, when it sets them (a CFS quota on ECS on EC2);
   * unset: no quota, the container's cpu is only its CPU shares.
   */
  readonly taskCpu?: number;
  /** The task's process budget (ECS_TASK_PIDS_LIMIT: pids.max on the task's cgroup on ECS); unset: none. */
  readonly taskPidsLimit?: number;
  /** Highest ulimit this engine can grant, by name (an engine without CAP_SYS_RESOURCE cannot raise its own hard limit). */
  readonly ulimitCeilings?: Readonly<Record<string, number>>;
}

export interface LocalContainerSettings {
  readonly body: ContainerCreateBody;
  /** Values changed to fit this engine, one line each. */
  readonly adaptations: string[];
  /** Definition fields that have no local meaning, one line each (why). */
  readonly notMapped: string[];
}

/** Fields that decide how containers are started together, not how one is created: the local task runner reads them. */
const ORCHESTRATION_FIELDS = new Set(["name", "essential", "dependsOn", "startTimeout"]);

/** What RunTask's containerOverrides do to a definition: command and sizes replace, environment merges by name. */
export function applyOverride(def: ContainerDefinition, override: ContainerOverride | undefined): ContainerDefinition {
  if (!override) return def;
  const unsupported = Object.entries(override).filter(([k, v]) => v !== undefined && !["name", "command", "environment", "cpu", "memory", "memoryReservation"].includes(k));
  if (unsupported.length > 0) throw new Error(`container override of ${def.name}: ${unsupported.map(([k]) => k).join(", ")} not supported locally`);
  const env = new Map((def.environment ?? []).map((e) => [e.name ?? "", e.value ?? ""]));
  for (const e of override.environment ?? []) env.set(e.name ?? "", e.value ?? "");
  return {
    ...def,
    ...(override.command ? { command: [...override.command] } : {}),
    ...(override.cpu !== undefined ? { cpu: override.cpu } : {}),
    ...(override.memory !== undefined ? { memory: override.memory } : {}),
    ...(override.memoryReservation !== undefined ? { memoryReservation: override.memoryReservation } : {}),
    environment: [...env].map(([name, value]) => ({ name, value })),
  };
}

function seconds(value: number | undefined, fallback: number): number {
  return (value ?? fallback) * SECOND_NS;
}

/** Maps one container definition to the engine's create body. Throws on a field it cannot honour. */
export function dockerContainerSettings(def: ContainerDefinition, ctx: LocalContainerContext): LocalContainerSettings {
  const adaptations: string[] = [];
  const notMapped: string[] = [];
  const name = def.name ?? "(unnamed)";
  const unknown = (field: string) => new Error(`container ${name}: ${field} has no local mapping (scripts/ops/docker/runtime/containerSettings.ts); map it or the local target would run without it`);
  if (!def.image) throw new Error(`container ${name} has no image`);

  const body: ContainerCreateBody = {
    Image: def.image,
    Env: [],
    Labels: { ...(def.dockerLabels ?? {}), ...(ctx.labels ?? {}) },
    HostConfig: { NetworkMode: ctx.networkMode, Privileged: false, ReadonlyRootfs: false, SecurityOpt: [], Mounts: [] },
  };
  const host = body.HostConfig;
  const joined = ctx.networkMode.startsWith("container:");

  for (const [field, value] of Object.entries(def)) {
    if (value === undefined || ORCHESTRATION_FIELDS.has(field) || field === "image") continue;
    switch (field) {
      case "cpu":
        // ECS on EC2: container cpu units are Docker CPU shares (a weight, no cap), as here. A
        // task-level cpu is a CFS quota on the task's cgroup, shared by its containers; a local
        // engine has no task cgroup, so each container gets the task's whole quota: the agent can
        // use no more CPU than on ECS, the small credential proxy can still burst.
        host.CpuShares = Math.max(MIN_CPU_SHARES, value as number);
        if (ctx.taskCpu === undefined) break;
        host.NanoCpus = Math.round((ctx.taskCpu / 1024) * SECOND_NS);
        adaptations.push(`${name}: the task's ${ctx.taskCpu} CPU units (${(ctx.taskCpu / 1024).toFixed(3)} CPUs) cap this container with a CFS quota (ECS puts that quota on the task's cgroup, shared by its containers)`);
        break;
      case "memory":
        host.Memory = (value as number) * MIB;
        break;
      case "memoryReservation":
        host.MemoryReservation = (value as number) * MIB;
        break;
      case "entryPoint":
        body.Entrypoint = [...(value as string[])];
        break;
      case "command":
        body.Cmd = [...(value as string[])];
        break;
      case "environment":
        body.Env.push(...(def.environment ?? []).map((e) => `${e.name}=${e.value ?? ""}`));
        break;
      case "secrets":
        for (const s of def.secrets ?? []) {
          const v = ctx.secretValues?.[s.valueFrom ?? ""];
          if (v === undefined) throw new Error(`container ${name}: no local value for secret ${s.name} (${s.valueFrom})`);
          body.Env.push(`${s.name}=${v}`);
        }
        break;
      case "mountPoints":
        for (const m of def.mountPoints ?? []) {
          const source = ctx.volumes?.[m.sourceVolume ?? ""];
          host.Mounts.push({ Type: "volume", ...(source ? { Source: source } : {}), Target: m.containerPath ?? "", ReadOnly: m.readOnly ?? false });
        }
        break;
      case "linuxParameters":
        mapLinuxParameters(def, body, unknown);
        break;
      case "stopTimeout":
        body.StopTimeout = value as number;
        break;
      case "hostname":
        if (joined) throw new Error(`container ${name}: hostname cannot be set on a container that joins another's network namespace`);
        body.Hostname = value as string;
        break;
      case "user":
        body.User = value as string;
        break;
      case "workingDirectory":
        body.WorkingDir = value as string;
        break;
      case "disableNetworking":
        body.NetworkDisabled = value as boolean;
        break;
      case "privileged":
        host.Privileged = value as boolean;
        break;
      case "readonlyRootFilesystem":
        host.ReadonlyRootfs = value as boolean;
        break;
      case "dnsServers":
        host.Dns = [...(value as string[])];
        break;
      case "dnsSearchDomains":
        host.DnsSearch = [...(value as string[])];
        break;
      case "extraHosts":
        host.ExtraHosts = (def.extraHosts ?? []).map((h) => `${h.hostname}:${h.ipAddress}`);
        break;
      case "dockerSecurityOptions":
        host.SecurityOpt.push(...(value as string[]));
        break;
      case "interactive":
        body.OpenStdin = value as boolean;
        break;
      case "pseudoTerminal":
        body.Tty = value as boolean;
        break;
      case "dockerLabels":
        break; // merged above
      case "ulimits":
        host.Ulimits = (def.ulimits ?? []).map((u) => {
          const ceiling = ctx.ulimitCeilings?.[u.name ?? ""];
          const hard = ceiling !== undefined ? Math.min(u.hardLimit ?? 0, ceiling) : u.hardLimit ?? 0;
          const soft = Math.min(u.softLimit ?? 0, hard);
          if (hard !== u.hardLimit || soft !== u.softLimit) {
            adaptations.push(`${name}: ulimit ${u.name} ${u.softLimit}:${u.hardLimit} → ${soft}:${hard} (this engine cannot raise its hard limit above ${ceiling}; the hosts can)`);
          }
          return { Name: u.name ?? "", Soft: soft, Hard: hard };
        });
        break;
      case "logConfiguration":
        notMapped.push(`${name}: logConfiguration (${def.logConfiguration?.logDriver}) — CloudWatch Logs needs AWS; the output stays in the engine's own log, where the drill reads it`);
        break;
      case "portMappings":
        notMapped.push(`${name}: portMappings (${(def.portMappings ?? []).map((p) => p.containerPort).join(", ")}) — awsvpc gives the task its own address; locally the task's address on its network serves them and nothing is published on the host`);
        break;
      case "healthCheck": {
        const h = def.healthCheck!;
        body.Healthcheck = {
          Test: [...(h.command ?? [])],
          Interval: seconds(h.interval, ECS_HEALTH_DEFAULTS.interval),
          Timeout: seconds(h.timeout, ECS_HEALTH_DEFAULTS.timeout),
          Retries: h.retries ?? ECS_HEALTH_DEFAULTS.retries,
          StartPeriod: seconds(h.startPeriod, ECS_HEALTH_DEFAULTS.startPeriod),
        };
        break;
      }
      case "systemControls":
        host.Sysctls = Object.fromEntries((def.systemControls ?? []).map((s) => [s.namespace ?? "", s.value ?? ""]));
        break;
      default:
        throw unknown(field);
    }
  }
  if (ctx.seccompProfile) host.SecurityOpt.push(`seccomp=${ctx.seccompProfile}`);
  if (ctx.taskPidsLimit !== undefined) {
    // The same budget as ECS, per container: a local engine has no task cgroup to put it on.
    host.PidsLimit = ctx.taskPidsLimit;
    adaptations.push(`${name}: the task's pids limit ${ctx.taskPidsLimit} (ECS: pids.max on the task's cgroup, shared by its containers) → this container's own pids limit`);
  }
  return { body, adaptations, notMapped };
}

function mapLinuxParameters(def: ContainerDefinition, body: ContainerCreateBody, unknown: (field: string) => Error): void {
  const host = body.HostConfig;
  for (const [field, value] of Object.entries(def.linuxParameters ?? {})) {
    if (value === undefined) continue;
    switch (field) {
      case "capabilities": {
        const caps = def.linuxParameters!.capabilities!;
        if (caps.drop?.length) host.CapDrop = [...caps.drop];
        if (caps.add?.length) host.CapAdd = [...caps.add];
        break;
      }
      case "initProcessEnabled":
        host.Init = value as boolean;
        break;
      case "tmpfs":
        // The mount options as given, as the ECS agent passes them on: Docker lays them over its
        // own noexec,nosuid,nodev, so exec holds only where the task definition says "exec"
        // (lib/containerBasics.ts; test/docker/tmpfsExec.test.ts asks the kernel).
        host.Tmpfs = Object.fromEntries((def.linuxParameters!.tmpfs ?? []).map((t) => [
          t.containerPath ?? "",
          ["rw", ...(t.mountOptions ?? []), `size=${t.size}m`].join(","),
        ]));
        break;
      case "sharedMemorySize":
        host.ShmSize = (value as number) * MIB;
        break;
      default:
        throw unknown(`linuxParameters.${field}`);
    }
  }
}
