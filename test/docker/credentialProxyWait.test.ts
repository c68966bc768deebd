// The workspace agent and the credential proxy start together (dependsOn START), and the agent
// never sends the proxy a request before the proxy answers: on a real engine, with the task
// definition's settings (the one mapping), the local images' stand-ins, and the credential
// proxy's own log as the record of what reached it (the agent's words are only a sync point).
// - The proxy is held before it listens (its command waits on a FIFO the test opens): the agent
//   is already running and trying, its own port does not answer, and once the proxy listens, the
//   first request the proxy logs from the agent is its GET /health, answered 200; then both
//   containers turn HEALTHY.
// - A proxy that never answers 200 (it has no credential) gets nothing from the agent but
//   GET /health, and the agent exits 1 with the reason once its bound has passed.
import { expect } from "chai";
import type { Context } from "mocha";
import { ContainerEvents, type ContainerStatus } from "../../scripts/ops/docker/runtime/events";
import type { DockerEngine } from "../../scripts/ops/docker/runtime/engine";
import { LOCAL_CREDENTIAL_PROXY_SECRET, type LocalRuntime, LocalWorkspace, localWorkspaceTask } from "../../scripts/ops/docker/runtime/localWorkspace";
import { ulimitCeilings } from "../../scripts/ops/docker/runtime/ulimits";
import { CONTAINERS } from "../../lib/names";
import { AGENT_PORT, httpHealthCommand, CREDENTIAL_PROXY_PORT } from "../../lib/workspaceContainers";
import { engine, PROJECT_PROFILE, profileText, workspaceImages } from "../helpers/docker";

