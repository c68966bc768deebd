// `ops volumes list | snapshot | prune`: the stack's retained workspace volumes (kept after their
// task stopped or their host died, by design) over their life. `list` reads; `snapshot` takes
// tagged snapshots a workspace can be resumed from; `prune --older-than D` snapshots each detached
// volume kept longer than D and deletes it only once its snapshot completed. Attached volumes are
// never touched. Prune is a dry run on production unless --confirm-prod.
import { isProdStack } from "../../../lib/names";
import type { OpsContext } from "../context";
import { UsageError, errorMessage, errorName } from "../errors";
import { ReportBuilder } from "../report";
import type { VolumeStore, WorkspaceSnapshot, WorkspaceVolume } from "./store";

const DAY_MS = 86_400_000;

/** "7", "7d", "36h" → milliseconds. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([dh]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--older-than must be a number of days, or days/hours like 7d or 36h, got ${text}`);
  return Number(m[1]) * (m[2] === "h" ? 3_600_000 : DAY_MS);
}

const days = (ms: number | undefined) => (ms === undefined ? "-" : (ms / DAY_MS).toFixed(1));

/** How long a volume has been kept: since the monitor first saw it detached, else since it was made. */
export function retainedFor(v: WorkspaceVolume, now: number): number | undefined {
  const since = v.retainedSince ?? v.createdAt;
  return since === undefined ? undefined : Math.max(0, now - since);
}

export interface VolumesListArgs {
  readonly state: "available" | "in-use" | "all";
  readonly workspaceId?: string;
  readonly runId?: string;
  readonly olderThan?: string;
}

export interface VolumesSnapshotArgs {
  readonly volumeId: readonly string[];
  readonly workspaceId?: string;
  readonly olderThan?: string;
  readonly includeAttached: boolean;
  readonly snapshotTimeout: number;
}

export interface VolumesPruneArgs {
  readonly olderThan: string;
  readonly workspaceId?: string;
  readonly snapshotTimeout: number;
  /** Volumes snapshotted (then deleted) per round. */
  readonly batch: number;
}

function volumeRows(vs: readonly WorkspaceVolume[], now: number): (string | number)[][] {
  return vs.map((v) => [
    v.id, v.workspaceId ?? "-", v.state, v.sizeGiB, days(v.createdAt === undefined ? undefined : now - v.createdAt),
    v.state === "available" ? days(retainedFor(v, now)) : "-", v.attachedTo ?? "-", v.runId ?? "-", v.taskArn?.split("/").pop() ?? "-",
  ]);
}
const VOLUME_COLUMNS = ["volume", "workspace", "state", "GiB", "age (days)", "retained (days)", "attached to", "drill run", "task"];

export async function volumesList(ctx: OpsContext, args: VolumesListArgs): Promise<ReportBuilder> {
  const minAge = args.olderThan !== undefined ? parseAge(args.olderThan) : undefined;
  await ctx.verifyCredentials();
  const report = new ReportBuilder("volumes list", "Workspace volumes");
  report.publishesMetrics = false;
  const now = ctx.clock.now();
  const states = args.state === "all" ? undefined : [args.state];
  let vs = await ctx.volumes().list({ states, workspaceId: args.workspaceId, runId: args.runId });
  if (minAge !== undefined) vs = vs.filter((v) => v.state === "available" && (retainedFor(v, now) ?? 0) > minAge);
  vs.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
  const byState = new Map<string, { count: number; gib: number }>();
  for (const v of vs) {
    const s = byState.get(v.state) ?? { count: 0, gib: 0 };
    byState.set(v.state, { count: s.count + 1, gib: s.gib + v.sizeGiB });
  }
  const available = byState.get("available") ?? { count: 0, gib: 0 };
  report.summary.push(
    `${vs.length} workspace volumes of stack ${ctx.stack}${args.workspaceId ? ` for workspace ${args.workspaceId}` : ""}${minAge !== undefined ? `, kept longer than ${days(minAge)} days` : ""}: ` +
      ([...byState].sort(([a], [b]) => a.localeCompare(b)).map(([state, s]) => `${s.count} ${state} (${s.gib} GiB)`).join(", ") || "none") + ".",
    `Retained (detached): ${available.count} volumes, ${available.gib} GiB.`,
  );
  report.table("Volumes", VOLUME_COLUMNS, volumeRows(vs, now));
  report.data.volumes = vs;
  return report;
}

