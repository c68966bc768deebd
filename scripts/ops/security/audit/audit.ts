// A static audit reads the live stack through AWS APIs and adds rows to the security matrix.
import type { OpsContext } from "../../context";
import type { ReportBuilder } from "../../report";

export interface AuditArgs {
  /** Client CIDRs allowed to reach the ALB (config albIngressCidrs). */
  readonly albIngressCidrs: readonly string[];
  /** Fail on ECR findings of this severity or worse. */
  readonly failSeverity: Severity;
}

export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Audit {
  readonly name: string;
  run(ctx: OpsContext, args: AuditArgs, report: ReportBuilder): Promise<void>;
}
