// The ProbeRunner of the local target: the probe runs as the workspace-agent of a local workspace
// (the same command override as on ECS, so the real probe/workspace_probe.py under the derived
// settings, next to its credential proxy), and its verdict is read from the agent's output.
// The workspace is removed afterwards, also on Ctrl-C or timeout.
import { CONTAINERS } from "../../../lib/names";
import type { LocalContext } from "./context";
import type { LocalRun } from "./run";
import { PreconditionError } from "../errors";
import type { ProbeRun, ProbeRunner } from "../security/probeRunner";
import type { ProbeOverrides } from "../security/probeScript";

/** Resolves when the signal aborts (never rejects). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}

export class DockerProbeRunner implements ProbeRunner {
  constructor(
    private readonly ctx: LocalContext,
    private readonly localRun: LocalRun,
    private readonly timeoutSeconds: number,
    /** The probe (the agent) starts only once this has settled: the peer it must not reach is listening. */
    private readonly holdUntil?: Promise<unknown>,
  ) {}

  async run(overrides: ProbeOverrides): Promise<ProbeRun> {
    const { ctx } = this;
    const ws = this.localRun.workspace(overrides.containerOverrides);
    const agent = ws.containers.find((c) => c.name === CONTAINERS.workspaceAgent);
    if (!agent) throw new PreconditionError(`the workspace task has no ${CONTAINERS.workspaceAgent} container`);
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => stop.abort(), this.timeoutSeconds * 1000);
    try {
      const waitsFor = (agent.def.dependsOn ?? []).map((d) => `${d.containerName} ${d.condition === "START" ? "has started" : `is ${d.condition}`}`);
      ctx.progress.log(`probe workspace ${ws.id}: starting (the probe runs once ${waitsFor.length ? waitsFor.join(" and ") : "it starts"})`);
      await ws.create();
      await ws.start(this.holdUntil);
      await Promise.race([ws.settled(), aborted(stop.signal)]);
      if (ws.failure) throw new PreconditionError(`the probe workspace did not start: ${ws.failure}`);
      let stoppedByUs = false;
      let exitCode: number | undefined;
      if (!stop.signal.aborted) {
        try {
          exitCode = await ctx.docker.waitContainer(agent.id as string, stop.signal);
        } catch {
          stoppedByUs = true;
        }
      } else {
        stoppedByUs = true;
      }
      const state = (await ws.inspect()).get(agent.name)?.State;
      const lines = ctx.signal.aborted ? [] : (await ctx.docker.logs(agent.id as string)).stdout.split("\n");
      return {
        taskId: ws.id,
        taskArn: agent.id as string,
        exitCode: exitCode ?? (state && !state.Running ? state.ExitCode : undefined),
        stopReason: state && !state.Running ? `EssentialContainerExited: ${agent.name} exited ${state.ExitCode}${state.OOMKilled ? " (OOMKilled)" : ""}` : undefined,
        logStream: `docker logs ${agent.dockerName}`,
        lines,
        stoppedByUs,
      };
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
      await ws.remove();
    }
  }
}
