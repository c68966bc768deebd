// ECR scan findings of the images the task definitions run: each must come from the stack's own
// repositories and have a completed scan with no finding at or above --fail-severity.
import { DescribeImageScanFindingsCommand, type ImageIdentifier } from "@aws-sdk/client-ecr";
import { DescribeTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { errorMessage, errorName } from "../../errors";
import { type Audit, SEVERITIES, type Severity } from "./audit";

interface ImageRef {
  readonly image: string;
  readonly repositoryUrl: string;
  readonly repositoryName: string;
  readonly imageId: ImageIdentifier;
}

/** "<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@sha256:…]" → repository and image id. */
function parseImage(image: string): ImageRef | undefined {
  const m = /^([0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?)\/([^:@]+)(?:@(sha256:[0-9a-f]{64})|:([\w.-]+))?$/.exec(image);
  if (!m) return undefined;
  const imageId: ImageIdentifier = m[3] ? { imageDigest: m[3] } : { imageTag: m[4] ?? "latest" };
  return { image, repositoryUrl: `${m[1]}/${m[2]}`, repositoryName: m[2], imageId };
}

function severitiesAtOrAbove(threshold: Severity): Severity[] {
  return SEVERITIES.slice(0, SEVERITIES.indexOf(threshold) + 1);
}

export const ecrScanAudit: Audit = {
  name: "ECR scan findings",
  async run(ctx, args, report) {
    const out = ctx.require(["workspaceTaskDefinitionArn", "backendTaskDefinitionFamily", "ecrRepositoryUrls"]);
    const group = "audit:ecr-scans";
    const images = new Set<string>();
    for (const td of [out.workspaceTaskDefinitionArn, out.backendTaskDefinitionFamily]) {
      const r = await ctx.api.call("DescribeTaskDefinition", () => ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: td })));
      for (const c of r.taskDefinition?.containerDefinitions ?? []) if (c.image) images.add(c.image);
    }
    const repos = new Set(Object.values(out.ecrRepositoryUrls));
    const bad = severitiesAtOrAbove(args.failSeverity);
    for (const image of [...images].sort()) {
      const ref = parseImage(image);
      report.check(group, `${ref?.repositoryName ?? image}: image source`, "one of the stack's ECR repositories", image, ref !== undefined && repos.has(ref.repositoryUrl));
      if (!ref) continue;
      try {
        const r = await ctx.api.call("DescribeImageScanFindings", () =>
          ctx.aws.ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: ref.repositoryName, imageId: ref.imageId, maxResults: 1 })));
        const status = r.imageScanStatus?.status ?? "unknown";
        const counts = r.imageScanFindings?.findingSeverityCounts ?? {};
        const over = bad.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${s} ${counts[s]}`);
        const all = Object.entries(counts).map(([s, n]) => `${s} ${n}`).join(", ") || "no findings";
        const scanned = status === "COMPLETE" || status === "ACTIVE";
        report.check(group, `${ref.repositoryName}: scan findings`, `scan complete, nothing ${args.failSeverity} or worse`, `${status}; ${all}`, scanned && over.length === 0);
      } catch (err) {
        report.check(group, `${ref.repositoryName}: scan findings`, `scan complete, nothing ${args.failSeverity} or worse`, `${errorName(err)}: ${errorMessage(err)}`, false);
      }
    }
  },
};
