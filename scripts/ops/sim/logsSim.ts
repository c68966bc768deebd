// A simulated CloudWatch Logs Insights for the egress report's tests: log groups of events,
// StartQuery / GetQueryResults / StopQuery with the query lifecycle AWS documents (Scheduled →
// Running → Complete, or Failed / Cancelled / Timeout; results only once Complete), and an
// interpreter for the part of the Insights query language the ops tool writes:
//   parse @message /regex with (?<named>groups)/
//   filter a = "x" and (b = "y" or b = "z") and c like /regex/
//   stats count(*) as n, min(@timestamp) as first, max(@timestamp) as last by f1, f2
//   sort n desc | limit N
// JSON events have their fields discovered, nested ones flattened with dots (srcids.instance), as
// Insights does for JSON logs. Anything else in a query is refused (MalformedQueryException), so a
// query the tool cannot have meant fails its test instead of matching nothing.
// No outside judge exists for the query semantics here (moto 5.2.1 implements only fields, sort
// and limit: moto/logs/logs_query): this interpreter is the project's reading of AWS's
// "CloudWatch Logs Insights query syntax" page. Not used against AWS.
import type { Clock } from "../clock";

export interface SimLogEvent {
  readonly timestamp: number;
  readonly message: string;
}

type Fields = Record<string, string>;

export interface LogsSimOptions {
  readonly clock: Clock;
  /** Statuses GetQueryResults gives before the final one, per query (default Scheduled, Running). */
  readonly progression?: (queryIndex: number) => readonly string[];
  /** The final status of a query (default Complete). "Running" here keeps it running for ever. */
  readonly finalStatus?: (queryIndex: number) => string;
  /** Rows per GetQueryResults page (AWS: at most 10,000; the rest follow nextToken). */
  readonly pageSize?: number;
}

interface SimQuery {
  readonly id: string;
  readonly index: number;
  readonly logGroupName: string;
  readonly queryString: string;
  readonly startTime: number;
  readonly endTime: number;
  readonly limit: number;
  readonly steps: string[];
  status: string;
  results?: Fields[];
}

const err = (name: string, message: string) => Object.assign(new Error(message), { name });

/** Insights' timestamp format: "2026-11-23 12:00:00.000" (UTC). */
function insightsTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

function flatten(value: unknown, prefix: string, out: Fields): void {
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = String(value);
  }
}

/** An event's fields: @timestamp, @message, and what Insights discovers in a JSON message. */
function discover(e: SimLogEvent): Fields {
  const fields: Fields = { "@timestamp": String(e.timestamp), "@message": e.message };
  if (e.message.trimStart().startsWith("{")) {
    try {
      flatten(JSON.parse(e.message), "", fields);
    } catch {
      // Not JSON after all: only @message.
    }
  }
  return fields;
}

type Predicate = (f: Fields) => boolean;

/** Recursive descent over a filter expression: terms joined by and/or, parentheses, = "x", like /re/. */
function parseFilter(text: string): Predicate {
  let pos = 0;
  const skip = () => {
    while (/\s/.test(text[pos] ?? "")) pos++;
  };
  const word = (w: string) => {
    skip();
    if (text.slice(pos, pos + w.length).toLowerCase() === w && !/[\w]/.test(text[pos + w.length] ?? "")) {
      pos += w.length;
      return true;
    }
    return false;
  };
  const term = (): Predicate => {
    skip();
    if (text[pos] === "(") {
      pos++;
      const inner = or();
      skip();
      if (text[pos++] !== ")") throw err("MalformedQueryException", `filter: ")" expected at ${pos} in ${text}`);
      return inner;
    }
    const field = /^[@A-Za-z_][\w.@]*/.exec(text.slice(pos))?.[0];
    if (!field) throw err("MalformedQueryException", `filter: a field expected at ${pos} in ${text}`);
    pos += field.length;
    skip();
    if (text[pos] === "=") {
      pos++;
      skip();
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(text.slice(pos));
      if (!m) throw err("MalformedQueryException", `filter: a quoted value expected after ${field} =`);
      pos += m[0].length;
      const value = m[1].replace(/\\(.)/g, "$1");
      return (f) => f[field] === value;
    }
    if (word("like")) {
      skip();
      const m = /^\/((?:[^/\\]|\\.)*)\//.exec(text.slice(pos));
      if (!m) throw err("MalformedQueryException", `filter: /regex/ expected after ${field} like`);
      pos += m[0].length;
      const re = new RegExp(m[1]);
      return (f) => f[field] !== undefined && re.test(f[field]);
    }
    throw err("MalformedQueryException", `filter: unsupported operator after ${field} in ${text}`);
  };
  const and = (): Predicate => {
    const parts = [term()];
    while (word("and")) parts.push(term());
    return (f) => parts.every((p) => p(f));
  };
  const or = (): Predicate => {
    const parts = [and()];
    while (word("or")) parts.push(and());
    return (f) => parts.some((p) => p(f));
  };
  const predicate = or();
  skip();
  if (pos !== text.length) throw err("MalformedQueryException", `filter: unexpected ${JSON.stringify(text.slice(pos))}`);
  return predicate;
}

