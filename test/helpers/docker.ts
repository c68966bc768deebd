// The Docker hardening suite's shared engine and images: one private dockerd per test run (and
// one more for the daemon.json test), images built once per engine. The helper installs nothing:
// scripts/ci.sh does. Without an engine the tests skip loudly, except in CI (CI=true), where a
// missing engine is a failure. Everything is torn down after the run, also when tests fail.
import type { Context } from "mocha";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DockerEngine, type EngineOptions, engineUnavailableReason } from "../../scripts/ops/docker/runtime/engine";
import { LOCAL_IMAGES, localWorkspaceTask } from "../../scripts/ops/docker/runtime/localWorkspace";
import { IMAGE_SPECS, type ImageName, importRootfs } from "../../scripts/ops/docker/runtime/rootfs";
import { ulimitCeilings } from "../../scripts/ops/docker/runtime/ulimits";
import { buildWorkspaceImages } from "../../scripts/ops/docker/runtime/workspaceImage";
import { type CommandResult, type WorkspaceCommand, runWorkspaceCommand } from "../../scripts/ops/docker/runtime/workspaceCommand";
import { HOST_FILES_DIR, HOST_PATHS, hostFile } from "../../host/render";
import { BASE_PROFILE, PTRACE_CHOICES, type PtraceChoice, seccompProfileFile } from "../../host/seccomp";
import { SECCOMP_PROFILE } from "../../scripts/ops/docker/run";

export const ROOT = path.resolve(__dirname, "..", "..");
/** The project's profile with each ptrace choice, and the default choice's (what the local target uses). */
export const PROFILES: Readonly<Record<PtraceChoice, string>> = Object.fromEntries(PTRACE_CHOICES.map((c) => [c, path.join(HOST_FILES_DIR, seccompProfileFile(c))])) as Record<PtraceChoice, string>;
export const PROJECT_PROFILE = path.join(ROOT, SECCOMP_PROFILE);
/** Today's Docker default profile, as vendored (the project's base). */
export const DOCKER_DEFAULT_PROFILE = path.join(ROOT, BASE_PROFILE.file);
export const PROBE_DIR = path.join(ROOT, "probe");

const engines = new Map<string, Promise<DockerEngine>>();
const started: DockerEngine[] = [];
const images = new Map<string, Promise<void>>();

function mustRunInCi(): boolean {
  return process.env.CI === "true" && process.env.REMOTE_CLAUDE_ALLOW_DOCKER_SKIP !== "1";
}

/** Skips the test (loudly) or, in CI, fails it, when `reason` says the environment cannot run it. */
export function unavailable(ctx: Context, reason: string): never {
  if (mustRunInCi()) throw new Error(`Docker hardening suite cannot run in CI: ${reason}`);
  console.warn(`\n    !!! SKIPPED (Docker hardening suite): ${reason}\n`);
  ctx.skip();
}

/** A private engine, started once per key and options for the whole run. */
export async function engine(ctx: Context, key = "default", opts: EngineOptions = {}): Promise<DockerEngine> {
  const reason = engineUnavailableReason();
  if (reason) unavailable(ctx, reason);
  let promise = engines.get(key);
  if (!promise) {
    promise = DockerEngine.start(opts).then((e) => {
      started.push(e);
      return e;
    });
    engines.set(key, promise);
  }
  try {
    return await promise;
  } catch (err) {
    unavailable(ctx, (err as Error).message);
  }
}

/** The image `name` on this engine, assembled and imported once. Returns its tag. */
export async function image(e: DockerEngine, name: ImageName): Promise<string> {
  const tag = `rc-${name}:test`;
  const key = `${e.dir}|${tag}`;
  let done = images.get(key);
  if (!done) {
    done = importRootfs(e, IMAGE_SPECS[name](), tag);
    images.set(key, done);
  }
  await done;
  return tag;
}

const CAP_SYS_RESOURCE = 24;

/**
 * The nofile limit a container can get here. On a host root may raise it to daemon.json's value;
 * a sandbox whose root lacks CAP_SYS_RESOURCE cannot go above its own hard limit, so the test
 * adapts the value (like the profile's path) and says so.
 */
