// The scale envelope: the instance catalog against AWS's published ENI trunking data, the
// instance-type advisor, the stack's ceilings under each AWS limit, the config checks that refuse
// a pool the stack cannot hold, and the simulated launch's API calls per task.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { ECS_AL2023_AMI_PARAMETER } from "../components/hostImage";
import type { ConfigError } from "../config";
import { burstLaunch, DEFAULT_QUOTAS, ECS_API_LIMITS, prefixFor, usableAddresses } from "../lib/awsLimits";
import { FAMILY_PRICES, HOST_ARCHITECTURE, INSTANCE_TYPES, instanceHourlyUsd } from "../lib/instanceCatalog";
import { adviseInstanceType, WORKSPACE_HOUR_GOAL } from "../offline/cost/advisor";
import { workspaceCapacity } from "../offline/cost/capacity";
import { fixedInterfaces, workspacesWithinInterfaces } from "../offline/cost/ceilings";
import { advisorLines, ceilingsOf } from "../offline/cost/section";
import { renderPlanHtml } from "../offline/html/page";
import { planText, PLAN_SECTIONS } from "../offline/plan";
import { ECS_API_LIMITS as TOOL_LIMITS } from "../scripts/ops/rateLimiter";
import { SCENARIOS, simulatedRun } from "../scripts/ops/sim/simulatedRun";
import { PROJECT_DIR } from "../offline/plan";
import { buildStack, configErrorOf, stackConfig } from "./helpers/stacks";

// As the CLI: the pinned SDK's Node 20 notice is no part of the run (the simulated run's ECS client).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const FIXTURES = path.join(__dirname, "fixtures", "eni-trunking");

/** A fixture's rows: tab-separated, '#' lines are its header. */
function rows(file: string): string[][] {
  return fs.readFileSync(path.join(FIXTURES, file), "utf8").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split("\t"));
}

/** The one problem line about `key`. */
function problemFor(err: ConfigError, key: string) {
  const found = err.problems.filter((p) => p.key === `remote-claude:${key}`);
  expect(found, `problems for ${key} in:\n${err.message}`).to.have.length(1);
  return found[0];
}

/** The workspace task of both stacks: agent 384 / 2048 plus the credential proxy's 128 / 128. */
const TASK = { cpu: 512, memoryMiB: 2176 };

