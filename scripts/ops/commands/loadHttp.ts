// `ops load http`: HTTP load on the backend through the ALB (autocannon, loaded when it runs).
import { type OpsCommand, positive, seconds } from "./options";

export const loadHttpCommand: OpsCommand = {
  command: "http",
  describe: "HTTP load on the backend through the ALB (autocannon)",
  builder: (h) => h
    .option("url", { type: "string", describe: "target URL (default: https://<albDnsName><path>)" })
    .option("path", { type: "string", default: "/health", describe: "path on the ALB" })
    .option("method", { type: "string", default: "GET" })
    .option("header", { type: "string", array: true, default: [], describe: "extra header 'Name: value' (repeatable)" })
    .option("duration", seconds("seconds of load", 30))
    .option("connections", { type: "number", default: 10, describe: "concurrent connections" })
    .option("rate", { type: "number", default: 0, describe: "overall requests per second (0 = unlimited)" })
    .option("timeout", seconds("per-request timeout, seconds", 10))
    .option("max-p50-latency", { type: "number", describe: "fail if p50 latency exceeds this, ms" })
    .option("max-p99-latency", { type: "number", describe: "fail if p99 latency exceeds this, ms" })
    .option("max-error-rate", { type: "number", describe: "fail if more than this percent of requests failed (>= 400 or errors)" })
    .option("min-rps", { type: "number", describe: "fail if fewer requests per second were served" }),
  handler: (a, { select }) => {
    positive("duration", a.duration, { min: 1, max: 3600 });
    positive("connections", a.connections, { integer: true, min: 1, max: 10_000 });
    positive("rate", a.rate, { min: 0 });
    positive("timeout", a.timeout, { min: 1 });
    select("load http", async (ctx) => (await import("../load/http")).loadHttp(ctx, a as never));
  },
};
