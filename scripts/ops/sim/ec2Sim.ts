// A simulated EC2 volume and snapshot API for the drills' tests: DescribeVolumes with the filters
// the ops tool uses (tags, tag-key, status, volume-id, attachment.instance-id) and pagination,
// DeleteVolume (refused while attached), CreateSnapshot / DescribeSnapshots (pending for a few
// reads, then completed or error) / DeleteSnapshot. EcsSim creates a volume for every task RunTask
// configures one for and derives its state from the task (attached while it runs, detached once
// it stopped). Not used against AWS.
import type {
  CreateSnapshotCommandInput,
  CreateSnapshotCommandOutput,
  DeleteSnapshotCommandInput,
  DeleteVolumeCommandInput,
  DescribeSnapshotsCommandInput,
  DescribeSnapshotsCommandOutput,
  DescribeVolumesCommandInput,
  DescribeVolumesCommandOutput,
  Filter,
  Snapshot,
  Volume,
} from "@aws-sdk/client-ec2";
import type { Clock } from "../clock";

interface VolumeView {
  readonly state: string;
  readonly instanceId?: string;
  readonly attachTime?: number;
}

export interface SimVolume {
  readonly id: string;
  readonly sizeGiB: number;
  readonly createdAt: number;
  readonly availabilityZone: string;
  readonly tags: Record<string, string>;
  readonly snapshotId?: string;
  /** Its state as the simulation derives it (from its task), unless deleted or fixed. */
  derive?: () => VolumeView;
  fixed?: VolumeView;
  deleted?: boolean;
}

interface SimSnapshot {
  readonly id: string;
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly startedAt: number;
  readonly tags: Record<string, string>;
  /** DescribeSnapshots reads left before it completes (or fails). */
  pendingReads: number;
  readonly fails: boolean;
  deleted?: boolean;
}

export interface Ec2SimOptions {
  readonly clock: Clock;
  /** DescribeSnapshots reads a new snapshot stays pending for. */
  readonly snapshotPendingReads?: number;
  /** Snapshots end in state "error" instead of "completed". */
  readonly snapshotsFail?: boolean;
}

const err = (name: string, message: string) => Object.assign(new Error(message), { name });
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

function matches(filters: readonly Filter[] | undefined, get: (name: string) => string[] | undefined): boolean {
  return (filters ?? []).every((f) => {
    const have = get(f.Name ?? "") ?? [];
    return (f.Values ?? []).some((v) => have.includes(v));
  });
}

export class Ec2Sim {
  readonly volumes = new Map<string, SimVolume>();
  readonly snapshots = new Map<string, SimSnapshot>();
  readonly calls: Record<string, number> = {};
  private nextVolume = 0;
  private nextSnapshot = 0;

  constructor(private readonly o: Ec2SimOptions) {}

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  createVolume(spec: { sizeGiB: number; tags: Record<string, string>; snapshotId?: string; availabilityZone?: string; derive?: () => VolumeView; fixed?: VolumeView; createdAt?: number }): SimVolume {
    const id = `vol-0${(this.nextVolume++).toString(16).padStart(16, "0")}`;
    const v: SimVolume = {
      id,
      sizeGiB: spec.sizeGiB,
      createdAt: spec.createdAt ?? this.o.clock.now(),
      availabilityZone: spec.availabilityZone ?? "ap-northeast-1a",
      tags: { ...spec.tags },
      ...(spec.snapshotId ? { snapshotId: spec.snapshotId } : {}),
      ...(spec.derive ? { derive: spec.derive } : {}),
      ...(spec.fixed ? { fixed: spec.fixed } : {}),
    };
    this.volumes.set(id, v);
    return v;
  }

  viewOf(v: SimVolume): VolumeView {
    if (v.deleted) return { state: "deleted" };
    return v.fixed ?? v.derive?.() ?? { state: "available" };
  }

  /** Volumes not deleted: what a drill must not leave behind. */
  leftovers(): string[] {
    return [...this.volumes.values()].filter((v) => !v.deleted).map((v) => v.id);
  }

  private volume(v: SimVolume): Volume {
    const view = this.viewOf(v);
    return {
      VolumeId: v.id,
      Size: v.sizeGiB,
      State: view.state as Volume["State"],
      CreateTime: new Date(v.createdAt),
      AvailabilityZone: v.availabilityZone,
      VolumeType: "gp3",
      Encrypted: true,
      ...(v.snapshotId ? { SnapshotId: v.snapshotId } : {}),
      Tags: tagList(v.tags),
      Attachments: view.instanceId ? [{ VolumeId: v.id, InstanceId: view.instanceId, State: "attached", AttachTime: new Date(view.attachTime ?? v.createdAt) }] : [],
    };
  }

