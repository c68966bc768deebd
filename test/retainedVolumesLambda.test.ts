// The retained-volumes monitor's handler (lambda/retainedVolumes.ts) as a pure function against
// aws-sdk-client-mock, and the very file the function ships (monitorCode) loaded and run.
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CreateTagsCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { monitorCode } from "../components/retainedVolumesMonitor";
import { ENV, measureRetainedVolumes, type RetainedVolumesSettings, settingsFromEnvironment } from "../lambda/retainedVolumes";
import { VOLUME_TAGS } from "../lib/launchContract";
import { RETAINED_VOLUMES } from "../lib/metrics";

// The SDK's Node 20 deprecation notice is not what these tests are about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const SETTINGS: RetainedVolumesSettings = {
  stackTagKey: VOLUME_TAGS.stack,
  stack: "staging",
  retainedSinceTagKey: VOLUME_TAGS.retainedSince,
  namespace: "RemoteClaude",
  countMetric: RETAINED_VOLUMES.countMetric,
  sizeMetric: RETAINED_VOLUMES.sizeMetric,
  dimension: RETAINED_VOLUMES.dimension,
};
const NOW = new Date("2026-11-23T12:00:00.000Z");

const volume = (n: number, size: number, retainedSince?: string) => ({
  VolumeId: `vol-0${String(n).padStart(16, "0")}`,
  Size: size,
  State: "available" as const,
  Tags: [{ Key: VOLUME_TAGS.stack, Value: "staging" }, ...(retainedSince ? [{ Key: VOLUME_TAGS.retainedSince, Value: retainedSince }] : [])],
});

