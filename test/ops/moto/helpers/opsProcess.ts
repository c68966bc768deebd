// The ops CLI as a user runs it: bin/ops.js (the installed `ops` and `npm run ops`) in its own Node process, with
// AWS_ENDPOINT_URL pointing at the endpoint under test, dummy credentials and no AWS config files,
// so nothing can reach a real account. Processes are followed by events: lines on stderr, exit.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MOTO_CREDENTIALS } from "./fixture";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const ENTRY = path.join(ROOT, "bin", "ops.js");

interface OpsResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, when the run printed a JSON report. */
  readonly report?: any;
}

class OpsProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<OpsResult>;
  private readonly waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(readonly child: ChildProcess, readonly args: readonly string[]) {
    child.stdout!.on("data", (c: Buffer) => (this.stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => {
      this.stderr += c.toString();
      for (const w of [...this.waiters]) {
        const m = w.re.exec(this.stderr);
        if (m) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => {
      const text = this.stdout.trim();
      let report: any;
      try {
        report = text.startsWith("{") ? JSON.parse(text) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, report });
    }));
  }

  /** Resolves with the first match of `re` on stderr; rejects if the process exits first. */
  waitForStderr(re: RegExp): Promise<RegExpMatchArray> {
    const m = re.exec(this.stderr);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      this.waiters.push({ re, resolve });
      void this.exited.then((r) => reject(new Error(`ops ${this.args.join(" ")} exited (${r.code ?? r.signal}) before printing ${re}: ${r.stderr.slice(-1500)}`)));
    });
  }

  signal(name: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(name);
  }
}

/** Starts `ops ARGS` against `endpoint`. */
export function startOps(args: readonly string[], endpoint: string): OpsProcess {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "ops-home-"));
  const child = spawn(process.execPath, [ENTRY, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, "none"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, "none"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    },
  });
  return new OpsProcess(child, args);
}

/** Runs `ops ARGS` to the end. */
export function runOps(args: readonly string[], endpoint: string): Promise<OpsResult> {
  return startOps(args, endpoint).exited;
}
