// A private Docker engine: its own dockerd (and the containerd it starts) with data, state and
// socket under one temporary directory, started and stopped by pid. Nothing is shared with a
// system Docker, no registry is used, and with the default options it touches no host network
// settings (no bridge, no iptables). The hardening tests run on it, and so can a local drill
// target (`ops local image`, `--target docker`).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DockerApi } from "./api";

export interface EngineOptions {
  /** daemon.json contents; {} by default (never the host's /etc/docker/daemon.json). */
  readonly daemonConfig?: Record<string, unknown>;
  /** Extra dockerd flags. The defaults keep the engine off the host network: --bridge none --iptables=false. */
  readonly networkArgs?: readonly string[];
  /**
   * Run dockerd in a network namespace of its own (created and deleted with the engine), with
   * its default bridge and iptables rules: needed by settings such as icc=false, and the host's
   * network stays untouched.
   */
  readonly isolateNetwork?: boolean;
  readonly startTimeoutMs?: number;
  /**
   * A cgroup's `cgroup.procs` file to put dockerd in before it runs: containerd, the shims, runc
   * and the hooks they run are its descendants and stay there, so the cgroup's CPU accounting
   * adds up what the engine spends (bench:start reads it).
   */
  readonly cgroupProcs?: string;
  /** Parent of the engine's directory; short, because unix socket paths are limited to 108 bytes. */
  readonly baseDir?: string;
}

interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class EngineUnavailable extends Error {}

function which(name: string, extra: readonly string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), ...extra].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Why no private engine can start here, or undefined when one can. */
export function engineUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `Docker hardening tests need Linux (this is ${process.platform})`;
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "starting a private dockerd needs root";
  if (!dockerdPath()) return "dockerd is not installed (Debian package docker.io)";
  if (!dockerCliPath()) return "the docker CLI is not installed (Debian package docker.io)";
  return undefined;
}

function dockerdPath(): string | undefined {
  return process.env.REMOTE_CLAUDE_DOCKERD ?? which("dockerd", ["/usr/sbin", "/usr/bin", "/sbin"]);
}

/** The CLI that ships with dockerd when there is one (same version), else the first on PATH. */
function dockerCliPath(): string | undefined {
  if (process.env.REMOTE_CLAUDE_DOCKER_CLI) return process.env.REMOTE_CLAUDE_DOCKER_CLI;
  const daemon = dockerdPath();
  const sibling = daemon ? ["/usr/bin/docker", path.join(path.dirname(daemon), "docker")].find((p) => fs.existsSync(p)) : undefined;
  return sibling ?? which("docker");
}

/** How long dockerd gets to stop its containers on SIGTERM before it is killed. */
const STOP_GRACE_MS = 15000;

export class DockerEngine {
  /** Every engine from its spawn until it is stopped, so a process that exits stops engines still starting too. */
  private static readonly live = new Set<DockerEngine>();
  private stopped = false;
  private client?: DockerApi;

  private constructor(
    readonly dir: string,
    readonly socket: string,
    readonly pid: number,
    private readonly child: ChildProcess,
    private readonly cli: string,
    /** The network namespace dockerd runs in, when isolated. */
    readonly netns?: string,
  ) {}

  get host(): string {
    return `unix://${this.socket}`;
  }

  /** The engine's API client (what the local drill target uses), created on first use. */
  get api(): DockerApi {
    this.client ??= new DockerApi({ url: this.host, socketPath: this.socket });
    return this.client;
  }

