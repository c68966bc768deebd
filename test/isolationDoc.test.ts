// docs/isolation.md against what it rests on: its figures against the capacity model over the
// prod stack (so a price, task size or instance change cannot leave the page behind), and its
// claim that no installed package can express ECS's ISOLATED_SANDBOX against the packages
// themselves (the day one can, this fails and the page must change).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { INSTANCE_WARMUP_SECONDS } from "../components/hostPool";
import { costPerWorkspaceHour, workspaceCapacity } from "../offline/cost/capacity";
import { buildStack, stackConfig } from "./helpers/stacks";

const ROOT = path.resolve(__dirname, "..");
/** The page with its line breaks and indentation as single spaces (claims wrap anywhere). */
const doc = fs.readFileSync(path.join(ROOT, "docs/isolation.md"), "utf8").replace(/\s+/g, " ");
const usd = (n: number, digits = 4) => `$${n.toFixed(digits)}`;

/** Every file under `dir` whose name ends with `suffix`. */
function filesUnder(dir: string, suffix: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => path.join(e.parentPath, e.name));
}

describe("docs/isolation.md", () => {
  it("is linked from the README and docs/hardening.md", () => {
    expect(fs.readFileSync(path.join(ROOT, "README.md"), "utf8")).to.include("[docs/isolation.md](docs/isolation.md)");
    expect(fs.readFileSync(path.join(ROOT, "docs/hardening.md"), "utf8")).to.include("[isolation.md](isolation.md)");
  });

  it("states the capacity model's figures for prod: today, one workspace per instance, Fargate, sandboxes at lower density", async () => {
    const cfg = stackConfig("prod");
    const utilization = cfg.costWorkspaceUtilizationPercent / 100;
    const c = workspaceCapacity(await buildStack("prod"), utilization)!;
    const today = c.byType[0];
    expect(doc).to.include(`the workspace task asks for ${c.task.cpu} CPU units and ${c.task.memoryMiB} MiB`);
    expect(doc).to.include(`${today.instanceType} ($${today.instanceHourly} an hour) holds **${today.density.workspaces}** (bound by ${today.density.boundBy})`);
    expect(doc).to.include(`**${today.density.workspaces} to an ${today.instanceType}** in production`);
    expect(doc).to.include(`(up to ${today.density.workspaces} in production)`);
    expect(doc).to.include(`| Workspaces per ${today.instanceType} | ${today.density.workspaces} (today) |`);
    // The CPU row: the task definition sets no task-level cpu, so the reservation is a weight.
    expect(c.task).to.not.have.property("cpuLimit");
    expect(doc).to.include("**no task-level cpu**, so no CPU cap (`workspaceCpuHardLimit: false`, the default)");
    const [credentialProxy, agent] = ["credential-proxy", "workspace-agent"].map((n) => c.task.containers.find((x) => x.name === n)!.cpu);
    expect(doc).to.include(`(agent ${agent} + credential proxy ${credentialProxy} = ${c.task.cpu} units)`);
    expect(doc).to.include(`**${usd(c.perWorkspaceHour!.atUtilization)}** at ${cfg.costWorkspaceUtilizationPercent}% of slots in use`);
    expect(doc).to.include(`**${usd(c.perWorkspaceHour!.atFull)}** at 100%`);
    expect(doc).to.include(`up to ${INSTANCE_WARMUP_SECONDS} s`);
    expect(doc).to.include(`${cfg.workspaceWarmPoolSize} Stopped instances in production`);
    // One workspace per instance.
    const one = c.onePerInstance!;
    expect(doc).to.include(`**${one.instanceType}**`);
    expect(doc).to.include(`$${one.instanceHourly} an hour`);
    expect(doc).to.include(`**${usd(one.atUtilization)}** per workspace-hour at ${cfg.costWorkspaceUtilizationPercent}% of instances in use, ${usd(one.atFull)} at 100%`);
    expect(doc).to.include(`${(one.atUtilization / c.perWorkspaceHour!.atUtilization).toFixed(2)} times as much`);
    expect(doc).to.include(`production's ${c.instances.max}-instance maximum holds ${c.instances.max} workspaces instead of ${today.slots.max}`);
    expect(doc).to.include(`1 per instance instead of ${today.density.workspaces}:`);
    // Fargate.
    expect(doc).to.include(`**${usd(c.fargate!.hourly)}** per task-hour at ${c.fargate!.size.vcpu} vCPU / ${c.fargate!.size.memoryGiB} GB`);
    expect(doc).to.include(`would be ${usd(c.fargate!.exactHourly)}`);
    // Sandboxes: the same instance, fewer workspaces.
    const row = [today.density.workspaces, 25, 20, 15, 10].map((n) => usd(costPerWorkspaceHour(today.instanceHourly!, n, utilization)));
    expect(doc).to.include(`| Per workspace-hour at ${cfg.costWorkspaceUtilizationPercent}% | ${row.join(" | ")} |`);
  });

  it("is right that the installed @pulumi/aws and @aws-sdk/client-ecs cannot express trustedExecutionConfiguration yet", () => {
    const versions = ["@pulumi/aws", "@aws-sdk/client-ecs"].map((p) => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", p, "package.json"), "utf8")).version);
    const majorMinor = (v: string) => v.split(".").slice(0, 2).join(".");
    expect(doc).to.include(`\`@pulumi/aws\` ${majorMinor(versions[0])} nor \`@aws-sdk/client-ecs\` ${majorMinor(versions[1])}`);
    const mention = (dir: string) => filesUnder(path.join(ROOT, "node_modules", dir), ".d.ts")
      .filter((f) => /trustedExecution|ISOLATED_SANDBOX/i.test(fs.readFileSync(f, "utf8")));
    expect(mention("@pulumi/aws/ecs").concat(mention("@pulumi/aws/types"))).to.deep.equal([]);
    expect(mention("@aws-sdk/client-ecs/dist-types")).to.deep.equal([]);
    // The Managed Instances capacity provider itself is there.
    expect(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/aws/ecs/capacityProvider.d.ts"), "utf8")).to.include("managedInstancesProvider");
  });
});
