// Workspace storage config: the per-workspace EBS volume ECS attaches at launch (gp3 size, IOPS,
// throughput, filesystem) and the thresholds of the retained-volumes alarm. Cross checks: gp3's
// own rules (at most 500 IOPS per GiB, at most 0.25 MiB/s of throughput per IOPS), so a bad
// combination fails here instead of failing every workspace launch.
import { VOLUME_FILESYSTEMS } from "../lib/launchContract";
import type { CrossCheck } from "./problems";
import { integer, oneOf } from "./schema";

/** gp3 limits as RunTask's TaskManagedEBSVolumeConfiguration documents them (ECS API reference). */
const GP3 = {
  minGiB: 1,
  maxGiB: 16384,
  minIops: 3000,
  maxIops: 16000,
  minThroughput: 125,
  maxThroughput: 1000,
  iopsPerGiB: 500,
  throughputPerIops: 0.25,
} as const;

export const storageKeys = {
  workspaceVolumeGiB: integer({
    description: "Size of each workspace's encrypted gp3 EBS volume (attached by ECS at launch, mounted at /workspace, kept after the task stops).",
    default: 20,
    min: GP3.minGiB,
    max: GP3.maxGiB,
    unit: "GiB",
  }),
  workspaceVolumeIops: integer({
    description: "Provisioned IOPS of each workspace volume (gp3: 3000 are included in the price).",
    default: 3000,
    min: GP3.minIops,
    max: GP3.maxIops,
  }),
  workspaceVolumeThroughputMiBps: integer({
    description: "Provisioned throughput of each workspace volume (gp3: 125 MiB/s are included in the price).",
    default: 125,
    min: GP3.minThroughput,
    max: GP3.maxThroughput,
    unit: "MiB/s",
  }),
  workspaceVolumeFilesystem: oneOf(VOLUME_FILESYSTEMS, {
    description: "Filesystem ECS makes on a new workspace volume. A volume resumed from a snapshot keeps the snapshot's own filesystem (its remote-claude:filesystem tag).",
    default: "xfs",
  }),
  retainedVolumesAlarmCount: integer({
    description: "Retained (detached) workspace volumes of this stack above which the retained-volumes alarm fires.",
    default: 100,
    min: 1,
    max: 100000,
  }),
  retainedVolumesAlarmGiB: integer({
    description: "Total GiB of retained workspace volumes above which the retained-volumes alarm fires.",
    default: 2000,
    min: 1,
    max: 10000000,
    unit: "GiB",
  }),
};

export const storageChecks: CrossCheck[] = [
  (cfg, report) => {
    const maxIops = cfg.workspaceVolumeGiB * GP3.iopsPerGiB;
    if (cfg.workspaceVolumeIops > maxIops) {
      report("workspaceVolumeIops", cfg.workspaceVolumeIops, `at most ${GP3.iopsPerGiB} IOPS per GiB of workspaceVolumeGiB (${cfg.workspaceVolumeGiB} GiB allows ${maxIops}): lower the IOPS or raise the size`);
    }
  },
  (cfg, report) => {
    const maxThroughput = Math.floor(cfg.workspaceVolumeIops * GP3.throughputPerIops);
    if (cfg.workspaceVolumeThroughputMiBps > maxThroughput) {
      report("workspaceVolumeThroughputMiBps", cfg.workspaceVolumeThroughputMiBps, `at most ${GP3.throughputPerIops} MiB/s per provisioned IOPS (${cfg.workspaceVolumeIops} IOPS allow ${maxThroughput} MiB/s): lower the throughput or raise workspaceVolumeIops`);
    }
  },
];
