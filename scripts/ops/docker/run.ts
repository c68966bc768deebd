// One drill run on the local engine: what every workspace of the run shares (the derived task,
// the seccomp profile, a generated proxy credential, the ulimits this engine can grant, an
// internal network with no route out and no traffic between workspaces, the run's event stream)
// and the run's cleanup. Everything it creates carries the run's labels, so `ops cleanup
// --target docker` finds what a killed run left, and close() proves nothing is left.
import type { ContainerOverride, Ulimit } from "@aws-sdk/client-ecs";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { hostKeys } from "../../../config/hosts";
import type { DockerApi } from "./runtime/api";
import { ContainerEvents } from "./runtime/events";
import { LOCAL_CREDENTIAL_PROXY_SECRET, type LocalRuntime, type LocalTask, LocalWorkspace } from "./runtime/localWorkspace";
import { ulimitCeilings } from "./runtime/ulimits";
import { type PtraceChoice, seccompProfileFile } from "../../../host/seccomp";
import { UsageError, errorMessage } from "../errors";
import { DRILL_KIND_TAG, DRILL_RUN_TAG } from "../runId";

/** The project's seccomp profile with the default ptrace choice: what the hosts' Docker daemon applies to every container. */
export const SECCOMP_PROFILE = path.join("host", "files", seccompProfileFile(hostKeys.seccompPtrace.default as PtraceChoice));
/** Docker's option that drops traffic between containers of one bridge network (the workspace security group's job on ECS). */
const NO_ICC = { "com.docker.network.bridge.enable_icc": "false" };

export interface Leftovers {
  readonly containers: string[];
  readonly volumes: string[];
  readonly networks: string[];
}

export function leftoverCount(l: Leftovers): number {
  return l.containers.length + l.volumes.length + l.networks.length;
}

export function runLabel(runId: string): string {
  return `${DRILL_RUN_TAG}=${runId}`;
}

/** What carries a run's label (one run, or every run with `runId` undefined). */
export async function findLeftovers(api: DockerApi, runId: string | undefined): Promise<Leftovers & { runIds: Map<string, string> }> {
  const label = [runId ? runLabel(runId) : DRILL_RUN_TAG];
  const [containers, volumes, networks] = await Promise.all([api.listContainers({ label }), api.listVolumes({ label }), api.listNetworks({ label })]);
  const runIds = new Map<string, string>();
  for (const c of containers) runIds.set(c.Id, c.Labels[DRILL_RUN_TAG] ?? "");
  for (const v of volumes) runIds.set(v.Name, v.Labels?.[DRILL_RUN_TAG] ?? "");
  for (const n of networks) runIds.set(n.Id, n.Labels[DRILL_RUN_TAG] ?? "");
  return { containers: containers.map((c) => c.Id), volumes: volumes.map((v) => v.Name), networks: networks.map((n) => n.Id), runIds };
}

/** Removes whatever carries the label: containers, then volumes, then networks. Returns the problems. */
export async function removeLeftovers(api: DockerApi, found: Leftovers): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${errorMessage(err)}`);
    }
  };
  for (const id of found.containers) await attempt(`container ${id.slice(0, 12)}`, () => api.removeContainer(id));
  for (const name of found.volumes) await attempt(`volume ${name}`, () => api.removeVolume(name));
  for (const id of found.networks) await attempt(`network ${id.slice(0, 12)}`, () => api.removeNetwork(id));
  return problems;
}

interface LocalRunOptions {
  readonly runId: string;
  /** Drill kind for the labels ("load", "security"). */
  readonly kind: string;
  readonly task: LocalTask;
  /** The seccomp profile's text (SECCOMP_PROFILE, read before anything is created). */
  readonly seccompProfile: string;
}

export function readSeccompProfile(projectDir: string): string {
  try {
    return fs.readFileSync(path.join(projectDir, SECCOMP_PROFILE), "utf8");
  } catch (err) {
    throw new UsageError(`the seccomp profile ${SECCOMP_PROFILE} is missing or unreadable (${errorMessage(err)}): it is part of this repository (npm run gen:host writes it)`);
  }
}

export class LocalRun {
  readonly network: string;
  /** The proxy's credential for this run: random, so the probe can look for it where it must not be. */
  readonly credential = `rc-local-${randomBytes(12).toString("hex")}`;
  private runtime: LocalRuntime;
  private events?: ContainerEvents;
  private count = 0;

  constructor(
    readonly api: DockerApi,
    readonly o: LocalRunOptions,
  ) {
    this.network = `rc-${o.runId}`;
    this.runtime = {
      api,
      network: this.network,
      seccompProfile: o.seccompProfile,
      labels: { [DRILL_RUN_TAG]: o.runId, [DRILL_KIND_TAG]: o.kind },
      secretValues: { [LOCAL_CREDENTIAL_PROXY_SECRET]: this.credential },
    };
  }

  get labels(): Readonly<Record<string, string>> {
    return this.runtime.labels;
  }

  /** Checks which ulimits the engine grants, opens the event stream and creates the network. */
  async open(): Promise<void> {
    // Every container's ulimits, the highest per name: what the engine must grant.
    const byName = new Map<string, Ulimit>();
    for (const u of this.o.task.containers.flatMap((c) => c.ulimits ?? [])) {
      if ((byName.get(u.name ?? "")?.hardLimit ?? -1) < (u.hardLimit ?? 0)) byName.set(u.name ?? "", u);
    }
    const ulimitCeilingsHere = await ulimitCeilings(this.api, this.o.task.containers[0].image as string, [...byName.values()], this.labels);
    this.events = await ContainerEvents.open(this.api, runLabel(this.o.runId));
    await this.api.createNetwork({ Name: this.network, Internal: true, Labels: { ...this.labels }, Options: NO_ICC });
    this.runtime = { ...this.runtime, ulimitCeilings: ulimitCeilingsHere, events: this.events };
  }

  /** A workspace of this run, not created yet (before open(): only to show its settings). */
  workspace(overrides: readonly ContainerOverride[] = []): LocalWorkspace {
    return new LocalWorkspace(`${this.o.runId}-w${++this.count}`, this.o.task, this.runtime, overrides);
  }

  /**
   * Removes whatever of the run is left (containers, volumes, the network; the workspaces should
   * be gone already) and returns what is still there afterwards: the drill's cleanup check.
   */
  async close(): Promise<{ left: Leftovers; swept: number; problems: string[] }> {
    this.events?.close();
    const found = await findLeftovers(this.api, this.o.runId);
    const swept = found.containers.length + found.volumes.length;
    const problems = await removeLeftovers(this.api, found);
    const left = await findLeftovers(this.api, this.o.runId);
    return { left, swept, problems };
  }
}
