// Threshold options turned into checks of the report (and so into the exit code).
import type { ReportBuilder } from "./report";

export function formatSeconds(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? "n/a" : `${(ms / 1000).toFixed(2)} s`;
}

/** observed ≤ limit; no check when no limit was asked for; "no samples" fails. */
export function checkMax(report: ReportBuilder, name: string, limit: number | undefined, observed: number | undefined, format: (v: number) => string): void {
  if (limit === undefined) return;
  const seen = observed === undefined || Number.isNaN(observed) ? "no samples" : format(observed);
  report.check("threshold", name, `<= ${format(limit)}`, seen, observed !== undefined && !Number.isNaN(observed) && observed <= limit);
}

export function checkMin(report: ReportBuilder, name: string, limit: number | undefined, observed: number | undefined, format: (v: number) => string): void {
  if (limit === undefined) return;
  const seen = observed === undefined || Number.isNaN(observed) ? "no samples" : format(observed);
  report.check("threshold", name, `>= ${format(limit)}`, seen, observed !== undefined && !Number.isNaN(observed) && observed >= limit);
}

/** A load run in which no workspace became ready measured nothing: it fails whatever thresholds were asked for. */
export function checkAnyReady(report: ReportBuilder, ready: number, requested: number): void {
  report.check("launch", "workspaces ready", ">= 1", `${ready} of ${requested}`, ready > 0);
}