/** Snapshots the volumes and waits for them: what became of each. */
async function snapshotAll(ctx: OpsContext, store: VolumeStore, vs: readonly WorkspaceVolume[], why: string, timeoutSeconds: number): Promise<Map<string, WorkspaceSnapshot | { id?: undefined; state: string }>> {
  const started = new Map<string, WorkspaceSnapshot | { id?: undefined; state: string }>();
  for (const v of vs) {
    if (ctx.signal.aborted) break;
    try {
      started.set(v.id, await store.snapshot(v, `${why}: ${v.workspaceId ?? v.id}`));
    } catch (err) {
      started.set(v.id, { state: `not started: ${errorName(err)}: ${errorMessage(err)}` });
    }
  }
  const ids = [...started.values()].flatMap((s) => (s.id ? [s.id] : []));
  if (ids.length > 0) {
    ctx.progress.log(`waiting for ${ids.length} snapshots to complete (at most ${timeoutSeconds} s)`);
    const done = new Map((await store.waitSnapshots(ids, timeoutSeconds, ctx.signal)).map((s) => [s.id, s]));
    for (const [volumeId, s] of started) if (s.id && done.has(s.id)) started.set(volumeId, done.get(s.id) as WorkspaceSnapshot);
  }
  return started;
}

export async function volumesSnapshot(ctx: OpsContext, args: VolumesSnapshotArgs): Promise<ReportBuilder> {
  if (args.volumeId.length === 0 && !args.workspaceId && args.olderThan === undefined) {
    throw new UsageError("volumes snapshot needs --volume-id, --workspace-id or --older-than (which volumes)");
  }
  const minAge = args.olderThan !== undefined ? parseAge(args.olderThan) : undefined;
  ctx.guard("volumes snapshot creates EBS snapshots");
  await ctx.verifyCredentials();
  const report = new ReportBuilder("volumes snapshot", "Workspace volume snapshots");
  report.publishesMetrics = false;
  const store = ctx.volumes();
  const now = ctx.clock.now();
  const states = args.includeAttached ? ["available", "in-use"] : ["available"];
  let vs = await store.list({ states, workspaceId: args.workspaceId, volumeIds: args.volumeId.length > 0 ? args.volumeId : undefined });
  if (minAge !== undefined) vs = vs.filter((v) => (retainedFor(v, now) ?? 0) > minAge);
  const missing = args.volumeId.filter((id) => !vs.some((v) => v.id === id));
  if (missing.length > 0) report.notes.push(`not snapshotted (not this stack's, not found, or attached without --include-attached): ${missing.join(", ")}`);
  report.summary.push(`${vs.length} volumes to snapshot${args.includeAttached ? " (attached ones crash-consistent)" : ""}.`);
  if (ctx.args.dryRun || vs.length === 0) {
    report.outcome = ctx.args.dryRun ? "dry-run" : undefined;
    report.table("Volumes", VOLUME_COLUMNS, volumeRows(vs, now));
    return report;
  }
  const results = await snapshotAll(ctx, store, vs, "ops volumes snapshot", args.snapshotTimeout);
  const rows = vs.map((v) => {
    const s = results.get(v.id);
    return [v.id, v.workspaceId ?? "-", v.sizeGiB, s?.id ?? "-", s?.state ?? "not started (interrupted)", v.filesystem ?? "-"];
  });
  report.table("Snapshots", ["volume", "workspace", "GiB", "snapshot", "state", "filesystem"], rows);
  const completed = rows.filter((r) => r[4] === "completed").length;
  report.summary.push(`${completed} of ${vs.length} snapshots completed. Resume a workspace from one: RunTask's volume configuration with resume.snapshotId (docs/storage.md).`);
  report.check("snapshots", "completed", String(vs.length), String(completed), completed === vs.length);
  report.data.snapshots = Object.fromEntries(results);
  return report;
}

