// Reads the probe's verdict line back and turns it into rows of the security matrix: one per
// check in PROBE_CHECKS (what the hardened workspace must show), plus any check the probe
// reported that the contract does not know.
import { PROBE_CHECKS, PROBE_SCHEMA, type ProbeVerdict, VERDICT_PREFIX } from "../../../probe/verdict";
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

/**
 * `notApplicable`: checks that have no meaning where the probe ran (IMDS on a local engine), with
 * why. Such a row says so ("n/a") when the probe found the target blocked or skipped it; if the
 * probe reached it after all, the row fails like any other.
 */
export function addProbeChecks(report: ReportBuilder, verdict: ProbeVerdict, notApplicable: Readonly<Record<string, string>> = {}): { failed: number; skipped: number; notApplicable: number } {
  let failed = 0;
  let skipped = 0;
  let na = 0;
  const byId = new Map(verdict.checks.map((c) => [c.id, c]));
  for (const spec of PROBE_CHECKS) {
    const seen = byId.get(spec.id);
    const expected = `${spec.expect}: ${spec.what}`;
    const why = notApplicable[spec.id];
    if (why && seen && (seen.skipped || seen.blocked)) {
      na++;
      report.check(`probe:${spec.category}`, spec.id, expected, `${why}; the probe saw: ${seen.skipped ? "skipped" : "blocked"}: ${seen.detail}`, "n/a");
    } else if (!seen) {
      failed++;
      report.check(`probe:${spec.category}`, spec.id, expected, "not reported by the probe", false);
    } else if (seen.skipped) {
      skipped++;
      report.check(`probe:${spec.category}`, spec.id, expected, `skipped: ${seen.detail}`, "skip");
    } else {
      const observed = seen.blocked ? "blocked" : "allowed";
      const pass = observed === spec.expect;
      if (!pass) failed++;
      report.check(`probe:${spec.category}`, spec.id, expected, `${observed}: ${seen.detail}`, pass);
    }
  }
  for (const extra of verdict.checks.filter((c) => !PROBE_CHECKS.some((s) => s.id === c.id))) {
    report.check(`probe:${extra.category}`, extra.id, "(not in PROBE_CHECKS)", `${extra.blocked ? "blocked" : "allowed"}: ${extra.detail}`, "skip");
  }
  return { failed, skipped, notApplicable: na };
}
