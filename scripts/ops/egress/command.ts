// `ops egress report`: what the egress controls refused over a window (--since), from their own
// logs — the queries the DNS Firewall's catch-all rule matched (ALERT or BLOCK) in the Route 53
// Resolver query logs, and the requests the egress proxy denied in its decision log (proxy mode) —
// grouped by name and by source (the platform role holding the address), with counts, first and
// last seen, and for each name the config line that would allow it. Read-only; Logs Insights
// bills per GB scanned, so --dry-run prints the queries and runs none.
import type { OpsContext } from "../context";
import { ListFirewallRulesCommand } from "@aws-sdk/client-route53resolver";
import { EXIT, UsageError, errorMessage, errorName } from "../errors";
import { type OutputPath } from "../outputs";
import { ReportBuilder } from "../report";
import { type Advice, AllowAdvisor, readStackAllowList } from "./allowList";
import { type InsightsOutcome, type InsightsQuery, runInsightsQueries } from "./insights";
import { type DnsMatch, type EgressProxyDenial, dnsCatchAllQuery, deniedRequestsQuery, dnsMatches, egressProxyDenials } from "./queries";
import { type Source, SourceMap } from "./sources";

const MINUTE_MS = 60_000;
/** --since bounds: a minute, and the longest window worth one query (split longer ones by hand). */
const SINCE_MIN_MS = MINUTE_MS;
const SINCE_MAX_MS = 31 * 24 * 60 * MINUTE_MS;

/** "90m", "1h", "24h", "7d" → milliseconds. */
export function parseSince(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`--since must be minutes, hours or days like 90m, 1h, 24h or 7d, got ${text}`);
  const ms = Number(m[1]) * (m[2] === "m" ? MINUTE_MS : m[2] === "h" ? 60 * MINUTE_MS : 24 * 60 * MINUTE_MS);
  if (ms < SINCE_MIN_MS || ms > SINCE_MAX_MS) throw new UsageError(`--since must be from 1m to 31d, got ${text}`);
  return ms;
}

export interface EgressReportArgs {
  readonly since: string;
  readonly queryTimeout: number;
  /** Any finding is a failed check (exit 1): for a gate before switching the catch-all to BLOCK. */
  readonly failOnFindings: boolean;
  /** Names tried on purpose (the security probe's --blocked-domain): listed apart, not findings. */
  readonly probeName: readonly string[];
}

export interface EgressWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly label: string;
}

/** What the logs said over the window. `egressProxy` is absent in dns-firewall mode (there is no egress proxy). */
export interface EgressGathered {
  readonly window: EgressWindow;
  readonly queries: readonly InsightsOutcome[];
  readonly dns: readonly DnsMatch[];
  readonly egressProxy?: readonly EgressProxyDenial[];
  readonly sources: SourceMap;
}

/** The outputs the report reads: the query log, the catch-all rule, and the egress proxy's log in proxy mode. */
export function egressOutputs(ctx: OpsContext): OutputPath[] {
  const paths: OutputPath[] = ["dnsQueryLogGroupName", "dnsFirewallRuleGroupId", "dnsFirewallCatchAllDomainListId", "vpcId", "egressMode"];
  if (ctx.outputs.egressMode === "proxy") paths.push("egressProxy.logGroupName");
  return paths;
}

export function egressQueries(ctx: OpsContext, window: EgressWindow): InsightsQuery[] {
  const o = ctx.require(["dnsQueryLogGroupName", "dnsFirewallRuleGroupId", "dnsFirewallCatchAllDomainListId"]);
  const queries: InsightsQuery[] = [{
    what: "DNS query log",
    logGroupName: o.dnsQueryLogGroupName,
    queryString: dnsCatchAllQuery(o.dnsFirewallRuleGroupId, o.dnsFirewallCatchAllDomainListId),
    startMs: window.startMs,
    endMs: window.endMs,
  }];
  const egressProxyLog = ctx.outputs.egressMode === "proxy" ? ctx.outputs.egressProxy?.logGroupName : undefined;
  if (egressProxyLog) queries.push({ what: "egress proxy decision log", logGroupName: egressProxyLog, queryString: deniedRequestsQuery(), startMs: window.startMs, endMs: window.endMs });
  return queries;
}

/**
 * What the catch-all rule does now (ListFirewallRules: the rule over the catch-all list): "BLOCK",
 * "ALERT" during the observation window, or undefined when it cannot be read (then said in a note).
 */
