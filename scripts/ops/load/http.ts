// `ops load http`: HTTP load on the backend through the ALB with autocannon, bounded by duration,
// connections and an optional overall request rate. Latencies are collected per response and
// summarized with the same nearest-rank percentiles as the workspace drill.
import autocannon from "autocannon";
import type { OpsContext } from "../context";
import { UsageError } from "../errors";
import { summarize } from "../percentiles";
import { ReportBuilder } from "../report";
import { checkMax, checkMin } from "../thresholds";

export interface LoadHttpArgs {
  readonly url?: string;
  readonly path: string;
  readonly method: string;
  readonly header: readonly string[];
  readonly duration: number;
  readonly connections: number;
  /** Overall requests per second; 0 = as fast as the connections go. */
  readonly rate: number;
  readonly timeout: number;
  readonly maxP50Latency?: number;
  readonly maxP99Latency?: number;
  readonly maxErrorRate?: number;
  readonly minRps?: number;
}

export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    if (i <= 0) throw new UsageError(`--header "${line}" is not "Name: value"`);
    headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return headers;
}

export async function loadHttp(ctx: OpsContext, args: LoadHttpArgs): Promise<ReportBuilder> {
  const url = args.url ?? `https://${ctx.require(["albDnsName"]).albDnsName}${args.path}`;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url ${url} is not an http(s) URL`);
  const headers = parseHeaders(args.header);
  ctx.guard(`load http sends ${args.connections} connections of load for ${args.duration} s`);
  if (ctx.args.metrics && !ctx.args.dryRun) await ctx.verifyCredentials();

  const report = new ReportBuilder("load http", "Load drill: HTTP through the ALB");
  report.data.target = { url, method: args.method, duration: args.duration, connections: args.connections, rate: args.rate };
  const plan = `${args.method} ${url} for ${args.duration} s over ${args.connections} connections${args.rate > 0 ? ` at ${args.rate} req/s` : ""}`;
  if (ctx.args.dryRun) {
    report.outcome = "dry-run";
    report.summary.push(`Would send ${plan}.`);
    return report;
  }

  ctx.progress.log(`load: ${plan}`);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
    url,
    method: args.method as autocannon.Request["method"],
    headers,
    duration: args.duration,
    connections: args.connections,
    timeout: args.timeout,
    ...(args.rate > 0 ? { overallRate: args.rate } : {}),
    }, (err, result) => (err ? reject(err) : resolve(result)));
  });
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statuses[String(statusCode)] = (statuses[String(statusCode)] ?? 0) + 1;
  });
  instance.on("reqError", (err: Error & { code?: string }) => {
    errors++;
    const kind = err.code ?? err.name ?? "Error";
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  });
  const startedAt = ctx.clock.now();
  const ticker = setInterval(() => ctx.progress.update(`load: ${latencies.length} responses, ${errors} errors, ${((ctx.clock.now() - startedAt) / 1000).toFixed(0)}/${args.duration} s`), 250);
  const stop = () => instance.stop();
  ctx.signal.addEventListener("abort", stop, { once: true });
  let result: autocannon.Result;
  try {
    result = await finished;
  } finally {
    clearInterval(ticker);
    ctx.signal.removeEventListener("abort", stop);
    ctx.progress.clear();
  }

  const failedStatus = Object.entries(statuses).filter(([code]) => Number(code) >= 400).reduce((n, [, c]) => n + c, 0);
  const sent = latencies.length + errors;
  const errorRate = sent > 0 ? ((failedStatus + errors) / sent) * 100 : 0;
  const rps = latencies.length / Math.max(0.001, result.duration);
  const s = summarize(latencies);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  report.summary.push(
    `${latencies.length} responses in ${result.duration.toFixed(1)} s (${rps.toFixed(1)} req/s); ${failedStatus} with status >= 400, ${errors} request errors (${result.timeouts} timeouts): error rate ${errorRate.toFixed(2)} %.`,
    s ? `Latency p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}, max ${ms(s.max)}.` : "No responses.",
  );
  report.table("Latency (ms)", ["count", "min", "p50", "p90", "p95", "p99", "max", "mean"], s ? [[s.count, ...[s.min, s.p50, s.p90, s.p95, s.p99, s.max, s.mean].map((v) => v.toFixed(1))]] : []);
  report.table("Responses", ["status / error", "count"], [...Object.entries(statuses).sort(), ...Object.entries(errorKinds).map(([k, n]) => [`error ${k}`, n])]);
  checkMax(report, "p50 latency", args.maxP50Latency, s?.p50, ms);
  checkMax(report, "p99 latency", args.maxP99Latency, s?.p99, ms);
  checkMax(report, "error rate", args.maxErrorRate, errorRate, (v) => `${v.toFixed(2)} %`);
  checkMin(report, "requests per second", args.minRps, rps, (v) => `${v.toFixed(1)} req/s`);
  report.data.latency = s;
  report.data.statuses = statuses;
  report.data.errors = errorKinds;
  report.data.requestsPerSecond = rps;
  report.metrics.push(
    { name: "HttpLatency", unit: "Milliseconds", values: latencies },
    { name: "HttpRequests", unit: "Count", values: [sent] },
    { name: "HttpErrors", unit: "Count", values: [failedStatus + errors] },
  );
  return report;
}