describe("instance catalog", () => {
  // Outside judge: AWS's own ECS table (archived 2023-04-18) for every type the catalog marks confirmed.
  const ecs = new Map(rows("ecs-table-2023-04-18.tsv").map(([type, without, withTrunking]) => [type, { without: Number(without), with: Number(withTrunking) }]));
  // Outside judge for the estimates: EC2's trunking data, as AWS's VPC resource controller generates it.
  const ec2 = new Map(rows("vpc-resource-controller-2026-03-20.tsv").map(([type, compatible, branches]) => [type, { compatible: compatible === "true", branches: Number(branches) }]));

  it("gives AWS's ECS task figures for every type it calls confirmed, and no type AWS's table leaves out", () => {
    const confirmed = Object.values(INSTANCE_TYPES).filter((t) => t.trunkingStatus === "confirmed");
    expect(confirmed.length).to.be.greaterThan(80);
    for (const t of confirmed) {
      expect(ecs.get(t.name), `${t.name} in AWS's 2023 table`).to.deep.equal({ without: t.tasksWithoutTrunking, with: t.tasksWithTrunking });
    }
    // "the r5.8xlarge instance type is not supported": AWS's table has no row, the catalog no type.
    expect(ecs.has("r5.8xlarge")).to.equal(false);
    expect(INSTANCE_TYPES["r5.8xlarge"]).to.equal(undefined);
    // The archived figures, not the seed's 12/22/42.
    expect([INSTANCE_TYPES["c6i.xlarge"], INSTANCE_TYPES["c6i.2xlarge"], INSTANCE_TYPES["c6i.4xlarge"]].map((t) => t.tasksWithTrunking)).to.deep.equal([20, 40, 60]);
  });

  it("estimates the seventh-generation x86 figures from the sixth generation with the same EC2 branch count", () => {
    // ECS task figure of each EC2 branch-interface count, learned from the confirmed rows.
    const ecsByBranches = new Map<number, number>();
    for (const t of Object.values(INSTANCE_TYPES).filter((x) => x.trunkingStatus === "confirmed")) {
      const branches = ec2.get(t.name)?.branches;
      if (branches === undefined) continue;
      const seen = ecsByBranches.get(branches);
      expect(seen === undefined || seen === t.tasksWithTrunking, `${t.name}: branch count ${branches} maps to one ECS figure`).to.equal(true);
      ecsByBranches.set(branches, t.tasksWithTrunking);
    }
    const estimated = Object.values(INSTANCE_TYPES).filter((t) => t.trunkingStatus === "estimate");
    expect(estimated.map((t) => t.family)).to.include.members(["c7i", "m7i", "r7i", "c7a", "m7a", "r7a"]);
    for (const t of estimated) {
      const data = ec2.get(t.name);
      expect(data?.compatible, `${t.name} trunking-compatible in EC2's data`).to.equal(true);
      expect(t.tasksWithTrunking, t.name).to.equal(ecsByBranches.get(data!.branches));
    }
  });

  it("prices every family per vCPU-hour, a type at its vCPUs times that, each price marked and sourced", () => {
    expect(instanceHourlyUsd("c6a.2xlarge")).to.equal(0.3852); // 8 x c6a.large $0.0963 / 2
    expect(instanceHourlyUsd("c6i.2xlarge")).to.equal(0.428);
    expect(instanceHourlyUsd("c5.9xlarge")).to.equal(1.926); // 36 vCPU x $0.0535
    for (const t of Object.values(INSTANCE_TYPES)) expect(instanceHourlyUsd(t.name), t.name).to.be.greaterThan(0);
    for (const [family, p] of Object.entries(FAMILY_PRICES)) {
      expect(p.status, family).to.be.oneOf(["confirmed", "estimate"]);
      expect(p.source.length, family).to.be.greaterThan(20);
    }
    // A derived price shows its arithmetic: us-east-1 x the Tokyo/us-east-1 ratio of c6i.large (0.107 / 0.085).
    expect(FAMILY_PRICES.c7i.basis).to.include("0.08925").and.include("0.107/0.085");
    expect(FAMILY_PRICES.c7i.usdPerVcpuHour).to.be.closeTo((0.08925 * (0.107 / 0.085)) / 2, 1e-4);
  });

  it("declares the hosts x86_64, as the AMI parameter and the image builds are", () => {
    expect(HOST_ARCHITECTURE).to.equal("x86_64");
    expect(ECS_AL2023_AMI_PARAMETER).to.not.include("arm64"); // AWS's arm64 AMI: .../amazon-linux-2023/arm64/recommended
    const workflow = fs.readFileSync(path.join(PROJECT_DIR, ".github/workflows/deploy.yml"), "utf8");
    expect([...workflow.matchAll(/--platform (\S+)/g)].map((m) => m[1])).to.deep.equal(["linux/amd64"]);
  });
});

