import { expect } from "chai";
import { type CostAssumptions, costAssumptions } from "../config/cost";
import { estimateCost } from "../offline/cost/estimate";
import type { CostLine } from "../offline/cost/lines";
import { ec2HourlyPrice, PRICES } from "../offline/cost/prices";
import { isoMinutes } from "../offline/cost/rules";
import { fakeGraph, fakeResource } from "./helpers/fakeGraph";
import { configErrorOf, stackConfig } from "./helpers/stacks";

// Every expected figure below is worked out by hand from the price table's Tokyo prices:
// c6i.2xlarge $0.428/h, m6i.large $0.124/h, gp3 $0.096/GiB-month, NAT $0.062/h and /GiB,
// public IPv4 $0.005/h, ALB $0.0243/h + $0.008/LCU-h, interface endpoint $0.014/AZ-h,
// db.t4g.medium $0.101/h, RDS gp3 $0.138/GiB-month, logs $0.76/GiB + $0.033/GiB-month,
// alarm metric $0.10, FIS $0.10/action-minute, secret $0.40, KMS key $1.
const ASSUME: CostAssumptions = {
  hoursPerMonth: 730,
  workspaceUtilization: 0.7,
  spotDiscount: 0.6,
  logIngestGiB: 10,
  natProcessedGiB: 50,
  albLcus: 2,
  dnsQueriesMillions: 4,
  fisRunsPerMonth: 3,
  workspaceVolumes: 10,
  workspaceVolumeGiB: 30,
};

const cents = (n: number) => Math.round(n * 100) / 100;

function only(lines: readonly CostLine[], match: (l: CostLine) => boolean): CostLine {
  const found = lines.filter(match);
  expect(found, lines.map((l) => `${l.category}: ${l.item}`).join("\n")).to.have.length(1);
  return found[0];
}

function workspacePool(opts: { min: number; max: number; warmMin?: number }) {
  const lt = fakeResource("aws:ec2/launchTemplate:LaunchTemplate", "ws-lt", {
    instanceType: "c6i.2xlarge",
    blockDeviceMappings: [{ ebs: { volumeSize: 50, volumeType: "gp3", encrypted: "true" } }],
  }, { physicalId: "lt-ws" });
  const asg = fakeResource("aws:autoscaling/group:Group", "ws-asg", {
    name: "ws-hosts",
    minSize: opts.min,
    maxSize: opts.max,
    launchTemplate: { id: "lt-ws", version: "1" },
    warmPool: opts.warmMin !== undefined ? { minSize: opts.warmMin, poolState: "Stopped" } : undefined,
    tags: [{ key: "remote-claude.pool", value: "workspace", propagateAtLaunch: true }],
  });
  return [lt, asg];
}

