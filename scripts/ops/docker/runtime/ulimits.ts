// Can this engine grant the task definition's ulimits? On the hosts root holds CAP_SYS_RESOURCE
// and runc raises the limits; in a sandbox whose root lacks it (like the build machine) runc
// cannot go above the engine's own hard limit and every start fails. One throwaway container with
// the ulimits and a missing entrypoint answers the question without running anything: runc sets
// the limits before it looks for the program, so "no such file" means the limits were granted.
import * as fs from "node:fs";
import type { Ulimit } from "@aws-sdk/client-ecs";
import { DockerApiError, type DockerApi } from "./api";

const PREFLIGHT_ENTRYPOINT = "/.remote-claude-ulimit-preflight";

/** /proc/self/limits rows by ulimit name: what this process (and a local engine it started) may not exceed. */
const LIMIT_ROWS: Readonly<Record<string, string>> = { nofile: "Max open files", nproc: "Max processes", core: "Max core file size", memlock: "Max locked memory", stack: "Max stack size" };

function processHardLimits(): Record<string, number> {
  const out: Record<string, number> = {};
  let text = "";
  try {
    text = fs.readFileSync("/proc/self/limits", "utf8");
  } catch {
    return out;
  }
  for (const [name, row] of Object.entries(LIMIT_ROWS)) {
    const line = text.split("\n").find((l) => l.startsWith(row));
    const hard = line?.slice(row.length).trim().split(/\s+/)[1];
    if (hard && /^\d+$/.test(hard)) out[name] = Number(hard);
  }
  return out;
}

type Limits = readonly { Name: string; Soft: number; Hard: number }[];

async function grants(api: DockerApi, image: string, ulimits: Limits, labels: Readonly<Record<string, string>>): Promise<boolean> {
  const id = await api.createContainer("", { Image: image, Entrypoint: [PREFLIGHT_ENTRYPOINT], Labels: { ...labels, "remote-claude.preflight": "ulimits" }, HostConfig: { NetworkMode: "none", Ulimits: ulimits } });
  try {
    await api.startContainer(id);
    return true;
  } catch (err) {
    if (err instanceof DockerApiError && /rlimit/i.test(err.engineMessage)) return false;
    if (err instanceof DockerApiError && err.engineMessage.includes(PREFLIGHT_ENTRYPOINT)) return true;
    throw err;
  } finally {
    await api.removeContainer(id);
  }
}

/**
 * Ceilings to clamp the definition's ulimits to: none when the engine grants them; else this
 * process's hard limits (right for an engine on this machine), verified the same way.
 */
export async function ulimitCeilings(api: DockerApi, image: string, ulimits: readonly Ulimit[], labels: Readonly<Record<string, string>> = {}): Promise<Record<string, number>> {
  const wanted = ulimits.map((u) => ({ Name: u.name ?? "", Soft: u.softLimit ?? 0, Hard: u.hardLimit ?? 0 }));
  if (wanted.length === 0 || await grants(api, image, wanted, labels)) return {};
  const ceilings = processHardLimits();
  const clamped = wanted.map((u) => {
    const hard = Math.min(u.Hard, ceilings[u.Name] ?? u.Hard);
    return { Name: u.Name, Soft: Math.min(u.Soft, hard), Hard: hard };
  });
  if (!await grants(api, image, clamped, labels)) {
    throw new Error(`the engine refuses the workspace's ulimits (${wanted.map((u) => `${u.Name}=${u.Hard}`).join(", ")}) even at this machine's hard limits: give dockerd CAP_SYS_RESOURCE or higher limits`);
  }
  return Object.fromEntries(wanted.filter((u) => ceilings[u.Name] !== undefined && ceilings[u.Name] < u.Hard).map((u) => [u.Name, ceilings[u.Name]]));
}
