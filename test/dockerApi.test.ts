// The engine client's pure parts (DOCKER_HOST, log frames, timestamps, memory as docker stats
// counts it), its errors against a socket, and how the local target reads a workspace's
// containers into ECS-style observations. No engine needed.
import { expect } from "chai";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { type ContainerInspect, DockerApi, DockerApiError, DockerUnreachableError, demultiplex, dockerEndpoint, dockerTime, memoryInUse } from "../scripts/ops/docker/runtime/api";
import { LocalWorkspace, localWorkspaceTask } from "../scripts/ops/docker/runtime/localWorkspace";
import { dockerMajor, healthyFloorSeconds } from "../scripts/ops/docker/loadWorkspaces";
import { firstHealthyAt, observeWorkspace } from "../scripts/ops/docker/target";

describe("the Docker engine client (scripts/ops/docker/runtime/api.ts)", () => {
  it("reads DOCKER_HOST: the default socket, unix://, tcp://; refuses what it cannot speak", () => {
    expect(dockerEndpoint({})).to.deep.equal({ url: "unix:///var/run/docker.sock", socketPath: "/var/run/docker.sock" });
    expect(dockerEndpoint({ DOCKER_HOST: "unix:///tmp/d.sock" })).to.deep.equal({ url: "unix:///tmp/d.sock", socketPath: "/tmp/d.sock" });
    expect(dockerEndpoint({ DOCKER_HOST: "tcp://127.0.0.1:2375" })).to.deep.include({ host: "127.0.0.1", port: 2375 });
    expect(() => dockerEndpoint({ DOCKER_HOST: "tcp://127.0.0.1:2376", DOCKER_TLS_VERIFY: "1" })).to.throw(/TLS engines are not supported/);
    expect(() => dockerEndpoint({ DOCKER_HOST: "ssh://me@host" })).to.throw(/not supported/);
    expect(() => dockerEndpoint({ DOCKER_HOST: "unix://relative.sock" })).to.throw(/absolute socket path/);
  });

  it("splits a container's multiplexed output, parses nanosecond timestamps, counts memory without the page cache", () => {
    const frame = (kind: number, text: string) => {
      const head = Buffer.alloc(8);
      head[0] = kind;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    expect(demultiplex(Buffer.concat([frame(1, "out1\n"), frame(2, "err\n"), frame(1, "out2\n")]))).to.deep.equal({ stdout: "out1\nout2\n", stderr: "err\n" });
    expect(dockerTime("2026-11-24T00:33:38.343184889Z")).to.equal(Date.UTC(2026, 10, 24, 0, 33, 38, 343));
    expect(dockerTime("0001-01-01T00:00:00Z")).to.equal(undefined);
    expect(memoryInUse({ usage: 100, stats: { cache: 30 } })).to.equal(70);
    expect(memoryInUse({ usage: 100, stats: { inactive_file: 10 } })).to.equal(90);
    expect(memoryInUse({})).to.equal(undefined);
  });

  it("turns the engine's refusals into errors with its message, and a missing socket into 'unreachable'", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-api-"));
    const socket = path.join(dir, "d.sock");
    const server = http.createServer((req, res) => {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `No such container: ${req.url?.split("/")[3]}` }));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    const api = new DockerApi({ url: `unix://${socket}`, socketPath: socket });
    try {
      const err = await api.startContainer("abc").catch((e) => e);
      expect(err).to.be.instanceOf(DockerApiError);
      expect(err).to.include({ status: 404, engineMessage: "No such container: abc" });
      expect(await api.removeContainer("abc")).to.equal(false);
    } finally {
      api.close();
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const gone = new DockerApi({ url: "unix:///nonexistent/d.sock", socketPath: "/nonexistent/d.sock" });
    const err = await gone.ping().catch((e) => e);
    expect(err).to.be.instanceOf(DockerUnreachableError);
    expect(err.code).to.equal("ENOENT");
  });
});