describe("cost estimate arithmetic (hand-computed cases)", () => {
  it("prices instance types by vCPU within a family", () => {
    expect(ec2HourlyPrice("c6i.2xlarge")?.usd).to.equal(0.428);
    expect(ec2HourlyPrice("c6i.large")?.usd).to.equal(0.107);
    expect(ec2HourlyPrice("m6i.large")?.usd).to.equal(0.124);
    expect(ec2HourlyPrice("c5.9xlarge")?.usd).to.equal(1.926);
    expect(ec2HourlyPrice("t3.micro")).to.equal(undefined);
  });

  it("prices a pool's On-Demand hours and the root volumes of running and warm-pool instances", () => {
    // min 2, max 5, warm pool min 1 without MaxGroupPreparedCapacity: AWS keeps max − running
    // instances warm, so 5 − 2 = 3 at the minimum and max(1, 5 − 5) = 1 at the maximum.
    const e = estimateCost(fakeGraph(workspacePool({ min: 2, max: 5, warmMin: 1 })), ASSUME);
    const ec2 = only(e.lines, (l) => l.item.startsWith("c6i.2xlarge On-Demand"));
    expect(ec2.quantity).to.deep.equal({ min: 1460, max: 3650 });
    expect(cents(ec2.monthly.min)).to.equal(624.88); // 2 x 730 x 0.428
    expect(cents(ec2.monthly.max)).to.equal(1562.2); // 5 x 730 x 0.428
    const warm = only(e.lines, (l) => l.category === "EC2" && l.item.includes("warm pool"));
    expect(warm.quantity).to.deep.equal({ min: 3, max: 1 });
    expect(warm.monthly).to.deep.equal({ min: 0, max: 0 });
    const ebs = only(e.lines, (l) => l.item.startsWith("gp3 root volumes"));
    expect(ebs.quantity).to.deep.equal({ min: 250, max: 300 }); // (2 + 3) x 50, (5 + 1) x 50
    expect(cents(ebs.monthly.min)).to.equal(24); // 250 x 0.096
    expect(cents(ebs.monthly.max)).to.equal(28.8);
    expect(cents(e.total.min)).to.equal(648.88);
    expect(cents(e.total.max)).to.equal(1591);
  });

  it("splits a Spot pool into its On-Demand base and discounted Spot capacity above it", () => {
    const lt = fakeResource("aws:ec2/launchTemplate:LaunchTemplate", "be-lt", { blockDeviceMappings: [{ ebs: { volumeSize: 30 } }] }, { physicalId: "lt-be" });
    const asg = fakeResource("aws:autoscaling/group:Group", "be-asg", {
      minSize: 1,
      maxSize: 3,
      mixedInstancesPolicy: {
        launchTemplate: { launchTemplateSpecification: { launchTemplateId: "lt-be" }, overrides: [{ instanceType: "m6i.large" }, { instanceType: "m5.large" }] },
        instancesDistribution: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 0 },
      },
      tags: [{ key: "remote-claude.pool", value: "backend" }],
    });
    const e = estimateCost(fakeGraph([lt, asg]), ASSUME);
    const od = only(e.lines, (l) => l.item.startsWith("m6i.large On-Demand"));
    expect(od.monthly).to.deep.equal({ min: 730 * 0.124, max: 730 * 0.124 });
    const spot = only(e.lines, (l) => l.item.startsWith("m6i.large Spot"));
    expect(spot.quantity).to.deep.equal({ min: 0, max: 1460 });
    expect(cents(spot.monthly.max)).to.equal(72.42); // 2 x 730 x 0.124 x (1 − 0.6)
    expect(od.note).to.include("also allowed: m5.large");
  });

  it("prices NAT gateways by the hour and the data they process, or leaves the data out", () => {
    const nats = [fakeResource("aws:ec2/natGateway:NatGateway", "nat-0", {}), fakeResource("aws:ec2/natGateway:NatGateway", "nat-1", {})];
    const e = estimateCost(fakeGraph(nats), ASSUME);
    expect(cents(only(e.lines, (l) => l.item.includes("hours")).monthly.min)).to.equal(90.52); // 2 x 730 x 0.062
    expect(cents(only(e.lines, (l) => l.item === "data processed").monthly.min)).to.equal(3.1); // 50 x 0.062
    const without = estimateCost(fakeGraph(nats), { ...ASSUME, natProcessedGiB: 0 });
    expect(without.lines.filter((l) => l.item === "data processed")).to.have.length(0);
    expect(without.leftOut.join("\n")).to.include("NAT gateway data processing");
  });

  it("prices an internet-facing ALB's hours, capacity units and one public address per AZ; an internal NLB without addresses", () => {
    const alb = fakeResource("aws:lb/loadBalancer:LoadBalancer", "alb", { name: "web", loadBalancerType: "application", internal: false, subnets: ["a", "b", "c"] });
    const nlb = fakeResource("aws:lb/loadBalancer:LoadBalancer", "nlb", { name: "proxy", loadBalancerType: "network", internal: true, subnets: ["a", "b"] });
    const e = estimateCost(fakeGraph([alb, nlb]), ASSUME);
    expect(cents(only(e.lines, (l) => l.item === "ALB web, hours").monthly.min)).to.equal(17.74); // 730 x 0.0243 = 17.739
    expect(cents(only(e.lines, (l) => l.item === "ALB web, capacity units").monthly.min)).to.equal(11.68); // 2 x 730 x 0.008
    expect(cents(only(e.lines, (l) => l.item.startsWith("3 addresses of ALB web")).monthly.min)).to.equal(10.95); // 3 x 730 x 0.005
    expect(cents(only(e.lines, (l) => l.item === "NLB proxy, hours").monthly.min)).to.equal(17.74);
    expect(e.lines.filter((l) => l.item.includes("NLB proxy") && l.category === "Public IPv4")).to.have.length(0);
    expect(e.leftOut.join("\n")).to.include("NLB capacity units of proxy");
  });

  it("prices interface endpoints per AZ and gateway endpoints at nothing", () => {
    const iface = (n: number) => fakeResource("aws:ec2/vpcEndpoint:VpcEndpoint", `e${n}`, { vpcEndpointType: "Interface", subnetIds: ["a", "b"] });
    const e = estimateCost(fakeGraph([iface(1), iface(2), iface(3), fakeResource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", { vpcEndpointType: "Gateway" })]), ASSUME);
    const line = only(e.lines, (l) => l.item === "3 interface endpoints x 2 AZs");
    expect(line.quantity.min).to.equal(4380); // 3 x 2 x 730
    expect(cents(line.monthly.min)).to.equal(61.32);
    expect(only(e.lines, (l) => l.item.includes("gateway endpoint")).monthly.min).to.equal(0);
  });

  it("prices a Multi-AZ database twice (instance and storage) and its managed master secret", () => {
    const db = fakeResource("aws:rds/instance:Instance", "db", {
      identifier: "db", engine: "postgres", instanceClass: "db.t4g.medium", multiAz: true, allocatedStorage: 50, manageMasterUserPassword: true,
    });
    const e = estimateCost(fakeGraph([db]), ASSUME);
    expect(cents(only(e.lines, (l) => l.item.includes("db.t4g.medium")).monthly.min)).to.equal(147.46); // 730 x 0.101 x 2
    expect(cents(only(e.lines, (l) => l.item.includes("gp3 storage")).monthly.min)).to.equal(13.8); // 50 x 0.138 x 2
    expect(cents(only(e.lines, (l) => l.item.includes("master secret")).monthly.min)).to.equal(0.4);
  });

  it("says which prices are missing instead of inventing them", () => {
    const db = fakeResource("aws:rds/instance:Instance", "db", { identifier: "db", engine: "postgres", instanceClass: "db.x2g.16xlarge", allocatedStorage: 20 });
    const e = estimateCost(fakeGraph([db]), ASSUME);
    const line = only(e.lines, (l) => l.item.includes("db.x2g.16xlarge"));
    expect(line.monthly.min).to.equal(0);
    expect(e.missingPrices).to.deep.equal(["RDS: db postgres db.x2g.16xlarge (no price for rds.db.x2g.16xlarge)"]);
  });

  it("splits log ingestion over the log groups and stores each share for the group's retention", () => {
    const groups = [
      fakeResource("aws:cloudwatch/logGroup:LogGroup", "a", { retentionInDays: 30 }),
      fakeResource("aws:cloudwatch/logGroup:LogGroup", "b", { retentionInDays: 365 }),
    ];
    const e = estimateCost(fakeGraph(groups), ASSUME);
    expect(cents(only(e.lines, (l) => l.item.startsWith("ingestion")).monthly.min)).to.equal(7.6); // 10 x 0.76
    const storage = only(e.lines, (l) => l.item.startsWith("storage"));
    // 5 GiB each: 5 x 30 / (365/12) + 5 x 365 / (365/12) = 5 x 395 x 12 / 365 = 64.93 GiB-months
    expect(storage.quantity.min).to.be.closeTo(64.9315, 0.0001);
    expect(cents(storage.monthly.min)).to.equal(2.14); // x 0.033
  });

  it("counts alarm metrics (not expressions), FIS action-minutes per run, DNS names and queries", () => {
    const alarms = [
      fakeResource("aws:cloudwatch/metricAlarm:MetricAlarm", "math", { metricQueries: [{ id: "a", metric: {} }, { id: "b", metric: {} }, { id: "e1", expression: "a+b" }] }),
      fakeResource("aws:cloudwatch/metricAlarm:MetricAlarm", "plain", { metricName: "CPUUtilization" }),
    ];
    const fis = [
      fakeResource("aws:fis/experimentTemplate:ExperimentTemplate", "drain", { actions: [{ parameters: [{ key: "duration", value: "PT10M" }] }] }),
      fakeResource("aws:fis/experimentTemplate:ExperimentTemplate", "stop", { actions: [{ parameters: [] }] }),
    ];
    const dns = [
      fakeResource("aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList", "allow", { domains: ["a.com", "b.com", "c.com"] }),
      fakeResource("aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList", "all", { domains: ["*"] }),
      fakeResource("aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation", "vpc", {}),
    ];
    const e = estimateCost(fakeGraph([...alarms, ...fis, ...dns]), ASSUME);
    expect(cents(only(e.lines, (l) => l.category === "CloudWatch").monthly.min)).to.equal(0.3); // 3 metrics x 0.10
    const drills = only(e.lines, (l) => l.category === "FIS");
    expect(drills.quantity.min).to.equal(33); // (10 + 1) x 3 runs
    expect(cents(drills.monthly.min)).to.equal(3.3);
    expect(only(e.lines, (l) => l.item.startsWith("4 domain names")).monthly.min).to.be.closeTo(0.002, 1e-9); // 4 x 0.0005
    expect(cents(only(e.lines, (l) => l.item.startsWith("queries")).monthly.min)).to.equal(2.4); // 4 x 0.60
    expect(isoMinutes("PT90S")).to.equal(2);
    expect(isoMinutes("PT1H")).to.equal(60);
    expect(isoMinutes("10 minutes")).to.equal(undefined);
  });

  it("prices per-workspace volumes only when the workspace task takes a volume at launch", () => {
    const plain = fakeResource("aws:ecs/taskDefinition:TaskDefinition", "ws", { volumes: [{ name: "workspace", dockerVolumeConfiguration: {} }] });
    expect(estimateCost(fakeGraph([plain]), ASSUME).lines).to.have.length(0);
    const atLaunch = fakeResource("aws:ecs/taskDefinition:TaskDefinition", "ws", { volumes: [{ name: "workspace", configureAtLaunch: true }] });
    const line = only(estimateCost(fakeGraph([atLaunch]), ASSUME).lines, (l) => l.category === "EBS");
    expect(line.quantity.min).to.equal(300); // 10 volumes x 30 GiB
    expect(cents(line.monthly.min)).to.equal(28.8); // x 0.096
  });

  it("refuses other regions with the reason instead of scaling Tokyo's prices", () => {
    const e = estimateCost(fakeGraph([fakeResource("aws:kms/key:Key", "k", {})], { region: "us-east-1" }), ASSUME);
    expect(e.refused).to.match(/holds ap-northeast-1 prices only and this stack is in us-east-1/);
    expect(e.lines).to.have.length(0);
  });

  it("sums the lines into the total and by category, and says Network Firewall is not used", () => {
    const e = estimateCost(fakeGraph([
      fakeResource("aws:kms/key:Key", "k", {}),
      fakeResource("aws:secretsmanager/secret:Secret", "s1", {}),
      fakeResource("aws:secretsmanager/secret:Secret", "s2", {}),
    ]), ASSUME);
    expect(cents(e.total.min)).to.equal(1.8); // 1 + 2 x 0.40
    expect(e.byCategory.map((c) => c.category)).to.deep.equal(["Secrets Manager", "KMS"]);
    expect(e.notUsed.join("\n")).to.include("Network Firewall: not used");
    const fw = fakeResource("aws:networkfirewall/firewall:Firewall", "fw", { subnetMappings: [{}, {}] });
    const withFirewall = estimateCost(fakeGraph([fw]), ASSUME);
    expect(cents(withFirewall.total.min)).to.equal(cents(2 * 730 * PRICES.networkFirewallEndpointHour.usd));
    expect(withFirewall.notUsed).to.deep.equal([]);
  });

  it("lists a resource type that has no rule and no entry as not priced", () => {
    // (Lambda functions have an entry since the retained-volumes monitor; SQS has none.)
    const e = estimateCost(fakeGraph([fakeResource("aws:sqs/queue:Queue", "q", {})]), ASSUME);
    expect(e.unpricedTypes).to.deep.equal(["aws:sqs/queue:Queue"]);
    expect(e.leftOut.join("\n")).to.include("aws:sqs/queue:Queue: no cost rule yet");
  });
});

describe("cost assumptions config", () => {
  it("reads the stack's keys (prod states its own) and defaults the rest", () => {
    expect(costAssumptions(stackConfig("staging"))).to.deep.include({ hoursPerMonth: 730, logIngestGiB: 20, workspaceUtilization: 0.7, spotDiscount: 0.6 });
    expect(costAssumptions(stackConfig("prod"))).to.deep.include({ logIngestGiB: 100, natProcessedGiB: 200, albLcus: 2, dnsQueriesMillions: 50 });
    expect(costAssumptions()).to.deep.equal(costAssumptions(stackConfig("staging")));
  });

  it("takes the workspace volume size from the storage config's workspaceVolumeGiB where the stack has one", () => {
    expect(costAssumptions(stackConfig("staging")).workspaceVolumeGiB).to.equal(20);
    expect(costAssumptions({ ...stackConfig("staging"), workspaceVolumeGiB: 64 } as ReturnType<typeof stackConfig>).workspaceVolumeGiB).to.equal(64);
  });

  it("reports bad values with the key, the value and what is allowed", () => {
    const err = configErrorOf("staging", { costHoursPerMonth: 800, costWorkspaceUtilizationPercent: 0, costLogIngestGiBPerMonth: "lots" });
    expect(err.message).to.include("remote-claude:costHoursPerMonth = 800: expected an integer from 672 to 744 (hours)");
    expect(err.message).to.include("remote-claude:costWorkspaceUtilizationPercent = 0: expected an integer from 1 to 100 (percent)");
    expect(err.message).to.include('remote-claude:costLogIngestGiBPerMonth = "lots": expected an integer from 0 to 1000000 (GiB)');
  });
});
