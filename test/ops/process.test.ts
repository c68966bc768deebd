// The real CLI in a child process: help, and a real SIGINT in the middle of a load run against a
// fake AWS endpoint on loopback, with the real SDK (adaptive retry included).
import { expect } from "chai";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FakeAws } from "./helpers/fakeAws";
import { ROOT, tempDir, writeOutputs } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";
import { tsNodeArgs } from "../helpers/tsProcess";

const ENTRY = path.join(ROOT, "scripts", "ops.ts");

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempDir("ops-home-");
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, "none"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "none"),
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

describe("ops as a process", () => {
  it("--help documents every command, the exit codes and the metrics", () => {
    const top = spawnSync(process.execPath, tsNodeArgs(ENTRY, "--help"), { cwd: ROOT, encoding: "utf8", env: childEnv() });
    expect(top.status).to.equal(0);
    for (const text of ["load workspaces", "load http", "drill <name>", "kill-backend-task", "drain-instance", "terminate-instance", "az-outage", "redis-failover", "rds-failover", "fis", "security", "cleanup", "volumes", "prune --older-than", "Exit codes:", "--confirm-prod", "--dry-run", "--report", "--json", "--no-metrics", "Metrics: namespace"]) {
      expect(top.stdout).to.include(text);
    }
    const drill = spawnSync(process.execPath, tsNodeArgs(ENTRY, "load", "workspaces", "--help"), { cwd: ROOT, encoding: "utf8", env: childEnv() });
    expect(drill.stdout).to.include("--max-p95-start");
  });

  it("exits 2 with one line for bad arguments", () => {
    const r = spawnSync(process.execPath, tsNodeArgs(ENTRY, "drill", "explode"), { cwd: ROOT, encoding: "utf8", env: childEnv() });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split("\n").filter((l) => l.startsWith("ops:"))).to.deep.equal(["ops: Unknown argument: explode (see ops --help)"]);
  });

  describe("SIGINT in the middle of a load run", () => {
    const fake = new FakeAws();
    let child: ChildProcess | undefined;
    after(async () => {
      child?.kill("SIGKILL");
      await fake.stop();
    });

    it("stops every task it started, deletes their volumes, retries the throttled call through the SDK, and exits 130", async () => {
      const endpoint = await fake.start();
      const outputs = writeOutputs(stackOutputs());
      const reportFile = path.join(tempDir(), "interrupted.json");
      child = spawn(process.execPath, tsNodeArgs(ENTRY, "load", "workspaces", "--count", "500", "--batch-size", "2", "--concurrency", "1", "--rate", "10", "--burst", "1",
        "--poll-interval", "0.2", "--outputs", outputs, "--no-metrics", "--json", "--report", reportFile), {
        cwd: ROOT,
        env: childEnv({ AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "test" }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (c) => (stdout += c));
      child.stderr!.on("data", (c) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));
      // Wait until it has launched a few batches and tracked them (the throttle is behind us).
      const deadline = Date.now() + 30_000;
      while (((fake.calls.RunTask ?? 0) < 3 || (fake.calls.DescribeTasks ?? 0) < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(fake.calls.RunTask ?? 0, stderr).to.be.at.least(3);
      child.kill("SIGINT");
      const code = await exited;
      expect(code, stderr).to.equal(130);
      expect(fake.tasks.length).to.be.within(6, 490);
      expect(fake.running()).to.deep.equal([]);
      // Every task's volume deleted after its task stopped.
      expect(fake.volumes.length).to.equal(fake.tasks.length);
      expect(fake.volumesLeft()).to.deep.equal([]);
      const report = JSON.parse(stdout);
      expect(report.outcome).to.equal("interrupted");
      expect(report.data.stop.stopped).to.equal(fake.tasks.length);
      expect(report.data.api.sdkThrottled).to.deep.equal({ DescribeTasks: 1 });
      expect(report.data.api.throttled).to.deep.equal({});
      expect(JSON.parse(fs.readFileSync(reportFile, "utf8")).exitCode).to.equal(130);
    });
  });
});
