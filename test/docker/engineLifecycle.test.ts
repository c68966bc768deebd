// No private dockerd outlives the test process that started it. Mocha's parallel workers keep
// their engines for all their files and stop them as they exit; the pool sends an exiting worker
// SIGTERM after 1 s, which once killed a worker halfway through stopping its engines and left a
// dockerd running under init. The judge is the kernel: whether the dockerd pid still runs
// (/proc/<pid>/stat, a zombie counting as gone) and whether its directory is left.
import { expect } from "chai";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { engineUnavailableReason } from "../../scripts/ops/docker/runtime/engine";
import { unavailable } from "../helpers/docker";

const TS_REQUIRE = path.join(__dirname, "..", "helpers", "tsRequire.js");

// A worker-like process: loads the helper as a mocha worker does, starts an engine, prints its pid
// and directory, then exits or waits for a signal, as told.
const HOLDER = `
const { engine } = require(${JSON.stringify(path.join(__dirname, "..", "helpers", "docker"))});
engine({ skip() { throw new Error("no engine"); } }, "lifecycle").then((e) => {
  process.stdout.write(JSON.stringify({ pid: e.pid, dir: e.dir }) + "\\n");
  if (process.argv[1] === "exit") process.exit(0);
  setInterval(() => undefined, 1 << 30);
});
`;

function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** Starts the holder, resolves with its engine once it printed it. */
function hold(mode: "exit" | "signal"): { child: ChildProcess; engine: Promise<{ pid: number; dir: string }>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["-r", TS_REQUIRE, "-e", HOLDER, mode], {
    env: { ...process.env, MOCHA_WORKER_ID: "lifecycle" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const engine = new Promise<{ pid: number; dir: string }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line));
    });
    child.on("exit", (code) => reject(new Error(`the holder exited ${code} before its engine answered: ${out}`)));
  });
  return { child, engine, exited };
}

describe("a private dockerd does not outlive its test process (real engine)", function () {
  this.timeout(180000);
  before(function () {
    const reason = engineUnavailableReason();
    if (reason) unavailable(this, reason);
  });

  it("a worker that exits stops its engine: the dockerd is gone and its directory removed", async () => {
    const h = hold("exit");
    const e = await h.engine;
    expect(await h.exited).to.equal(0);
    expect(running(e.pid), `dockerd ${e.pid} still runs`).to.equal(false);
    expect(fs.existsSync(e.dir), e.dir).to.equal(false);
  });

  it("a worker terminated with SIGTERM stops its engine before it goes", async () => {
    const h = hold("signal");
    const e = await h.engine;
    expect(running(e.pid)).to.equal(true);
    h.child.kill("SIGTERM");
    expect(await h.exited).to.equal(143);
    expect(running(e.pid), `dockerd ${e.pid} still runs`).to.equal(false);
    expect(fs.existsSync(e.dir), e.dir).to.equal(false);
  });
});
