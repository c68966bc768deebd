// CloudWatch Logs Insights through the SDK: StartQuery, then GetQueryResults until the query's
// status is final. Insights is asynchronous (Scheduled → Running → Complete | Failed | Cancelled |
// Timeout | Unknown) and a Running query's results are partial, so rows are taken only from a
// Complete answer. The wait is bounded: past the bound, or on Ctrl-C, the query is stopped
// (StopQuery) so it stops scanning, and billing, for nothing.
import { GetQueryResultsCommand, type ResultField, StartQueryCommand, StopQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { OpsContext } from "../context";
import { AbortedError, errorMessage, errorName } from "../errors";

/**
 * Seconds between GetQueryResults calls of one query. Two queries run side by side, so the tool
 * makes at most one call a second; a small query completes between two polls.
 */
const QUERY_POLL_SECONDS = 2;


/**
 * Rows a query may return: StartQuery's limit is at most 100,000 (AWS API model, logs 2014-03-28,
 * EventsLimitStartQuery), read in GetQueryResults pages of at most 10,000 joined by nextToken.
 */
export const MAX_QUERY_ROWS = 100_000;

/** Statuses after which a query gives no rows (AWS API model, QueryStatus); Complete is the other final one. */
export const FINAL_FAILURES: ReadonlySet<string> = new Set(["Failed", "Cancelled", "Timeout", "Unknown"]);
/** Statuses of a query still under way. */
export const PENDING_STATUSES: readonly string[] = ["Scheduled", "Running"];

export interface InsightsQuery {
  /** What the report calls it ("DNS query log", "egress proxy decision log"). */
  readonly what: string;
  readonly logGroupName: string;
  readonly queryString: string;
  /** Epoch milliseconds; StartQuery takes whole seconds. */
  readonly startMs: number;
  readonly endMs: number;
}

export type InsightsRow = Readonly<Record<string, string>>;

export interface InsightsOutcome {
  readonly query: InsightsQuery;
  readonly queryId?: string;
  /** The last status GetQueryResults gave (or "NotStarted" when StartQuery failed). */
  readonly status: string;
  readonly rows: InsightsRow[];
  /** Why there are no rows: a final status other than Complete, our bound, or an API error. */
  readonly error?: string;
  readonly statistics?: { readonly recordsMatched?: number; readonly recordsScanned?: number; readonly bytesScanned?: number };
  /** True when the rows reached MAX_QUERY_ROWS: groups beyond the limit are missing. */
  readonly truncated: boolean;
  readonly polls: number;
}

/** One Insights result row as field → value (Insights adds @ptr; it is dropped). */
function rowOf(fields: readonly ResultField[]): InsightsRow {
  const row: Record<string, string> = {};
  for (const f of fields) if (f.field && f.field !== "@ptr") row[f.field] = f.value ?? "";
  return row;
}

/**
 * Insights prints timestamps as "2026-11-23 12:00:00.000" in UTC (the console's and the API's
 * format for @timestamp and for min/max over it); epoch milliseconds are accepted too.
 */
export function insightsTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z?$/.exec(value.trim());
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Runs the queries side by side and waits for each to end, at most `timeoutSeconds`. A query that
 * fails is an outcome with an error, never an exception, so the other's rows still count. Ctrl-C:
 * every query still running is stopped, then AbortedError.
 */
export async function runInsightsQueries(ctx: OpsContext, queries: readonly InsightsQuery[], timeoutSeconds: number): Promise<InsightsOutcome[]> {
  const settled = await Promise.allSettled(queries.map((q) => start(ctx, q)));
  const refused = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (refused) {
    // Ctrl-C while starting: stop the ones that did start.
    await Promise.all(settled.map((r) => (r.status === "fulfilled" && r.value.queryId ? stop(ctx, r.value.queryId) : undefined)));
    throw refused.reason;
  }
  const started = settled.map((r) => (r as PromiseFulfilledResult<{ queryId?: string; outcome?: InsightsOutcome }>).value);
  const deadline = ctx.clock.now() + timeoutSeconds * 1000;
  const outcomes: (InsightsOutcome | undefined)[] = started.map((s) => (s.queryId ? undefined : s.outcome));
  const polls = queries.map(() => 0);
  const lastStatus: string[] = started.map(() => "Scheduled");
  try {
    for (;;) {
      const pending = started.map((s, i) => ({ s, i })).filter(({ i }) => outcomes[i] === undefined);
      if (pending.length === 0) break;
      await Promise.all(pending.map(async ({ s, i }) => {
        polls[i]++;
        try {
          const r = await ctx.api.call("GetQueryResults", () => ctx.aws.logs.send(new GetQueryResultsCommand({ queryId: s.queryId })));
          const status = r.status ?? "Unknown";
          lastStatus[i] = status;
          if (status === "Complete") {
            const rows = (r.results ?? []).map(rowOf);
            // A Complete answer comes in pages: the rest follow its nextToken.
            for (let next = r.nextToken; next; ) {
              const token: string = next;
              const page = await ctx.api.call("GetQueryResults", () => ctx.aws.logs.send(new GetQueryResultsCommand({ queryId: s.queryId, nextToken: token })));
              rows.push(...(page.results ?? []).map(rowOf));
              next = page.nextToken;
            }
            outcomes[i] = { query: queries[i], queryId: s.queryId, status, rows, truncated: rows.length >= MAX_QUERY_ROWS, polls: polls[i], ...(r.statistics ? { statistics: r.statistics } : {}) };
          } else if (FINAL_FAILURES.has(status)) {
            outcomes[i] = { query: queries[i], queryId: s.queryId, status, rows: [], error: `Logs Insights ended the query with status ${status}`, truncated: false, polls: polls[i] };
          }
        } catch (err) {
          if (err instanceof AbortedError) throw err;
          outcomes[i] = { query: queries[i], queryId: s.queryId, status: lastStatus[i], rows: [], error: `GetQueryResults: ${errorName(err)}: ${errorMessage(err)}`, truncated: false, polls: polls[i] };
        }
      }));
      if (outcomes.every((o) => o !== undefined)) break;
      if (ctx.signal.aborted) throw new AbortedError("Logs Insights queries interrupted");
      if (ctx.clock.now() >= deadline) {
        started.forEach((s, i) => {
          if (outcomes[i] === undefined) {
            outcomes[i] = { query: queries[i], queryId: s.queryId, status: lastStatus[i], rows: [], error: `still ${lastStatus[i]} after ${timeoutSeconds} s (--query-timeout): stopped`, truncated: false, polls: polls[i] };
          }
        });
        break;
      }
      await ctx.clock.sleep(QUERY_POLL_SECONDS * 1000, ctx.signal);
      if (ctx.signal.aborted) throw new AbortedError("Logs Insights queries interrupted");
    }
  } finally {
    // Whatever did not end by itself (our bound, Ctrl-C, an error) is stopped.
    await Promise.all(started.map(async (s, i) => {
      const o = outcomes[i];
      const ended = o !== undefined && (o.status === "Complete" || FINAL_FAILURES.has(o.status));
      if (s.queryId && !ended) await stop(ctx, s.queryId);
    }));
  }
  return outcomes as InsightsOutcome[];
}

async function stop(ctx: OpsContext, queryId: string): Promise<void> {
  try {
    await ctx.api.call("StopQuery", () => ctx.aws.logs.send(new StopQueryCommand({ queryId })));
  } catch {
    // A query that ended meanwhile cannot be stopped; nothing is left running either way.
  }
}

async function start(ctx: OpsContext, q: InsightsQuery): Promise<{ queryId?: string; outcome?: InsightsOutcome }> {
  try {
    const r = await ctx.api.call("StartQuery", () => ctx.aws.logs.send(new StartQueryCommand({
      logGroupName: q.logGroupName,
      startTime: Math.floor(q.startMs / 1000),
      endTime: Math.ceil(q.endMs / 1000),
      queryString: q.queryString,
      limit: MAX_QUERY_ROWS,
    })), { signal: ctx.signal });
    if (!r.queryId) return { outcome: { query: q, status: "NotStarted", rows: [], error: "StartQuery returned no queryId", truncated: false, polls: 0 } };
    return { queryId: r.queryId };
  } catch (err) {
    if (err instanceof AbortedError) throw err;
    return { outcome: { query: q, status: "NotStarted", rows: [], error: `StartQuery on ${q.logGroupName}: ${errorName(err)}: ${errorMessage(err)}`, truncated: false, polls: 0 } };
  }
}
