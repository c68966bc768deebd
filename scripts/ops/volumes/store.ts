// The stack's workspace volumes as the ops tool sees them: listed by tag (always this stack's
// remote-claude:stack tag, so another stack's volumes are never in reach), waited for until
// detached (SDK waiter), snapshotted (SDK waiter until completed), deleted. The load drill, the
// restore drill, `ops cleanup` and `ops volumes` share it. Every EC2 call goes through the
// ApiCaller (counted; throttles retried); mutating calls draw from one token bucket.
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  type EC2Client,
  type Filter,
  type Snapshot,
  type Tag,
  type Volume,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  waitUntilSnapshotCompleted,
  waitUntilVolumeAvailable,
} from "@aws-sdk/client-ec2";
import { ECS_VOLUME_TAGS, VOLUME_TAGS } from "../../../lib/launchContract";
import type { ApiCaller } from "../api";
import { chunk, mapLimit } from "../concurrency";
import { errorMessage, errorName } from "../errors";
import type { TokenBucket } from "../rateLimiter";
import { DRILL_KIND_TAG, DRILL_RUN_TAG } from "../runId";
import { type WaiterDelays, waiterTiming } from "../waiters";

/** Filter values per DescribeVolumes/DescribeSnapshots filter (EC2 takes up to 200). */
const MAX_FILTER_VALUES = 200;