  /** Starts dockerd and waits until it answers; throws EngineUnavailable with its log otherwise. */
  static async start(opts: EngineOptions = {}): Promise<DockerEngine> {
    const reason = engineUnavailableReason();
    if (reason) throw new EngineUnavailable(reason);
    const dir = fs.mkdtempSync(path.join(opts.baseDir ?? os.tmpdir(), "rcd-"));
    const socket = path.join(dir, "d.sock");
    const config = path.join(dir, "daemon.json");
    fs.writeFileSync(config, JSON.stringify(opts.daemonConfig ?? {}, null, 2));
    const log = fs.openSync(path.join(dir, "dockerd.log"), "a");
    const netns = opts.isolateNetwork ? `rcd-${path.basename(dir).slice(4)}-${process.pid}` : undefined;
    if (netns) {
      const add = spawnSync("ip", ["netns", "add", netns], { encoding: "utf8" });
      if (add.status !== 0) throw new EngineUnavailable(`cannot create network namespace ${netns}: ${add.stderr.trim()}`);
      spawnSync("ip", ["-n", netns, "link", "set", "lo", "up"]);
    }
    const args = [
      "--data-root", path.join(dir, "data"),
      "--exec-root", path.join(dir, "x"),
      "--host", `unix://${socket}`,
      "--pidfile", path.join(dir, "d.pid"),
      "--config-file", config,
      ...(opts.networkArgs ?? (netns ? [] : ["--bridge", "none", "--iptables=false", "--ip-masq=false"])),
    ];
    // nsenter switches only the network namespace (`ip netns exec` would also remount /sys and
    // hide the cgroups) and execs dockerd in place, so the pid stays dockerd's.
    const [daemon, daemonArgs] = netns
      ? ["nsenter", [`--net=/var/run/netns/${netns}`, dockerdPath() as string, ...args]]
      : [dockerdPath() as string, args];
    // The shell joins the cgroup and execs in place, so the pid stays dockerd's.
    const [command, argv] = opts.cgroupProcs
      ? ["sh", ["-c", 'echo $$ > "$0" && exec "$@"', opts.cgroupProcs, daemon, ...daemonArgs]]
      : [daemon, daemonArgs];
    const child = spawn(command, argv, { stdio: ["ignore", log, log], detached: true });
    fs.closeSync(log);
    child.unref();
    const engine = new DockerEngine(dir, socket, child.pid as number, child, dockerCliPath() as string, netns);
    DockerEngine.live.add(engine);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (fs.existsSync(socket) && (await engine.docker(["version", "--format", "{{.Server.Version}}"], { allowFail: true })).code === 0) {
        return engine;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const exited = child.exitCode !== null || child.signalCode !== null;
    const tail = engine.log().split("\n").slice(exited ? -3 : -15).join("\n");
    await engine.stop();
    throw new EngineUnavailable(exited ? `dockerd exited at start:\n${tail}` : `dockerd did not come up within ${opts.startTimeoutMs ?? 30000} ms:\n${tail}`);
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, "dockerd.log"), "utf8");
    } catch {
      return "";
    }
  }

  /** Runs the docker CLI against this engine. Fails (rejects) on a non-zero exit unless allowFail. */
  docker(args: readonly string[], opts: { input?: Buffer | string; timeoutMs?: number; allowFail?: boolean } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const proc = spawn(this.cli, ["--host", this.host, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      proc.stdout.on("data", (d) => out.push(d));
      proc.stderr.on("data", (d) => err.push(d));
      const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 120000);
      proc.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      proc.on("close", (code) => {
        clearTimeout(timer);
        const result = { code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
        if (result.code !== 0 && !opts.allowFail) {
          reject(new Error(`docker ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`));
        } else {
          resolve(result);
        }
      });
      proc.stdin.on("error", () => undefined);
      proc.stdin.end(opts.input ?? "");
    });
  }

  /** Imports a directory as an image (no registry): tar of the directory into `docker import`. */
  async importDirectory(dir: string, tag: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const tar = spawn("tar", ["-C", dir, "--numeric-owner", "-c", "."], { stdio: ["ignore", "pipe", "pipe"] });
      const imp = spawn(this.cli, ["--host", this.host, "import", "-", tag], { stdio: ["pipe", "ignore", "pipe"] });
      tar.stdout.pipe(imp.stdin);
      let stderr = "";
      imp.stderr.on("data", (d) => (stderr += d));
      tar.stderr.on("data", (d) => (stderr += d));
      imp.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`docker import ${tag} failed: ${stderr.trim()}`))));
      tar.on("error", reject);
      imp.on("error", reject);
    });
  }

  /** Stops dockerd by pid (TERM, then KILL), removes its containers' leftovers and its directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    DockerEngine.live.delete(this);
    this.client?.close();
    const alive = () => this.child.exitCode === null && this.child.signalCode === null;
    if (alive()) {
      signal(this.pid, "SIGTERM");
      const deadline = Date.now() + STOP_GRACE_MS;
      while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive()) signal(this.pid, "SIGKILL");
    }
    this.removeLeftovers();
  }

  /**
   * Stops every engine this process started and has not stopped, including one still starting:
   * synchronous, for a process that is exiting (its event loop no longer runs). Every dockerd gets
   * SIGTERM at once and STOP_GRACE_MS to stop its containers, as `stop` gives one, then SIGKILL;
   * then their directories go.
   */
  static stopAllNow(): void {
    const engines = [...DockerEngine.live];
    DockerEngine.live.clear();
    for (const e of engines) {
      e.stopped = true;
      signal(e.pid, "SIGTERM");
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (engines.some((e) => running(e.pid)) && Date.now() < deadline) Atomics.wait(SLEEPER, 0, 0, 50);
    for (const e of engines) {
      if (running(e.pid)) signal(e.pid, "SIGKILL");
      e.removeLeftovers();
    }
  }

  /** Once dockerd is gone: unmounts what dockerd/containerd left below its directory (deepest first), removes it and the network namespace. */
  private removeLeftovers(): void {
    const mounts = fs.readFileSync("/proc/self/mounts", "utf8").split("\n")
      .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
      .filter((m): m is string => !!m && (m === this.dir || m.startsWith(`${this.dir}/`)))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync("umount", ["-l", m]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.netns) spawnSync("ip", ["netns", "del", this.netns]);
  }
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Whether pid runs: an exited child stays a zombie until reaped, and an exiting process reaps nothing. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
