import { DescribeVolumesCommand, EC2Client, waitUntilVolumeAvailable } from "@aws-sdk/client-ec2";
import { DescribeTasksCommand, ECSClient, waitUntilTasksStopped } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import { ApiCaller } from "../../scripts/ops/api";
import { percentile, summarize } from "../../scripts/ops/percentiles";
import { TokenBucket } from "../../scripts/ops/rateLimiter";
import { signalScope } from "../../scripts/ops/signals";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { metricDatums } from "../../scripts/ops/metrics";
import { AwsClients } from "../../scripts/ops/aws";
import { ApiStats } from "../../scripts/ops/api";
import { reasonDimension } from "../../scripts/ops/load/workspaces";
import { waiterTiming } from "../../scripts/ops/waiters";

const throttle = () => Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });

describe("ops: percentiles", () => {
  it("uses nearest rank: every percentile is a sample that was observed", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    const s = summarize(samples)!;
    expect(s).to.include({ count: 100, min: 1, p50: 50, p90: 90, p95: 95, p99: 99, max: 100 });
    expect(s.mean).to.equal(50.5);
  });

  it("handles small and odd sample counts", () => {
    expect(percentile([7], 99)).to.equal(7);
    const s = summarize([5, 1, 3])!;
    expect(s).to.include({ p50: 3, p90: 5, p99: 5, max: 5, min: 1 });
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).to.equal(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).to.equal(9);
  });

  it("reports no samples as undefined, not NaN", () => {
    expect(summarize([])).to.equal(undefined);
  });
});

describe("ops: token bucket", () => {
  it("allows the burst at once, then paces at the rate", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(100, 40, clock);
    for (let i = 0; i < 100; i++) await bucket.take();
    expect(clock.now()).to.equal(0);
    for (let i = 0; i < 40; i++) await bucket.take();
    // 40 more tokens at 40 per second take one second.
    expect(clock.now()).to.be.within(975, 1025);
  });

  it("gives up without a token when aborted", async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket(1, 1, clock);
    await bucket.take();
    const controller = new AbortController();
    const pending = bucket.take(1, controller.signal);
    controller.abort();
    expect(await pending).to.equal(false);
  });
});

describe("ops: API caller", () => {
  it("retries a throttled call with backoff and counts the throttles", async () => {
    const clock = new VirtualClock(0);
    const api = new ApiCaller(clock);
    let attempts = 0;
    const result = await api.call("RunTask", async () => {
      if (++attempts <= 2) throw throttle();
      return "ok";
    });
    expect(result).to.equal("ok");
    expect(api.stats.calls.RunTask).to.equal(3);
    expect(api.stats.throttled.RunTask).to.equal(2);
    expect(clock.now()).to.equal(1000 + 2000);
  });

  it("does not retry other errors, and gives up on throttling after its limit", async () => {
    const api = new ApiCaller(new VirtualClock(0), undefined, { maxThrottleRetries: 2 });
    let calls = 0;
    const denied = await api.call("StopTask", async () => {
      calls++;
      throw Object.assign(new Error("no"), { name: "AccessDeniedException" });
    }).catch((e) => e);
    expect(denied.name).to.equal("AccessDeniedException");
    expect(calls).to.equal(1);
    const throttled = await api.call("RunTask", async () => {
      throw throttle();
    }).catch((e) => e);
    expect(throttled.name).to.equal("ThrottlingException");
    expect(api.stats.calls.RunTask).to.equal(3);
  });

  it("treats HTTP 429 and SDK-marked throttles as throttling", async () => {
    const api = new ApiCaller(new VirtualClock(0));
    let n = 0;
    await api.call("X", async () => {
      n++;
      if (n === 1) throw Object.assign(new Error("slow"), { name: "Whatever", $metadata: { httpStatusCode: 429 } });
      if (n === 2) throw Object.assign(new Error("slow"), { name: "Other", $retryable: { throttling: true } });
      return 1;
    });
    expect(api.stats.throttled.X).to.equal(2);
  });
});

