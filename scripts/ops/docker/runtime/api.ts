// A small client for the Docker Engine API over its unix socket (or plain tcp), with no
// dependency beyond node:http. The local drill target, `ops local image`, the start benchmark and
// the Docker tests talk to the engine through it: structured requests (an exec-form health check,
// tmpfs options, ulimits and the seccomp profile as JSON) and no CLI process per call, which would
// cost more CPU than a container start on a small machine.
//
// Why not dockerode (the kept library, 4.0.12): it covers what this client does (unix socket, tcp,
// AbortSignal, multiplexed logs, events), but loading it costs what the drills and the ops tool
// cannot spare. Measured on the same machine (docs/drills.md, "The Docker Engine client"):
// require("dockerode") loads 227 modules in 0.7-1.3 s and adds 21 MiB of memory, and installs 67
// packages (19 MiB, gRPC and protobufjs for BuildKit sessions we never open); this file loads
// 2 modules in 33-50 ms and adds 2.7 MiB. Revisit if the client grows TLS, ssh or build sessions.
import * as http from "node:http";
import type { Readable } from "node:stream";

/** API version every call names: Docker 20.10 (Debian's docker.io) speaks 1.41; newer engines still accept it. */
const API_VERSION = "v1.41";
const DEFAULT_SOCKET = "/var/run/docker.sock";

interface DockerEndpoint {
  /** As the user would write it: unix:///var/run/docker.sock, tcp://127.0.0.1:2375. */
  readonly url: string;
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
}

export class DockerHostError extends Error {
  override readonly name = "DockerHostError";
}

/** Where the engine is: DOCKER_HOST (unix:// or tcp:// without TLS), else the default socket. */
export function dockerEndpoint(env: NodeJS.ProcessEnv): DockerEndpoint {
  const raw = env.DOCKER_HOST?.trim();
  if (!raw) return { url: `unix://${DEFAULT_SOCKET}`, socketPath: DEFAULT_SOCKET };
  if (raw.startsWith("unix://")) {
    const socketPath = raw.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw new DockerHostError(`DOCKER_HOST=${raw} must name an absolute socket path (unix:///path/to/docker.sock)`);
    return { url: raw, socketPath };
  }
  if (raw.startsWith("tcp://")) {
    if (env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== "0") {
      throw new DockerHostError(`DOCKER_HOST=${raw} with DOCKER_TLS_VERIFY: TLS engines are not supported; use a unix socket or an ssh tunnel to one`);
    }
    const m = /^tcp:\/\/([^:/]+|\[[0-9a-f:]+\]):(\d+)\/?$/i.exec(raw);
    if (!m) throw new DockerHostError(`DOCKER_HOST=${raw} is not tcp://HOST:PORT`);
    return { url: raw, host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  }
  throw new DockerHostError(`DOCKER_HOST=${raw} is not supported: use unix:///path/to/docker.sock or tcp://HOST:PORT`);
}

export class DockerApiError extends Error {
  override readonly name = "DockerApiError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly engineMessage: string,
  ) {
    super(`${method} ${path.split("?")[0]}: ${status} ${engineMessage}`);
  }
}

/** The engine could not be reached at all (no socket, refused, permission). */
export class DockerUnreachableError extends Error {
  override readonly name = "DockerUnreachableError";
  constructor(
    readonly endpoint: DockerEndpoint,
    readonly code: string,
    detail: string,
  ) {
    super(`no Docker engine at ${endpoint.url} (${code || detail})`);
  }
}

type Filters = Readonly<Record<string, readonly string[]>>;

interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;
  readonly body?: unknown;
  /** A raw request body (an image tarball), sent as application/x-tar. */
  readonly upload?: Readable;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

interface ContainerSummary {
  readonly Id: string;
  readonly Names: string[];
  readonly State: string;
  readonly Labels: Record<string, string>;
}

interface ContainerState {
  readonly Status: string;
  readonly Running: boolean;
  readonly ExitCode: number;
  readonly OOMKilled: boolean;
  readonly Error: string;
  readonly StartedAt: string;
  readonly FinishedAt: string;
  readonly Health?: { readonly Status: string; readonly Log?: { readonly Start: string; readonly End: string; readonly ExitCode: number; readonly Output: string }[] };
}

export interface ContainerInspect {
  readonly Id: string;
  readonly Name: string;
  readonly Created: string;
  readonly State: ContainerState;
  readonly Config: { readonly Labels: Record<string, string>; readonly Image: string };
  readonly HostConfig: Record<string, unknown>;
  readonly NetworkSettings: { readonly Networks: Record<string, { readonly IPAddress: string }> };
}

interface VolumeSummary {
  readonly Name: string;
  readonly Labels: Record<string, string> | null;
}

interface NetworkSummary {
  readonly Id: string;
  readonly Name: string;
  readonly Internal: boolean;
  readonly Labels: Record<string, string>;
  readonly Options: Record<string, string>;
}

interface MemoryStats {
  readonly usage?: number;
  readonly limit?: number;
  readonly stats?: Record<string, number>;
}