export interface WorkspaceVolume {
  readonly id: string;
  /** creating | available | in-use | deleting | deleted | error */
  readonly state: string;
  readonly sizeGiB: number;
  readonly createdAt?: number;
  readonly availabilityZone?: string;
  readonly workspaceId?: string;
  /** ECS's AmazonECSCreated tag: the task the volume was made for. */
  readonly taskArn?: string;
  readonly runId?: string;
  readonly filesystem?: string;
  /** When the retained-volumes monitor first saw it detached (epoch ms). */
  readonly retainedSince?: number;
  readonly resumedFrom?: string;
  readonly attachedTo?: string;
  /** EC2's attach time of its current attachment (epoch ms). */
  readonly attachTime?: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface WorkspaceSnapshot {
  readonly id: string;
  /** pending | completed | error | … */
  readonly state: string;
  readonly sizeGiB: number;
  readonly startedAt?: number;
  readonly sourceVolume?: string;
  readonly workspaceId?: string;
  readonly filesystem?: string;
  readonly runId?: string;
  readonly tags: Readonly<Record<string, string>>;
}

interface VolumeQuery {
  /** Volumes a drill run created (tag remote-claude:drill-run). */
  readonly runId?: string;
  /** Volumes of any drill run. */
  readonly anyRun?: boolean;
  readonly workspaceId?: string;
  readonly states?: readonly string[];
  /** Attached to this EC2 instance. */
  readonly instanceId?: string;
  readonly volumeIds?: readonly string[];
}

interface VolumeCleanup {
  readonly found: number;
  readonly deleted: string[];
  readonly alreadyGone: string[];
  readonly failed: { readonly id: string; readonly error: string }[];
  /** Volumes that did not detach in time: still there, named in the report. */
  readonly leftBehind: { readonly id: string; readonly state: string }[];
}

interface VolumeStoreOptions {
  readonly ec2: EC2Client;
  readonly api: ApiCaller;
  /** The stack whose volumes these are (tag remote-claude:stack). */
  readonly stack: string;
  /** DeleteVolume, CreateSnapshot, DeleteSnapshot: EC2's mutating bucket. */
  readonly mutateBucket: TokenBucket;
  /** SDK waiter delays in seconds (tests shrink them, and cap every wait so a broken test fails fast). */
  readonly waiterDelays?: WaiterDelays;
}

const tagMap = (tags: readonly Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
const time = (d: Date | undefined) => (d ? d.getTime() : undefined);
const parsedTime = (s: string | undefined) => {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? undefined : t;
};

function workspaceVolume(v: Volume): WorkspaceVolume {
  const tags = tagMap(v.Tags);
  const attachment = (v.Attachments ?? []).find((a) => a.State === "attached" || a.State === "attaching") ?? v.Attachments?.[0];
  return {
    id: v.VolumeId ?? "",
    state: v.State ?? "unknown",
    sizeGiB: v.Size ?? 0,
    createdAt: time(v.CreateTime),
    availabilityZone: v.AvailabilityZone,
    workspaceId: tags[VOLUME_TAGS.workspaceId],
    taskArn: tags[ECS_VOLUME_TAGS.createdBy],
    runId: tags[DRILL_RUN_TAG],
    filesystem: tags[VOLUME_TAGS.filesystem],
    retainedSince: parsedTime(tags[VOLUME_TAGS.retainedSince]),
    resumedFrom: tags[VOLUME_TAGS.resumedFrom],
    attachedTo: attachment?.InstanceId,
    attachTime: time(attachment?.AttachTime),
    tags,
  };
}

function workspaceSnapshot(s: Snapshot): WorkspaceSnapshot {
  const tags = tagMap(s.Tags);
  return {
    id: s.SnapshotId ?? "",
    state: s.State ?? "unknown",
    sizeGiB: s.VolumeSize ?? 0,
    startedAt: time(s.StartTime),
    sourceVolume: tags[VOLUME_TAGS.sourceVolume] ?? s.VolumeId,
    workspaceId: tags[VOLUME_TAGS.workspaceId],
    filesystem: tags[VOLUME_TAGS.filesystem],
    runId: tags[DRILL_RUN_TAG],
    tags,
  };
}

/** Tags a snapshot of `volume` carries: what identifies the workspace and resumes it, and where it came from. */
function snapshotTags(volume: WorkspaceVolume, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const keep = [VOLUME_TAGS.stack, VOLUME_TAGS.workspaceId, VOLUME_TAGS.filesystem, DRILL_RUN_TAG, DRILL_KIND_TAG];
  const copied = Object.fromEntries(keep.filter((k) => volume.tags[k] !== undefined).map((k) => [k, volume.tags[k]]));
  return { ...copied, [VOLUME_TAGS.sourceVolume]: volume.id, ...extra };
}

export class VolumeStore {
  constructor(private readonly o: VolumeStoreOptions) {}

  get stack(): string {
    return this.o.stack;
  }

  private filters(q: { runId?: string; anyRun?: boolean; workspaceId?: string }): Filter[] {
    return [
      { Name: `tag:${VOLUME_TAGS.stack}`, Values: [this.o.stack] },
      ...(q.runId ? [{ Name: `tag:${DRILL_RUN_TAG}`, Values: [q.runId] }] : []),
      ...(q.anyRun && !q.runId ? [{ Name: "tag-key", Values: [DRILL_RUN_TAG] }] : []),
      ...(q.workspaceId ? [{ Name: `tag:${VOLUME_TAGS.workspaceId}`, Values: [q.workspaceId] }] : []),
    ];
  }

  /** This stack's workspace volumes matching the query (paginated; ids go in filters, so a missing id is no error). */
  async list(q: VolumeQuery = {}): Promise<WorkspaceVolume[]> {
    const base: Filter[] = [
      ...this.filters(q),
      ...(q.states?.length ? [{ Name: "status", Values: [...q.states] }] : []),
      ...(q.instanceId ? [{ Name: "attachment.instance-id", Values: [q.instanceId] }] : []),
    ];
    const idChunks: (readonly string[] | undefined)[] = q.volumeIds ? chunk(q.volumeIds, MAX_FILTER_VALUES) : [undefined];
    const out: WorkspaceVolume[] = [];
    for (const ids of idChunks) {
      if (ids && ids.length === 0) continue;
      const Filters = ids ? [...base, { Name: "volume-id", Values: [...ids] }] : base;
      for await (const page of this.o.api.pages("DescribeVolumes", paginateDescribeVolumes({ client: this.o.ec2, pageSize: 500 }, { Filters }))) {
        out.push(...(page.Volumes ?? []).map(workspaceVolume));
      }
    }
    return out;
  }

  /**
   * Waits (SDK waiter) until the volumes are detached ("available"), at most `maxWaitSeconds` per
   * 200 volumes, then reads them again: what is available, what is not (and in which state).
   * `abortSignal` ends the wait early; cleanup passes none, so a Ctrl-C cannot cut it short.
   */
  async waitAvailable(ids: readonly string[], maxWaitSeconds: number, abortSignal?: AbortSignal): Promise<{ available: WorkspaceVolume[]; notAvailable: WorkspaceVolume[] }> {
    for (const batch of chunk(ids, MAX_FILTER_VALUES)) {
      try {
        await waitUntilVolumeAvailable(
          { client: this.o.ec2, ...waiterTiming(maxWaitSeconds, this.o.waiterDelays), ...(abortSignal ? { abortSignal } : {}) },
          { Filters: [{ Name: "volume-id", Values: batch }] },
        );
      } catch {
        // Timed out, aborted, or a volume failed: the read below says which.
      }
    }
    const now = ids.length > 0 ? await this.list({ volumeIds: ids }) : [];
    return { available: now.filter((v) => v.state === "available"), notAvailable: now.filter((v) => v.state !== "available") };
  }

  /** Deletes volumes (never an attached one: EC2 refuses that, and callers only pass detached ones). */
  async delete(ids: readonly string[], concurrency = 4): Promise<{ deleted: string[]; alreadyGone: string[]; failed: { id: string; error: string }[] }> {
    const result = { deleted: [] as string[], alreadyGone: [] as string[], failed: [] as { id: string; error: string }[] };
    await mapLimit(ids, concurrency, async (id) => {
      try {
        await this.o.api.call("DeleteVolume", () => this.o.ec2.send(new DeleteVolumeCommand({ VolumeId: id })), { bucket: this.o.mutateBucket });
        result.deleted.push(id);
      } catch (err) {
        if (errorName(err) === "InvalidVolume.NotFound") result.alreadyGone.push(id);
        else result.failed.push({ id, error: `${errorName(err)}: ${errorMessage(err)}` });
      }
    });
    return result;
  }

  /**
   * Deletes every volume a drill run created, once its tasks are gone: the ones still attached
   * (their tasks are stopping) are waited for until detached, at most `maxWaitSeconds`. A second
   * look catches volumes ECS created after the first (a task stopped while its volume was being
   * made). Never aborted: it is what runs after a Ctrl-C.
   */
  async cleanupRun(run: { readonly runId?: string; readonly anyRun?: boolean }, maxWaitSeconds: number): Promise<VolumeCleanup> {
    const cleanup = { found: 0, deleted: [] as string[], alreadyGone: [] as string[], failed: [] as { id: string; error: string }[], leftBehind: [] as { id: string; state: string }[] };
    const seen = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const volumes = (await this.list(run)).filter((v) => !seen.has(v.id) && v.state !== "deleting" && v.state !== "deleted");
      if (volumes.length === 0) break;
      for (const v of volumes) seen.add(v.id);
      cleanup.found += volumes.length;
      let deletable = volumes.filter((v) => v.state === "available" || v.state === "error").map((v) => v.id);
      const attached = volumes.filter((v) => v.state === "in-use" || v.state === "creating").map((v) => v.id);
      if (attached.length > 0) {
        const waited = await this.waitAvailable(attached, maxWaitSeconds);
        deletable = [...deletable, ...waited.available.map((v) => v.id), ...waited.notAvailable.filter((v) => v.state === "error").map((v) => v.id)];
        cleanup.leftBehind.push(...waited.notAvailable.filter((v) => v.state !== "error" && v.state !== "deleting" && v.state !== "deleted").map((v) => ({ id: v.id, state: v.state })));
      }
      const result = await this.delete(deletable);
      cleanup.deleted.push(...result.deleted);
      cleanup.alreadyGone.push(...result.alreadyGone);
      cleanup.failed.push(...result.failed);
    }
    return cleanup;
  }

  /** Starts a snapshot of `volume`, tagged so it can resume the workspace and be found again. */
  async snapshot(volume: WorkspaceVolume, description: string, extraTags: Readonly<Record<string, string>> = {}): Promise<WorkspaceSnapshot> {
    const tags = snapshotTags(volume, extraTags);
    const out = await this.o.api.call("CreateSnapshot", () => this.o.ec2.send(new CreateSnapshotCommand({
      VolumeId: volume.id,
      Description: description.slice(0, 255),
      TagSpecifications: [{ ResourceType: "snapshot", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    })), { bucket: this.o.mutateBucket });
    return workspaceSnapshot({ ...out, Tags: out.Tags ?? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
  }

  /** Waits (SDK waiter) until the snapshots complete, at most `maxWaitSeconds`, then reads their states. */
  async waitSnapshots(ids: readonly string[], maxWaitSeconds: number, abortSignal?: AbortSignal): Promise<WorkspaceSnapshot[]> {
    for (const batch of chunk(ids, MAX_FILTER_VALUES)) {
      try {
        await waitUntilSnapshotCompleted(
          { client: this.o.ec2, ...waiterTiming(maxWaitSeconds, this.o.waiterDelays), ...(abortSignal ? { abortSignal } : {}) },
          { Filters: [{ Name: "snapshot-id", Values: batch }] },
        );
      } catch {
        // Timed out, aborted, or a snapshot failed: the read below says which.
      }
    }
    return ids.length > 0 ? this.listSnapshots({ snapshotIds: ids }) : [];
  }

  /** This stack's snapshots (tag remote-claude:stack), by run, source volume or id. */
  async listSnapshots(q: { runId?: string; anyRun?: boolean; sourceVolume?: string; snapshotIds?: readonly string[] } = {}): Promise<WorkspaceSnapshot[]> {
    const Filters: Filter[] = [
      ...this.filters(q),
      ...(q.sourceVolume ? [{ Name: `tag:${VOLUME_TAGS.sourceVolume}`, Values: [q.sourceVolume] }] : []),
      ...(q.snapshotIds ? [{ Name: "snapshot-id", Values: [...q.snapshotIds] }] : []),
    ];
    const out: WorkspaceSnapshot[] = [];
    const pages = paginateDescribeSnapshots({ client: this.o.ec2, pageSize: 500 }, { OwnerIds: ["self"], Filters });
    for await (const page of this.o.api.pages("DescribeSnapshots", pages)) out.push(...(page.Snapshots ?? []).map(workspaceSnapshot));
    return out;
  }

  async deleteSnapshot(id: string): Promise<"deleted" | "gone"> {
    try {
      await this.o.api.call("DeleteSnapshot", () => this.o.ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })), { bucket: this.o.mutateBucket });
      return "deleted";
    } catch (err) {
      if (errorName(err) === "InvalidSnapshot.NotFound") return "gone";
      throw err;
    }
  }
}
