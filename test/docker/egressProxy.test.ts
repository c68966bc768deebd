// The egress proxy container under the runtime settings of its task definition, in a real Docker
// engine: Debian's Squid (copied from this machine with its libraries, error pages and MIME table,
// like the image's package), started by the image's entrypoint as uid 13 with a read-only root, a
// tmpfs /tmp, no capabilities and no-new-privileges, must come up and decide, and find its own error
// page where the image puts it. The container has no network but its loopback, so nothing leaves
// it; requests come in through `docker exec`.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { importRootfs } from "../../scripts/ops/docker/runtime/rootfs";
import { egressProxyContainer, EGRESS_PROXY_USER, SQUID_CONFIG_ENV } from "../../lib/egressProxyContainer";
import { EGRESS_PROXY_PORT, NON_PUBLIC_DESTINATION_PAGE } from "../../lib/squidConfig";
import { engine, ROOT } from "../helpers/docker";

const ENTRYPOINT = "/usr/local/bin/egress-proxy";
const SQUID = "/usr/sbin/squid";

/** `docker run` flags for a container definition's hardening (what ECS asks the agent for). */
function hardeningFlags(c: ContainerDefinition): string[] {
  const flags: string[] = [];
  if (c.user) flags.push("--user", c.user);
  if (c.readonlyRootFilesystem) flags.push("--read-only");
  for (const t of c.linuxParameters?.tmpfs ?? []) flags.push("--tmpfs", `${t.containerPath}:${["rw", ...(t.mountOptions ?? [])].join(",")},size=${t.size}m`);
  for (const cap of c.linuxParameters?.capabilities?.drop ?? []) flags.push("--cap-drop", cap);
  for (const cap of c.linuxParameters?.capabilities?.add ?? []) flags.push("--cap-add", cap);
  for (const opt of c.dockerSecurityOptions ?? []) flags.push("--security-opt", opt);
  if (c.linuxParameters?.initProcessEnabled) flags.push("--init");
  if (c.privileged) flags.push("--privileged");
  return flags;
}

