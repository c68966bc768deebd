// moto's server, a real AWS wire protocol on loopback, for the tests that run the ops tool against
// it: finds a Python that imports moto's server (PATH first, then pyenv's shims and versions, then
// the virtualenv scripts/ci.sh installs into), starts it on a port the kernel picks, waits for it
// to say it listens, and stops it by pid when the test file is done (stopMotoServers in its
// `after` hook: in mocha's parallel mode a helper's own root hook would run after the first file
// only). A server also exits when its test process is gone, however it ended. The helper installs
// nothing (scripts/ci.sh does). Without moto the tests skip loudly, except in CI (CI=true), where
// a missing moto is a failure.
import type { Context } from "mocha";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Where scripts/ci.sh installs moto[server] when no Python on the machine has it. */
export const MOTO_VENV = path.join(os.homedir(), ".cache", "remote-claude", "moto-venv");
/** Oldest moto whose server has what the suite uses (state manager, ECS container instances, EC2 rule ids). */
const MIN_MOTO = [5, 2];
/** Lines of the server's own output kept for an error message (it logs one line per request). */
const KEEP_LOG_LINES = 40;
/** A server that has not said it listens after this long is broken, not slow (a bound, not a wait). */
const START_BOUND_MS = 60_000;

interface MotoPython {
  readonly executable: string;
  readonly version: string;
}

function candidates(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (env.REMOTE_CLAUDE_MOTO_PYTHON) out.push(env.REMOTE_CLAUDE_MOTO_PYTHON);
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) out.push(path.join(dir, "python3"), path.join(dir, "python"));
  const pyenv = path.join(os.homedir(), ".pyenv");
  out.push(path.join(pyenv, "shims", "python3"));
  try {
    // Newest first: pyenv's global may be a version without moto.
    const versions = fs.readdirSync(path.join(pyenv, "versions")).sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    out.push(...versions.map((v) => path.join(pyenv, "versions", v, "bin", "python3")));
  } catch {
    // no pyenv versions
  }
  out.push(path.join(MOTO_VENV, "bin", "python3"));
  return [...new Set(out)].filter((p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const PROBE = "import sys, moto, moto.server; print(sys.executable); print(moto.__version__)";

/**
 * moto.server's main, with a thread that ends the server when its stdin closes: the test process
 * holds the other end, so the server cannot outlive it (SIGKILL, a mocha worker terminated).
 */
const SERVER = [
  "import os, sys, threading",
  "def _exit_with_parent():",
  "    sys.stdin.read()",
  "    os._exit(0)",
  "threading.Thread(target=_exit_with_parent, daemon=True).start()",
  "from moto.server import main",
  // Port 0: the kernel picks a free one and werkzeug prints it once it listens.
  "main(['-H', '127.0.0.1', '-p', '0'])",
].join("\n");

function atLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split(".").map((p) => parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) > min[i];
  }
  return true;
}

let found: MotoPython | string | undefined;

/** The first Python that imports moto's server (≥ 5.2), or why there is none. */
function findMotoPython(env: NodeJS.ProcessEnv = process.env): MotoPython | string {
  if (found !== undefined) return found;
  const tried: string[] = [];
  for (const python of candidates(env)) {
    const r = spawnSync(python, ["-c", PROBE], { encoding: "utf8", timeout: 30_000 });
    const [executable, version] = (r.stdout ?? "").trim().split("\n");
    if (r.status === 0 && executable && version) {
      if (atLeast(version, MIN_MOTO)) return (found = { executable, version });
      tried.push(`${python}: moto ${version} (needs ${MIN_MOTO.join(".")} or later)`);
    } else {
      tried.push(`${python}: no moto`);
    }
  }
  return (found = `no Python with moto[server] >= ${MIN_MOTO.join(".")} (tried ${tried.join("; ") || "none found"}); scripts/ci.sh installs it into ${MOTO_VENV}`);
}

function mustRunInCi(): boolean {
  return process.env.CI === "true" && process.env.REMOTE_CLAUDE_ALLOW_MOTO_SKIP !== "1";
}

/** Skips the test (loudly) or, in CI, fails it, when moto cannot run here. */
function motoUnavailable(ctx: Context, reason: string): never {
  if (mustRunInCi()) throw new Error(`moto suite cannot run in CI: ${reason}`);
  console.warn(`\n    !!! SKIPPED (moto suite): ${reason}\n`);
  ctx.skip();
}

export class MotoServer {
  private readonly log: string[] = [];
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly python: MotoPython,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    // The server logs every request: keep reading, or a full pipe would stop it.
    const keep = (chunk: Buffer) => {
      this.log.push(...chunk.toString().split("\n").filter(Boolean));
      this.log.splice(0, Math.max(0, this.log.length - KEEP_LOG_LINES));
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The last lines the server printed (for failure messages). */
  recentLog(): string {
    return this.log.join("\n");
  }

  static async start(python: MotoPython, env: NodeJS.ProcessEnv = {}): Promise<MotoServer> {
    const child = spawn(python.executable, ["-c", SERVER], {
      env: { ...process.env, ...env, PYTHONUNBUFFERED: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let text = "";
      const bound = setTimeout(() => fail(new Error(`moto did not say it listens within ${START_BOUND_MS / 1000} s: ${text.slice(-2000)}`)), START_BOUND_MS);
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
        if (m) done(() => resolve(m[1]));
      };
      const onExit = (code: number | null) => fail(new Error(`moto exited with ${code} before listening: ${text.slice(-2000)}`));
      const done = (then: () => void) => {
        clearTimeout(bound);
        child.stdout!.off("data", onData);
        child.stderr!.off("data", onData);
        child.off("exit", onExit);
        child.off("error", fail);
        then();
      };
      const fail = (err: Error) => done(() => {
        child.kill("SIGKILL");
        reject(err);
      });
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", onExit);
      child.once("error", fail);
    });
    return new MotoServer(child, url, python);
  }

  /** POST to moto's own API (/moto-api/…). */
  async motoApi(route: string, body?: unknown): Promise<void> {
    const r = await fetch(`${this.url}/moto-api/${route}`, { method: "POST", ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) });
    if (!r.ok) throw new Error(`moto-api ${route}: HTTP ${r.status} ${await r.text()}`);
  }

  /** Forgets every resource of every account and region (transitions set with setTransition stay). */
  reset(): Promise<void> {
    return this.motoApi("reset");
  }

  /** How a model advances on reads (see moto's "state transitions" docs). */
  setTransition(model: string, transition: Record<string, unknown>): Promise<void> {
    return this.motoApi("state-manager/set-transition", { model_name: model, transition });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(this.pid, "SIGTERM");
      await this.exited;
    }
  }

  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, "SIGKILL");
  }
}

const servers = new Map<string, Promise<MotoServer>>();
const started: MotoServer[] = [];

/** One moto server per environment (read when models are created) until stopMotoServers. */
export async function motoServer(ctx: Context, env: Readonly<Record<string, string>> = {}): Promise<MotoServer> {
  const python = findMotoPython();
  if (typeof python === "string") motoUnavailable(ctx, python);
  const key = JSON.stringify(env);
  let promise = servers.get(key);
  if (!promise) {
    promise = MotoServer.start(python, env).then((s) => {
      started.push(s);
      return s;
    });
    servers.set(key, promise);
  }
  try {
    return await promise;
  } catch (err) {
    servers.delete(key);
    motoUnavailable(ctx, (err as Error).message);
  }
}

/** Stops every server this process started (a test file's `after` hook). */
export async function stopMotoServers(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  servers.clear();
}

process.on("exit", () => {
  for (const s of started) s.killNow();
});
