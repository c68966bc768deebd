// Egress config: how workspaces reach the internet (egressMode, lib/egress.ts) and the
// egress proxy that proxy mode runs. Production must use proxy mode; the proxy needs an image.
import { EGRESS_MODES } from "../lib/egress";
import type { CrossCheck } from "./problems";
import { integer, oneOf, optional, string } from "./schema";
import { buildContextProblem, imageRefProblem } from "./services";

export const egressKeys = {
  egressMode: oneOf(EGRESS_MODES, {
    description:
      "How workspaces reach the internet: proxy (no route out; HTTPS only through the allow-listing Squid proxy) or dns-firewall (NAT + TCP 443 anywhere + DNS Firewall; an IP literal bypasses it). Production must use proxy. See docs/egress.md.",
    default: "proxy",
  }),
  egressProxyImage: optional(string({
    description:
      "Image of the egress proxy (Squid, services/egressProxy/Dockerfile): a tag or a digest in the stack's own ECR repository; with a build context, the tag the built image is pushed under. Required with egressMode proxy.",
    expected: "an image tag other than latest, or a digest sha256:<64 hex>",
    check: imageRefProblem,
  })),
  egressProxyBuildContext: optional(string({
    description:
      "Docker build context of the egress proxy image, relative to the project directory (services/egressProxy). Set: `pulumi up` builds and pushes it (awsx.ecr.Image) and the service runs that exact digest.",
    expected: "a directory with a Dockerfile, relative to the project directory",
    check: buildContextProblem,
  })),
  egressProxyCount: integer({
    description: "Egress proxy tasks (spread over AZs on the backend pool, behind an internal NLB); at least 2 in production.",
    default: 2,
    min: 1,
    max: 20,
  }),
  egressProxyCpu: integer({ description: "CPU units of an egress proxy task (1024 = 1 vCPU).", default: 256, min: 128, max: 4096, unit: "CPU units" }),
  egressProxyMemoryMiB: integer({ description: "Memory of an egress proxy task.", default: 512, min: 256, max: 8192, unit: "MiB" }),
  egressDeniedThreshold: integer({
    description: "Requests the egress proxy denies in 5 minutes that raise the egress-proxy-denied-requests alarm (a workspace probing off the allow list).",
    default: 50,
    min: 1,
    max: 100000,
  }),
};

export const egressChecks: CrossCheck[] = [
  (cfg, report) => {
    if (cfg.isProd && cfg.egressMode !== "proxy") {
      report("egressMode", cfg.egressMode, '"proxy" in production: dns-firewall filters names only, so a workspace can connect to any IP address on 443 (or speak DNS over HTTPS) and bypass the allow list');
    }
  },
  (cfg, report) => {
    if (cfg.egressMode !== "proxy") return;
    if (cfg.egressProxyImage === undefined) {
      report("egressProxyImage", undefined, "an image tag or digest of the egress proxy: egressMode proxy runs it (build services/egressProxy with egressProxyBuildContext, or push it and set the tag)");
    } else if (cfg.egressProxyBuildContext !== undefined && cfg.egressProxyImage.startsWith("sha256:")) {
      report("egressProxyImage", cfg.egressProxyImage, `a tag to push the image built from ${cfg.egressProxyBuildContext} under (a digest names an existing image; unset the build context to use it)`);
    }
    if (cfg.isProd && cfg.egressProxyCount < 2) {
      report("egressProxyCount", cfg.egressProxyCount, "at least 2 in production: with one proxy task, a host or AZ failure cuts every workspace off the internet");
    }
  },
];