interface Aggregate {
  readonly fn: "count" | "min" | "max";
  readonly field: string;
  readonly as: string;
}

function parseStats(text: string): { aggregates: Aggregate[]; by: string[] } {
  const m = /^(.*?)\s+by\s+(.*)$/i.exec(text);
  const [list, by] = m ? [m[1], m[2].split(",").map((s) => s.trim())] : [text, []];
  const aggregates = list.split(",").map((a) => {
    const am = /^\s*(count|min|max)\(([^)]*)\)\s+as\s+(\w+)\s*$/i.exec(a);
    if (!am) throw err("MalformedQueryException", `stats: unsupported aggregate ${JSON.stringify(a.trim())}`);
    return { fn: am[1].toLowerCase() as Aggregate["fn"], field: am[2].trim(), as: am[3] };
  });
  return { aggregates, by };
}

/** Runs one query over events; returns rows as Insights gives them (field → string). */
export function runQuery(queryString: string, events: readonly SimLogEvent[], limit: number): Fields[] {
  let rows: Fields[] = events.map(discover);
  let statsApplied = false;
  for (const raw of splitPipes(queryString)) {
    const stage = raw.trim();
    const [command] = stage.split(/\s+/, 1);
    const rest = stage.slice(command.length).trim();
    switch (command.toLowerCase()) {
      case "fields":
        break;
      case "parse": {
        const m = /^@message\s+\/((?:[^/\\]|\\.)*)\/$/.exec(rest);
        if (!m) throw err("MalformedQueryException", `parse: only "@message /regex/" is simulated, got ${rest}`);
        const re = new RegExp(m[1]);
        rows = rows.map((f) => {
          const g = re.exec(f["@message"] ?? "")?.groups;
          return g ? { ...f, ...g } : f;
        });
        break;
      }
      case "filter": {
        const p = parseFilter(rest);
        rows = rows.filter(p);
        break;
      }
      case "stats": {
        const { aggregates, by } = parseStats(rest);
        const groups = new Map<string, Fields[]>();
        for (const f of rows) {
          // An event without a grouping field is in no group.
          if (by.some((b) => f[b] === undefined)) continue;
          const key = JSON.stringify(by.map((b) => f[b]));
          groups.set(key, [...(groups.get(key) ?? []), f]);
        }
        rows = [...groups.values()].map((members) => {
          const out: Fields = Object.fromEntries(by.map((b) => [b, members[0][b]]));
          for (const a of aggregates) {
            if (a.fn === "count") out[a.as] = String(members.length);
            else {
              const values = members.map((f) => Number(f[a.field])).filter((v) => Number.isFinite(v));
              const v = a.fn === "min" ? Math.min(...values) : Math.max(...values);
              out[a.as] = a.field === "@timestamp" ? insightsTimestamp(v) : String(v);
            }
          }
          return out;
        });
        statsApplied = true;
        break;
      }
      case "sort": {
        const m = /^([@\w.]+)\s*(asc|desc)?$/i.exec(rest);
        if (!m) throw err("MalformedQueryException", `sort: unsupported ${rest}`);
        const dir = (m[2] ?? "desc").toLowerCase() === "asc" ? 1 : -1;
        const key = (f: Fields) => (Number.isFinite(Number(f[m[1]])) ? Number(f[m[1]]) : f[m[1]] ?? "");
        rows = [...rows].sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : 0));
        break;
      }
      case "limit":
        rows = rows.slice(0, Number(rest));
        break;
      default:
        throw err("MalformedQueryException", `unsupported command ${JSON.stringify(command)}`);
    }
  }
  if (!statsApplied) rows = rows.map((f) => ({ ...f, "@timestamp": insightsTimestamp(Number(f["@timestamp"])) }));
  return rows.slice(0, limit);
}

