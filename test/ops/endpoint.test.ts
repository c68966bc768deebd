// An AWS endpoint the tool cannot use (a closed port on loopback, a web server that is not AWS, a
// server answering errors, a malformed AWS_ENDPOINT_URL) gives one line naming the endpoint and
// the cause and exit 2, before anything is changed: never "internal error", never a report that
// passes on nothing. The closed port is a real one (bound, then released) and the first case runs
// the installed `ops` command (bin/ops.js) as a process.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { ROOT, runCli, tempDir, writeOutputs } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "test" };

/** A loopback port nothing listens on: bound by the kernel's choice, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server that answers every request alike, and counts them. */
async function answering(status: number, contentType: string, body: string): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    req.resume();
    req.on("end", () => {
      res.writeHead(status, { "content-type": contentType });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => n,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The lines the tool wrote as `ops: …` (its messages; progress lines have no prefix). */
const opsLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("ops:"));

describe("ops with an AWS endpoint it cannot use", () => {
  it("a closed loopback port: the installed command prints one line naming the endpoint and the refusal, exit 2", async () => {
    const port = await closedPort();
    const home = tempDir("ops-home-");
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "ops.js"), "load", "workspaces", "--count", "1", "--outputs", writeOutputs(stackOutputs())], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: path.join(home, "none"), AWS_SHARED_CREDENTIALS_FILE: path.join(home, "none"), AWS_EC2_METADATA_DISABLED: "true", AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, ...CREDENTIALS },
    });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).not.to.include("internal error");
    expect(opsLines(r.stderr)).to.deep.equal([
      `ops: load workspaces: cannot reach AWS at http://127.0.0.1:${port} (AWS_ENDPOINT_URL): connection refused (ECONNREFUSED); check AWS_ENDPOINT_URL, the network or the proxy settings`,
    ]);
  });

  describe("in-process, the SDK reading AWS_ENDPOINT_URL", () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    afterEach(() => {
      process.env.AWS_ENDPOINT_URL = saved;
    });
    const withEndpoint = (url: string) => {
      process.env.AWS_ENDPOINT_URL = url;
      return { PATH: "", AWS_ENDPOINT_URL: url };
    };

    it("a web server that is not AWS (200, HTML): exit 2 instead of a report that passes on nothing", async () => {
      const server = await answering(200, "text/html", "<html><body>It works!</body></html>");
      try {
        const run = await runCli(["volumes", "list"], { env: withEndpoint(server.url) });
        expect(run.code, run.stderr).to.equal(2);
        expect(opsLines(run.stderr)).to.deep.equal([`ops: volumes list: http://127.0.0.1:${server.url.split(":").pop()} (AWS_ENDPOINT_URL) answered GetCallerIdentity without an AWS account: it is not AWS STS; check AWS_ENDPOINT_URL`]);
        expect(run.stdout).to.equal("");
        expect(server.requests()).to.equal(1);
      } finally {
        await server.close();
      }
    });

    it("a server answering errors (503): exit 2 naming the endpoint and the status", async () => {
      const server = await answering(503, "text/plain", "service unavailable");
      try {
        const run = await runCli(["cleanup", "--run-id", "load-20261123T120000-beef"], { env: withEndpoint(server.url) });
        expect(run.code, run.stderr).to.equal(2);
        const lines = opsLines(run.stderr);
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(new RegExp(`^ops: cleanup: AWS at ${server.url.replace(/[.:/]/g, "\\$&")} \\(AWS_ENDPOINT_URL\\) refused GetCallerIdentity with HTTP 503 \\(.+\\); check AWS_ENDPOINT_URL and the region$`));
      } finally {
        await server.close();
      }
    });

    it("a malformed AWS_ENDPOINT_URL: exit 2 naming the setting, no request sent", async () => {
      const run = await runCli(["load", "workspaces", "--count", "1"], { env: { PATH: "", AWS_ENDPOINT_URL: "localhost:4566" } });
      expect(run.code).to.equal(2);
      expect(opsLines(run.stderr)).to.deep.equal(['ops: load workspaces: AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:5000, got "localhost:4566": fix it or unset it to use AWS']);
    });
  });
});
