// The drills' local target on a real engine configured like the hosts (daemon.json, in a network
// namespace of its own): `ops local image` builds the images without a registry; a 10-workspace
// load run and the security drill run side by side (both mostly wait for health checks); a real
// SIGINT to the CLI in a child process leaves nothing behind, and what a SIGKILLed run leaves is
// found by label and removed by `ops cleanup --target docker`. After each, the engine holds no
// container, volume or network of any drill run.
import { expect } from "chai";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import type { ContainerInspect } from "../../scripts/ops/docker/runtime/api";
import { dockerContainerSettings } from "../../scripts/ops/docker/runtime/containerSettings";
import type { DockerEngine } from "../../scripts/ops/docker/runtime/engine";
import { CONTAINER_LABEL, LOCAL_IMAGES, LOCAL_CREDENTIAL_PROXY_SECRET, localWorkspaceTask } from "../../scripts/ops/docker/runtime/localWorkspace";
import { CONTAINERS } from "../../lib/names";
import { expectationFor, PROBE_CHECKS } from "../../probe/verdict";
import { LOCAL_PROBE_CONTEXT } from "../../scripts/ops/docker/security";
import { dockerMajor, healthyFloorSeconds } from "../../scripts/ops/docker/loadWorkspaces";
import { systemClock } from "../../scripts/ops/clock";
import { DRILL_RUN_TAG } from "../../scripts/ops/runId";
import { TASK_PIDS_LIMIT } from "../../lib/taskLimits";
import { CREDENTIAL_PROXY_SECRET_ENV } from "../../lib/workspaceContainers";
import { type CliRun, ROOT, runCli } from "../ops/helpers/harness";
import { projectDaemonEngine } from "../helpers/docker";
import { tsNodeArgs } from "../helpers/tsProcess";

const ENTRY = path.join(ROOT, "scripts", "ops.ts");

function cli(e: DockerEngine, argv: string[]): Promise<CliRun> {
  return runCli(argv, { outputs: null, env: { PATH: process.env.PATH, DOCKER_HOST: e.host }, clock: systemClock as never });
}

/** Everything of any drill run still on the engine. */
async function drillLeftovers(e: DockerEngine, runId?: string): Promise<string[]> {
  const label = [runId ? `${DRILL_RUN_TAG}=${runId}` : DRILL_RUN_TAG];
  const [containers, volumes, networks] = await Promise.all([e.api.listContainers({ label }), e.api.listVolumes({ label }), e.api.listNetworks({ label })]);
  return [...containers.map((c) => `container ${c.Names[0]}`), ...volumes.map((v) => `volume ${v.Name}`), ...networks.map((n) => `network ${n.Name}`)];
}

/**
 * How long a workspace of the load run may take to be ready, and the p95 it is held to: a bound
 * for a stuck start, not a speed judged (on two cores kept busy a start took over 2 minutes).
 */