describe("ops: signals", () => {
  it("aborts on the first signal, warns on the second, exits on the third", () => {
    const source = new EventEmitter();
    const lines: string[] = [];
    const exits: number[] = [];
    const scope = signalScope(source, { warn: (l) => lines.push(l), forceExit: (c) => exits.push(c) });
    scope.setCleanupHint("ops cleanup --run-id r1");
    source.emit("SIGTERM");
    expect(scope.signal.aborted).to.equal(true);
    expect(scope.received()).to.equal("SIGTERM");
    source.emit("SIGINT");
    expect(exits).to.deep.equal([]);
    source.emit("SIGINT");
    expect(exits).to.deep.equal([130]);
    expect(lines[2]).to.include("ops cleanup --run-id r1");
    scope.dispose();
    expect(source.listenerCount("SIGINT")).to.equal(0);
  });
});

describe("ops: metrics", () => {
  it("publishes raw samples as Values/Counts with Stack and Drill dimensions, at most 150 values per datum", () => {
    const values = Array.from({ length: 400 }, (_, i) => i % 200);
    const datums = metricDatums([{ name: "WorkspaceTimeToRunning", unit: "Milliseconds", values }, { name: "Empty", unit: "Count", values: [] }],
      { Stack: "staging", Drill: "load-workspaces" }, new Date(0));
    expect(datums).to.have.length(2);
    expect(datums[0].Values).to.have.length(150);
    expect(datums[0].Counts?.every((c) => c === 2)).to.equal(true);
    expect(datums[0].Dimensions).to.deep.equal([{ Name: "Stack", Value: "staging" }, { Name: "Drill", Value: "load-workspaces" }]);
  });
});

describe("ops: AWS clients", () => {
  it("every client retries in adaptive mode and counts each attempt inside the SDK's retry loop", async () => {
    const clients = new AwsClients({ region: "ap-northeast-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } }, new ApiStats());
    for (const name of ["ecs", "ec2", "autoScaling", "cloudWatch", "logs", "ecr", "elbv2", "elastiCache", "fis", "rds", "resolver", "sts"] as const) {
      const client = clients[name] as any;
      const mode = client.config.retryMode;
      expect(typeof mode === "function" ? await mode() : mode, name).to.equal("adaptive");
      const stack: string[] = client.middlewareStack.identify();
      const counter = stack.findIndex((n) => n.startsWith("opsAttemptCounter"));
      expect(counter, name).to.equal(stack.findIndex((n) => n.startsWith("retryMiddleware")) + 1);
    }
  });
});

describe("ops: failure reasons as a metric dimension", () => {
  it("keeps RESOURCE:MEMORY and RESOURCE:ENI apart and shortens the rest to their first word", () => {
    expect(reasonDimension("RESOURCE:MEMORY")).to.equal("RESOURCE:MEMORY");
    expect(reasonDimension("RESOURCE:ENI")).to.equal("RESOURCE:ENI");
    expect(reasonDimension("TaskFailedToStart: CannotPullContainerError: x")).to.equal("TaskFailedToStart");
    expect(reasonDimension("TIMEOUT: not ready after 300 s (last PENDING)")).to.equal("TIMEOUT");
  });
});

describe("ops: SDK waiter timing", () => {
  // The judge is the SDK itself: its waiters refuse a maxWaitTime not above their minDelay (ECS
  // tasks stopped 6 s, EC2 volume available and snapshot completed 15 s by default).
  for (const seconds of [1, 5, 6, 15, 16, 600]) {
    it(`a wait of ${seconds} s is one the SDK's ECS and EC2 waiters accept`, async () => {
      const ecs = mockClient(ECSClient);
      const ec2 = mockClient(EC2Client);
      ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: "t", lastStatus: "STOPPED" }] });
      ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: "vol-1", State: "available" }] });
      try {
        const client = { ecs: new ECSClient({ region: "ap-northeast-1" }), ec2: new EC2Client({ region: "ap-northeast-1" }) };
        const ecsWait = await waitUntilTasksStopped({ client: client.ecs, ...waiterTiming(seconds) }, { cluster: "c", tasks: ["t"] });
        const ec2Wait = await waitUntilVolumeAvailable({ client: client.ec2, ...waiterTiming(seconds) }, { VolumeIds: ["vol-1"] });
        expect([ecsWait.state, ec2Wait.state]).to.deep.equal(["SUCCESS", "SUCCESS"]);
      } finally {
        ecs.restore();
        ec2.restore();
      }
    });
  }
});
