// CPU accounting for bench:start: two cgroups of the benchmark's own, one holding its private
// dockerd (and so containerd, the shims, runc and the hooks and re-execs they run) and one the
// engine puts every container under (cgroup-parent: the containers' processes and their health
// checks). Read from the kernel's accounting, so other work on a shared machine does not count,
// and a workspace start's cost is known in core-seconds: what bounds how many can start at once
// on a given number of cores. cgroup v1 (cpuacct) and v2 (cpu.stat), the engine on the cgroupfs
// driver.
import * as fs from "node:fs";
import * as path from "node:path";

export interface CpuSample {
  /** Core-seconds since the cgroups were made. */
  readonly engine: number;
  readonly containers: number;
}

/** Mount points of every cgroup hierarchy (v1 and v2), and the one with CPU accounting. */
function hierarchies(): { version: 1 | 2; root: string; all: string[] } | undefined {
  const mounts = fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => {
    const [pre, post] = l.split(" - ");
    return { point: pre?.split(" ")[4] ?? "", type: post?.split(" ")[0], options: post?.split(" ")[2] ?? "" };
  }).filter((m) => m.type === "cgroup" || m.type === "cgroup2");
  const all = mounts.map((m) => m.point);
  const v1 = mounts.find((m) => m.type === "cgroup" && m.options.split(",").includes("cpuacct"));
  if (v1) return { version: 1, root: v1.point, all };
  // Only a pure v2 system: on a hybrid one, Docker puts containers in the v1 hierarchies.
  const v2 = mounts.find((m) => m.type === "cgroup2" && m.point === "/sys/fs/cgroup");
  return v2 ? { version: 2, root: v2.point, all } : undefined;
}

export class CpuAccount {
  private constructor(
    private readonly version: 1 | 2,
    private readonly dir: string,
    /** The cgroup name under every hierarchy root (containers' cgroups are created in each). */
    readonly name: string,
    private readonly roots: readonly string[],
  ) {}

  /** The accounting, or why there is none here (not Linux, no cgroup hierarchy with CPU accounting, not writable). */
  static create(): CpuAccount | string {
    if (process.platform !== "linux") return "not Linux";
    const h = hierarchies();
    if (!h) return "no cgroup hierarchy with CPU accounting";
    const name = `rc-bench-start-${process.pid}`;
    const dir = path.join(h.root, name);
    try {
      fs.mkdirSync(path.join(dir, "engine"), { recursive: true });
    } catch (err) {
      return `cannot make a cgroup under ${h.root}: ${(err as Error).message}`;
    }
    return new CpuAccount(h.version, dir, name, h.all);
  }

  /** The file dockerd joins (EngineOptions.cgroupProcs). */
  get engineProcs(): string {
    return path.join(this.dir, "engine", "cgroup.procs");
  }

  /** daemon.json settings that put every container under this accounting. */
  get daemonConfig(): Record<string, unknown> {
    return { "cgroup-parent": `/${this.name}/containers`, "exec-opts": ["native.cgroupdriver=cgroupfs"] };
  }

  read(): CpuSample {
    return { engine: this.usage("engine"), containers: this.usage("containers") };
  }

  private usage(group: string): number {
    try {
      if (this.version === 1) return Number(fs.readFileSync(path.join(this.dir, group, "cpuacct.usage"), "utf8")) / 1e9;
      const line = fs.readFileSync(path.join(this.dir, group, "cpu.stat"), "utf8").split("\n").find((l) => l.startsWith("usage_usec "));
      return Number(line?.split(" ")[1] ?? 0) / 1e6;
    } catch {
      return 0; // the containers' cgroup exists only once the first container has started
    }
  }

  /**
   * Removes the cgroups (after the engine has stopped), in every hierarchy the container runtime
   * made them in, deepest first; a cgroup still busy is left and named.
   */
  remove(): string[] {
    const left: string[] = [];
    for (const root of this.roots) {
      const top = path.join(root, this.name);
      if (!fs.existsSync(top)) continue;
      const dirs: string[] = [];
      const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
        dirs.push(d);
      };
      walk(top);
      for (const d of dirs) {
        try {
          fs.rmdirSync(d);
        } catch {
          left.push(d);
        }
      }
    }
    return left;
  }
}