let warned = false;
function nofileHere(wanted: number): number {
  const capEff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]}`);
  if ((capEff >> BigInt(CAP_SYS_RESOURCE)) & BigInt(1)) return wanted;
  const hard = Number(spawnSync("sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).stdout.trim());
  if (hard < wanted && !warned) console.warn(`    note: no CAP_SYS_RESOURCE here: nofile ${wanted} adapted to this machine's hard limit ${hard}`);
  warned = true;
  return Math.min(wanted, hard);
}

/** The hosts' daemon.json, with only the profile's path (the test's copy) and, where it must, nofile adapted. */
export function projectDaemonConfig(): Record<string, any> {
  const config = JSON.parse(hostFile("daemon.json"));
  if (config["seccomp-profile"] !== HOST_PATHS.seccompProfile) throw new Error(`daemon.json names ${config["seccomp-profile"]}, not ${HOST_PATHS.seccompProfile}`);
  config["seccomp-profile"] = PROJECT_PROFILE;
  const nofile = nofileHere(config["default-ulimits"].nofile.Hard);
  config["default-ulimits"].nofile = { ...config["default-ulimits"].nofile, Soft: nofile, Hard: nofile };
  return config;
}

/**
 * An engine configured like the hosts' (daemon.json), in a network namespace of its own: icc=false
 * needs iptables, and the local drills create bridge networks; both stay in that namespace.
 * Shared by the daemon.json tests and the local drill tests.
 */
export function projectDaemonEngine(ctx: Context): Promise<DockerEngine> {
  return engine(ctx, "project-daemon-json", { daemonConfig: projectDaemonConfig(), isolateNetwork: true });
}

const localImages = new Map<string, Promise<unknown>>();

/** The local workspace images (`ops local image`'s build) on this engine, built once. */
export async function workspaceImages(e: DockerEngine): Promise<typeof LOCAL_IMAGES> {
  let done = localImages.get(e.dir);
  if (!done) {
    done = buildWorkspaceImages(e.api);
    localImages.set(e.dir, done);
  }
  await done;
  return LOCAL_IMAGES;
}

const ceilings = new Map<string, Promise<Record<string, number>>>();

/**
 * Runs a command as the workspace agent, created exactly as the local drill target creates it
 * (the task definition's settings), with the ulimits this engine can grant.
 */
export async function runInWorkspace(e: DockerEngine, cmd: WorkspaceCommand): Promise<CommandResult> {
  const key = `${e.dir}|${cmd.image}`;
  let granted = ceilings.get(key);
  if (!granted) {
    granted = ulimitCeilings(e.api, cmd.image, localWorkspaceTask({ agent: cmd.image }).containers[0].ulimits ?? []);
    ceilings.set(key, granted);
  }
  return runWorkspaceCommand(e.api, { ulimitCeilings: await granted, ...cmd });
}

export function profileText(file: string): string {
  return file === "unconfined" ? file : fs.readFileSync(file, "utf8");
}

async function stopEngines(): Promise<void> {
  await Promise.all(started.splice(0).map((e) => e.stop()));
  engines.clear();
  images.clear();
  localImages.clear();
  ceilings.clear();
}

// Engines serve every Docker test file a process runs. A serial run stops them in this root hook
// at its end. In mocha's parallel mode a root hook belongs only to the first file that loads this
// helper, so a worker (MOCHA_WORKER_ID) keeps its engines for its later files and stops them as
// it exits, engines still starting included. The pool gives an exiting worker 1 s before SIGTERM,
// which without a listener would kill it halfway through stopping them: the listener lets the
// stop finish (and stops them too when a worker is terminated outright).
if (!process.env.MOCHA_WORKER_ID) {
  after(async function () {
    this.timeout(60000);
    await stopEngines();
  });
}
process.on("exit", () => DockerEngine.stopAllNow());
for (const sig of ["SIGTERM", "SIGHUP"] as const) {
  process.once(sig, () => {
    DockerEngine.stopAllNow();
    process.exit(128 + os.constants.signals[sig]);
  });
}

export const VERDICT_LINE = /^REMOTE_CLAUDE_PROBE_VERDICT (.*)$/m;
