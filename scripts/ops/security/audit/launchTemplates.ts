// The host launch templates (default and latest version): IMDSv2 required with hop limit 1, no
// public address, encrypted volumes.
import { DescribeLaunchTemplateVersionsCommand, type LaunchTemplateVersion } from "@aws-sdk/client-ec2";
import type { ReportBuilder } from "../../report";
import type { Audit } from "./audit";

function auditLaunchTemplateVersion(report: ReportBuilder, pool: string, v: LaunchTemplateVersion): void {
  const group = "audit:launch-templates";
  const label = `${pool} v${v.VersionNumber}${v.DefaultVersion ? " (default)" : ""}`;
  const md = v.LaunchTemplateData?.MetadataOptions;
  report.check(group, `${label}: IMDSv2`, "HttpTokens required", `HttpTokens ${md?.HttpTokens ?? "unset (optional)"}`, md?.HttpTokens === "required");
  report.check(group, `${label}: metadata hop limit`, "1", String(md?.HttpPutResponseHopLimit ?? "unset (AMI default)"), md?.HttpPutResponseHopLimit === 1);
  const publicIp = (v.LaunchTemplateData?.NetworkInterfaces ?? []).some((n) => n.AssociatePublicIpAddress === true);
  report.check(group, `${label}: public IP`, "none", publicIp ? "associated" : "none", !publicIp);
  const unencrypted = (v.LaunchTemplateData?.BlockDeviceMappings ?? []).filter((b) => b.Ebs && b.Ebs.Encrypted !== true).map((b) => b.DeviceName);
  report.check(group, `${label}: EBS encryption`, "every volume encrypted", unencrypted.length ? `unencrypted: ${unencrypted.join(", ")}` : "encrypted", unencrypted.length === 0);
}

export const launchTemplateAudit: Audit = {
  name: "launch templates",
  async run(ctx, _args, report) {
    const out = ctx.require(["backendLaunchTemplateId", "workspaceLaunchTemplateId"]);
    for (const [pool, id] of [["backend", out.backendLaunchTemplateId], ["workspace", out.workspaceLaunchTemplateId]] as const) {
      const r = await ctx.api.call("DescribeLaunchTemplateVersions", () =>
        ctx.aws.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ["$Default", "$Latest"] })));
      const seen = new Set<number>();
      for (const v of r.LaunchTemplateVersions ?? []) {
        if (v.VersionNumber !== undefined && seen.has(v.VersionNumber)) continue;
        if (v.VersionNumber !== undefined) seen.add(v.VersionNumber);
        auditLaunchTemplateVersion(report, pool, v);
      }
    }
  },
};
