// The context of a command that runs on the local Docker engine (`--target docker`, `local
// image`): no stack, no AWS, no prod guard; the engine named by DOCKER_HOST (or the default
// socket) instead. Connecting first turns "no engine" into one line and exit code 2.
import { DockerApi, DockerHostError, DockerUnreachableError, dockerEndpoint } from "./runtime/api";
import { type CommonArgs, OpsContext, type OpsDeps } from "../context";
import { UsageError, errorMessage } from "../errors";
import type { ReportTarget } from "../report";
import type { SignalScope } from "../signals";

export interface EngineInfo {
  readonly url: string;
  readonly version: string;
  readonly name: string;
  readonly cpus: number;
  readonly memoryBytes: number;
}

/** Shown when nothing answers on DOCKER_HOST: how to get an engine. */
export const NO_ENGINE_HINT = "start one (`sudo systemctl start docker`, or `sudo dockerd &`) or set DOCKER_HOST to a running engine's socket (DOCKER_HOST=unix:///path/to/docker.sock)";

export class LocalContext extends OpsContext {
  private dockerApi?: DockerApi;
  engine?: EngineInfo;

  /** The engine's API client (after connect()). */
  get docker(): DockerApi {
    if (!this.dockerApi) throw new Error("not connected to the Docker engine");
    return this.dockerApi;
  }

  get reportTarget(): ReportTarget {
    return { kind: "docker", engine: this.engine ? `${this.engine.url} (Docker ${this.engine.version})` : "(not connected)" };
  }

  /** Pings the engine: no engine → UsageError (exit 2) naming DOCKER_HOST. */
  async connect(): Promise<EngineInfo> {
    let api: DockerApi;
    try {
      api = new DockerApi(dockerEndpoint(this.deps.env));
    } catch (err) {
      if (err instanceof DockerHostError) throw new UsageError(err.message);
      throw err;
    }
    try {
      await api.ping();
      const [version, info] = await Promise.all([api.version(), api.info()]);
      this.dockerApi = api;
      this.engine = { url: api.endpoint.url, version: version.Version, name: info.Name, cpus: info.NCPU, memoryBytes: info.MemTotal };
      return this.engine;
    } catch (err) {
      api.close();
      if (err instanceof DockerUnreachableError) throw new UsageError(`no Docker engine at ${api.endpoint.url} (${err.code}): ${NO_ENGINE_HINT}`);
      throw new UsageError(`the Docker engine at ${api.endpoint.url} did not answer (${errorMessage(err)}): ${NO_ENGINE_HINT}`);
    }
  }

  close(): void {
    this.dockerApi?.close();
  }

  override cleanupHint(runId: string): string {
    return `npm run ops -- cleanup --target docker --run-id ${runId}`;
  }
}

/** AWS stack options have no meaning on a local engine: refuse them rather than ignore them. */
export function createLocalContext(args: CommonArgs, deps: OpsDeps, scope: SignalScope): LocalContext {
  const stackOptions = (["stack", "outputs", "region", "profile"] as const).filter((k) => args[k] !== undefined);
  if (stackOptions.length > 0) {
    throw new UsageError(`${stackOptions.map((k) => `--${k}`).join(", ")} choose${stackOptions.length === 1 ? "s" : ""} an AWS stack; --target docker runs on the local Docker engine (DOCKER_HOST) and reads no stack`);
  }
  return new LocalContext(args, deps, { outputs: { stack: "local", region: "local" }, stack: "local", source: "the local Docker engine" }, scope);
}
