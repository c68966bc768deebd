// The egress proxy's decision log (one line per request, DECISION_LOG_FORMAT) as CloudWatch Logs
// metric filters: every decision, the denied ones the alarm counts, and the allowed names refused
// for resolving to an address that is not public. A matcher for the part of
// the space-delimited filter syntax these patterns use lets the tests run the real Squid's log
// lines through the very patterns the stack deploys.
import { DECISION_LOG_FORMAT, NON_PUBLIC_DESTINATION_PAGE } from "./squidConfig";

/** Field names of DECISION_LOG_FORMAT, in order. */
export const DECISION_FIELDS = ["time", "client", "method", "target", "status", "verdict", "error"] as const;
type DecisionField = (typeof DECISION_FIELDS)[number];

/** A space-delimited pattern naming every field, some of them required to equal a value. */
function decisionPattern(required: Partial<Record<DecisionField, string>> = {}): string {
  return `[${DECISION_FIELDS.map((f) => (required[f] ? `${f} = ${required[f]}` : f)).join(", ")}]`;
}

export const DECISIONS_PATTERN = decisionPattern();
/**
 * Squid's verdict for a request http_access refused (a name off the list, an IP literal, …):
 * TCP_DENIED, or TCP_DENIED_ABORTED when the client hung up before reading the whole 403.
 */
export const DENIED_PATTERN = decisionPattern({ verdict: "TCP_DENIED*" });
/** An allowed name refused because it resolved to an address that is not public. */
export const NON_PUBLIC_DESTINATION_PATTERN = decisionPattern({ error: NON_PUBLIC_DESTINATION_PAGE });

/** Metric names in the stack's egress proxy namespace (egressProxyNamespace). */
export const EGRESS_PROXY_METRICS = {
  requests: "Requests",
  denied: "DeniedRequests",
  nonPublicDestinations: "NonPublicDestinationRequests",
} as const;

/** One namespace per stack: a metric filter cannot add a constant dimension to tell stacks apart. */
export function egressProxyNamespace(metricsNamespace: string, prefix: string): string {
  return `${metricsNamespace}/EgressProxy/${prefix}`;
}

if (DECISION_LOG_FORMAT.split(" ").length !== DECISION_FIELDS.length) {
  throw new Error("DECISION_FIELDS must name every field of DECISION_LOG_FORMAT");
}

/**
 * Whether a log line matches a space-delimited filter pattern: "[a, b = value, c != v*]", one
 * name per field, a line matching only with exactly that many fields (no "..."), values compared
 * as strings with "*" as a wildcard. Throws on syntax this subset does not cover.
 */
export function matchesSpaceDelimited(pattern: string, line: string): boolean {
  const body = /^\[(.*)\]$/.exec(pattern.trim());
  if (!body) throw new Error(`not a space-delimited pattern: ${pattern}`);
  const terms = body[1].split(",").map((t) => t.trim());
  const fields = line.trim().split(/ +/);
  if (terms.some((t) => t.includes("...") || /[&|()]/.test(t))) throw new Error(`unsupported pattern syntax: ${pattern}`);
  if (fields.length !== terms.length) return false;
  return terms.every((term, i) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\s*(=|!=)\s*(.+))?$/.exec(term);
    if (!m) throw new Error(`unsupported term ${JSON.stringify(term)} in ${pattern}`);
    if (!m[2]) return true;
    const wanted = m[3].replace(/^"(.*)"$/, "$1");
    const re = new RegExp(`^${wanted.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return m[2] === "=" ? re.test(fields[i]) : !re.test(fields[i]);
  });
}
