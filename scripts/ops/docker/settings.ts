// What the local target does with the task definition, for the reports: the hardening settings
// each container is created with (read back from the derived create bodies, so the table shows
// what the engine was really asked for), the images, and the ways a local engine differs.
import type { ContainerCreateBody, LocalContainerSettings } from "./runtime/containerSettings";
import { LOCAL_IMAGES, type LocalTask, localWorkspaceTask } from "./runtime/localWorkspace";
import { UsageError } from "../errors";
import type { ReportBuilder } from "../report";
import type { LocalContext } from "./context";

export interface ImageArgs {
  readonly image?: string;
  /** A tag, or "none": run the agent without its sidecar. */
  readonly credentialProxyImage?: string;
}

const MIB = 1024 * 1024;

/** The task with the chosen images, after checking the engine has them. */
export async function resolveTask(ctx: LocalContext, args: ImageArgs): Promise<{ task: LocalTask; images: { agent: string; credentialProxy?: string } }> {
  const agent = args.image ?? LOCAL_IMAGES.agent;
  const credentialProxy = args.credentialProxyImage === "none" ? undefined : args.credentialProxyImage ?? LOCAL_IMAGES.credentialProxy;
  for (const [flag, ref, isDefault] of [["--image", agent, !args.image], ["--credential-proxy-image", credentialProxy, !args.credentialProxyImage]] as const) {
    if (!ref || await ctx.docker.inspectImage(ref)) continue;
    throw new UsageError(isDefault
      ? `the local image ${ref} is not on the engine at ${ctx.docker.endpoint.url}: build it with \`npm run ops -- local image\` (no registry needed), or pass ${flag}`
      : `${flag} ${ref} is not on the engine at ${ctx.docker.endpoint.url}: pull or load it first (docker pull / docker load)${flag === "--credential-proxy-image" ? ", or pass --credential-proxy-image none" : ""}`);
  }
  return { task: localWorkspaceTask({ agent, credentialProxy }), images: { agent, ...(credentialProxy ? { credentialProxy } : {}) } };
}

function ulimits(b: ContainerCreateBody): string {
  return (b.HostConfig.Ulimits ?? []).map((u) => `${u.Name}=${u.Soft}:${u.Hard}`).join(" ") || "-";
}

function healthCheck(b: ContainerCreateBody): string {
  const h = b.Healthcheck;
  return h ? `${h.Test[0]} every ${h.Interval / 1e9} s (timeout ${h.Timeout / 1e9} s, ${h.Retries} retries, start period ${h.StartPeriod / 1e9} s)` : "-";
}

/** One row per container: the settings that confine it. */
export function hardeningTable(report: ReportBuilder, settings: ReadonlyMap<string, LocalContainerSettings>, profileName: string): void {
  report.table("Runtime settings (derived from the workspace task definition)",
    ["container", "user", "read-only root", "writable", "capabilities", "security options", "init", "ulimits", "pids limit", "memory", "cpu", "network", "health check"],
    [...settings].map(([name, { body: b }]) => {
      const h = b.HostConfig;
      return [
        name,
        b.User ?? "(image)",
        h.ReadonlyRootfs ? "yes" : "NO",
        [...h.Mounts.map((m) => `${m.Target} (volume${m.Source ? ` ${m.Source.replace(/^.*-w\d+-/, "<ws>-")}` : ""})`), ...Object.entries(h.Tmpfs ?? {}).map(([p, o]) => `${p} (tmpfs ${o})`)].join(", ") || "-",
        `drop ${h.CapDrop?.join(",") ?? "-"}; add ${h.CapAdd?.join(",") ?? "none"}`,
        h.SecurityOpt.map((o) => (o.startsWith("seccomp=") ? `seccomp=${o === "seccomp=unconfined" ? "unconfined" : profileName}` : o)).join(", "),
        h.Init ? "yes" : "no",
        ulimits(b),
        h.PidsLimit ? String(h.PidsLimit) : "-",
        h.Memory ? `${h.Memory / MIB} MiB` : "-",
        h.CpuShares ? `shares ${h.CpuShares}, ${h.NanoCpus ? `quota ${(h.NanoCpus / 1e9).toFixed(3)} CPUs` : "no quota"}` : "-",
        h.NetworkMode.startsWith("container:") ? "the task's (joined)" : h.NetworkMode,
        healthCheck(b),
      ];
    }));
}

/** The create bodies for --dry-run and the JSON report, the seccomp profile's text replaced by its file name. */
export function settingsData(settings: ReadonlyMap<string, LocalContainerSettings>, profileName: string): Record<string, ContainerCreateBody> {
  return Object.fromEntries([...settings].map(([name, s]) => [name, {
    ...s.body,
    HostConfig: { ...s.body.HostConfig, SecurityOpt: s.body.HostConfig.SecurityOpt.map((o) => (o.startsWith("seccomp=") && o !== "seccomp=unconfined" ? `seccomp=<${profileName}>` : o)) },
  }]));
}

/** The ways this run differs from ECS, as report notes (identical for every workspace of a run). */
export function fidelityNotes(report: ReportBuilder, settings: ReadonlyMap<string, LocalContainerSettings>, taskNotes: readonly string[]): void {
  const all = [...settings.values()];
  report.notes.push(...taskNotes.map((n) => `local: ${n}`));
  report.notes.push(...all.flatMap((s) => s.adaptations).map((a) => `adapted: ${a}`));
  report.notes.push(...all.flatMap((s) => s.notMapped).map((n) => `not mapped: ${n}`));
}
