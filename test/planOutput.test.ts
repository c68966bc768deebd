import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { tsNodeArgs } from "./helpers/tsProcess";

const root = path.resolve(__dirname, "..");

describe("plan output through a pipe", () => {
  it("delivers the whole JSON plan to a shell pipe whose reader is slower than the plan", () => {
    // A real pipe(2) with a reader that starts late: the plan fills the pipe buffer and must
    // wait for the reader instead of exiting with its output cut at 64 or 128 KiB.
    const plan = [process.execPath, ...tsNodeArgs("scripts/plan.ts", "--stack", "staging", "--json")].map((a) => `"${a}"`).join(" ");
    const result = spawnSync("/bin/sh", ["-c", `${plan} | { sleep 1; cat; }`], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: process.env,
    });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout.length).to.be.greaterThan(131072);
    const json = JSON.parse(result.stdout);
    expect(json.stack).to.equal("staging");
    expect(json.sections).to.have.property("Policy pack remote-claude-security");
  });
});