/** Splits on "|" outside /regex/ and "strings". */
function splitPipes(query: string): string[] {
  const out: string[] = [];
  let current = "";
  let inRegex = false;
  let inString = false;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (c === "\\" && (inRegex || inString)) {
      current += c + (query[++i] ?? "");
      continue;
    }
    if (c === "/" && !inString) inRegex = !inRegex;
    if (c === '"' && !inRegex) inString = !inString;
    if (c === "|" && !inRegex && !inString) {
      out.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  out.push(current);
  return out.filter((s) => s.trim() !== "");
}

export class LogsSim {
  readonly groups = new Map<string, SimLogEvent[]>();
  readonly queries = new Map<string, SimQuery>();
  readonly calls: Record<string, number> = {};
  private started = 0;

  constructor(private readonly o: LogsSimOptions) {}

  put(logGroupName: string, events: readonly SimLogEvent[]): void {
    this.groups.set(logGroupName, [...(this.groups.get(logGroupName) ?? []), ...events]);
  }

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  startQuery(input: { logGroupName?: string; startTime?: number; endTime?: number; queryString?: string; limit?: number }): { queryId: string } {
    this.count("StartQuery");
    const name = input.logGroupName ?? "";
    if (!this.groups.has(name)) throw err("ResourceNotFoundException", `Log group '${name}' does not exist`);
    if (input.startTime === undefined || input.endTime === undefined || input.startTime > input.endTime) throw err("InvalidParameterException", "startTime must not be after endTime");
    if (input.limit !== undefined && (input.limit < 1 || input.limit > 100_000)) throw err("InvalidParameterException", "limit must be 1 to 100000");
    if ((input.queryString ?? "").length > 10_000) throw err("InvalidParameterException", "queryString is longer than 10000 characters");
    // Parse now: a malformed query is refused by StartQuery, as Insights does.
    runQuery(input.queryString ?? "", [], 1);
    const index = this.started++;
    const id = `q-${index.toString(16).padStart(8, "0")}`;
    const steps = [...(this.o.progression?.(index) ?? ["Scheduled", "Running"]), this.o.finalStatus?.(index) ?? "Complete"];
    this.queries.set(id, {
      id, index, logGroupName: name, queryString: input.queryString ?? "", startTime: input.startTime, endTime: input.endTime,
      limit: input.limit ?? 10_000, steps, status: steps[0],
    });
    return { queryId: id };
  }

  getQueryResults(input: { queryId?: string; nextToken?: string }): { status: string; results: { field: string; value: string }[][]; nextToken?: string; statistics?: { recordsMatched: number; recordsScanned: number; bytesScanned: number } } {
    this.count("GetQueryResults");
    const q = this.queries.get(input.queryId ?? "");
    if (!q) throw err("ResourceNotFoundException", `query ${input.queryId} not found`);
    if (q.status !== "Cancelled" && !input.nextToken) {
      q.status = q.steps.length > 1 ? (q.steps.shift() as string) : q.steps[0];
    }
    if (q.status !== "Complete") return { status: q.status, results: [] };
    const events = (this.groups.get(q.logGroupName) ?? []).filter((e) => e.timestamp >= q.startTime * 1000 && e.timestamp <= q.endTime * 1000 + 999);
    q.results ??= runQuery(q.queryString, events, q.limit);
    const size = Math.min(this.o.pageSize ?? 10_000, 10_000);
    const from = input.nextToken ? Number(input.nextToken) : 0;
    const page = q.results.slice(from, from + size);
    return {
      status: q.status,
      results: page.map((r, i) => [...Object.entries(r).map(([field, value]) => ({ field, value })), { field: "@ptr", value: `ptr-${q.id}-${from + i}` }]),
      ...(from + size < q.results.length ? { nextToken: String(from + size) } : {}),
      statistics: { recordsMatched: q.results.length, recordsScanned: events.length, bytesScanned: events.reduce((a, e) => a + e.message.length, 0) },
    };
  }

  stopQuery(input: { queryId?: string }): { success: boolean } {
    this.count("StopQuery");
    const q = this.queries.get(input.queryId ?? "");
    if (!q) throw err("ResourceNotFoundException", `query ${input.queryId} not found`);
    if (q.status === "Complete" || q.status === "Failed" || q.status === "Cancelled") throw err("InvalidParameterException", `query ${q.id} is ${q.status}`);
    q.status = "Cancelled";
    return { success: true };
  }

  /** Queries neither finished nor stopped: after a run there must be none. */
  running(): string[] {
    return [...this.queries.values()].filter((q) => q.status === "Scheduled" || q.status === "Running").map((q) => q.id);
  }
}
