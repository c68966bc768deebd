// The CLI's local target without a real engine: the one-line errors (no engine, DOCKER_HOST,
// options of the other target, missing images), the dry run (derived settings, nothing created)
// and `cleanup --target docker` against a fake engine. The real engine: test/docker/localDrills.test.ts.
import { expect } from "chai";
import { buildParser } from "../../scripts/ops/cli";
import { systemClock } from "../../scripts/ops/clock";
import { LOCAL_IMAGES } from "../../scripts/ops/docker/runtime/localWorkspace";
import { TASK_PIDS_LIMIT } from "../../lib/taskLimits";
import * as fs from "node:fs";
import * as path from "node:path";
import { FakeEngine } from "./helpers/fakeEngine";
import { runCli, tempDir } from "./helpers/harness";

function local(argv: string[], dockerHost: string) {
  return runCli(argv, { outputs: null, env: { PATH: "", DOCKER_HOST: dockerHost }, clock: systemClock as never });
}

function oneLine(stderr: string): string[] {
  return stderr.trim().split("\n").filter((l) => l.startsWith("ops:"));
}

async function help(argv: string[]): Promise<string> {
  const log = console.log;
  let out = "";
  console.log = (text: string) => (out += text);
  try {
    await buildParser([...argv, "--help"], () => undefined).parseAsync();
  } finally {
    console.log = log;
  }
  return out;
}

describe("ops --target docker without a real engine", () => {
  it("no engine on DOCKER_HOST: one line naming DOCKER_HOST and how to start one, exit 2, for every local command", async () => {
    for (const argv of [["load", "workspaces", "--target", "docker", "--count", "1"], ["security", "--target", "docker"], ["cleanup", "--target", "docker", "--all"], ["local", "image"]]) {
      const run = await local(argv, "unix:///nonexistent/docker.sock");
      expect(run.code, argv.join(" ")).to.equal(2);
      const lines = oneLine(run.stderr);
      expect(lines, argv.join(" ")).to.have.length(1);
      expect(lines[0]).to.match(/no Docker engine at unix:\/\/\/nonexistent\/docker\.sock \(ENOENT\): start one \(`sudo systemctl start docker`, or `sudo dockerd &`\) or set DOCKER_HOST/);
    }
    const ssh = await local(["load", "workspaces", "--target", "docker", "--count", "1"], "ssh://me@host");
    expect(oneLine(ssh.stderr)).to.deep.equal(["ops: load workspaces: DOCKER_HOST=ssh://me@host is not supported: use unix:///path/to/docker.sock or tcp://HOST:PORT"]);
  });

  it("refuses options of the other target, and stack options with --target docker (exit 2, nothing done)", async () => {
    const cases: [string[], RegExp][] = [
      [["load", "workspaces", "--target", "docker", "--count", "1", "--rate", "5"], /--rate applies only to --target ecs/],
      [["load", "workspaces", "--count", "1", "--image", "x:1", "--credential-proxy-image", "none"], /--image, --credential-proxy-image apply only to --target docker/],
      [["security", "--target", "docker", "--fail-severity", "LOW"], /--fail-severity applies only to --target ecs/],
      [["load", "workspaces", "--target", "docker", "--count", "1", "--stack", "staging"], /--stack chooses an AWS stack; --target docker runs on the local Docker engine/],
      [["security", "--target", "docker", "--only", "audit"], /--only audit reads the stack's AWS resources/],
    ];
    for (const [argv, message] of cases) {
      const run = await local(argv, "unix:///nonexistent/docker.sock");
      expect(run.code, argv.join(" ")).to.equal(2);
      expect(oneLine(run.stderr).join("\n")).to.match(message);
    }
  });

  it("--help documents the local target and ops local image", async () => {
    const top = await help([]);
    for (const text of ["local image", "--target docker", "npm run ops -- local image && npm run ops -- load workspaces --target docker --count 10"]) expect(top).to.include(text);
    const load = await help(["load", "workspaces"]);
    for (const text of ["--target", "--image", "--credential-proxy-image", "--max-memory-per-workspace", "Local Docker target (--target docker):"]) expect(load).to.include(text);
    expect(await help(["local", "image"])).to.include("--credential-proxy-tag");
  });

  describe("against a fake engine", () => {
    const engine = new FakeEngine();
    before(() => engine.start());
    after(() => engine.stop());
    beforeEach(() => {
      engine.requests.length = 0;
      engine.images.clear();
    });

    it("a missing local image: exit 2, pointing at ops local image", async () => {
      const run = await local(["load", "workspaces", "--target", "docker", "--count", "1"], engine.host);
      expect(run.code).to.equal(2);
      expect(oneLine(run.stderr)[0]).to.match(/the local image remote-claude-workspace:local is not on the engine at unix:\/\/.*: build it with `npm run ops -- local image`/);
    });

    it("--dry-run shows the settings derived from the task definition and creates nothing", async () => {
      engine.images.add(LOCAL_IMAGES.agent).add(LOCAL_IMAGES.credentialProxy);
      const file = path.join(tempDir(), "dry.json");
      const run = await local(["load", "workspaces", "--target", "docker", "--count", "3", "--dry-run", "--json", "--report", file], engine.host);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.report).to.deep.include({ outcome: "dry-run", stack: "local", target: { kind: "docker", engine: `${engine.host} (Docker 99.0-fake)` } });
      const agent = run.report.data.settings["workspace-agent"];
      expect(agent.HostConfig).to.deep.include({ ReadonlyRootfs: true, CapDrop: ["ALL"], Init: true, SecurityOpt: ["no-new-privileges", "seccomp=<host/files/seccomp-ptrace-allowed.json>"], PidsLimit: TASK_PIDS_LIMIT });
      expect(agent.HostConfig.NetworkMode).to.match(/^container:/);
      expect(run.report.tables[0].title).to.equal("Runtime settings (derived from the workspace task definition)");
      expect(engine.changes()).to.deep.equal([]);
      expect(fs.readFileSync(file.replace(/\.json$/, ".md"), "utf8")).to.include(`| local Docker engine ${engine.host} (Docker 99.0-fake) |`);
    });

    it("cleanup --target docker removes a run's containers, then volumes, then networks (by label), and exits 4 when one stays", async () => {
      engine.containers = [{ id: "c1", runId: "load-a-1" }, { id: "c2", runId: "load-b-2" }];
      engine.volumes = [{ id: "load-a-1-w1-workspace", runId: "load-a-1" }];
      engine.networks = [{ id: "rc-load-a-1", runId: "load-a-1" }];
      const run = await local(["cleanup", "--target", "docker", "--run-id", "load-a-1", "--json"], engine.host);
      expect(run.code, run.stderr).to.equal(0);
      expect(engine.changes()).to.deep.equal(["DELETE /containers/c1", "DELETE /volumes/load-a-1-w1-workspace", "DELETE /networks/rc-load-a-1"]);
      expect(engine.containers.map((c) => c.id)).to.deep.equal(["c2"]);
      expect(run.report.tables[0].rows.map((r: any) => r[0])).to.deep.equal(["container", "volume", "network"]);

      engine.failDeletes.add("c2");
      const stuck = await local(["cleanup", "--target", "docker", "--all", "--json"], engine.host);
      expect(stuck.code).to.equal(4);
      expect(stuck.report.checks.find((c: any) => c.name === "problems while cleaning up").observed).to.match(/container c2: .*device busy/);
    });
  });
});
