// `ops local image`: builds the local workspace images on the engine from a root filesystem
// assembled on this machine (busybox-static, Debian's python3, the stand-in agent and credential
// proxy): no registry, no Dockerfile, no network. The drills use these tags by default.
import { debianPython, findBusybox } from "./runtime/rootfs";
import { buildWorkspaceImages } from "./runtime/workspaceImage";
import { UsageError } from "../errors";
import { ReportBuilder } from "../report";
import type { LocalContext } from "./context";

export interface LocalImageArgs {
  readonly tag: string;
  readonly credentialProxyTag: string;
}

export async function localImage(ctx: LocalContext, args: LocalImageArgs): Promise<ReportBuilder> {
  // What the root filesystem is made of must be on this machine; say which package is missing.
  if (!findBusybox()) throw new UsageError("no static busybox on this machine: install it (Debian: apt-get install busybox-static)");
  const python = debianPython();
  if (!python) throw new UsageError("no Debian python3 with its standard library on this machine: install it (Debian: apt-get install python3)");
  await ctx.connect();
  try {
    const report = new ReportBuilder("local image", "Local workspace images");
    report.target = ctx.reportTarget;
    report.publishesMetrics = false;
    if (ctx.args.dryRun) {
      report.outcome = "dry-run";
      report.summary.push(`Would build ${args.tag} and ${args.credentialProxyTag} from busybox-static and ${python.program} (${python.stdlib}) on this machine.`);
      return report;
    }
    const started = ctx.clock.now();
    ctx.progress.log(`assembling the root filesystem and importing ${args.tag}`);
    const built = await buildWorkspaceImages(ctx.docker, { agent: args.tag, credentialProxy: args.credentialProxyTag });
    const seconds = ((ctx.clock.now() - started) / 1000).toFixed(1);
    report.summary.push(
      `Built ${built.agent.tag} (${built.agent.id.slice(7, 19)}, ${(built.agent.sizeBytes / 1e6).toFixed(0)} MB) and ${built.credentialProxy.tag} (${built.credentialProxy.id.slice(7, 19)}, same layers, the proxy's command) in ${seconds} s, without any registry.`,
      `Root filesystem: busybox-static, ${python.program} with ${python.stdlib}, and the stand-in workspace agent and credential proxy (scripts/ops/docker/runtime/workspaceImage/).`,
      "Next: npm run ops -- load workspaces --target docker --count 10   (or: npm run ops -- security --target docker)",
    );
    report.data.images = built;
    return report;
  } finally {
    ctx.close();
  }
}
