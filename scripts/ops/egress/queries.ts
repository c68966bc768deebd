// The two Logs Insights queries of the egress report and what their rows mean.
//
// DNS: Route 53 Resolver query logs are JSON, one object per query, in AWS's documented format
// (Route 53 Developer Guide, "Values that appear in VPC Resolver query logs" and "Route 53 VPC
// Resolver query log example": version, account_id, region, vpc_id, query_timestamp, query_name,
// query_type, query_class, rcode, answers, srcaddr, srcport, transport, srcids {instance,
// resolver_endpoint}, and firewall_rule_action / firewall_rule_group_id / firewall_domain_list_id
// when a DNS Firewall rule matched). Insights discovers the fields of JSON log events itself.
// The catch-all rule is the rule group's rule over the "*" list: its domain list id marks it.
//
// Egress proxy: Squid's decision log, one line per request in DECISION_LOG_FORMAT, parsed by a
// regular expression built from the same field list; "denied" is Squid's TCP_DENIED verdict
// (TCP_DENIED_ABORTED when the client hung up first), the same test as the stack's metric filter,
// and its error page says why (off the list, or an allowed name at a non-public address).
import { DECISION_FIELDS } from "../../../lib/egressProxyDecisionLog";
import { UsageError } from "../errors";
import { type InsightsRow, insightsTime } from "./insights";

/** The actions a matched catch-all rule logs: ALERT while the list is being corrected, then BLOCK. */
export const CATCH_ALL_ACTIONS = ["ALERT", "BLOCK"] as const;

/** Resolver resource ids go into query text: letters, digits and dashes only, nothing that could end a string. */
function resolverId(name: string, value: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(value)) throw new UsageError(`stack output ${name} is not a Route 53 Resolver id: ${JSON.stringify(value)}`);
  return value;
}

export function dnsCatchAllQuery(ruleGroupId: string, domainListId: string): string {
  const group = resolverId("dnsFirewallRuleGroupId", ruleGroupId);
  const list = resolverId("dnsFirewallCatchAllDomainListId", domainListId);
  return [
    `filter firewall_rule_group_id = "${group}" and firewall_domain_list_id = "${list}" and (${CATCH_ALL_ACTIONS.map((a) => `firewall_rule_action = "${a}"`).join(" or ")})`,
    "| stats count(*) as queries, min(@timestamp) as firstSeen, max(@timestamp) as lastSeen by query_name, srcaddr, firewall_rule_action",
    "| sort queries desc",
  ].join("\n");
}

/**
 * The time field's shape ("%ts.%03tu": seconds.milliseconds), so that none of Squid's own cache log
 * lines on the same stream ("2026/12/05 13:46:43| Using 8192 Store buckets") passes for a decision.
 */
const FIELD_PATTERNS: Partial<Record<(typeof DECISION_FIELDS)[number], string>> = { time: "\\d+\\.\\d{3}" };

/** One named group per field of the decision log, separated by single spaces as Squid writes them. */
const DECISION_LINE = new RegExp(`^${DECISION_FIELDS.map((f) => `(?<${f}>${FIELD_PATTERNS[f] ?? "\\S+"})`).join(" ")}$`);

export function deniedRequestsQuery(): string {
  return [
    `parse @message /${DECISION_LINE.source}/`,
    "| filter verdict like /^TCP_DENIED/",
    "| stats count(*) as requests, min(@timestamp) as firstSeen, max(@timestamp) as lastSeen by target, method, client, verdict, error",
    "| sort requests desc",
  ].join("\n");
}

type Decision = Readonly<Record<(typeof DECISION_FIELDS)[number], string>>;

/** A decision log line as its fields, or undefined for anything else on the stream (Squid's cache log). */
export function parseDecision(line: string): Decision | undefined {
  const m = DECISION_LINE.exec(line.trim());
  return m?.groups ? (m.groups as Decision) : undefined;
}

export function isDenied(decision: Pick<Decision, "verdict">): boolean {
  return /^TCP_DENIED/.test(decision.verdict);
}

/** Queries for one name from one address that the catch-all rule matched. */
export interface DnsMatch {
  readonly name: string;
  readonly source: string;
  readonly action: string;
  readonly count: number;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
}

/** Requests for one target from one address that the egress proxy denied. */
export interface EgressProxyDenial {
  readonly target: string;
  readonly method: string;
  readonly source: string;
  readonly verdict: string;
  /** Squid's error page: ERR_ACCESS_DENIED (off the list, by design), ERR_NON_PUBLIC_DESTINATION, … */
  readonly error: string;
  readonly count: number;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
}

/** Query names come with the root's trailing dot ("example.com."). */
const bareName = (name: string) => name.replace(/\.$/, "").toLowerCase();

const count = (v: string | undefined) => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : 0;
};

export function dnsMatches(rows: readonly InsightsRow[]): DnsMatch[] {
  return rows.filter((r) => r.query_name).map((r) => ({
    name: bareName(r.query_name),
    source: r.srcaddr ?? "",
    action: r.firewall_rule_action ?? "",
    count: count(r.queries),
    firstSeen: insightsTime(r.firstSeen),
    lastSeen: insightsTime(r.lastSeen),
  }));
}

export function egressProxyDenials(rows: readonly InsightsRow[]): EgressProxyDenial[] {
  return rows.filter((r) => r.target).map((r) => ({
    target: r.target,
    method: r.method ?? "",
    source: r.client ?? "",
    verdict: r.verdict ?? "",
    error: r.error ?? "",
    count: count(r.requests),
    firstSeen: insightsTime(r.firstSeen),
    lastSeen: insightsTime(r.lastSeen),
  }));
}