export async function readCatchAllAction(ctx: OpsContext, notes: string[]): Promise<string | undefined> {
  const o = ctx.outputs;
  try {
    const r = await ctx.api.call("ListFirewallRules", () => ctx.aws.resolver.send(new ListFirewallRulesCommand({ FirewallRuleGroupId: o.dnsFirewallRuleGroupId })));
    const rule = (r.FirewallRules ?? []).find((x) => x.FirewallDomainListId === o.dnsFirewallCatchAllDomainListId);
    if (!rule) notes.push(`no rule of ${o.dnsFirewallRuleGroupId} uses the catch-all list ${o.dnsFirewallCatchAllDomainListId}`);
    return rule?.Action;
  } catch (err) {
    notes.push(`the catch-all rule's action not read: ${errorName(err)}: ${errorMessage(err)}`);
    return undefined;
  }
}

export async function gatherEgress(ctx: OpsContext, window: EgressWindow, queryTimeout: number): Promise<EgressGathered> {
  const queries = await runInsightsQueries(ctx, egressQueries(ctx, window), queryTimeout);
  const dns = dnsMatches(queries[0].rows);
  const egressProxy = queries[1] ? egressProxyDenials(queries[1].rows) : undefined;
  const sources = await SourceMap.build(ctx, [...dns.map((d) => d.source), ...(egressProxy ?? []).map((p) => p.source)]);
  return { window, queries, dns, egressProxy, sources };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** Code-point order: the same on every machine, whatever its locale. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const iso = (ms: number | undefined) => (ms === undefined ? "-" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));
const minOf = (values: (number | undefined)[]) => values.reduce<number | undefined>((a, v) => (v === undefined ? a : a === undefined ? v : Math.min(a, v)), undefined);
const maxOf = (values: (number | undefined)[]) => values.reduce<number | undefined>((a, v) => (v === undefined ? a : a === undefined ? v : Math.max(a, v)), undefined);

/** "2 workspace, 1 workspace host": how many addresses of each role. */
function rolesText(sources: readonly Source[]): string {
  const byRole = new Map<string, number>();
  for (const s of sources) byRole.set(s.role, (byRole.get(s.role) ?? 0) + 1);
  return [...byRole].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).map(([role, n]) => `${n} ${role}`).join(", ");
}

interface NameRow {
  readonly name: string;
  readonly actions: string[];
  readonly count: number;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  readonly sources: SourceCount[];
  readonly advice: Advice;
}