export async function volumesPrune(ctx: OpsContext, args: VolumesPruneArgs): Promise<ReportBuilder> {
  const minAge = parseAge(args.olderThan);
  // Production: a dry run unless confirmed (rather than a refusal: the list is worth seeing).
  const dryRun = ctx.args.dryRun || (isProdStack(ctx.stack) && !ctx.args.confirmProd);
  await ctx.verifyCredentials();
  const report = new ReportBuilder("volumes prune", `Prune of workspace volumes kept longer than ${days(minAge)} days`);
  report.publishesMetrics = false;
  const store = ctx.volumes();
  const now = ctx.clock.now();
  const candidates = (await store.list({ states: ["available"], workspaceId: args.workspaceId }))
    .filter((v) => (retainedFor(v, now) ?? 0) > minAge)
    .sort((a, b) => (retainedFor(b, now) ?? 0) - (retainedFor(a, now) ?? 0));
  const gib = candidates.reduce((sum, v) => sum + v.sizeGiB, 0);
  report.summary.push(`${candidates.length} detached volumes (${gib} GiB) kept longer than ${days(minAge)} days${args.workspaceId ? ` for workspace ${args.workspaceId}` : ""}.`);
  if (dryRun) {
    report.outcome = "dry-run";
    report.summary.push(`Would snapshot each, then delete it once its snapshot completed${!ctx.args.dryRun ? " (production: rerun with --confirm-prod to act)" : ""}.`);
    report.table("Would prune", VOLUME_COLUMNS, volumeRows(candidates, now));
    return report;
  }

  const rows: (string | number)[][] = [];
  let deleted = 0;
  let deletedGiB = 0;
  const kept: string[] = [];
  for (let i = 0; i < candidates.length && !ctx.signal.aborted; i += args.batch) {
    const batch = candidates.slice(i, i + args.batch);
    ctx.progress.log(`pruning ${i + 1}-${i + batch.length} of ${candidates.length}: snapshot, then delete`);
    const snaps = await snapshotAll(ctx, store, batch, "ops volumes prune", args.snapshotTimeout);
    // Read them again right before deleting: a volume attached meanwhile is not touched.
    const now2 = new Map((await store.list({ volumeIds: batch.map((v) => v.id) })).map((v) => [v.id, v]));
    const deletable: WorkspaceVolume[] = [];
    for (const v of batch) {
      const s = snaps.get(v.id);
      const current = now2.get(v.id);
      let action: string;
      if (!s) action = "kept: interrupted before its snapshot";
      else if (ctx.signal.aborted) action = "kept: interrupted (nothing is deleted after Ctrl-C)";
      else if (s.state !== "completed") action = s.id ? `kept: snapshot ${s.id} ${s.state}` : `kept: snapshot ${s.state}`;
      else if (!current) action = "gone before deletion";
      else if (current.state !== "available") action = `kept: now ${current.state}`;
      else {
        deletable.push(v);
        continue;
      }
      if (action.startsWith("kept")) kept.push(v.id);
      rows.push([v.id, v.workspaceId ?? "-", v.sizeGiB, days(retainedFor(v, now)), s?.id ?? "-", s?.state ?? "-", action]);
    }
    const result = await store.delete(deletable.map((v) => v.id));
    for (const v of deletable) {
      const s = snaps.get(v.id) as WorkspaceSnapshot;
      const failed = result.failed.find((f) => f.id === v.id);
      const action = failed ? `kept: ${failed.error}` : "deleted";
      if (failed) kept.push(v.id);
      else {
        deleted++;
        deletedGiB += v.sizeGiB;
      }
      rows.push([v.id, v.workspaceId ?? "-", v.sizeGiB, days(retainedFor(v, now)), s.id, s.state, action]);
    }
  }
  const notReached = candidates.length - rows.length;
  report.table("Pruned", ["volume", "workspace", "GiB", "retained (days)", "snapshot", "snapshot state", "action"], rows);
  report.summary.push(`Deleted ${deleted} volumes (${deletedGiB} GiB), each after its snapshot completed; kept ${kept.length}${notReached > 0 ? `; ${notReached} not reached (interrupted)` : ""}.`);
  const unsafe = rows.filter((r) => r[6] === "deleted" && r[5] !== "completed").length;
  report.check("prune", "volumes deleted without a completed snapshot", "0", String(unsafe), unsafe === 0);
  report.check("prune", "volumes kept (snapshot or deletion failed)", "0", String(kept.length), kept.length === 0);
  report.data.prune = { candidates: candidates.length, deleted, deletedGiB, kept, notReached };
  return report;
}