describe("a local workspace as the drill sees it (scripts/ops/docker/target.ts)", () => {
  const t0 = Date.UTC(2026, 10, 24, 0, 0, 0);
  const iso = (ms: number) => new Date(t0 + ms).toISOString().replace("Z", "123456Z");
  const container = (state: Partial<ContainerInspect["State"]>): ContainerInspect => ({
    Id: "x", Name: "/x", Created: iso(0), Config: { Labels: {}, Image: "i" }, HostConfig: {}, NetworkSettings: { Networks: {} },
    State: { Status: "running", Running: true, ExitCode: 0, OOMKilled: false, Error: "", StartedAt: iso(500), FinishedAt: "0001-01-01T00:00:00Z", ...state },
  });
  const healthy = (startedAt: number, checks: [number, number][]) => container({
    StartedAt: iso(startedAt),
    Health: { Status: "healthy", Log: checks.map(([end, code]) => ({ Start: iso(end - 100), End: iso(end), ExitCode: code, Output: "" })) },
  });
  const ws = () => new LocalWorkspace("run-w1", localWorkspaceTask({ agent: "a", credentialProxy: "p" }), { api: {} as DockerApi, network: "n", labels: {}, secretValues: {} });

  it("is RUNNING once every container started, ready when the last health check first passed (from the engine's log)", () => {
    const credentialProxy = healthy(500, [[5600, 0], [10600, 0]]);
    const agent = healthy(5800, [[15900, 1], [20900, 0]]);
    const obs = observeWorkspace(ws(), new Map([["credential-proxy", credentialProxy], ["workspace-agent", agent]]), t0, "engine");
    expect(obs).to.deep.include({ id: "run-w1", lastStatus: "RUNNING", createdAt: t0, startedAt: t0 + 5800, readyAt: t0 + 20900, host: "engine" });
    expect(obs.health).to.deep.equal({ "credential-proxy": "HEALTHY", "workspace-agent": "HEALTHY" });
    // A full log whose oldest entry passed: an earlier pass may have rolled off, so unknown.
    expect(firstHealthyAt(healthy(0, [[1000, 0], [2000, 0], [3000, 0], [4000, 0], [5000, 0]]))).to.equal(undefined);
  });

  it("cannot be HEALTHY before the health check intervals along its HEALTHY dependencies have passed", () => {
    // The workspace's containers start together (START): the floor is one first check, 5 s, on
    // Docker 20.10 (one interval after the start) and from 25 on (5 s into the start period).
    expect(healthyFloorSeconds(localWorkspaceTask({ agent: "a", credentialProxy: "p" }).containers, 20)).to.equal(5);
    expect(healthyFloorSeconds(localWorkspaceTask({ agent: "a" }).containers, 20)).to.equal(5);
    expect(healthyFloorSeconds(localWorkspaceTask({ agent: "a", credentialProxy: "p" }).containers, 25)).to.equal(5);
    // A HEALTHY dependency adds the dependency's first check before the dependent even starts.
    const chain = [
      { name: "p", healthCheck: { command: ["CMD", "true"], interval: 10, startPeriod: 0 } },
      { name: "a", healthCheck: { command: ["CMD", "true"], interval: 20, startPeriod: 30 }, dependsOn: [{ containerName: "p", condition: "HEALTHY" as const }] },
    ];
    expect(healthyFloorSeconds(chain, 20)).to.equal(10 + 20);
    expect(healthyFloorSeconds(chain, 25)).to.equal(10 + 5);
    expect(healthyFloorSeconds([{ name: "x" }], 25)).to.equal(0);
    expect(dockerMajor("20.10.24+dfsg1")).to.equal(20);
  });

  it("is PENDING while the agent waits for the credential proxy, STOPPED when an essential container exits or the start failed", () => {
    const credentialProxy = container({ Health: { Status: "starting" } });
    const created = container({ Status: "created", Running: false, StartedAt: "0001-01-01T00:00:00Z" });
    const w = ws();
    expect(observeWorkspace(w, new Map([["credential-proxy", credentialProxy], ["workspace-agent", created]]), t0, "e").lastStatus).to.equal("PENDING");
    w.containers[0].id = "p";
    w.containers[1].id = "a";
    const died = container({ Status: "exited", Running: false, ExitCode: 137, OOMKilled: true });
    expect(observeWorkspace(w, new Map([["credential-proxy", died], ["workspace-agent", created]]), t0, "e")).to.deep.include({
      lastStatus: "STOPPED", stopReason: "EssentialContainerExited: credential-proxy exited 137 (OOMKilled)",
    });
    w.failure = "DependencyFailed: workspace-agent waits for credential-proxy START: not START within 180 s (startTimeout)";
    expect(observeWorkspace(w, new Map(), t0, "e")).to.deep.include({ lastStatus: "STOPPED", stopReason: w.failure });
    expect(observeWorkspace(ws(), new Map([["credential-proxy", undefined], ["workspace-agent", undefined]]), t0, "e").lastStatus).to.equal("MISSING");
  });
});