  describeVolumes(input: DescribeVolumesCommandInput): DescribeVolumesCommandOutput {
    this.count("DescribeVolumes");
    const all = [...this.volumes.values()].filter((v) => !v.deleted).filter((v) => {
      const view = this.viewOf(v);
      return (!input.VolumeIds || input.VolumeIds.includes(v.id)) && matches(input.Filters, (name) => {
        if (name.startsWith("tag:")) return v.tags[name.slice(4)] === undefined ? [] : [v.tags[name.slice(4)]];
        if (name === "tag-key") return Object.keys(v.tags);
        if (name === "status") return [view.state];
        if (name === "volume-id") return [v.id];
        if (name === "attachment.instance-id") return view.instanceId ? [view.instanceId] : [];
        throw err("InvalidParameterValue", `the simulation has no filter ${name}`);
      });
    });
    const start = Number(input.NextToken ?? 0);
    const size = input.MaxResults ?? all.length;
    const page = all.slice(start, start + size);
    return { Volumes: page.map((v) => this.volume(v)), ...(start + size < all.length ? { NextToken: String(start + size) } : {}), $metadata: {} };
  }

  deleteVolume(input: DeleteVolumeCommandInput): object {
    this.count("DeleteVolume");
    const v = this.volumes.get(input.VolumeId ?? "");
    if (!v || v.deleted) throw err("InvalidVolume.NotFound", `The volume '${input.VolumeId}' does not exist.`);
    const view = this.viewOf(v);
    if (view.state === "in-use" || view.state === "creating") throw err("VolumeInUse", `Volume ${v.id} is currently attached to ${view.instanceId ?? "an instance"}`);
    v.deleted = true;
    return { $metadata: {} };
  }

  createSnapshot(input: CreateSnapshotCommandInput): CreateSnapshotCommandOutput {
    this.count("CreateSnapshot");
    const v = this.volumes.get(input.VolumeId ?? "");
    if (!v || v.deleted) throw err("InvalidVolume.NotFound", `The volume '${input.VolumeId}' does not exist.`);
    const id = `snap-0${(this.nextSnapshot++).toString(16).padStart(16, "0")}`;
    const tags = Object.fromEntries((input.TagSpecifications ?? []).flatMap((t) => t.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
    const snap: SimSnapshot = { id, volumeId: v.id, sizeGiB: v.sizeGiB, startedAt: this.o.clock.now(), tags, pendingReads: this.o.snapshotPendingReads ?? 1, fails: this.o.snapshotsFail ?? false };
    this.snapshots.set(id, snap);
    return { ...this.snapshot(snap), $metadata: {} };
  }

  private snapshotState(s: SimSnapshot): string {
    if (s.pendingReads > 0) return "pending";
    return s.fails ? "error" : "completed";
  }

  private snapshot(s: SimSnapshot): Snapshot {
    return {
      SnapshotId: s.id,
      VolumeId: s.volumeId,
      VolumeSize: s.sizeGiB,
      State: this.snapshotState(s) as Snapshot["State"],
      StartTime: new Date(s.startedAt),
      Encrypted: true,
      Tags: tagList(s.tags),
    };
  }

  describeSnapshots(input: DescribeSnapshotsCommandInput): DescribeSnapshotsCommandOutput {
    this.count("DescribeSnapshots");
    const found = [...this.snapshots.values()].filter((s) => !s.deleted).filter((s) => (!input.SnapshotIds || input.SnapshotIds.includes(s.id)) && matches(input.Filters, (name) => {
      if (name.startsWith("tag:")) return s.tags[name.slice(4)] === undefined ? [] : [s.tags[name.slice(4)]];
      if (name === "tag-key") return Object.keys(s.tags);
      if (name === "snapshot-id") return [s.id];
      throw err("InvalidParameterValue", `the simulation has no filter ${name}`);
    }));
    const out = found.map((s) => this.snapshot(s));
    for (const s of found) if (s.pendingReads > 0) s.pendingReads--;
    return { Snapshots: out, $metadata: {} };
  }

  deleteSnapshot(input: DeleteSnapshotCommandInput): object {
    this.count("DeleteSnapshot");
    const s = this.snapshots.get(input.SnapshotId ?? "");
    if (!s || s.deleted) throw err("InvalidSnapshot.NotFound", `The snapshot '${input.SnapshotId}' does not exist.`);
    s.deleted = true;
    return { $metadata: {} };
  }

  /** Snapshots not deleted. */
  snapshotLeftovers(): string[] {
    return [...this.snapshots.values()].filter((s) => !s.deleted).map((s) => s.id);
  }
}
