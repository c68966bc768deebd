import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError } from "../config";
import { PLAN_SECTIONS, planConfig, planJson, planText } from "../offline/plan";
import { parsePlanArgs } from "../scripts/planArgs";
import { buildStack, stackConfig } from "./helpers/stacks";
import { tsNodeArgs } from "./helpers/tsProcess";

const root = path.resolve(__dirname, "..");

function runPlan(...args: string[]) {
  return spawnSync(process.execPath, tsNodeArgs(path.join(root, "scripts/plan.ts"), ...args), {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: process.env,
  });
}

describe("plan: posture, cost and capacity in every format", () => {
  it("prints the posture, the cost estimate next to the seed's figure and the capacity model as text", async () => {
    const g = await buildStack("prod");
    const text = planText(g, PLAN_SECTIONS.map((section) => section(g, stackConfig("prod"))));
    expect(text).to.match(/Security posture:\n {2}IMDS +in force/);
    expect(text).to.match(/Monthly cost estimate:\n {2}EC2 +m6i\.large On-Demand \(backend pool\)/);
    expect(text).to.match(/Total: \$[\d,]+\.\d\d a month at the host pools' minimum size, \$[\d,]+\.\d\d at their maximum \(seed: \$850–1,500 a month for prod\)/);
    expect(text).to.include("AWS Network Firewall: not used by this stack");
    expect(text).to.include("Left out:\n    - ");
    expect(text).to.match(/Capacity model:\n {2}workspace task remote-claude-prod-workspace: 512 CPU units \/ 2176 MiB \(credential-proxy 128\/128 \+ workspace-agent 384\/2048\); CPU a reservation and weight, no cap/);
    expect(text).to.include("→ 29 workspaces (bound by memory)");
    expect(text).to.include("seed: ECS+EC2 $0.08 and Fargate $0.20 per task-hour");
  });

  it("carries the sections' data in the JSON plan", async () => {
    const g = await buildStack("staging");
    const plan = JSON.parse(JSON.stringify(planJson(g, PLAN_SECTIONS.map((section) => section(g, stackConfig("staging"))))));
    expect(Object.keys(plan.sections)).to.deep.equal(["Policy pack remote-claude-security", "Egress", "Security posture", "Monthly cost estimate", "Capacity model", "Instance-type advisor"]);
    const cost = plan.sections["Monthly cost estimate"];
    expect(cost.priceTable).to.deep.include({ region: "ap-northeast-1", date: "2026-12" });
    expect(cost.total.min).to.be.greaterThan(0);
    expect(cost.lines.reduce((s: number, l: { monthly: { min: number } }) => s + l.monthly.min, 0)).to.be.closeTo(cost.total.min, 1e-6);
    expect(cost.prices["ec2.m6a"]).to.include({ status: "estimate" });
    expect(plan.sections["Security posture"].map((r: { layer: string }) => r.layer)).to.include("Egress mode");
    expect(plan.sections["Capacity model"].byType[0].density.workspaces).to.equal(7);
    expect(plan.sections["Capacity model"].ceilings.binding).to.include({ limit: "pool maximum", workspaces: 21 });
    expect(plan.sections["Capacity model"].task).to.not.have.property("cpuLimit");
    expect(plan.sections["Instance-type advisor"].recommended).to.include({ instanceType: "m6a.4xlarge" });
    expect(plan.sections["Instance-type advisor"].cpuCapped).to.equal(false);
  });

  it("takes --format text|json|html, --json as --format json, and refuses the two disagreeing", async () => {
    expect(await parsePlanArgs([], true)).to.include({ stack: "staging", format: "text" });
    expect(await parsePlanArgs(["--stack", "prod", "--json"], true)).to.include({ stack: "prod", format: "json" });
    expect(await parsePlanArgs(["--format", "json", "--json"], true)).to.include({ format: "json" });
    expect(await parsePlanArgs(["--format", "html", "--out", "x.html"], true)).to.include({ format: "html", out: "x.html" });
    const refusal = async (argv: string[]) => {
      try {
        await parsePlanArgs(argv, true);
      } catch (err) {
        return (err as Error).message;
      }
      return "accepted";
    };
    expect(await refusal(["--json", "--format", "html"])).to.equal("--json and --format html contradict each other");
    expect(await refusal(["--format", "pdf"])).to.match(/Invalid values:[\s\S]*pdf/);
  });

  it("plans a what-if with --set KEY=VALUE over the stack file, validated like the file", async () => {
    const args = await parsePlanArgs(["--stack", "prod", "--set", "workspaceMaxSize=1429", "--set", 'workspaceInstanceTypes=["c6a.8xlarge"]', "--set", "aws:region=ap-northeast-1"], true);
    expect(args.set).to.deep.equal({
      "remote-claude:workspaceMaxSize": "1429",
      "remote-claude:workspaceInstanceTypes": '["c6a.8xlarge"]',
      "aws:region": "ap-northeast-1",
    });
    expect(planConfig("prod", undefined, { "remote-claude:workspaceMaxSize": "345" })).to.include({ workspaceMaxSize: 345 });
    // 1429 c6a.8xlarge hosts put 477 x 29 = 13,833 tasks in one AZ's /20: refused as the stack file would be.
    expect(() => planConfig("prod", undefined, args.set)).to.throw(ConfigError, /remote-claude:workspaceMaxSize = 1429: expected at most 423/);
    await parsePlanArgs(["--set", "workspaceMaxSize"], true).then(() => expect.fail("accepted"), (err: Error) => expect(err.message).to.match(/--set takes KEY=VALUE/));
  });

  it("writes the HTML page to --out from the command line", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-")), "prod.html");
    const html = runPlan("--stack", "prod", "--format", "html", "--out", out);
    expect(html.status, html.stderr).to.equal(0);
    expect(html.stdout).to.equal("");
    expect(html.stderr).to.include(`wrote the html plan of stack prod to ${out}`);
    const page = fs.readFileSync(out, "utf8");
    expect(page.startsWith("<!doctype html>")).to.equal(true);
    expect(page).to.include('data-stack="prod"');
  });
});
