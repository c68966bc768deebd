// Reads the probe's verdict line back and turns it into rows of the security matrix: one per
// check in PROBE_CHECKS (what the hardened workspace must show in the stack's egress mode and with
// its ptrace choice), plus
// any check the probe reported that the contract does not know.
import type { EgressMode } from "../../../lib/egress";
import { type Expectation, expectationFor, PROBE_CHECKS, PROBE_SCHEMA, type ProbeContext, type ProbeVerdict, VERDICT_PREFIX } from "../../../probe/verdict";
import type { ReportBuilder } from "../report";

export function findVerdict(lines: readonly string[]): { verdict?: ProbeVerdict; problem?: string } {
  const line = [...lines].reverse().find((l) => l.includes(VERDICT_PREFIX));
  if (!line) return { problem: `no line starting with "${VERDICT_PREFIX.trim()}" in the probe's log` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(line.indexOf(VERDICT_PREFIX) + VERDICT_PREFIX.length));
  } catch (err) {
    return { problem: `the verdict line is not JSON: ${(err as Error).message}` };
  }
  const v = parsed as Partial<ProbeVerdict>;
  if (v.schema !== PROBE_SCHEMA || !Array.isArray(v.checks)) return { problem: `the verdict is not ${PROBE_SCHEMA} (schema ${String(v.schema)})` };
  return { verdict: v as ProbeVerdict };
}

/** The matrix's "expected" cell for an expectation in a mode. */
function expectedText(expect: Expectation, mode: EgressMode, what: string): string {
  if (expect === "gap") return `blocked in proxy mode; a known gap in ${mode} mode: ${what}`;
  if (expect === "n/a") return `n/a in ${mode} mode: ${what}`;
  return `${expect}: ${what}`;
}

/**
 * Rows of the matrix for the probe's verdict, judged against the stack's egress mode and ptrace choice.
 * `notApplicable`: checks that have no meaning where the probe ran (IMDS on a local engine), with
 * why. Such a row says so ("n/a") when the probe found the target blocked or skipped it; if the
 * probe reached it after all, the row fails like any other.
 */
export function addProbeChecks(
  report: ReportBuilder,
  verdict: ProbeVerdict,
  context: ProbeContext,
  notApplicable: Readonly<Record<string, string>> = {},
  /** Checks the stack leaves open on purpose for now (the DNS Firewall's catch-all in ALERT), with why. */
  knownGaps: Readonly<Record<string, string>> = {},
): { failed: number; skipped: number; gaps: number; notApplicable: number } {
  let failed = 0;
  let skipped = 0;
  let gaps = 0;
  let na = 0;
  const byId = new Map(verdict.checks.map((c) => [c.id, c]));
  for (const spec of PROBE_CHECKS) {
    const seen = byId.get(spec.id);
    const expect = expectationFor(spec, context);
    const expected = expectedText(expect, context.egressMode, spec.what);
    const row = (observed: string, result: boolean | "skip" | "gap" | "n/a") => report.check(`probe:${spec.category}`, spec.id, expected, observed, result);
    const why = notApplicable[spec.id];
    if (why && seen && (seen.skipped || seen.blocked)) {
      na++;
      row(`${why}; the probe saw: ${seen.skipped ? "skipped" : "blocked"}: ${seen.detail}`, "n/a");
    } else if (!seen) {
      // A check the mode does not use may be missing; any other must be reported.
      if (expect === "n/a") {
        skipped++;
        row("not reported by the probe", "skip");
      } else {
        failed++;
        row("not reported by the probe", false);
      }
    } else if (seen.skipped || expect === "n/a") {
      skipped++;
      row(seen.skipped ? `skipped: ${seen.detail}` : `${seen.blocked ? "blocked" : "allowed"}: ${seen.detail}`, "skip");
    } else {
      const observed = seen.blocked ? "blocked" : "allowed";
      const gapNow = knownGaps[spec.id];
      if (gapNow && expect === "blocked" && !seen.blocked) {
        gaps++;
        row(`allowed: ${seen.detail}; ${gapNow}`, "gap");
      } else if (expect === "gap") {
        // Blocked anyway is a pass; open is the documented gap, not a failure.
        if (!seen.blocked) gaps++;
        row(`${observed}: ${seen.detail}`, seen.blocked ? true : "gap");
      } else {
        const pass = observed === expect;
        if (!pass) failed++;
        row(`${observed}: ${seen.detail}`, pass);
      }
    }
  }
  for (const extra of verdict.checks.filter((c) => !PROBE_CHECKS.some((s) => s.id === c.id))) {
    report.check(`probe:${extra.category}`, extra.id, "(not in PROBE_CHECKS)", `${extra.blocked ? "blocked" : "allowed"}: ${extra.detail}`, "skip");
  }
  return { failed, skipped, gaps, notApplicable: na };
}
