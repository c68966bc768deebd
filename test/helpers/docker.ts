// The Docker hardening suite's shared engine and images: one private dockerd per test run (and
// one more for the daemon.json test), images built once per engine. The helper installs nothing:
// scripts/ci.sh does. Without an engine the tests skip loudly, except in CI (CI=true), where a
// missing engine is a failure. Everything is torn down after the run, also when tests fail.
import type { Context } from "mocha";
import * as path from "node:path";
import { DockerEngine, type EngineOptions, engineUnavailableReason } from "../../host/docker/engine";
import { IMAGE_SPECS, type ImageName, importRootfs } from "../../host/docker/rootfs";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT_PROFILE = path.join(ROOT, "host", "files", "seccomp.json");
export const DOCKER_DEFAULT_PROFILE = path.join(ROOT, "host", "seccomp", "docker-20.10-default.json");
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

export async function stopEngines(): Promise<void> {
  await Promise.all(started.splice(0).map((e) => e.stop()));
  engines.clear();
  images.clear();
}

// Root hook: registered when a Docker test file loads this helper.
after(async function () {
  this.timeout(60000);
  await stopEngines();
});
process.on("exit", () => {
  for (const e of started) e.killNow();
});

export const VERDICT_LINE = /^REMOTE_CLAUDE_PROBE_VERDICT (.*)$/m;
