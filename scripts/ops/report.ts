// One report model for every command: a summary, tables, a check matrix (check, expected,
// observed, pass/fail), notes and the command's own data. Rendered as text on the terminal, as
// JSON with --json, and as JSON + Markdown files with --report FILE.
import * as fs from "node:fs";
import * as path from "node:path";
import type { MetricSample } from "./metrics";

export const REPORT_SCHEMA = "remote-claude-ops-report/v1";

type Outcome = "pass" | "fail" | "error" | "interrupted" | "dry-run";
/**
 * "n/a": the check has no meaning on this target (e.g. IMDS on a local Docker engine); never a pass.
 * "gap": a known gap of the stack's configuration (egress mode), reported, never failing the run.
 */
type CheckResult = "pass" | "fail" | "skip" | "n/a" | "gap";

interface Check {
  /** Groups rows in the matrix (e.g. "probe:metadata", "audit:security-groups", "threshold"). */
  readonly group: string;
  readonly name: string;
  readonly expected: string;
  readonly observed: string;
  readonly result: CheckResult;
}

interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly command: string;
  readonly title: string;
  readonly stack: string;
  readonly region: string;
  readonly runId?: string;
  /** Set when the command ran on a local Docker engine instead of a stack (`--target docker`). */
  readonly target?: ReportTarget;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly dryRun: boolean;
  outcome: Outcome;
  exitCode: number;
  readonly summary: string[];
  readonly tables: Table[];
  readonly checks: Check[];
  readonly notes: string[];
  readonly data: Record<string, unknown>;
}

export interface ReportTarget {
  readonly kind: "docker";
  /** e.g. "unix:///var/run/docker.sock (Docker 20.10.24)". */
  readonly engine: string;
}

/** "stack staging (ap-northeast-1)", or the local engine a command ran on. */
function whereText(report: Pick<Report, "stack" | "region" | "target">): string {
  return report.target ? `local Docker engine ${report.target.engine}` : `stack ${report.stack} (${report.region})`;
}

export function failedChecks(checks: readonly Check[]): Check[] {
  return checks.filter((c) => c.result === "fail");
}

const pad = (text: string, width: number) => text + " ".repeat(Math.max(0, width - text.length));

function textTable(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const cells = rows.map((row) => row.map(String));
  const widths = columns.map((c, i) => Math.min(80, Math.max(c.length, ...cells.map((r) => (r[i] ?? "").length))));
  const line = (r: readonly string[]) => r.map((cell, i) => pad(cell, widths[i])).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)];
}

function checkRows(checks: readonly Check[]): string[][] {
  return checks.map((c) => [c.group, c.name, c.expected, c.observed, c.result.toUpperCase()]);
}

const CHECK_COLUMNS = ["group", "check", "expected", "observed", "result"];

export function renderText(report: Report): string {
  const out: string[] = [];
  out.push(`${report.title} — ${whereText(report)}${report.runId ? `, run ${report.runId}` : ""}${report.dryRun ? " [dry run]" : ""}`);
  out.push(...report.summary.map((s) => `  ${s}`));
  for (const table of report.tables) {
    out.push("", `${table.title}:`);
    out.push(...textTable(table.columns, table.rows).map((l) => `  ${l}`));
  }
  if (report.checks.length > 0) {
    out.push("", "Checks:");
    out.push(...textTable(CHECK_COLUMNS, checkRows(report.checks)).map((l) => `  ${l}`));
  }
  if (report.notes.length > 0) out.push("", ...report.notes.map((n) => `note: ${n}`));
  const failed = failedChecks(report.checks).length;
  out.push("", `Result: ${report.outcome.toUpperCase()}${failed ? ` (${failed} check${failed > 1 ? "s" : ""} failed)` : ""}, exit code ${report.exitCode}, ${report.durationSeconds.toFixed(1)} s`);
  return out.join("\n") + "\n";
}

const mdCell = (v: string | number) => String(v).replace(/\|/g, "\\|").replace(/\n/g, " ");

function mdTable(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  return [
    `| ${columns.map(mdCell).join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`),
  ];
}

function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# ${report.title}`, "");
  out.push(...mdTable([report.target ? "target" : "stack", "region", "run id", "started", "duration", "outcome", "exit code"], [[
    report.target ? whereText(report) : report.stack, report.region, report.runId ?? "-", report.startedAt, `${report.durationSeconds.toFixed(1)} s`,
    `**${report.outcome.toUpperCase()}**${report.dryRun ? " (dry run)" : ""}`, report.exitCode,
  ]]));
  if (report.summary.length > 0) out.push("", ...report.summary.map((s) => `- ${s}`));
  for (const table of report.tables) out.push("", `## ${table.title}`, "", ...mdTable(table.columns, table.rows));
  if (report.checks.length > 0) {
    out.push("", "## Checks", "", ...mdTable(CHECK_COLUMNS, report.checks.map((c) => [c.group, c.name, c.expected, c.observed, c.result === "fail" ? "**FAIL**" : c.result.toUpperCase()])));
  }
  if (report.notes.length > 0) out.push("", "## Notes", "", ...report.notes.map((n) => `- ${n}`));
  return out.join("\n") + "\n";
}

/** Writes FILE (JSON) and the Markdown summary beside it (FILE with .md instead of .json). */
export function writeReport(file: string, report: Report): { json: string; markdown: string } {
  const json = path.resolve(file);
  const markdown = json.endsWith(".json") ? json.replace(/\.json$/, ".md") : `${json}.md`;
  fs.mkdirSync(path.dirname(json), { recursive: true });
  fs.writeFileSync(json, JSON.stringify(report, null, 2) + "\n");
  fs.writeFileSync(markdown, renderMarkdown(report));
  return { json, markdown };
}

/** Accumulates a report while a command runs; the CLI finishes it. */
export class ReportBuilder {
  readonly summary: string[] = [];
  readonly tables: Table[] = [];
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  readonly data: Record<string, unknown> = {};
  /** CloudWatch samples the CLI publishes unless --no-metrics. */
  readonly metrics: MetricSample[] = [];
  /** False for commands that are not drills (cleanup): nothing to publish. */
  publishesMetrics = true;
  runId: string | undefined;
  /** Set by commands that ran on a local Docker engine. */
  target: ReportTarget | undefined;
  /** Set by a command for outcomes the checks cannot express (dry run, cleanup incomplete). */
  outcome: Outcome | undefined;
  exitCode: number | undefined;

  constructor(
    readonly command: string,
    readonly title: string,
  ) {}

  check(group: string, name: string, expected: string, observed: string, pass: boolean | "skip" | "n/a" | "gap"): Check {
    const check: Check = { group, name, expected, observed, result: pass === "skip" || pass === "n/a" || pass === "gap" ? pass : pass ? "pass" : "fail" };
    this.checks.push(check);
    return check;
  }

  table(title: string, columns: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
    if (rows.length > 0) this.tables.push({ title, columns, rows });
  }
}