const START_TIMEOUT_S = 300;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = START_TIMEOUT_S * 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the drills on the local Docker engine (--target docker)", function () {
  this.timeout(2 * START_TIMEOUT_S * 1000);
  let e: DockerEngine;
  let load: Promise<CliRun>;
  let security: Promise<CliRun>;
  let agentSeen: Promise<{ agent: ContainerInspect; credentialProxy: ContainerInspect }>;
  const loadRunId = "load-localtest-1";

  before(async function () {
    this.timeout(START_TIMEOUT_S * 1000);
    e = await projectDaemonEngine(this);
    const built = await cli(e, ["local", "image"]);
    expect(built.code, built.stdout + built.stderr).to.equal(0);
    expect(built.stdout).to.match(/Built remote-claude-workspace:local \(\w{12}, \d+ MB\) and remote-claude-credential-proxy:local/);
    // Both drills at once: they share the engine, each with its own network and labels.
    load = cli(e, ["load", "workspaces", "--target", "docker", "--count", "10", "--concurrency", "10", "--poll-interval", "0.2", "--hold", "1",
      "--run-id", loadRunId, "--max-p95-start", String(START_TIMEOUT_S), "--start-timeout", String(START_TIMEOUT_S), "--max-failure-rate", "0", "--max-memory-per-workspace", "512", "--json"]);
    security = cli(e, ["security", "--target", "docker", "--probe-network-timeout", "1", "--json"]);
    // While the load drill runs: one of its workspaces, as the engine really created it.
    agentSeen = waitFor("a running workspace agent of the load run", async () => {
      const [agent] = await e.api.listContainers({ label: [`${DRILL_RUN_TAG}=${loadRunId}`, `${CONTAINER_LABEL}=${CONTAINERS.workspaceAgent}`], status: ["running"] }, false);
      if (!agent) return undefined;
      const inspected = await e.api.inspectContainer(agent.Id);
      const credentialProxyId = String(inspected.HostConfig.NetworkMode).replace("container:", "");
      return { agent: inspected, credentialProxy: await e.api.inspectContainer(credentialProxyId) };
    });
    agentSeen.catch(() => undefined);
  });

  after(async () => {
    await Promise.allSettled([load, security]);
  });

  it("ops local image built both images on the engine, without a registry", async () => {
    for (const tag of Object.values(LOCAL_IMAGES)) expect(await e.api.inspectImage(tag), tag).to.not.equal(undefined);
    expect((await e.api.inspectImage(LOCAL_IMAGES.credentialProxy))?.Config.Cmd).to.deep.equal(["python3", "/opt/remote-claude/proxy.py"]);
  });

  it("starts workspaces with exactly the settings derived from the workspace task definition", async () => {
    const { agent, credentialProxy } = await agentSeen;
    const task = localWorkspaceTask(LOCAL_IMAGES);
    const def = task.containers.find((c) => c.name === CONTAINERS.workspaceAgent)!;
    const expected = dockerContainerSettings(def, { networkMode: "x" }).body;
    const host = agent.HostConfig as Record<string, any>;
    expect(agent.Config).to.deep.include({ User: "1000:1000", Healthcheck: expected.Healthcheck });
    expect(host).to.deep.include({ ReadonlyRootfs: true, Privileged: false, CapDrop: ["ALL"], Init: true, Tmpfs: { "/tmp": "rw,nosuid,nodev,exec,size=512m" }, Memory: 2048 * 1024 * 1024, CpuShares: 384 });
    // No task-level cpu in the task definition, so no CFS quota: the engine reports none.
    expect([host.NanoCpus ?? 0, host.CpuQuota ?? 0]).to.deep.equal([0, 0]);
    expect(host.SecurityOpt[0]).to.equal("no-new-privileges");
    expect(host.SecurityOpt[1]).to.match(/^seccomp=\{/);
    // nproc where it never binds (this engine may clamp it to its own ceiling); the task's budget is the pids limit.
    expect(host.Ulimits.find((u: any) => u.Name === "nproc").Hard).to.be.greaterThan(TASK_PIDS_LIMIT);
    expect(host.PidsLimit).to.equal(TASK_PIDS_LIMIT);
    expect(host.Ulimits.find((u: any) => u.Name === "nofile").Hard).to.be.within(1024, 65536);
    expect(host.NetworkMode).to.equal(`container:${credentialProxy.Id}`);
    expect(host.Mounts).to.deep.equal([{ Type: "volume", Source: agent.Name.replace(/^\/(.*)-workspace-agent$/, "$1-workspace"), Target: "/workspace" }]);
    // The proxy holds the credential; the agent does not.
    const env = (c: ContainerInspect) => (c as any).Config.Env as string[];
    expect(env(credentialProxy).some((v) => v.startsWith(`${CREDENTIAL_PROXY_SECRET_ENV}=rc-local-`))).to.equal(true);
    expect(env(agent).some((v) => v.startsWith(`${CREDENTIAL_PROXY_SECRET_ENV}=`))).to.equal(false);
    expect(LOCAL_CREDENTIAL_PROXY_SECRET).to.not.equal("");
    // The run's network: internal, no traffic between containers.
    const [network] = Object.keys(credentialProxy.NetworkSettings.Networks);
    const [info] = await e.api.listNetworks({ name: [network] });
    expect(info).to.deep.include({ Internal: true });
    expect(info.Options["com.docker.network.bridge.enable_icc"]).to.equal("false");
  });

  it("a 10-workspace load run: every workspace RUNNING and HEALTHY, percentiles, memory, and nothing left afterwards", async () => {
    const run = await load;
    expect(run.code, run.stderr + JSON.stringify(run.report?.checks?.filter((c: any) => c.result === "fail"))).to.equal(0);
    const r = run.report;
    expect(r.target.engine).to.include(e.host);
    expect(r.runId).to.equal(loadRunId);
    expect(r.data.tracker).to.include({ tracked: 10, ready: 10, failed: 0, starting: 0 });
    const { runningSummary: running, readySummary: ready } = r.data.tracker;
    expect(running.count).to.equal(10);
    expect(ready.count).to.equal(10);
    // HEALTHY comes after RUNNING, and no sooner than Docker's first health check after the
    // containers' start (they start together): what the report's note says.
    const floor = healthyFloorSeconds(localWorkspaceTask(LOCAL_IMAGES).containers, dockerMajor((await e.api.version()).Version));
    expect(ready.p50).to.be.greaterThan(running.p50);
    expect(ready.min).to.be.at.least(floor * 1000);
    expect(r.notes.join("\n")).to.include(`no workspace can be HEALTHY sooner than ${floor} s after its start on this engine`);
    expect(r.data.memoryMiB.summary.count).to.equal(10);
    expect(r.data.memoryMiB.summary.max).to.be.within(1, 512);
    expect(r.data.stop).to.include({ stopped: 10, foundByRunId: 0 });
    expect(r.data.stop.failed).to.deep.equal([]);
    expect(r.checks.filter((c: any) => c.group === "cleanup").map((c: any) => [c.name, c.observed, c.result])).to.deep.equal([
      ["containers left", "0", "pass"], ["volumes left", "0", "pass"], ["networks left", "0", "pass"],
    ]);
    expect(r.checks.filter((c: any) => c.group === "threshold").map((c: any) => c.result)).to.deep.equal(["pass", "pass", "pass"]);
    expect(await drillLeftovers(e, loadRunId)).to.deep.equal([]);
  });

  it("the security drill: every forbidden operation blocked; what exists only on AWS is not applicable, never passed", async () => {
    const run = await security;
    expect(run.code, run.stderr + JSON.stringify(run.report?.checks?.filter((c: any) => c.result === "fail"))).to.equal(0);
    const rows = new Map<string, { result: string; observed: string }>(run.report.checks.map((c: any) => [c.name, c]));
    const notApplicable = ["imds-v1-get", "imds-v2-token", "ecs-credentials", "dns-allowed-domain", "tcp-postgres", "tcp-redis", "proxy-allowed-name", "proxy-denied-name"];
    for (const spec of PROBE_CHECKS) {
      const row = rows.get(spec.id)!;
      expect(row, spec.id).to.not.equal(undefined);
      if (notApplicable.includes(spec.id)) {
        expect(row.result, spec.id).to.equal("n/a");
        expect(row.observed, spec.id).to.match(/^(unreachable|not applicable) locally: /);
      } else {
        expect([spec.id, row.result, row.observed]).to.deep.equal([spec.id, "pass", row.observed]);
        // Local workspaces have no route out: judged by the strict (proxy) mode, with the default ptrace choice.
        expect(row.observed.startsWith("blocked"), `${spec.id}: ${row.observed}`).to.equal(expectationFor(spec, LOCAL_PROBE_CONTEXT) === "blocked");
      }
    }
    // The peer was there and listening: refused by the network (dropped), not by an empty port.
    expect(rows.get("tcp-peer-workspace")?.observed).to.equal("blocked: timeout");
    // The proxy's generated credential is the marker the agent must not see.
    expect(rows.get("secret-in-environment")?.observed).to.match(/^blocked: none of 1 names \/ 1 markers$/);
    expect(rows.get("secret-in-files")?.observed).to.match(/^blocked: no marker in \d+ files/);
    expect(rows.get("static AWS audit")).to.include({ result: "n/a" });
    expect(run.report.checks.filter((c: any) => c.group === "cleanup").every((c: any) => c.result === "pass")).to.equal(true);
  });

  describe("interrupted runs", () => {
    const children: ChildProcess[] = [];
    after(() => {
      for (const c of children) c.kill("SIGKILL");
    });

    function start(runId: string): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
      const child = spawn(process.execPath, tsNodeArgs(ENTRY, "load", "workspaces", "--target", "docker",
        "--count", "10", "--concurrency", "2", "--run-id", runId, "--json"), {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: e.host },
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let output = "";
      child.stdout!.on("data", (d) => (output += d));
      child.stderr!.on("data", (d) => (output += d));
      return { child, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))), output: () => output };
    }

    /** Waits until the run has at least `n` workspace volumes on the engine. */
    const started = (runId: string, n: number) => waitFor(`${n} workspaces of ${runId}`, async () => {
      const volumes = await e.api.listVolumes({ label: [`${DRILL_RUN_TAG}=${runId}`] });
      return volumes.length >= n ? volumes.length : undefined;
    });

    it("SIGINT mid-run: the CLI removes every container, volume and network it created and exits 130; a SIGKILLed run's leftovers go with ops cleanup", async () => {
      const interrupted = start("load-localtest-int");
      const killed = start("load-localtest-kill");
      await Promise.all([started("load-localtest-int", 2), started("load-localtest-kill", 2)]);
      interrupted.child.kill("SIGINT");
      killed.child.kill("SIGKILL");
      expect(await interrupted.exited, interrupted.output()).to.equal(130);
      const report = JSON.parse(interrupted.output().slice(interrupted.output().indexOf("{")));
      expect(report.outcome).to.equal("interrupted");
      expect(report.data.stop.stopped).to.be.at.least(2);
      expect(await drillLeftovers(e, "load-localtest-int")).to.deep.equal([]);

      await killed.exited;
      const left = await drillLeftovers(e, "load-localtest-kill");
      expect(left.filter((l) => l.startsWith("volume")).length).to.be.at.least(2);
      expect(left.some((l) => l.startsWith("network"))).to.equal(true);
      const dry = await cli(e, ["cleanup", "--target", "docker", "--run-id", "load-localtest-kill", "--dry-run", "--json"]);
      expect(dry.code, dry.stderr).to.equal(0);
      expect(dry.report.tables[0].rows.length).to.equal(left.length);
      expect(await drillLeftovers(e, "load-localtest-kill")).to.have.length(left.length);
      const cleanup = await cli(e, ["cleanup", "--target", "docker", "--run-id", "load-localtest-kill", "--json"]);
      expect(cleanup.code, cleanup.stderr).to.equal(0);
      expect(cleanup.report.checks.map((c: any) => c.result)).to.deep.equal(["pass", "pass"]);
      expect(await drillLeftovers(e)).to.deep.equal([]);
    });
  });
});