describe("instance-type advisor", () => {
  const advice = adviseInstanceType(TASK, 512);
  const eligible = advice.rows.filter((r) => !r.excluded);

  it("ranks every x86_64 type by price per workspace-hour, the smaller instance first at equal cost", () => {
    expect(eligible.length + advice.rows.filter((r) => r.excluded).length).to.equal(Object.keys(INSTANCE_TYPES).length);
    for (let i = 1; i < eligible.length; i++) {
      const [a, b] = [eligible[i - 1], eligible[i]];
      expect(a.perWorkspaceHour.atFull <= b.perWorkspaceHour.atFull + 0.00005, `${a.instanceType} before ${b.instanceType}`).to.equal(true);
    }
    expect(eligible.every((r) => r.architecture === "x86_64")).to.equal(true);
    expect(advice.rows.filter((r) => r.excluded).every((r) => r.architecture === "arm64" && /x86_64 AMI/.test(r.excluded!))).to.equal(true);
  });

  it("recommends m6a.4xlarge for the workspace task: 29 per instance, bound by memory, $0.8928 / 29 an hour", () => {
    // m6a.4xlarge: 65536 x 7985/8192 = 63880 − 512 = 63368 MiB / 2176 = 29.1 → 29; 16384 / 512 = 32; ENI 60.
    // m6a.8xlarge and m6a.12xlarge hold 2 and 3 times as many for 2 and 3 times the price (equal: the
    // smaller first). m6a.xlarge and m6a.2xlarge lose a slot to the rounding (15458 / 2176 = 7.1 → 7,
    // 30916 / 2176 = 14.2 → 14): $0.2232 / 7 = $0.0319 against $0.0308. r6a has the memory but is bound by CPU.
    expect(advice.recommended).to.include({ instanceType: "m6a.4xlarge", hourly: 0.8928 });
    expect(advice.recommended?.density).to.include({ byMemory: 29, byCpu: 32, byEni: 60, workspaces: 29, boundBy: "memory" });
    expect(advice.recommended?.perWorkspaceHour.atFull).to.be.closeTo(0.8928 / 29, 1e-12);
    expect(eligible.slice(0, 5).map((r) => r.instanceType)).to.deep.equal(["m6a.4xlarge", "m6a.8xlarge", "m6a.12xlarge", "m6a.xlarge", "m6a.2xlarge"]);
    expect(eligible.find((r) => r.instanceType === "r6a.2xlarge")?.density).to.include({ byMemory: 29, byCpu: 16, boundBy: "CPU" });
  });

  it("meets the $0.05 goal at 512 CPU units per task: $0.8928 / (29 x 0.8)", () => {
    expect(advice.goal).to.deep.include({ usd: WORKSPACE_HOUR_GOAL.usd, utilization: 0.8, met: true, reachableAt: undefined });
    expect(advice.goal.best).to.be.closeTo(0.8928 / (29 * 0.8), 1e-12);
    expect(advice.cpuCapped).to.equal(false);
    expect(advisorLines(advice, "m6a.4xlarge").join("\n")).to.include("512 CPU units reserved / 2176 MiB").and.include("met ($0.0385)");
  });

  it("says the goal is out of reach at 1152 CPU units per task, at how many it is not, and what to change", () => {
    // At 80 %: the cheapest is c6a.2xlarge, $0.3852 / (7 x 0.8) = $0.0688. The goal needs $0.05 x 0.8 /
    // 1.125 vCPU = $0.0356 per vCPU-hour; the cheapest x86_64 rate is c6a's $0.04815. m6a.12xlarge
    // ($2.6784) must hold 2.6784 / 0.04 = 66.96 → 67 workspaces (memory allows 87, ENI 120): 49152 / 67 = 733 units each.
    for (const capped of [false, true]) {
      const big = adviseInstanceType({ cpu: 1152, memoryMiB: 2176 }, 512, capped);
      expect(big.recommended).to.include({ instanceType: "c6a.2xlarge" });
      expect(big.goal).to.deep.include({ met: false });
      expect(big.goal.best).to.be.closeTo(0.3852 / 5.6, 1e-12);
      expect(big.goal.reachableAt).to.deep.include({ taskCpu: 733, instanceType: "m6a.12xlarge", workspaces: 67 });
      const lines = advisorLines(big, "c6a.2xlarge").join("\n");
      expect(lines).to.include("NOT met at 1152 CPU units per task").and.include("≤ $0.0356").and.include("≤ 733 CPU units per task on m6a.12xlarge");
      expect(lines).to.include(capped ? "set workspaceCpuHardLimit false" : "a reservation and weight (CPU shares), not a cap");
    }
  });

  it("meets the goal with a task that reserves 640 CPU units, on a general-purpose type bound by CPU", () => {
    const small = adviseInstanceType({ cpu: 640, memoryMiB: 2176 }, 512);
    // m6a.8xlarge: 32768 / 640 = 51 by CPU (memory 58, ENI 90); $1.7856 / (51 x 0.8) = $0.0438.
    expect(small.recommended).to.include({ instanceType: "m6a.8xlarge" });
    expect(small.recommended?.density).to.include({ byCpu: 51, byMemory: 58, workspaces: 51, boundBy: "CPU" });
    expect(small.goal).to.include({ met: true });
  });

  it("prod runs the advisor's first choice and its stack file says so", async () => {
    const c = workspaceCapacity(await buildStack("prod"), 0.7);
    expect(c?.byType.map((t) => t.instanceType)).to.deep.equal([advice.recommended?.instanceType]);
    expect(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")).to.match(/instance-type advisor's first choice/);
  });

  it("staging runs another type, says why in its stack file, and still meets the goal", async () => {
    const c = workspaceCapacity(await buildStack("staging"), 0.7);
    const type = c?.byType[0]?.instanceType;
    expect(type).to.not.equal(advice.recommended?.instanceType);
    const file = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.staging.yaml"), "utf8");
    expect(file).to.match(/not the instance-type advisor's first choice \(m6a\.4xlarge/).and.match(/Why: /);
    const row = eligible.find((r) => r.instanceType === type);
    expect(row?.perWorkspaceHour.atGoal).to.be.at.most(WORKSPACE_HOUR_GOAL.usd);
    expect(row?.density.boundBy).to.equal("memory");
    // Its family is the first choice's, and it is one of the advisor's five cheapest.
    expect(eligible.slice(0, 5).map((r) => r.instanceType)).to.include(type);
  });
});

describe("stack ceilings", () => {
  it("holds prod to 290 workspaces by its pool maximum, and names what each other limit allows", async () => {
    const g = await buildStack("prod");
    const c = ceilingsOf(g, workspaceCapacity(g, 0.7), stackConfig("prod"));
    expect(c).to.not.equal(undefined);
    const by = Object.fromEntries(c!.rows.map((r) => [r.limit, r.workspaces]));
    // Independent counts from the prod stack file and AWS's rules:
    //   pool: 10 instances x 29. Workspace subnets: 3 x /20, 4096 − 5 = 4091 each.
    //   Private /19s (8187 addresses) per AZ: 13 endpoints, 1 NLB node, ceil(2/3) proxy tasks,
    //   ceil(12/3) backend tasks, ceil(4/3) x 2 backend host interfaces, ceil(2/3) warm host, 1 AMI build
    //   instance = 25, leaving (8187 − 25) / 2 = 4081 hosts x 3 AZs x 29.
    //   Cluster: (5000 − 4 backend hosts) x 29.
    //   Interfaces: 5000 − (39 endpoint + 3 NAT + 6 load balancer + 2 RDS + 2 Redis + 8 backend host
    //   + 12 backend task + 2 proxy task + 2 warm + 1 build) = 4923; n + 2 ceil(n/29) ≤ 4923 → 4605
    //   (4605 + 2 x 159 = 4923).
    expect(by).to.deep.equal({
      "pool maximum": 290,
      "workspace subnets": 12273,
      "private subnets": 3 * 4081 * 29,
      "container instances": 4996 * 29,
      "network interfaces": 4605,
    });
    expect(c!.fixedInterfaces.total).to.equal(77);
    expect(c!.binding).to.include({ limit: "pool maximum", workspaces: 290, key: "workspaceMaxSize" });
    expect(c!.burst).to.include({ workspaces: 290, runTaskCalls: 29, seconds: 0, hosts: 10 });
  });

  it("names another limit first as the pool grows, and follows the quota keys", async () => {
    // 400 instances: ceil(400 / 3) = 134 per AZ x 29 = 3886 tasks, within a /20's 4091.
    const big = { workspaceMaxSize: 400 };
    const g = await buildStack("prod", big);
    const c = ceilingsOf(g, workspaceCapacity(g, 0.7), stackConfig("prod", big));
    expect(c!.binding).to.include({ limit: "network interfaces", workspaces: 4605 });
    const raised = { ...big, quotaNetworkInterfacesPerRegion: 20000 };
    const r = ceilingsOf(g, workspaceCapacity(g, 0.7), stackConfig("prod", raised));
    expect(r!.binding).to.include({ limit: "pool maximum", workspaces: 11600 });
    expect(r!.burst).to.include({ runTaskCalls: 1160, seconds: 26.5 }); // (1160 − 100) / 40
  });

  it("sizes prod for 10,000 workspaces: instances, subnets, interfaces to ask AWS for, launch time", async () => {
    const g = await buildStack("prod");
    const t = ceilingsOf(g, workspaceCapacity(g, 0.7), stackConfig("prod"))!.target;
    // 10000 / 29 → 345 instances; ceil(345 / 3) = 115 per AZ x 29 = 3335 tasks: a /20 (4091) holds them, a /21 (2043) not.
    expect(t).to.deep.include({ workspaces: 10000, instances: 345, cells: 1, tasksPerAz: 3335, workspacePrefixNeeded: 20, workspacePrefix: 20 });
    expect(t.networkInterfaces).to.equal(77 + 10000 + 2 * 345);
    expect(t.raise).to.deep.equal([{ quota: DEFAULT_QUOTAS.networkInterfacesPerRegion.name, key: "quotaNetworkInterfacesPerRegion", need: 10767, have: 5000 }]);
    expect(t.onDemandVcpus).to.equal(345 * 16 + 4 * 2); // m6a.4xlarge hosts and the m6i.large backend hosts
    expect(t.burst).to.include({ runTaskCalls: 1000, seconds: 22.5 }); // (1000 − 100) / 40
  });

  it("launches bursts within the RunTask limits the ops tool paces itself by", () => {
    expect(ECS_API_LIMITS).to.equal(TOOL_LIMITS); // one table
    expect(burstLaunch(1000, 7)).to.include({ runTaskCalls: 100, seconds: 0, hosts: 143 });
    expect(burstLaunch(100000, 7)).to.include({ runTaskCalls: 10000, seconds: 247.5 });
  });

  it("counts what fits in a number of interfaces, hosts included", () => {
    expect(workspacesWithinInterfaces(9, 7)).to.equal(7); // 7 tasks + 2 for their host
    expect(workspacesWithinInterfaces(10, 7)).to.equal(7); // an 8th needs a second host: 8 + 4
    expect(workspacesWithinInterfaces(12, 7)).to.equal(8);
    expect(workspacesWithinInterfaces(0, 7)).to.equal(0);
    expect([usableAddresses(20), usableAddresses(28), prefixFor(3339), prefixFor(4092)]).to.deep.equal([4091, 11, 20, 19]);
  });

  it("counts a staging stack's other interfaces from its graph", async () => {
    const g = await buildStack("staging");
    const fixed = fixedInterfaces(g, 2, 1);
    // 13 endpoints x 2 AZs, 1 NAT, 2 ALB nodes, 1 RDS, 1 Redis, 2 backend hosts x 2, 6 backend tasks, 1 warm host, 1 AMI build.
    expect(fixed.total).to.equal(26 + 1 + 2 + 1 + 1 + 4 + 6 + 1 + 1);
  });

  it("prints the ceilings and the advisor in the text and the HTML plan", async () => {
    const g = await buildStack("prod");
    const config = stackConfig("prod");
    const text = planText(g, PLAN_SECTIONS.map((s) => s(g, config)));
    expect(text).to.match(/ceilings: concurrent workspaces under each limit/);
    expect(text).to.match(/pool maximum +290 +10 instances \(workspaceMaxSize\) x 29 per m6a\.4xlarge +← binds first/);
    expect(text).to.include("first to bind: pool maximum, 290 workspaces (workspaceMaxSize)");
    expect(text).to.include("for 10,000 concurrent workspaces (capacityTargetWorkspaces): 345 m6a.4xlarge instances");
    expect(text).to.match(/Instance-type advisor:\n/);
    expect(text).to.include("recommendation: m6a.4xlarge, which this stack's workspace pool uses");
    const html = renderPlanHtml({ graph: g, config });
    expect(html).to.include('id="headline-ceiling">290 workspaces');
    expect(html.match(/class="ceiling-row/g)).to.have.length(5);
    expect(html).to.include('class="advisor-row configured" data-type="m6a.4xlarge"');
  });
});

describe("config refuses a workspace pool the stack cannot hold", () => {
  it("workspace subnets without an address for every task of the pool's maximum", () => {
    // /26 leaves 59 addresses; 20 instances over 2 AZs put 10 hosts x 7 = 70 tasks in one AZ.
    const err = configErrorOf("staging", { workspaceSubnetCidrs: ["10.20.160.0/26", "10.20.160.64/26"], workspaceMaxSize: 20 });
    const p = problemFor(err, "workspaceSubnetCidrs");
    expect(p.expected).to.match(/^workspace subnets of \/25 or larger: workspaceMaxSize 20 puts up to 10 hosts x 7 workspaces = 70 workspace tasks in one of the 2 AZs, and 10\.20\.160\.0\/26 leaves 59 addresses \(AWS reserves 5 per subnet\); or workspaceMaxSize at most 16$/);
    expect(err.message).to.match(/Fix: set remote-claude:workspaceSubnetCidrs in Pulumi\.staging\.yaml/);
    expect(() => stackConfig("staging", { workspaceSubnetCidrs: ["10.20.160.0/25", "10.20.160.128/25"], workspaceMaxSize: 20 })).to.not.throw();
  });

  it("a pool maximum the carved subnets cannot hold names workspaceMaxSize and the size that fits", () => {
    // Carved /20s: 4091 addresses; 1200 instances over 2 AZs = 600 hosts x 7 = 4200 tasks in one AZ; 584 x 2 = 1168 fit.
    const p = problemFor(configErrorOf("staging", { workspaceMaxSize: 1200 }), "workspaceMaxSize");
    expect(p.value).to.equal("1200");
    expect(p.expected).to.match(/^at most 1,168: the workspace subnets carved from vpcCidr \(\/20\) leave 4,091 addresses per AZ/);
    expect(p.expected).to.include("list workspaceSubnetCidrs of /19 or larger");
    expect(() => stackConfig("staging", { workspaceMaxSize: 1168 })).to.not.throw();
  });

  it("a pool maximum beyond the cluster's container-instance quota", () => {
    const p = problemFor(configErrorOf("prod", { quotaContainerInstancesPerCluster: 10 }), "workspaceMaxSize");
    expect(p.expected).to.match(/^at most 6: one cluster registers at most 10 container instances \(quotaContainerInstancesPerCluster; AWS's default 5,000 is not adjustable\) and the backend pool takes up to 4 \(backendMaxSize\)/);
    expect(() => stackConfig("prod", { quotaContainerInstancesPerCluster: 14 })).to.not.throw(); // 10 + 4 fit
  });

  it("a task no listed type can hold, and a Graviton type", () => {
    expect(problemFor(configErrorOf("staging", { workspaceAgentMemoryMiB: 20480 }), "workspaceInstanceTypes").expected)
      .to.match(/types that hold at least one workspace task \(512 CPU units \/ 20608 MiB.*m6a\.xlarge hold none$/);
    expect(problemFor(configErrorOf("staging", { workspaceInstanceTypes: ["m7g.2xlarge"] }), "workspaceInstanceTypes").expected)
      .to.match(/"m7g\.2xlarge" is an arm64 \(Graviton\) type: the hosts run the x86_64 ECS-optimized AMI/);
  });
});

describe("simulated launch at scale", () => {
  it("spends the same API calls per workspace at 1,000 and 4,000: one RunTask per 10, one StopTask each", async function () {
    this.timeout(120_000);
    const [a, b] = [await simulatedRun(1000, SCENARIOS.limits), await simulatedRun(4000, SCENARIOS.limits)];
    for (const r of [a, b]) {
      expect(r.calls.RunTask).to.equal(r.tasks / 10);
      expect(r.calls.StopTask).to.equal(r.tasks);
      expect(r.calls.ListTasks).to.equal(1);
      expect(r.ready + r.failed).to.equal(r.tasks);
      expect(r.failed).to.equal(r.tasks / 50); // the scripted image-pull failures
    }
    // Only tasks still starting are described, 100 a call: per task it does not grow with the run.
    expect(b.calls.DescribeTasks / b.tasks).to.be.at.most(a.calls.DescribeTasks / a.tasks);
    // Launching at ECS's full limits takes what the plan's burst figure says: 100 calls at once, then 40/s.
    expect(b.launchSeconds).to.equal(burstLaunch(4000, 7).seconds);
  });
});