/** Docker's timestamps carry nanoseconds; Date.parse wants at most milliseconds. */
export function dockerTime(text: string | undefined): number | undefined {
  if (!text || text.startsWith("0001-01-01")) return undefined;
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isFinite(ms) ? ms : undefined;
}

/** Memory in use as `docker stats` counts it: usage minus the page cache (cgroup v1) or inactive files (v2). */
export function memoryInUse(m: MemoryStats): number | undefined {
  if (m.usage === undefined) return undefined;
  const s = m.stats ?? {};
  const cache = s.total_inactive_file ?? s.inactive_file ?? s.cache ?? 0;
  return Math.max(0, m.usage - (cache < m.usage ? cache : 0));
}

/** Splits the multiplexed stdout/stderr stream of a container without a TTY (8-byte frame headers). */
export function demultiplex(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const kind = buffer[at];
    const size = buffer.readUInt32BE(at + 4);
    const frame = buffer.subarray(at + 8, at + 8 + size);
    (kind === 2 ? err : out).push(frame);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

function queryString(query: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export class DockerApi {
  private readonly agent: http.Agent;

  constructor(readonly endpoint: DockerEndpoint) {
    // Keep-alive: a drill makes thousands of small calls; one connection each would cost more.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  static fromEnv(env: NodeJS.ProcessEnv): DockerApi {
    return new DockerApi(dockerEndpoint(env));
  }

  /** Frees the kept-alive connections (so the process can exit). */
  close(): void {
    this.agent.destroy();
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; body: Buffer }> {
    const fullPath = `/${API_VERSION}${path}${queryString(opts.query)}`;
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason ?? new Error("aborted"));
      const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
      const headers: Record<string, string | number> = {};
      if (payload) Object.assign(headers, { "content-type": "application/json", "content-length": payload.length });
      if (opts.upload) headers["content-type"] = "application/x-tar";
      const req = http.request({
        agent: this.agent,
        method,
        path: fullPath,
        headers,
        ...(this.endpoint.socketPath ? { socketPath: this.endpoint.socketPath } : { host: this.endpoint.host, port: this.endpoint.port }),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          cleanup();
          const body = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            let message = body.toString("utf8").trim();
            try {
              message = (JSON.parse(message) as { message?: string }).message ?? message;
            } catch {
              // plain text
            }
            reject(new DockerApiError(method, fullPath, status, message));
          } else {
            resolve({ status, body });
          }
        });
      });
      const onAbort = () => req.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("aborted"));
      const timer = opts.timeoutMs ? setTimeout(() => req.destroy(new Error(`${method} ${path} timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs) : undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (err: NodeJS.ErrnoException) => {
        cleanup();
        if (["ENOENT", "ECONNREFUSED", "EACCES", "ENOTSOCK", "EHOSTUNREACH", "ECONNRESET"].includes(err.code ?? "") && !req.reusedSocket) {
          reject(new DockerUnreachableError(this.endpoint, err.code ?? "", err.message));
        } else {
          reject(err);
        }
      });
      if (opts.upload) {
        opts.upload.on("error", (e) => req.destroy(e));
        opts.upload.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  /**
   * A streaming GET (the event stream): resolves once the engine has answered, then calls onChunk
   * for every piece of the body until close() or the engine ends it (onEnd).
   */
  openStream(path: string, query: RequestOptions["query"], onChunk: (chunk: Buffer) => void, onEnd: (err?: Error) => void): Promise<{ close(): void }> {
    return new Promise((resolve, reject) => {
      let closed = false;
      const req = http.request({
        method: "GET",
        path: `/${API_VERSION}${path}${queryString(query)}`,
        ...(this.endpoint.socketPath ? { socketPath: this.endpoint.socketPath } : { host: this.endpoint.host, port: this.endpoint.port }),
      }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          res.resume();
          reject(new DockerApiError("GET", path, res.statusCode ?? 0, "stream refused"));
          return;
        }
        res.on("data", onChunk);
        res.on("end", () => closed || onEnd());
        res.on("error", (err) => closed || onEnd(err));
        resolve({
          close: () => {
            closed = true;
            req.destroy();
          },
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (closed) return;
        onEnd(err);
        reject(["ENOENT", "ECONNREFUSED", "EACCES"].includes(err.code ?? "") ? new DockerUnreachableError(this.endpoint, err.code ?? "", err.message) : err);
      });
      req.end();
    });
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const { body } = await this.request(method, path, opts);
    return (body.length ? JSON.parse(body.toString("utf8")) : undefined) as T;
  }

  async ping(timeoutMs = 5000): Promise<void> {
    await this.request("GET", "/_ping", { timeoutMs });
  }

  version(): Promise<{ Version: string; ApiVersion: string; Os: string; Arch: string }> {
    return this.json("GET", "/version", { timeoutMs: 10000 });
  }

  info(): Promise<{ Name: string; NCPU: number; MemTotal: number; ContainersRunning: number; SecurityOptions: string[]; CgroupVersion?: string; ServerVersion: string }> {
    return this.json("GET", "/info", { timeoutMs: 10000 });
  }

  // --- containers

  async createContainer(name: string, body: unknown, signal?: AbortSignal): Promise<string> {
    const r = await this.json<{ Id: string }>("POST", "/containers/create", { query: { name }, body, signal });
    return r.Id;
  }

  async startContainer(id: string): Promise<void> {
    await this.request("POST", `/containers/${encodeURIComponent(id)}/start`);
  }

  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.json("GET", `/containers/${encodeURIComponent(id)}/json`);
  }

  /** Removes a container whatever its state; false when it was already gone. */
  async removeContainer(id: string): Promise<boolean> {
    try {
      await this.request("DELETE", `/containers/${encodeURIComponent(id)}`, { query: { force: true, v: true } });
      return true;
    } catch (err) {
      if (err instanceof DockerApiError && err.status === 404) return false;
      throw err;
    }
  }

  /** Waits until the container stops; returns its exit code. */
  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    const r = await this.json<{ StatusCode: number }>("POST", `/containers/${encodeURIComponent(id)}/wait`, { query: { condition: "not-running" }, signal });
    return r.StatusCode;
  }

  async logs(id: string): Promise<{ stdout: string; stderr: string }> {
    const { body } = await this.request("GET", `/containers/${encodeURIComponent(id)}/logs`, { query: { stdout: true, stderr: true } });
    return demultiplex(body);
  }

  listContainers(filters: Filters, all = true): Promise<ContainerSummary[]> {
    return this.json("GET", "/containers/json", { query: { all, filters: JSON.stringify(filters) } });
  }

  /** One sample of a container's memory (one-shot: no wait for a second CPU sample). */
  async memory(id: string): Promise<MemoryStats> {
    const r = await this.json<{ memory_stats?: MemoryStats }>("GET", `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: false, "one-shot": true } });
    return r.memory_stats ?? {};
  }

  /** Runs a command in a running container and returns its exit code (output discarded). */
  async exec(id: string, cmd: readonly string[], user?: string): Promise<number> {
    const created = await this.json<{ Id: string }>("POST", `/containers/${encodeURIComponent(id)}/exec`, { body: { Cmd: cmd, User: user, AttachStdout: true, AttachStderr: true } });
    await this.request("POST", `/exec/${created.Id}/start`, { body: { Detach: false, Tty: false } });
    const inspected = await this.json<{ ExitCode: number | null }>("GET", `/exec/${created.Id}/json`);
    return inspected.ExitCode ?? -1;
  }

  // --- volumes and networks

  async createVolume(name: string, labels: Record<string, string>, driver = "local"): Promise<void> {
    await this.request("POST", "/volumes/create", { body: { Name: name, Driver: driver, Labels: labels } });
  }

  async removeVolume(name: string): Promise<boolean> {
    try {
      await this.request("DELETE", `/volumes/${encodeURIComponent(name)}`, { query: { force: true } });
      return true;
    } catch (err) {
      if (err instanceof DockerApiError && err.status === 404) return false;
      throw err;
    }
  }

  async listVolumes(filters: Filters): Promise<VolumeSummary[]> {
    const r = await this.json<{ Volumes: VolumeSummary[] | null }>("GET", "/volumes", { query: { filters: JSON.stringify(filters) } });
    return r.Volumes ?? [];
  }

  async createNetwork(body: { Name: string; Internal: boolean; Labels: Record<string, string>; Options?: Record<string, string> }): Promise<string> {
    const r = await this.json<{ Id: string }>("POST", "/networks/create", { body: { ...body, CheckDuplicate: true, Driver: "bridge" } });
    return r.Id;
  }

  async removeNetwork(id: string): Promise<boolean> {
    try {
      await this.request("DELETE", `/networks/${encodeURIComponent(id)}`);
      return true;
    } catch (err) {
      if (err instanceof DockerApiError && err.status === 404) return false;
      throw err;
    }
  }

  listNetworks(filters: Filters): Promise<NetworkSummary[]> {
    return this.json("GET", "/networks", { query: { filters: JSON.stringify(filters) } });
  }

  // --- images

  async inspectImage(ref: string): Promise<{ Id: string; Size: number; Config: { Cmd?: string[] } } | undefined> {
    try {
      return await this.json("GET", `/images/${encodeURIComponent(ref)}/json`);
    } catch (err) {
      if (err instanceof DockerApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** `docker import`: a root filesystem tarball becomes repo:tag, with Dockerfile-style changes (CMD, WORKDIR, …). */
  async importImage(tarball: Readable, repo: string, tag: string, changes: readonly string[]): Promise<void> {
    const { body } = await this.request("POST", "/images/create", { query: { fromSrc: "-", repo, tag, changes }, upload: tarball });
    // Progress is streamed as JSON lines; an error arrives as a line, not as a status code.
    for (const line of body.toString("utf8").split("\n").filter(Boolean)) {
      const parsed = JSON.parse(line) as { error?: string };
      if (parsed.error) throw new DockerApiError("POST", "/images/create", 500, parsed.error);
    }
  }

  /** `docker commit` of a (created, never started) container as repo:tag with changes. */
  async commit(container: string, repo: string, tag: string, changes: readonly string[]): Promise<string> {
    const r = await this.json<{ Id: string }>("POST", "/commit", { query: { container, repo, tag, changes } });
    return r.Id;
  }
}
