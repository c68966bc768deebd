// What the engine says about a run's containers, as it happens: one event stream per run
// (filtered by the run's label), so a container that waits for another to be HEALTHY starts the
// moment Docker's health check passes, as the ECS agent does, without polling every container.
// The stream is opened before any container exists, so no event is missed; should it break, the
// waiters fall back to inspecting the container every few seconds.
import type { DockerApi } from "./api";

export interface ContainerStatus {
  started: boolean;
  health?: "starting" | "healthy" | "unhealthy";
  /** Set once the container has stopped. */
  exitCode?: number;
  oomKilled?: boolean;
}

interface EngineEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Record<string, string> };
}

const FALLBACK_POLL_MS = 2000;

export class ContainerEvents {
  private readonly statuses = new Map<string, ContainerStatus>();
  private readonly listeners = new Set<() => void>();
  private buffered = "";
  private stream?: { close(): void };
  private broken = false;

  private constructor(private readonly api: DockerApi) {}

  /** Opens the stream for containers carrying `label` ("key=value"). */
  static async open(api: DockerApi, label: string): Promise<ContainerEvents> {
    const events = new ContainerEvents(api);
    events.stream = await api.openStream("/events", { filters: JSON.stringify({ type: ["container"], label: [label] }) }, (chunk) => events.feed(chunk), () => {
      events.broken = true;
      events.notify();
    });
    return events;
  }

  close(): void {
    this.stream?.close();
    this.stream = undefined;
    this.notify();
  }

  status(id: string): ContainerStatus {
    let s = this.statuses.get(id);
    if (!s) {
      s = { started: false };
      this.statuses.set(id, s);
    }
    return s;
  }

  /**
   * Resolves with pick(status) once it is defined, or undefined if `signal` aborts first.
   * Inspects the container when the stream is broken, and every few seconds as a safety net.
   */
  async waitFor<T>(id: string, pick: (s: ContainerStatus) => T | undefined, signal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
      const picked = pick(this.status(id));
      if (picked !== undefined) return picked;
      if (signal?.aborted) return undefined;
      // Woken by an event, a waiter only looks at the status again: an inspect on every event
      // would cost the engine one call per waiter per event (hundreds a second with ten
      // workspaces starting), so only the safety-net timer or a broken stream inspects.
      const timedOut = await new Promise<boolean>((resolve) => {
        const done = (byTimer: boolean) => {
          clearTimeout(timer);
          this.listeners.delete(woken);
          signal?.removeEventListener("abort", woken);
          resolve(byTimer);
        };
        const woken = () => done(false);
        const timer = setTimeout(() => done(true), this.broken ? FALLBACK_POLL_MS / 4 : FALLBACK_POLL_MS);
        this.listeners.add(woken);
        signal?.addEventListener("abort", woken, { once: true });
      });
      if ((timedOut || this.broken) && pick(this.status(id)) === undefined && !signal?.aborted) await this.refresh(id);
    }
  }

  /** Reads the container's state from the engine (the stream's fallback). */
  private async refresh(id: string): Promise<void> {
    try {
      const c = await this.api.inspectContainer(id);
      const s = this.status(id);
      if (c.State.StartedAt && !c.State.StartedAt.startsWith("0001")) s.started = true;
      const health = c.State.Health?.Status;
      if (health === "healthy" || health === "unhealthy" || health === "starting") s.health = health;
      if (!c.State.Running && s.started && ["exited", "dead"].includes(c.State.Status)) {
        s.exitCode = c.State.ExitCode;
        s.oomKilled = c.State.OOMKilled;
      }
    } catch {
      // gone: a remover is at work; the waiter's signal ends the wait
    }
  }

  private feed(chunk: Buffer): void {
    this.buffered += chunk.toString("utf8");
    let newline: number;
    while ((newline = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line) this.apply(JSON.parse(line) as EngineEvent);
    }
    this.notify();
  }

  private apply(e: EngineEvent): void {
    const id = e.Actor?.ID;
    if (e.Type !== "container" || !id || !e.Action) return;
    const s = this.status(id);
    if (e.Action === "start") s.started = true;
    else if (e.Action === "health_status: healthy") s.health = "healthy";
    else if (e.Action === "health_status: unhealthy") s.health = "unhealthy";
    else if (e.Action === "oom") s.oomKilled = true;
    else if (e.Action === "die") s.exitCode = Number(e.Actor?.Attributes?.exitCode ?? -1);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