describe("retained-volumes monitor (handler)", () => {
  let ec2: ReturnType<typeof mockClient>;
  let cw: ReturnType<typeof mockClient>;
  beforeEach(() => {
    ec2 = mockClient(EC2Client);
    cw = mockClient(CloudWatchClient);
    cw.on(PutMetricDataCommand).resolves({});
    ec2.on(CreateTagsCommand).resolves({});
  });
  afterEach(() => {
    ec2.restore();
    cw.restore();
  });
  const clients = () => ({ ec2: new EC2Client({ region: "ap-northeast-1" }), cloudWatch: new CloudWatchClient({ region: "ap-northeast-1" }) });

  it("counts this stack's detached volumes over every page, sums their GiB and publishes both with the Stack dimension", async () => {
    ec2.on(DescribeVolumesCommand).callsFake((input) => (input.NextToken
      ? { Volumes: [volume(3, 100, "2026-11-01T00:00:00.000Z")] }
      : { Volumes: [volume(1, 20, "2026-11-20T00:00:00.000Z"), volume(2, 30, "2026-11-21T00:00:00.000Z")], NextToken: "page-2" }));
    const result = await measureRetainedVolumes(clients(), SETTINGS, NOW);
    expect(result).to.deep.equal({ count: 3, totalGiB: 150, stamped: 0, oldestRetainedSince: "2026-11-01T00:00:00.000Z" });
    const describe = ec2.commandCalls(DescribeVolumesCommand).map((c) => c.args[0].input);
    expect(describe).to.have.length(2);
    expect(describe[0].Filters).to.deep.equal([{ Name: `tag:${VOLUME_TAGS.stack}`, Values: ["staging"] }, { Name: "status", Values: ["available"] }]);
    expect(describe[1].NextToken).to.equal("page-2");
    const put = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
    expect(put).to.deep.equal([{
      Namespace: "RemoteClaude",
      MetricData: [
        { MetricName: "RetainedWorkspaceVolumes", Unit: "Count", Value: 3, Dimensions: [{ Name: "Stack", Value: "staging" }], Timestamp: NOW },
        { MetricName: "RetainedWorkspaceVolumeGiB", Unit: "Gigabytes", Value: 150, Dimensions: [{ Name: "Stack", Value: "staging" }], Timestamp: NOW },
      ],
    }]);
    expect(ec2.commandCalls(CreateTagsCommand)).to.have.length(0);
  });

  it("stamps newly detached volumes with the time it first saw them, in batches of 100", async () => {
    const fresh = Array.from({ length: 150 }, (_, i) => volume(100 + i, 10));
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [volume(1, 20, "2026-11-22T00:00:00.000Z"), ...fresh] });
    const result = await measureRetainedVolumes(clients(), SETTINGS, NOW);
    expect(result).to.include({ count: 151, totalGiB: 1520, stamped: 150, oldestRetainedSince: "2026-11-22T00:00:00.000Z" });
    const tags = ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input);
    expect(tags.map((t) => t.Resources!.length)).to.deep.equal([100, 50]);
    expect(tags[0].Tags).to.deep.equal([{ Key: VOLUME_TAGS.retainedSince, Value: NOW.toISOString() }]);
    expect(tags.flatMap((t) => t.Resources)).to.deep.equal(fresh.map((v) => v.VolumeId));
  });

  it("publishes zeros when nothing is retained (missing data would read as a broken monitor)", async () => {
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [] });
    expect(await measureRetainedVolumes(clients(), SETTINGS, NOW)).to.deep.equal({ count: 0, totalGiB: 0, stamped: 0 });
    expect(cw.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData!.map((d) => d.Value)).to.deep.equal([0, 0]);
  });

  it("fails loudly without its environment, and reads it when complete", () => {
    expect(() => settingsFromEnvironment({})).to.throw(`missing environment ${Object.values(ENV).join(", ")}`);
    const env = { STACK_TAG_KEY: SETTINGS.stackTagKey, STACK: "staging", RETAINED_SINCE_TAG_KEY: SETTINGS.retainedSinceTagKey, METRICS_NAMESPACE: "RemoteClaude", COUNT_METRIC: SETTINGS.countMetric, SIZE_METRIC: SETTINGS.sizeMetric, METRIC_DIMENSION: "Stack" };
    expect(settingsFromEnvironment(env)).to.deep.equal(SETTINGS);
  });

  it("ships as one CommonJS file whose handler runs with the function's environment", async () => {
    const code = monitorCode();
    expect(code).to.match(/exports\.handler = handler|exports\.handler=/);
    expect(code).to.not.match(/require\("\.\.?\//); // self-contained: only the runtime's SDK clients
    // Load the shipped file itself from inside the project (so the SDK resolves) and call its handler.
    const tmp = path.join(__dirname, "..", ".tmp");
    fs.mkdirSync(tmp, { recursive: true });
    const dir = fs.mkdtempSync(path.join(tmp, "lambda-"));
    const saved = { ...process.env };
    try {
      fs.writeFileSync(path.join(dir, "index.js"), code);
      Object.assign(process.env, { AWS_REGION: "ap-northeast-1", AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "test",
        STACK_TAG_KEY: SETTINGS.stackTagKey, STACK: "prod", RETAINED_SINCE_TAG_KEY: SETTINGS.retainedSinceTagKey, METRICS_NAMESPACE: "RemoteClaude",
        COUNT_METRIC: SETTINGS.countMetric, SIZE_METRIC: SETTINGS.sizeMetric, METRIC_DIMENSION: "Stack" });
      ec2.on(DescribeVolumesCommand).resolves({ Volumes: [volume(7, 40, "2026-11-22T00:00:00.000Z")] });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const shipped = require(path.join(dir, "index.js"));
      expect(await shipped.handler()).to.include({ count: 1, totalGiB: 40 });
      expect(ec2.commandCalls(DescribeVolumesCommand)[0].args[0].input.Filters![0]).to.deep.equal({ Name: `tag:${VOLUME_TAGS.stack}`, Values: ["prod"] });
      expect(cw.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData![0].Dimensions).to.deep.equal([{ Name: "Stack", Value: "prod" }]);
    } finally {
      process.env = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