interface TargetRow {
  readonly target: string;
  readonly method: string;
  /** Squid's error page for the refusal. */
  readonly error: string;
  readonly count: number;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  readonly sources: SourceCount[];
  readonly advice: Advice;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/** A row's sources: who, how often, and when (per source, not the row's whole span). */
type SourceCount = Source & { readonly count: number; readonly firstSeen?: number; readonly lastSeen?: number };

function withCounts<T extends { source: string; count: number; firstSeen?: number; lastSeen?: number }>(items: readonly T[], sources: SourceMap): SourceCount[] {
  return [...groupBy(items, (i) => i.source)].map(([address, list]) => ({
    ...sources.describe(address),
    count: list.reduce((a, i) => a + i.count, 0),
    firstSeen: minOf(list.map((i) => i.firstSeen)),
    lastSeen: maxOf(list.map((i) => i.lastSeen)),
  })).sort((a, b) => b.count - a.count || cmp(a.address, b.address));
}

export interface EgressFindings {
  readonly names: NameRow[];
  readonly targets: TargetRow[];
  /** Rows of names the probe tries on purpose: reported, never findings. */
  readonly probeNames: NameRow[];
  readonly probeTargets: TargetRow[];
}

export function egressFindings(ctx: OpsContext, g: EgressGathered, probeNames: readonly string[]): EgressFindings {
  const advisor = new AllowAdvisor(readStackAllowList(ctx.deps.projectDir, ctx.stack));
  const probe = new Set(probeNames.map((n) => n.toLowerCase().replace(/\.$/, "")));
  const names = [...groupBy(g.dns, (d) => d.name)].map(([name, list]) => ({
    name,
    actions: [...new Set(list.map((d) => d.action))].sort(),
    count: list.reduce((a, d) => a + d.count, 0),
    firstSeen: minOf(list.map((d) => d.firstSeen)),
    lastSeen: maxOf(list.map((d) => d.lastSeen)),
    sources: withCounts(list, g.sources),
  })).sort((a, b) => b.count - a.count || cmp(a.name, b.name));
  const targets = [...groupBy(g.egressProxy ?? [], (p) => `${p.method} ${p.target} ${p.error}`)].map(([, list]) => ({
    target: list[0].target,
    method: list[0].method,
    error: list[0].error,
    count: list.reduce((a, p) => a + p.count, 0),
    firstSeen: minOf(list.map((p) => p.firstSeen)),
    lastSeen: maxOf(list.map((p) => p.lastSeen)),
    sources: withCounts(list, g.sources),
  })).sort((a, b) => b.count - a.count || cmp(a.target, b.target) || cmp(a.error, b.error));
  const isProbeTarget = (t: { method: string; target: string }) => t.method === "CONNECT" && probe.has(t.target.replace(/:\d+$/, "").toLowerCase());
  // Advice in the order the report prints the rows, so the list positions it hands out read top-down.
  const onPurpose: Advice = { kind: "probe", text: "tried on purpose by the security probe: leave it off the list" };
  const advisedNames: NameRow[] = names.map((n) => ({ ...n, advice: probe.has(n.name) ? onPurpose : advisor.forName(n.name) }));
  const advisedTargets: TargetRow[] = targets.map((t) => ({ ...t, advice: isProbeTarget(t) ? onPurpose : advisor.forRequest(t.method, t.target, t.error) }));
  return {
    names: advisedNames.filter((n) => !probe.has(n.name)),
    targets: advisedTargets.filter((t) => !isProbeTarget(t)),
    probeNames: advisedNames.filter((n) => probe.has(n.name)),
    probeTargets: advisedTargets.filter(isProbeTarget),
  };
}

/** Tables, summary, notes and data of the findings into a report (the egress report's, or verify's). */
export function addEgressFindings(report: ReportBuilder, ctx: OpsContext, g: EgressGathered, f: EgressFindings): void {
  const dnsQueries = f.names.reduce((a, n) => a + n.count, 0);
  const denied = f.targets.reduce((a, t) => a + t.count, 0);
  const allSources = [...f.names.flatMap((n) => n.sources), ...f.targets.flatMap((t) => t.sources)];
  report.summary.push(
    `Window ${iso(g.window.startMs)} to ${iso(g.window.endMs)} (${g.window.label}).`,
    `DNS Firewall catch-all rule matched ${plural(f.names.length, "name")} (${plural(dnsQueries, "query", "queries")})` +
      (g.egressProxy ? `; the egress proxy denied ${plural(f.targets.length, "target")} (${plural(denied, "request")})` : "") +
      `; from ${plural(new Set(allSources.map((s) => s.address)).size, "source address", "source addresses")}.`,
  );
  report.table("Names the DNS Firewall's catch-all rule matched", ["name", "action", "queries", "sources", "first seen", "last seen", "to allow it"],
    f.names.map((n) => [n.name, n.actions.join("/"), n.count, rolesText(n.sources), iso(n.firstSeen), iso(n.lastSeen), n.advice.text]));
  report.table("Requests the egress proxy denied", ["target", "method", "why (Squid)", "requests", "sources", "first seen", "last seen", "to allow it"],
    f.targets.map((t) => [t.target, t.method, t.error || "-", t.count, rolesText(t.sources), iso(t.firstSeen), iso(t.lastSeen), t.advice.text]));
  const bySource = [...groupBy(allSources, (s) => s.address)].map(([address]) => {
    const dns = f.names.filter((n) => n.sources.some((s) => s.address === address));
    const denied = f.targets.filter((t) => t.sources.some((s) => s.address === address));
    const own = allSources.filter((s) => s.address === address);
    return { source: g.sources.describe(address), dns, denied, firstSeen: minOf(own.map((x) => x.firstSeen)), lastSeen: maxOf(own.map((x) => x.lastSeen)) };
  }).sort((a, b) => cmp(a.source.role, b.source.role) || cmp(a.source.address, b.source.address));
  report.table("By source", ["source", "is", "interface", "names (DNS)", "denied targets (egress proxy)", "first seen", "last seen"],
    bySource.map((s) => [s.source.address || "-", s.source.role, s.source.detail || "-", s.dns.map((n) => n.name).join(", ") || "-", s.denied.map((t) => `${t.method} ${t.target}`).join(", ") || "-", iso(s.firstSeen), iso(s.lastSeen)]));
  const probeRows = [...f.probeNames.map((n) => ["DNS", n.name, n.count, rolesText(n.sources), iso(n.lastSeen)]), ...f.probeTargets.map((t) => ["egress proxy", `${t.method} ${t.target}`, t.count, rolesText(t.sources), iso(t.lastSeen)])];
  report.table("Tried on purpose by the security probe (--probe-name; not findings)", ["log", "name", "count", "sources", "last seen"], probeRows);

  for (const q of g.queries) {
    if (q.error) report.notes.push(`${q.query.what} (${q.query.logGroupName}) not read: ${q.error}`);
    if (q.truncated) report.notes.push(`${q.query.what}: Logs Insights returned its maximum of rows; some groups are missing: shorten --since`);
  }
  report.notes.push(...g.sources.problems);
  if (!g.egressProxy) report.notes.push(`egress mode ${ctx.outputs.egressMode ?? "dns-firewall"}: no egress proxy, so only names are logged; a connection to an IP address needs no name and shows in no log here (VPC flow logs: ${ctx.outputs.flowLogGroupName ?? "flowLogGroupName"})`);
  report.notes.push("Resolver query logs and container logs reach CloudWatch Logs minutes late: the window's last minutes may be incomplete");
  report.data.window = { start: iso(g.window.startMs), end: iso(g.window.endMs), label: g.window.label };
  report.data.queries = g.queries.map((q) => ({ what: q.query.what, logGroupName: q.query.logGroupName, queryString: q.query.queryString, queryId: q.queryId, status: q.status, polls: q.polls, ...(q.error ? { error: q.error } : {}), ...(q.statistics ? { statistics: q.statistics } : {}), truncated: q.truncated }));
  const times = <T extends { firstSeen?: number; lastSeen?: number }>(x: T) => ({ ...x, firstSeen: iso(x.firstSeen), lastSeen: iso(x.lastSeen) });
  const json = (rows: (NameRow | TargetRow)[]) => rows.map((r) => ({ ...times(r), sources: r.sources.map(times) }));
  report.data.dns = json(f.names);
  if (g.egressProxy) report.data.egressProxy = json(f.targets);
  report.data.probe = { dns: json(f.probeNames), egressProxy: json(f.probeTargets) };
  report.data.sources = bySource.map((s) => ({ ...s.source, names: s.dns.map((n) => n.name), deniedTargets: s.denied.map((t) => `${t.method} ${t.target}`), firstSeen: iso(s.firstSeen), lastSeen: iso(s.lastSeen) }));
}

/** What the catch-all rule's action means for these findings: the next step of the rollout. */
export function catchAllText(action: string, f: EgressFindings): string {
  const clean = f.names.length === 0 && f.targets.length === 0;
  if (action === "ALERT") {
    return `The catch-all rule is in ALERT: names off the list resolve and are only logged. ${clean ? "Nothing off the list here: set dnsFirewallCatchAllAction to BLOCK." : "Fix the list from the rows below, deploy, and run this again before setting dnsFirewallCatchAllAction to BLOCK."}`;
  }
  return `The catch-all rule is in ${action}: names off the list do not resolve.`;
}

/** Rows for a gate: nothing off the list, and every log read. */
export function addEgressChecks(report: ReportBuilder, g: EgressGathered, f: EgressFindings, group = "egress"): void {
  const list = (items: string[]) => (items.length === 0 ? "none" : `${items.length}: ${items.slice(0, 5).join(", ")}${items.length > 5 ? ", …" : ""}`);
  for (const q of g.queries) {
    report.check(group, `${q.query.what} read`, "query Complete", q.error ? `${q.status}: ${q.error}` : `Complete${q.truncated ? " (truncated)" : ""}`, !q.error && !q.truncated);
  }
  report.check(group, "names the DNS Firewall's catch-all rule matched", "none", list(f.names.map((n) => n.name)), f.names.length === 0);
  if (g.egressProxy) report.check(group, "requests the egress proxy denied", "none", list(f.targets.map((t) => `${t.method} ${t.target}`)), f.targets.length === 0);
}

export async function egressReport(ctx: OpsContext, args: EgressReportArgs): Promise<ReportBuilder> {
  const sinceMs = parseSince(args.since);
  ctx.require(egressOutputs(ctx));
  const report = new ReportBuilder("egress report", "Egress report: names and requests off the allow list");
  report.publishesMetrics = false;
  const endMs = ctx.clock.now();
  const window: EgressWindow = { startMs: endMs - sinceMs, endMs, label: `last ${args.since}` };
  const queries = egressQueries(ctx, window);
  if (ctx.args.dryRun) {
    report.summary.push(`Would run ${queries.length} Logs Insights quer${queries.length === 1 ? "y" : "ies"} over ${iso(window.startMs)} to ${iso(window.endMs)} (billed per GB scanned); none was run.`);
    report.data.queries = queries.map((q) => ({ what: q.what, logGroupName: q.logGroupName, queryString: q.queryString }));
    for (const q of queries) report.notes.push(`${q.what} (${q.logGroupName}):\n${q.queryString}`);
    report.outcome = "dry-run";
    return report;
  }
  await ctx.verifyCredentials();
  ctx.progress.log(`egress report: querying ${queries.map((q) => q.logGroupName).join(" and ")} over the last ${args.since} (at most ${args.queryTimeout} s)`);
  const g = await gatherEgress(ctx, window, args.queryTimeout);
  const f = egressFindings(ctx, g, args.probeName);
  addEgressFindings(report, ctx, g, f);
  const action = await readCatchAllAction(ctx, report.notes);
  report.data.catchAllAction = action ?? null;
  if (action) report.summary.push(catchAllText(action, f));
  if (args.failOnFindings) addEgressChecks(report, g, f);
  if (g.queries.some((q) => q.error)) {
    // A log that could not be read leaves the report incomplete: "could not run", not "clean".
    report.exitCode = EXIT.error;
    report.outcome = "error";
  }
  return report;
}
