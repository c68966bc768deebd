import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { mockIdentity, runCli } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

describe("ops load http", () => {
  let server: http.Server;
  let url: string;
  let requests = 0;
  before(async () => {
    // A local backend: every 10th request fails with 503, each answer takes ~5 ms.
    server = http.createServer((_req, res) => {
      const n = ++requests;
      setTimeout(() => {
        res.statusCode = n % 10 === 0 ? 503 : 200;
        res.end("ok");
      }, 5);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends bounded load, reports latency percentiles and errors, and applies thresholds", async () => {
    const sts = mockIdentity();
    const cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
    const run = await runCli(["load", "http", "--url", url, "--duration", "1", "--connections", "2", "--rate", "200", "--json", "--max-error-rate", "5", "--max-p99-latency", "2000"]);
    sts.restore();
    cw.restore();
    expect(run.code, run.stderr + JSON.stringify(run.report?.summary) + JSON.stringify(run.report?.checks)).to.equal(1); // ~10 % of answers are 503
    const latency = run.report.data.latency;
    expect(latency.count).to.be.within(20, 400);
    expect(latency.p50).to.be.at.least(5);
    expect(latency.p99).to.be.at.least(latency.p50);
    expect(run.report.data.statuses["503"]).to.be.greaterThan(0);
    const checks = Object.fromEntries(run.report.checks.map((c: any) => [c.name, c.result]));
    expect(checks).to.deep.equal({ "p99 latency": "pass", "error rate": "fail" });
    const names = cw.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData!.map((d) => d.MetricName));
    expect(names).to.include.members(["HttpLatency", "HttpRequests", "HttpErrors", "DrillPassed"]);
  });

  it("targets the ALB from the outputs and needs --confirm-prod on prod; --dry-run sends nothing", async () => {
    const before = requests;
    const dry = await runCli(["load", "http", "--dry-run", "--json"]);
    expect(dry.code).to.equal(0);
    expect(dry.report.data.target.url).to.equal(`https://${stackOutputs().albDnsName}/health`);
    expect(requests).to.equal(before);
    const prod = await runCli(["load", "http", "--url", url, "--no-metrics"], { outputs: stackOutputs("prod") });
    expect(prod.code).to.equal(2);
    expect(prod.stderr).to.include("load http sends 10 connections of load for 30 s; rerun with --confirm-prod");
    expect(requests).to.equal(before);
  });
});