const LABEL = { "remote-claude.test": "proxy-wait" };
const GATE = "/tmp/listen-gate";
/** How long the test waits for any one state (the engine's, not a time the test asserts). */
const STATE_TIMEOUT_MS = 60_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + STATE_TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${STATE_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The credential proxy's log lines: "listening on …", then "<method> <path> <status> <User-Agent>" per request answered. */
async function credentialProxyLog(e: DockerEngine, id: string): Promise<string[]> {
  return (await e.api.logs(id)).stdout.split("\n").filter((l) => l.startsWith("credential-proxy: ")).map((l) => l.slice("credential-proxy: ".length));
}

describe("the agent waits for the credential proxy's answer (real engine)", function () {
  this.timeout(180_000);
  let e: DockerEngine;
  let events: ContainerEvents;
  let runtime: LocalRuntime;
  let images: { agent: string; credentialProxy: string };
  const made: LocalWorkspace[] = [];

  before(async function (this: Context) {
    this.timeout(180_000);
    e = await engine(this);
    images = await workspaceImages(e);
    const task = localWorkspaceTask(images);
    events = await ContainerEvents.open(e.api, Object.entries(LABEL).map(([k, v]) => `${k}=${v}`)[0]);
    runtime = {
      api: e.api,
      // Loopback only: the two containers share the proxy's network namespace, as in an awsvpc task.
      network: "none",
      seccompProfile: profileText(PROJECT_PROFILE),
      labels: LABEL,
      secretValues: { [LOCAL_CREDENTIAL_PROXY_SECRET]: "proxy-wait-credential" },
      ulimitCeilings: await ulimitCeilings(e.api, images.agent, task.containers.flatMap((c) => c.ulimits ?? []), LABEL),
      events,
    };
  });

  after(async () => {
    events?.close();
    await Promise.all(made.map((w) => w.remove()));
  });

  const containerId = (ws: LocalWorkspace, name: string) => ws.containers.find((c) => c.name === name)!.id as string;
  const settled = (pick: (s: ContainerStatus) => boolean | undefined) => (s: ContainerStatus) =>
    pick(s) ?? (s.exitCode !== undefined || s.health === "unhealthy" ? false : undefined);

  it("starts both together; until the credential proxy listens the agent's port is shut, and the first request the credential proxy gets from it is GET /health, answered", async () => {
    const credentialProxyCmd = (await e.api.inspectImage(images.credentialProxy))!.Config.Cmd!.join(" ");
    const ws = new LocalWorkspace("proxy-wait-1", localWorkspaceTask(images), runtime, [
      { name: CONTAINERS.credentialProxy, command: ["sh", "-c", `mkfifo ${GATE} && read _ < ${GATE} && exec ${credentialProxyCmd}`] },
    ]);
    made.push(ws);
    await ws.create();
    await ws.start();
    const credentialProxy = containerId(ws, CONTAINERS.credentialProxy);
    const agent = containerId(ws, CONTAINERS.workspaceAgent);

    // The agent runs while the proxy is held before it listens, and it has tried at least once.
    expect(await events.waitFor(agent, (s) => (s.started ? true : undefined), AbortSignal.timeout(STATE_TIMEOUT_MS))).to.equal(true);
    await until("agent waiting", async () => ((await e.api.logs(agent)).stderr.includes("waiting for the credential proxy") ? true : undefined));
    expect(await credentialProxyLog(e, credentialProxy), "the proxy listens before the test lets it").to.deep.equal([]);
    expect(await e.api.exec(agent, httpHealthCommand(AGENT_PORT).slice(1)), "the agent's port answers before the proxy does").to.not.equal(0);
    expect((await e.api.inspectContainer(agent)).State.Running).to.equal(true);

    // Let the proxy listen.
    await until("the proxy's gate", async () => ((await e.api.exec(credentialProxy, ["test", "-p", GATE])) === 0 ? true : undefined));
    expect(await e.api.exec(credentialProxy, ["sh", "-c", `echo go > ${GATE}`])).to.equal(0);
    for (const id of [credentialProxy, agent]) {
      expect(await events.waitFor(id, settled((s) => (s.health === "healthy" ? true : undefined)), AbortSignal.timeout(STATE_TIMEOUT_MS)), id).to.equal(true);
    }
    expect(await e.api.exec(agent, httpHealthCommand(AGENT_PORT).slice(1))).to.equal(0);

    const log = await credentialProxyLog(e, credentialProxy);
    expect(log[0]).to.equal(`listening on 127.0.0.1:${CREDENTIAL_PROXY_PORT}`);
    const fromAgent = log.filter((l) => l.endsWith(" workspace-agent"));
    expect(fromAgent[0], log.join("\n")).to.equal("GET /health 200 workspace-agent");
    expect(fromAgent.every((l) => l === "GET /health 200 workspace-agent"), log.join("\n")).to.equal(true);
  });

  it("never sends a credential proxy that does not answer 200 anything but GET /health, and exits 1 with the reason after its bound", async () => {
    const ws = new LocalWorkspace("proxy-wait-2", localWorkspaceTask(images), { ...runtime, secretValues: { [LOCAL_CREDENTIAL_PROXY_SECRET]: "" } }, [
      { name: CONTAINERS.workspaceAgent, environment: [{ name: "AGENT_STARTUP_WAIT_SECONDS", value: "2" }] },
    ]);
    made.push(ws);
    await ws.create();
    await ws.start();
    const credentialProxy = containerId(ws, CONTAINERS.credentialProxy);
    const agent = containerId(ws, CONTAINERS.workspaceAgent);

    const exit = await events.waitFor(agent, (s) => s.exitCode, AbortSignal.timeout(STATE_TIMEOUT_MS));
    expect(exit).to.equal(1);
    const { stderr } = await e.api.logs(agent);
    expect(stderr).to.include(`the credential proxy at http://127.0.0.1:${CREDENTIAL_PROXY_PORT} did not answer GET /health with 200 within 2 s`);
    expect(stderr).to.include("last: GET /health answered 503");
    const fromAgent = (await credentialProxyLog(e, credentialProxy)).filter((l) => l.endsWith(" workspace-agent"));
    expect(fromAgent.length).to.be.greaterThan(0);
    expect([...new Set(fromAgent)]).to.deep.equal(["GET /health 503 workspace-agent"]);
  });
});