describe("egress proxy container under its task definition's hardening (real Docker engine)", function () {
  this.timeout(120000);
  let run: (args: string[]) => ReturnType<Awaited<ReturnType<typeof engine>>["docker"]>;
  let name: string;

  before(async function () {
    this.timeout(180000);
    if (!fs.existsSync(SQUID)) {
      console.warn("\n    !!! SKIPPED (egress proxy container): Debian's squid is not installed (npm run test:ci installs it)\n");
      this.skip();
    }
    const e = await engine(this);
    run = (args) => e.docker(args, { timeoutMs: 60000, allowFail: true });
    const tag = "rc-egress-proxy:test";
    await importRootfs(e, {
      busybox: true,
      // Squid, the helper it always starts (unlinkd), its error pages, icons and MIME table.
      programs: [SQUID, "/usr/lib/squid/unlinkd"],
      trees: [{ from: "/usr/share/squid" }, { from: "/usr/share/squid-langpack" }, { from: "/etc/squid", exclude: ["squid.conf", "conf.d"] }],
      files: {
        // Debian's base-passwd entry: the image runs as this user.
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nproxy:x:13:13:proxy:/bin:/usr/sbin/nologin\n",
        "/etc/group": "root:x:0:\nproxy:x:13:\n",
        [ENTRYPOINT]: fs.readFileSync(path.join(ROOT, "services/egressProxy/entrypoint.sh"), "utf8"),
        // Where the Dockerfile copies it (through Debian's errors -> squid-langpack link).
        [`/usr/share/squid/errors/templates/${NON_PUBLIC_DESTINATION_PAGE}`]:
          fs.readFileSync(path.join(ROOT, "services/egressProxy/errors", NON_PUBLIC_DESTINATION_PAGE), "utf8"),
      },
    }, tag);
    // The program's container, only the load balancer's network being this container's loopback.
    const container = egressProxyContainer({
      image: tag,
      cpu: 256,
      memoryMiB: 512,
      // localhost: an allowed name the container's /etc/hosts resolves to loopback.
      allowList: ["github.com", "*.github.com", "registry.npmjs.org", "localhost"],
      loadBalancerCidrs: ["127.0.0.0/8"],
      logGroup: "/test/egress-proxy",
      region: "ap-northeast-1",
    });
    expect(container.user).to.equal(EGRESS_PROXY_USER);
    const conf = container.environment!.find((v) => v.name === SQUID_CONFIG_ENV)!.value!;
    name = `rc-egress-proxy-${process.pid}`;
    const started = await run([
      "run", "-d", "--name", name, "--network", "none", ...hardeningFlags(container),
      "-e", `${SQUID_CONFIG_ENV}=${conf}`, "--entrypoint", "/bin/sh", tag, ENTRYPOINT,
    ]);
    // The rootfs has no mode bits from git: run the entrypoint through sh, as the image's exec would.
    expect(started.code, started.stderr).to.equal(0);
    for (let i = 0; i < 50; i++) {
      // Listening (state 0A) on the proxy port, from the container's own socket table.
      const port = EGRESS_PROXY_PORT.toString(16).toUpperCase().padStart(4, "0");
      const probe = await run(["exec", name, "sh", "-c", `grep -q ':${port} 00000000:0000 0A' /proc/net/tcp && echo up`]);
      if (probe.stdout.includes("up")) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    const logs = await run(["logs", name]);
    throw new Error(`squid did not come up under the hardening:\n${logs.stdout}\n${logs.stderr}`);
  });

  after(async () => {
    if (name && run) await run(["rm", "-f", name]);
  });

  /** A request as the NLB delivers it: a PROXY header naming the workspace, then the request. */
  const send = async (request: string) => {
    const header = `PROXY TCP4 10.30.160.7 127.0.0.1 40000 ${EGRESS_PROXY_PORT}\\r\\n`;
    const out = await run(["exec", name, "sh", "-c", `printf '${header}${request}' | timeout 5 nc 127.0.0.1 ${EGRESS_PROXY_PORT} | head -n 1`]);
    return out.stdout.trim();
  };

  /**
   * The whole answer to a request that asks Squid to close after it: nc's input stays open until
   * Squid has closed (nc exits, the next empty line fails), so nc never hangs up first.
   */
  const sendForAnswer = async (request: string) => {
    const header = `PROXY TCP4 10.30.160.7 127.0.0.1 40000 ${EGRESS_PROXY_PORT}\\r\\n`;
    const feed = `printf '${header}${request}'; while printf '\\r\\n' 2>/dev/null; do sleep 0.2; done`;
    return (await run(["exec", name, "sh", "-c", `(${feed}) | timeout 5 nc 127.0.0.1 ${EGRESS_PROXY_PORT}`])).stdout;
  };

  it("runs Squid as the unprivileged proxy user with nothing writable but /tmp", async () => {
    const ps = await run(["exec", name, "sh", "-c", "cat /proc/1/status /proc/$(pidof squid | cut -d' ' -f1)/status | grep -E '^(Uid|CapEff|NoNewPrivs)'"]);
    expect(ps.stdout).to.match(/^Uid:\s+13\s+13\s+13\s+13$/m);
    expect(ps.stdout).to.not.match(/^CapEff:\s+0*[1-9a-f]/m);
    expect(ps.stdout).to.match(/^NoNewPrivs:\s+1$/m);
    const write = await run(["exec", name, "sh", "-c", "touch /etc/x 2>&1; ls /tmp"]);
    expect(write.stdout).to.match(/Read-only file system/);
    expect(write.stdout).to.include("squid.conf");
  });

  it("refuses an IP literal, another port and plain HTTP, and logs each decision under the workspace's address", async () => {
    expect(await send("CONNECT 203.0.113.9:443 HTTP/1.1\\r\\nHost: 203.0.113.9:443\\r\\n\\r\\n")).to.equal("HTTP/1.1 403 Forbidden");
    expect(await send("CONNECT github.com:22 HTTP/1.1\\r\\nHost: github.com:22\\r\\n\\r\\n")).to.equal("HTTP/1.1 403 Forbidden");
    expect(await send("GET http://github.com/ HTTP/1.1\\r\\nHost: github.com\\r\\n\\r\\n")).to.equal("HTTP/1.1 403 Forbidden");
    let lines: string[] = [];
    for (let i = 0; i < 25 && lines.length < 3; i++) {
      // nc hangs up after the status line: Squid says TCP_DENIED_ABORTED (the metric filter counts both).
      lines = (await run(["logs", name])).stdout.split("\n").filter((l) => / TCP_DENIED(_ABORTED)? ERR_ACCESS_DENIED$/.test(l)).map((l) => l.replace("_ABORTED ", " "));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(lines.map((l) => l.split(" ").slice(1).join(" "))).to.deep.equal([
      "10.30.160.7 CONNECT 203.0.113.9:443 403 TCP_DENIED ERR_ACCESS_DENIED",
      "10.30.160.7 CONNECT github.com:22 403 TCP_DENIED ERR_ACCESS_DENIED",
      "10.30.160.7 GET http://github.com/ 403 TCP_DENIED ERR_ACCESS_DENIED",
    ]);
  });

  it("refuses an allowed name that resolves to loopback with the project's error page, read from the image's template directory", async () => {
    const answer = await sendForAnswer("CONNECT localhost:443 HTTP/1.1\\r\\nHost: localhost:443\\r\\nConnection: close\\r\\n\\r\\n");
    expect(answer.split("\r\n")[0]).to.equal("HTTP/1.1 403 Forbidden");
    expect(answer).to.include("The egress proxy will not connect to <b>localhost</b>");
    let line: string | undefined;
    for (let i = 0; i < 25 && !line; i++) {
      line = (await run(["logs", name])).stdout.split("\n").find((l) => l.includes(" CONNECT localhost:443 "));
      if (!line) await new Promise((r) => setTimeout(r, 200));
    }
    expect(line?.split(" ").slice(1).join(" ")).to.equal(`10.30.160.7 CONNECT localhost:443 403 TCP_DENIED ${NON_PUBLIC_DESTINATION_PAGE}`);
  });
});
