// A fake Docker engine on a unix socket in a temp directory: enough of the Engine API for the
// CLI's checks, dry runs and cleanup without a real dockerd (ping, version, info, images, and
// labelled containers, volumes and networks to list and delete). Records every request.
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

interface FakeObject {
  readonly id: string;
  readonly runId: string;
}

export class FakeEngine {
  readonly requests: string[] = [];
  readonly images = new Set<string>();
  containers: FakeObject[] = [];
  volumes: FakeObject[] = [];
  networks: FakeObject[] = [];
  /** DELETE of these ids answers 500. */
  readonly failDeletes = new Set<string>();
  readonly socket: string;
  private server?: http.Server;

  constructor() {
    this.socket = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rc-fake-engine-")), "d.sock");
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => this.answer(req, res));
    });
    await new Promise<void>((resolve) => this.server!.listen(this.socket, resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    fs.rmSync(path.dirname(this.socket), { recursive: true, force: true });
  }

  /** Requests that would change something on a real engine. */
  changes(): string[] {
    return this.requests.filter((r) => !r.startsWith("GET "));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://engine");
    const route = url.pathname.replace(/^\/v1\.\d+/, "");
    this.requests.push(`${req.method} ${route}`);
    const json = (status: number, body: unknown) => {
      res.statusCode = status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(body));
    };
    const label = (): string | undefined => (JSON.parse(url.searchParams.get("filters") ?? "{}").label ?? [])[0];
    const matching = (items: FakeObject[]) => items.filter((o) => {
      const l = label();
      return !l || l === "remote-claude:drill-run" || l === `remote-claude:drill-run=${o.runId}`;
    });
    const remove = (kind: "containers" | "volumes" | "networks", id: string) => {
      if (this.failDeletes.has(id)) return json(500, { message: `cannot remove ${id}: device busy` });
      const before = this[kind].length;
      this[kind] = this[kind].filter((o) => o.id !== id);
      return before === this[kind].length ? json(404, { message: `no such ${kind}: ${id}` }) : json(204, {});
    };
    let m: RegExpExecArray | null;
    if (route === "/_ping") return void res.end("OK");
    if (route === "/version") return json(200, { Version: "99.0-fake", ApiVersion: "1.41", Os: "linux", Arch: "amd64" });
    if (route === "/info") return json(200, { Name: "fake-engine", NCPU: 2, MemTotal: 8e9, ContainersRunning: 0, SecurityOptions: [], ServerVersion: "99.0-fake" });
    if ((m = /^\/images\/(.+)\/json$/.exec(route))) {
      const ref = decodeURIComponent(m[1]);
      return this.images.has(ref) ? json(200, { Id: `sha256:${"ab".repeat(32)}`, Size: 1e6, Config: { Cmd: ["x"] } }) : json(404, { message: `No such image: ${ref}` });
    }
    if (req.method === "GET" && route === "/containers/json") {
      return json(200, matching(this.containers).map((c) => ({ Id: c.id, Names: [`/${c.id}`], State: "running", Labels: { "remote-claude:drill-run": c.runId } })));
    }
    if (req.method === "GET" && route === "/volumes") return json(200, { Volumes: matching(this.volumes).map((v) => ({ Name: v.id, Labels: { "remote-claude:drill-run": v.runId } })) });
    if (req.method === "GET" && route === "/networks") return json(200, matching(this.networks).map((n) => ({ Id: n.id, Name: n.id, Internal: true, Labels: { "remote-claude:drill-run": n.runId }, Options: {} })));
    if (req.method === "DELETE" && (m = /^\/(containers|volumes|networks)\/([^/]+)$/.exec(route))) return remove(m[1] as "containers", decodeURIComponent(m[2]));
    return json(501, { message: `the fake engine has no ${req.method} ${route}` });
  }
}
