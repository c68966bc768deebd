import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { parse } from "yaml";
import type { CapturedResource, StackGraph } from "../offline/graph";
import { PLAN_SECTIONS, planText } from "../offline/plan";
import { evaluatePolicies, resourceArgs, runPolicies, runResourcePolicy, runStackPolicy, stackResources } from "../offline/policies";
import { elasticacheEncryptedAuthenticated, prodDataMultiAzProtected, rdsEncryptedPrivate, rdsRequiresTls } from "../policy/data";
import { ecsDeploymentRollbackAsDocumented } from "../policy/deployments";
import { ecsNoPrivilegedTasks, workspaceContainersHardened, workspaceNoTaskRole, workspaceSecretOnlyInCredentialProxy, workspaceTaskResourcesBounded, workspaceVolumeConfiguredAtLaunch } from "../policy/ecs";
import { launchTemplateBlocksTaskImds, launchTemplateImdsv2, launchTemplateTaskPidsLimit } from "../policy/hosts";
import { iamNoBroadManagedPolicies, iamPassRoleScoped, iamRunTaskScoped } from "../policy/iam";
import { logGroupsPlatformKey } from "../policy/logs";
import { dnsFirewallBlocksInProduction, dnsFirewallFailClosed, noPublicIngressExceptAlb } from "../policy/network";
import { workspaceEgressProxyEndpointsResolverOnly, workspaceSubnetsNoInternetRoute } from "../policy/egress";
import { vpcEndpointsDataPerimeter } from "../policy/perimeter";
import { awsCallsReachable } from "../policy/reachability";
import { STAGING_EGRESS_PROXY } from "./helpers/egress";
import { allPolicies, POLICY_PACK_NAME, resourcePolicies, stackPolicies } from "../policy/policies";
import { isProdStack as packIsProd } from "../policy/util";
import { isProdStack } from "../config";
import { buildStack, STACKS } from "./helpers/stacks";

const root = path.resolve(__dirname, "..");

/** A copy of a captured resource with some inputs replaced (or removed with undefined). */
function withInputs(r: CapturedResource, patch: Record<string, unknown>, extra: Partial<CapturedResource> = {}): CapturedResource {
  const inputs: Record<string, unknown> = { ...structuredClone(r.inputs), ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete inputs[k];
  return { ...r, inputs, ...extra };
}

function violationsOf(policy: ResourceValidationPolicy, r: CapturedResource, g?: StackGraph): string[] {
  return runResourcePolicy(policy, resourceArgs(r, g)).violations.map((v) => v.message);
}

/** The stack as stack policies see it, after `mutate` (on copies). */
function stackViolations(policy: StackValidationPolicy, g: StackGraph, mutate: (resources: PolicyResource[]) => PolicyResource[] | void): string[] {
  const resources = stackResources(g);
  const changed = mutate(resources) ?? resources;
  return runStackPolicy(policy, changed).violations.map((v) => v.message);
}

const named = (resources: PolicyResource[], name: string) => {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};

const containers = (r: CapturedResource) => JSON.parse(r.inputs.containerDefinitions);
const withContainers = (r: CapturedResource, edit: (cs: any[]) => void) => {
  const cs = containers(r);
  edit(cs);
  return withInputs(r, { containerDefinitions: JSON.stringify(cs) });
};

describe("policy pack", () => {
  it("is a CrossGuard pack users can run: PulumiPolicy.yaml, package.json with a version, index.ts serving every policy", () => {
    const yaml = parse(fs.readFileSync(path.join(root, "policy/PulumiPolicy.yaml"), "utf8"));
    expect(yaml.runtime).to.equal("nodejs");
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "policy/package.json"), "utf8"));
    const rootPkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    expect(pkg.version).to.match(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies["@pulumi/policy"]).to.equal(rootPkg.dependencies["@pulumi/policy"]);
    expect(pkg.dependencies["@pulumi/pulumi"]).to.equal(rootPkg.dependencies["@pulumi/pulumi"]);
    expect(fs.existsSync(path.join(root, "policy/package-lock.json"))).to.equal(true);
    const index = fs.readFileSync(path.join(root, "policy/index.ts"), "utf8");
    expect(index).to.match(/new PolicyPack\(POLICY_PACK_NAME, \{[\s\S]*policies: \[\.\.\.allPolicies\]/);
    expect(POLICY_PACK_NAME).to.equal("remote-claude-security");
  });

  it("has uniquely named, mandatory policies", () => {
    const names = allPolicies.map((p) => p.name);
    expect(new Set(names).size).to.equal(names.length);
    expect(names).to.have.length(25);
    for (const p of allPolicies) {
      expect(p.enforcementLevel, p.name).to.equal("mandatory");
      expect(p.description, p.name).to.have.length.greaterThan(20);
    }
    expect(resourcePolicies.length + stackPolicies.length).to.equal(allPolicies.length);
  });

  it("reads production stacks from URNs the way config.ts does", () => {
    for (const stack of ["prod", "prod-eu", "staging", "production", "dev-prod"]) expect(packIsProd(stack), stack).to.equal(isProdStack(stack));
  });

  it("is part of the offline plan: one line per policy and the count that pass", async () => {
    const g = await buildStack("prod");
    const text = planText(g, PLAN_SECTIONS.map((section) => section(g)));
    expect(text).to.include("Policy pack remote-claude-security:");
    expect(text).to.include("  pass  workspace-task-no-task-role");
    expect(text).to.include("  pass  launch-template-imdsv2-hop-limit-1");
    expect(text).to.include("  pass  workspace-subnets-no-internet-route");
    expect(text).to.include(`${allPolicies.length} of ${allPolicies.length} policies pass`);
    expect(text).to.match(/ecs\.Service\s+backend-service\s+remote-claude-prod-backend: 3 tasks on remote-claude-prod-backend, blue\/green, circuit breaker off, alarm rollback \(1\), bake 10 min/);
    expect(text).to.match(/ecs\.TaskDefinition\s+workspace-task\s+remote-claude-prod-workspace: credential-proxy \+ workspace-agent, awsvpc, CPU shares 512 \(no cap\) \/ 2176 MiB, no task role/);
    expect(text).to.match(/ecs\.TaskDefinition\s+backend-task\s+remote-claude-prod-backend: backend, awsvpc, \d+ CPU \/ \d+ MiB/);
  });

  for (const stack of STACKS) {
    it(`passes on the ${stack} stack, and every policy that can apply does`, async () => {
      const g = await buildStack(stack);
      expect(runPolicies(g, allPolicies)).to.deep.equal([]);
      const outcomes = evaluatePolicies(g, allPolicies);
      const notApplicable = [...outcomes].filter(([, o]) => !o.applicable).map(([name]) => name).sort();
      // Prod-only rules skip staging, and so do the proxy-mode egress rules (staging runs
      // dns-firewall); everything else applies to something in both stacks.
      const expected = stack === "staging"
        ? ["dns-firewall-blocks-in-production", "prod-data-multi-az-protected", "workspace-egress-proxy-endpoints-resolver-only", "workspace-subnets-no-internet-route"]
        : [];
      expect(notApplicable).to.deep.equal(expected);
    });
  }
});

describe("policies catch deliberately broken resources", () => {
  let staging: StackGraph;
  let prod: StackGraph;
  before(async () => {
    [staging, prod] = await Promise.all([buildStack("staging"), buildStack("prod")]);
  });
  const workspaceTask = (g: StackGraph) => g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family.endsWith("-workspace"))!;
  const backendTask = (g: StackGraph) => g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family.endsWith("-backend"))!;

  it("workspace-task-no-task-role: a task role or another network mode", () => {
    expect(violationsOf(workspaceNoTaskRole, workspaceTask(staging))).to.deep.equal([]);
    expect(violationsOf(workspaceNoTaskRole, withInputs(workspaceTask(staging), { taskRoleArn: "arn:aws:iam::123456789012:role/x" }))).to.have.length(1);
    expect(violationsOf(workspaceNoTaskRole, withInputs(workspaceTask(staging), { networkMode: "bridge" }))).to.have.length(1);
    // Recognised by its placement even under another family name.
    expect(violationsOf(workspaceNoTaskRole, withInputs(workspaceTask(staging), { family: "renamed", taskRoleArn: "arn:aws:iam::123456789012:role/x" }))).to.have.length(1);
    expect(runResourcePolicy(workspaceNoTaskRole, resourceArgs(backendTask(staging))).applicable).to.equal(false);
  });

  it("workspace-containers-hardened: each weakening is caught", () => {
    const t = workspaceTask(staging);
    expect(violationsOf(workspaceContainersHardened, t)).to.deep.equal([]);
    const breakAgent = (edit: (agent: any) => void) => violationsOf(workspaceContainersHardened, withContainers(t, (cs) => edit(cs.find((c) => c.name === "workspace-agent"))));
    expect(breakAgent((a) => (a.privileged = true))).to.have.length(1).and.have.property("0").that.matches(/privileged/);
    expect(breakAgent((a) => (a.user = "0:0"))).to.have.length(1).and.have.property("0").that.matches(/non-root/);
    expect(breakAgent((a) => delete a.user)).to.have.length(1).and.have.property("0").that.matches(/non-root/);
    expect(breakAgent((a) => (a.readonlyRootFilesystem = false))).to.have.length(1).and.have.property("0").that.matches(/readonlyRootFilesystem/);
    expect(breakAgent((a) => (a.linuxParameters.capabilities.drop = ["NET_RAW"]))).to.have.length(1).and.have.property("0").that.matches(/drop must include "ALL"/);
    expect(breakAgent((a) => (a.linuxParameters.capabilities.add = ["NET_ADMIN"]))).to.have.length(1).and.have.property("0").that.matches(/NET_ADMIN/);
    expect(breakAgent((a) => (a.dockerSecurityOptions = []))).to.have.length(1).and.have.property("0").that.matches(/no-new-privileges/);
  });

  it("workspace-task-resources-bounded: a container without a hard memory limit or a CPU weight, a task without memory", () => {
    for (const g of [staging, prod]) expect(violationsOf(workspaceTaskResourcesBounded, workspaceTask(g))).to.deep.equal([]);
    const t = workspaceTask(staging);
    const breakAgent = (edit: (agent: any) => void) => violationsOf(workspaceTaskResourcesBounded, withContainers(t, (cs) => edit(cs.find((c) => c.name === "workspace-agent"))));
    // A soft limit only: the container can grow into its neighbours' memory.
    expect(breakAgent((a) => { delete a.memory; a.memoryReservation = 2048; })).to.have.length(1).and.have.property("0").that.matches(/workspace-agent: needs a hard memory limit/);
    // No cpu: ECS reserves nothing and gives it 2 shares.
    expect(breakAgent((a) => delete a.cpu)).to.have.length(1).and.have.property("0").that.matches(/workspace-agent: cpu must be at least 128 units/);
    expect(breakAgent((a) => (a.cpu = 64))).to.have.length(1);
    expect(violationsOf(workspaceTaskResourcesBounded, withInputs(t, { memory: undefined }))).to.have.length(1).and.have.property("0").that.matches(/task-level memory/);
    // A task-level cpu (workspaceCpuHardLimit) is allowed, not required.
    expect(violationsOf(workspaceTaskResourcesBounded, withInputs(t, { cpu: "512" }))).to.deep.equal([]);
    expect(runResourcePolicy(workspaceTaskResourcesBounded, resourceArgs(backendTask(staging))).applicable).to.equal(false);
  });

  it("workspace-secret-only-in-credential-proxy: a secret or an environment file in the agent", () => {
    const t = workspaceTask(prod);
    expect(violationsOf(workspaceSecretOnlyInCredentialProxy, t)).to.deep.equal([]);
    const broken = withContainers(t, (cs) => (cs.find((c) => c.name === "workspace-agent").secrets = [{ name: "LEAK", valueFrom: "arn:aws:secretsmanager:x" }]));
    expect(violationsOf(workspaceSecretOnlyInCredentialProxy, broken)).to.have.length(1).and.have.property("0").that.matches(/workspace-agent: receives secrets LEAK/);
    const envFile = withContainers(t, (cs) => (cs.find((c) => c.name === "workspace-agent").environmentFiles = [{ type: "s3", value: "arn:aws:s3:::b/k" }]));
    expect(violationsOf(workspaceSecretOnlyInCredentialProxy, envFile)).to.have.length(1);
  });

  it("workspace-volume-configured-at-launch: a host path, a shared or missing volume, a credential proxy that mounts it", () => {
    const t = workspaceTask(staging);
    expect(violationsOf(workspaceVolumeConfiguredAtLaunch, t)).to.deep.equal([]);
    expect(violationsOf(workspaceVolumeConfiguredAtLaunch, workspaceTask(prod))).to.deep.equal([]);
    const withVolumes = (volumes: unknown[]) => violationsOf(workspaceVolumeConfiguredAtLaunch, withInputs(t, { volumes }));
    // The volume as a host path instead: lost with the host, shared with every task placed there.
    expect(withVolumes([{ name: "workspace", hostPath: "/var/workspaces" }])).to.deep.equal([
      "workspace-task: needs exactly one volume configured at launch (the workspace's own EBS volume); has 0.",
      'workspace-task: volume workspace is the host path "/var/workspaces": it lives on whichever host runs the task (lost with it) and every task placed there can share it.',
      "workspace-task/workspace-agent: does not mount the volume configured at launch (its workspace).",
    ]);
    // Back to the task-scoped Docker volume: not configured at launch.
    expect(withVolumes([{ name: "workspace", dockerVolumeConfiguration: { scope: "task", driver: "local" } }])).to.have.length(3)
      .and.to.include("workspace-task: volume workspace (dockerVolumeConfiguration) is not configured at launch: a workspace writes only to its own EBS volume (and tmpfs).");
    // A second, shared volume beside it.
    expect(withVolumes([{ name: "workspace", configureAtLaunch: true }, { name: "cache", efsVolumeConfiguration: { fileSystemId: "fs-1" } }])).to.deep.equal([
      "workspace-task: volume cache (efsVolumeConfiguration) is not configured at launch: a workspace writes only to its own EBS volume (and tmpfs).",
    ]);
    expect(withVolumes([])).to.have.length(2);
    // The proxy mounting the workspace, or the agent not mounting it.
    const credentialProxyMounts = withContainers(t, (cs) => (cs.find((c) => c.name === "credential-proxy").mountPoints = [{ sourceVolume: "workspace", containerPath: "/w" }]));
    expect(violationsOf(workspaceVolumeConfiguredAtLaunch, credentialProxyMounts)).to.deep.equal(["workspace-task/credential-proxy: mounts workspace; only workspace-agent mounts the workspace."]);
    const agentUnmounted = withContainers(t, (cs) => (cs.find((c) => c.name === "workspace-agent").mountPoints = []));
    expect(violationsOf(workspaceVolumeConfiguredAtLaunch, agentUnmounted)).to.have.length(1);
    expect(runResourcePolicy(workspaceVolumeConfiguredAtLaunch, resourceArgs(backendTask(staging))).applicable).to.equal(false);
  });

  it("ecs-no-privileged-tasks: privileged, dangerous capabilities, host network or PID", () => {
    const t = backendTask(prod);
    expect(violationsOf(ecsNoPrivilegedTasks, t)).to.deep.equal([]);
    expect(violationsOf(ecsNoPrivilegedTasks, withContainers(t, (cs) => (cs[0].privileged = true)))).to.have.length(1);
    expect(violationsOf(ecsNoPrivilegedTasks, withContainers(t, (cs) => (cs[0].linuxParameters.capabilities.add = ["SYS_ADMIN"])))).to.have.length(1);
    expect(violationsOf(ecsNoPrivilegedTasks, withInputs(t, { networkMode: "host" }))).to.have.length(1);
    expect(violationsOf(ecsNoPrivilegedTasks, withInputs(t, { pidMode: "host" }))).to.have.length(1);
  });

  it("ecs-deployment-rollback-as-documented: blue/green with the circuit breaker, or without alarms, bake time or advanced configuration; rolling without the breaker", () => {
    const backend = (g: StackGraph) => g.one(aws.ecs.Service, "backend-service");
    const blueGreen = backend(prod);
    const rolling = backend(staging);
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, blueGreen)).to.deep.equal([]);
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, rolling)).to.deep.equal([]);
    // The egress proxy (prod) rolls.
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, prod.one(aws.ecs.Service, "egress-proxy-service"))).to.deep.equal([]);
    // The combination AWS does not document: blue/green with the rolling-update circuit breaker.
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, withInputs(blueGreen, { deploymentCircuitBreaker: { enable: true, rollback: true } })))
      .to.deep.equal(["backend-service: BLUE_GREEN with the deployment circuit breaker: ECS documents the circuit breaker for rolling updates only; roll back on the deployment alarms instead."]);
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, withInputs(blueGreen, { alarms: { ...blueGreen.inputs.alarms, rollback: false } }))).to.have.length(1).and.have.property("0").that.matches(/deployment alarms with rollback/);
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, withInputs(blueGreen, { deploymentConfiguration: { strategy: "BLUE_GREEN" } }))).to.have.length(1).and.have.property("0").that.matches(/needs a bake time/);
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, withInputs(blueGreen, { loadBalancers: [{ ...blueGreen.inputs.loadBalancers[0], advancedConfiguration: undefined }] })))
      .to.have.length(1).and.have.property("0").that.matches(/advancedConfiguration with the alternate target group/);
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, withInputs(rolling, { deploymentCircuitBreaker: undefined }))).to.have.length(1).and.have.property("0").that.matches(/rolling update needs the deployment circuit breaker/);
    expect(violationsOf(ecsDeploymentRollbackAsDocumented, withInputs(rolling, { deploymentCircuitBreaker: { enable: true, rollback: false } }))).to.have.length(1);
    expect(runResourcePolicy(ecsDeploymentRollbackAsDocumented, resourceArgs(backendTask(staging))).applicable).to.equal(false);
  });

  describe("launch templates (synthetic: the host pools' templates are built elsewhere)", () => {
    const userData = (text: string, gzip = false) => (gzip ? zlib.gzipSync(Buffer.from(text)) : Buffer.from(text)).toString("base64");
    const GOOD_CONFIG = "#!/bin/bash\ncat >> /etc/ecs/ecs.config <<EOF\nECS_CLUSTER=remote-claude-prod\nECS_AWSVPC_BLOCK_IMDS=true\nECS_DISABLE_PRIVILEGED=true\nEOF\n";
    const template = (props: Record<string, unknown>): CapturedResource => ({
      urn: "urn:pulumi:prod::remote-claude::aws:ec2/launchTemplate:LaunchTemplate::hosts-workspace",
      id: "aws:ec2/launchTemplate:LaunchTemplate::hosts-workspace",
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      name: "hosts-workspace",
      custom: true,
      inputs: props,
      secretPaths: [],
      propertyDependencies: {},
      options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false, dependsOn: [], ignoreChanges: [], replaceOnChanges: [], additionalSecretOutputs: [], aliases: [] },
      state: props,
    });
    const compliant = { metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 }, userData: userData(GOOD_CONFIG) };

    it("launch-template-imdsv2-hop-limit-1: optional tokens, hop limit 2, or no metadata options", () => {
      expect(violationsOf(launchTemplateImdsv2, template(compliant))).to.deep.equal([]);
      expect(violationsOf(launchTemplateImdsv2, template({ ...compliant, metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 } }))).to.have.length(1).and.have.property("0").that.matches(/httpTokens must be "required"/);
      expect(violationsOf(launchTemplateImdsv2, template({ ...compliant, metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } }))).to.have.length(1).and.have.property("0").that.matches(/hop ?limit must be 1|HopLimit must be 1/i);
      expect(violationsOf(launchTemplateImdsv2, template({ userData: compliant.userData }))).to.have.length(1).and.have.property("0").that.matches(/metadataOptions is not set/);
    });

    it("launch-template-ecs-agent-hardening: reads plain, gzip and MIME user data; catches missing or reversed settings", () => {
      expect(violationsOf(launchTemplateBlocksTaskImds, template(compliant))).to.deep.equal([]);
      expect(violationsOf(launchTemplateBlocksTaskImds, template({ ...compliant, userData: userData(GOOD_CONFIG, true) }))).to.deep.equal([]);
      const mime = [
        "Content-Type: multipart/mixed; boundary=\"B\"", "MIME-Version: 1.0", "", "--B",
        "Content-Type: text/x-shellscript", "Content-Transfer-Encoding: base64", "",
        Buffer.from(GOOD_CONFIG).toString("base64"), "--B--", "",
      ].join("\n");
      expect(violationsOf(launchTemplateBlocksTaskImds, template({ ...compliant, userData: userData(mime) }))).to.deep.equal([]);
      expect(violationsOf(launchTemplateBlocksTaskImds, template({ ...compliant, userData: userData(GOOD_CONFIG.replace("ECS_AWSVPC_BLOCK_IMDS=true\n", "")) })))
        .to.have.length(1).and.have.property("0").that.matches(/does not set ECS_AWSVPC_BLOCK_IMDS=true/);
      expect(violationsOf(launchTemplateBlocksTaskImds, template({ ...compliant, userData: userData(`${GOOD_CONFIG}echo ECS_AWSVPC_BLOCK_IMDS=false >> /etc/ecs/ecs.config\n`) })))
        .to.have.length(0, "an echo line is not a setting line");
      expect(violationsOf(launchTemplateBlocksTaskImds, template({ ...compliant, userData: userData(`${GOOD_CONFIG}ECS_AWSVPC_BLOCK_IMDS=false\n`) })))
        .to.have.length(1).and.have.property("0").that.matches(/sets ECS_AWSVPC_BLOCK_IMDS to true, false/);
      expect(violationsOf(launchTemplateBlocksTaskImds, template({ ...compliant, userData: userData(GOOD_CONFIG.replace("ECS_DISABLE_PRIVILEGED=true", "ECS_DISABLE_PRIVILEGED=false")) })))
        .to.have.length(1).and.have.property("0").that.matches(/ECS_DISABLE_PRIVILEGED to false/);
      expect(violationsOf(launchTemplateBlocksTaskImds, template({ metadataOptions: compliant.metadataOptions }))).to.have.length(1).and.have.property("0").that.matches(/no user data/);
    });

    it("launch-template-task-pids-limit: a missing, ignored or cgroup-less process budget, read as the ECS agent reads it", () => {
      const pids = (lines: string) => violationsOf(launchTemplateTaskPidsLimit, template({ ...compliant, userData: userData(`${GOOD_CONFIG}${lines}`) }));
      expect(pids("ECS_TASK_PIDS_LIMIT=4096\n")).to.deep.equal([]);
      expect(pids("ECS_TASK_PIDS_LIMIT=4096\nECS_ENABLE_TASK_CPU_MEM_LIMIT=true\n")).to.deep.equal([]);
      // The agent's edges (parse_linux.go: strings.TrimSpace, strconv.Atoi, 1..4194304).
      for (const ok of ["1", "4194304", "\"4096\"", "+4096", "04096"]) expect(pids(`ECS_TASK_PIDS_LIMIT=${ok}\n`), ok).to.deep.equal([]);
      for (const ignored of ["0", "-1", "4194305", "4k", "4096.0", "\"\""]) {
        expect(pids(`ECS_TASK_PIDS_LIMIT=${ignored}\n`), ignored).to.have.length(1).and.have.property("0").that.matches(/which the ECS agent ignores: it takes a whole number from 1 to 4194304/);
      }
      expect(pids("")).to.have.length(1).and.have.property("0").that.matches(/does not set ECS_TASK_PIDS_LIMIT/);
      expect(pids("echo ECS_TASK_PIDS_LIMIT=4096 >> /etc/ecs/ecs.config\n"), "an echo line is not a setting line").to.have.length(1);
      expect(pids("ECS_TASK_PIDS_LIMIT=4096\nECS_TASK_PIDS_LIMIT=0\n")).to.have.length(1).and.have.property("0").that.matches(/to 0, which/);
      // Every value Go's strconv.ParseBool reads as false turns the task cgroup off; anything else leaves it on.
      for (const off of ["false", "False", "FALSE", "f", "F", "0"]) {
        expect(pids(`ECS_TASK_PIDS_LIMIT=4096\nECS_ENABLE_TASK_CPU_MEM_LIMIT=${off}\n`), off).to.have.length(1).and.have.property("0").that.matches(/ECS_ENABLE_TASK_CPU_MEM_LIMIT to .*no task cgroup/);
      }
      for (const on of ["true", "1", "T", "yes"]) expect(pids(`ECS_TASK_PIDS_LIMIT=4096\nECS_ENABLE_TASK_CPU_MEM_LIMIT=${on}\n`), on).to.deep.equal([]);
      expect(violationsOf(launchTemplateTaskPidsLimit, template({ metadataOptions: compliant.metadataOptions }))).to.have.length(1).and.have.property("0").that.matches(/no user data/);
    });
  });

  it("launch-template-task-pids-limit: both host pools' templates, without the budget or with task limits off", () => {
    for (const g of [staging, prod]) {
      const templates = g.ofType(aws.ec2.LaunchTemplate);
      expect(templates.map((t) => t.name).sort()).to.deep.equal(["hosts-backend-lt", "hosts-workspace-lt"]);
      for (const lt of templates) {
        const script = Buffer.from(String(lt.inputs.userData), "base64").toString("utf8");
        const edited = (edit: (s: string) => string) => withInputs(lt, { userData: Buffer.from(edit(script)).toString("base64") });
        expect(violationsOf(launchTemplateTaskPidsLimit, lt), lt.name).to.deep.equal([]);
        expect(violationsOf(launchTemplateTaskPidsLimit, edited((s) => s.replace(/^ECS_TASK_PIDS_LIMIT=.*\n/m, ""))), lt.name).to.have.length(1).and.have.property("0").that.matches(/does not set ECS_TASK_PIDS_LIMIT/);
        expect(violationsOf(launchTemplateTaskPidsLimit, edited((s) => s.replace(/^ECS_ENABLE_TASK_CPU_MEM_LIMIT=true$/m, "ECS_ENABLE_TASK_CPU_MEM_LIMIT=false"))), lt.name)
          .to.have.length(1).and.have.property("0").that.matches(/ECS_ENABLE_TASK_CPU_MEM_LIMIT to false/);
      }
    }
  });

  it("rds-encrypted-private: unencrypted or public databases", () => {
    const db = prod.one(aws.rds.Instance);
    expect(violationsOf(rdsEncryptedPrivate, db)).to.deep.equal([]);
    expect(violationsOf(rdsEncryptedPrivate, withInputs(db, { storageEncrypted: false }))).to.have.length(1);
    expect(violationsOf(rdsEncryptedPrivate, withInputs(db, { publiclyAccessible: true }))).to.have.length(1);
  });

  it("rds-requires-tls: a parameter group without rds.force_ssl, or none at all", () => {
    expect(stackViolations(rdsRequiresTls, staging, () => undefined)).to.deep.equal([]);
    expect(stackViolations(rdsRequiresTls, staging, (rs) => {
      named(rs, "database-params").props.parameters = [{ name: "log_connections", value: "1" }];
    })).to.have.length(1).and.have.property("0").that.matches(/does not set rds.force_ssl = 1/);
    expect(stackViolations(rdsRequiresTls, staging, (rs) => {
      named(rs, "database-postgres").propertyDependencies.parameterGroupName = [];
    })).to.have.length(1).and.have.property("0").that.matches(/uses no parameter group/);
  });

  it("log-groups-platform-key: a group without the key, a key that is not the program's, a key policy that does not cover the group or binds nothing", () => {
    expect(stackViolations(logGroupsPlatformKey, staging, () => undefined)).to.deep.equal([]);
    expect(stackViolations(logGroupsPlatformKey, prod, () => undefined)).to.deep.equal([]);
    // Every group of both stacks, the three the services layer does not make included.
    for (const g of [staging, prod]) {
      expect(g.ofType(aws.cloudwatch.LogGroup).map((l) => l.inputs.name)).to.include.members([
        `/remote-claude-${g.stack}/vpc-flow-logs`, `/remote-claude-${g.stack}/dns-queries`, `/remote-claude-${g.stack}/ami-builds`,
      ]);
    }
    const flowLogs = (rs: PolicyResource[]) => rs.find((r) => r.type === "aws:cloudwatch/logGroup:LogGroup" && r.name === "network-flow-logs")!;
    expect(stackViolations(logGroupsPlatformKey, staging, (rs) => {
      delete flowLogs(rs).props.kmsKeyId;
      flowLogs(rs).propertyDependencies.kmsKeyId = [];
    })).to.deep.equal(["/remote-claude-staging/vpc-flow-logs: no kmsKeyId: encrypt it with the platform key (CloudWatch Logs' own encryption has no key policy, no record of use, no way to revoke)."]);
    expect(stackViolations(logGroupsPlatformKey, staging, (rs) => {
      flowLogs(rs).props.kmsKeyId = "arn:aws:kms:ap-northeast-1:123456789012:key/elsewhere";
      flowLogs(rs).propertyDependencies.kmsKeyId = [];
    })).to.have.length(1).and.have.property("0").that.matches(/vpc-flow-logs: kmsKeyId is not a KMS key of this program/);
    const withKeyPolicy = (edit: (statement: any) => void) => stackViolations(logGroupsPlatformKey, staging, (rs) => {
      const key = named(rs, "kms-key");
      const policy = JSON.parse(key.props.policy);
      edit(policy.Statement.find((s: any) => s.Sid === "CloudWatchLogsForThisStack"));
      key.props.policy = JSON.stringify(policy);
    });
    const groups = staging.ofType(aws.cloudwatch.LogGroup).length;
    // The condition names another stack's groups: every group of this one is refused.
    const elsewhere = withKeyPolicy((s) => (s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] = "arn:aws:logs:ap-northeast-1:123456789012:log-group:/other-stack/*"));
    expect(elsewhere).to.have.length(groups);
    expect(elsewhere[0]).to.match(/only for arn:aws:logs:ap-northeast-1:123456789012:log-group:\/other-stack\/\*, not for this group: CloudWatch Logs would refuse the key/);
    expect(withKeyPolicy((s) => delete s.Condition)).to.have.length(groups).and.have.property("0").that.matches(/for any log group of any account/);
    expect(withKeyPolicy((s) => (s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] = "arn:aws:logs:*:*:log-group:*"))).to.have.length(groups)
      .and.have.property("0").that.matches(/name this region and account/);
    expect(withKeyPolicy((s) => (s.Action = ["kms:Describe*"]))).to.have.length(groups).and.have.property("0").that.matches(/grants CloudWatch Logs .* no kms:GenerateDataKey and kms:Decrypt/);
  });

  it("elasticache-encrypted-authenticated: no AUTH, plain-text allowed, unencrypted, or a standalone cluster", () => {
    const rg = staging.one(aws.elasticache.ReplicationGroup);
    expect(violationsOf(elasticacheEncryptedAuthenticated, rg)).to.deep.equal([]);
    expect(violationsOf(elasticacheEncryptedAuthenticated, withInputs(rg, { authToken: undefined }))).to.have.length(1).and.have.property("0").that.matches(/authToken or userGroupIds/);
    expect(violationsOf(elasticacheEncryptedAuthenticated, withInputs(rg, { transitEncryptionMode: "preferred" }))).to.have.length(1);
    expect(violationsOf(elasticacheEncryptedAuthenticated, withInputs(rg, { atRestEncryptionEnabled: false, transitEncryptionEnabled: false }))).to.have.length(2);
    const standalone = withInputs(rg, {}, { type: "aws:elasticache/cluster:Cluster", inputs: { engine: "redis" } });
    expect(violationsOf(elasticacheEncryptedAuthenticated, standalone)).to.have.length(1).and.have.property("0").that.matches(/standalone cache cluster/);
  });

  it("prod-data-multi-az-protected: single-AZ, unprotected or deletable production data; staging is exempt", () => {
    const db = prod.one(aws.rds.Instance);
    const rg = prod.one(aws.elasticache.ReplicationGroup);
    expect(violationsOf(prodDataMultiAzProtected, db)).to.deep.equal([]);
    expect(violationsOf(prodDataMultiAzProtected, rg)).to.deep.equal([]);
    expect(violationsOf(prodDataMultiAzProtected, withInputs(db, { multiAz: false }))).to.have.length(1).and.have.property("0").that.matches(/multiAz/);
    expect(violationsOf(prodDataMultiAzProtected, withInputs(db, { deletionProtection: false, skipFinalSnapshot: true }))).to.have.length(2);
    expect(violationsOf(prodDataMultiAzProtected, withInputs(db, {}, { options: { ...db.options, protect: false } }))).to.have.length(1).and.have.property("0").that.matches(/protect/);
    expect(violationsOf(prodDataMultiAzProtected, withInputs(rg, { numCacheClusters: 1, multiAzEnabled: false, automaticFailoverEnabled: false }))).to.have.length(3);
    expect(runResourcePolicy(prodDataMultiAzProtected, resourceArgs(staging.one(aws.rds.Instance))).applicable).to.equal(false);
  });

  describe("IAM", () => {
    const backendPolicy = () => prod.one(aws.iam.RolePolicy, "backend-task");
    const withStatements = (edit: (statements: any[]) => void) => {
      const doc = JSON.parse(backendPolicy().inputs.policy);
      edit(doc.Statement);
      return withInputs(backendPolicy(), { policy: JSON.stringify(doc) });
    };
    const sid = (statements: any[], name: string) => statements.find((s) => s.Sid === name);

    it("iam-runtask-scoped: any task definition, any cluster, or a wildcard action", () => {
      expect(violationsOf(iamRunTaskScoped, backendPolicy())).to.deep.equal([]);
      expect(violationsOf(iamRunTaskScoped, withStatements((s) => (sid(s, "RunWorkspaceTasksOnThisCluster").Resource = "*")))).to.have.length(1).and.have.property("0").that.matches(/task-definition/);
      expect(violationsOf(iamRunTaskScoped, withStatements((s) => delete sid(s, "RunWorkspaceTasksOnThisCluster").Condition))).to.have.length(1).and.have.property("0").that.matches(/ecs:cluster/);
      expect(violationsOf(iamRunTaskScoped, withStatements((s) => (sid(s, "WatchAndStopTasksOnThisCluster").Action = "ecs:*")))).to.have.length(1).and.have.property("0").that.matches(/wildcard/);
      expect(violationsOf(iamRunTaskScoped, withStatements((s) => s.push({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })))).to.have.length(1).and.have.property("0").that.matches(/wildcard or NotAction/);
      // Any role carrying such a policy is caught, not only the backend's.
      const inline = withInputs(prod.one(aws.iam.Role, "backend-task"), { inlinePolicies: [{ name: "x", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }] });
      expect(violationsOf(iamRunTaskScoped, inline)).to.have.length(1);
    });

    it("iam-passrole-scoped: any role, or to any service", () => {
      expect(violationsOf(iamPassRoleScoped, backendPolicy())).to.deep.equal([]);
      expect(violationsOf(iamPassRoleScoped, withStatements((s) => (sid(s, "PassOnlyTheWorkspaceExecutionRole").Resource = "arn:aws:iam::123456789012:role/*")))).to.have.length(1).and.have.property("0").that.matches(/specific role ARNs/);
      expect(violationsOf(iamPassRoleScoped, withStatements((s) => delete sid(s, "PassOnlyTheWorkspaceExecutionRole").Condition))).to.have.length(1).and.have.property("0").that.matches(/PassedToService/);
      expect(violationsOf(iamPassRoleScoped, withStatements((s) => (sid(s, "PassOnlyTheWorkspaceExecutionRole").Action = "iam:Pass*")))).to.have.length(1).and.have.property("0").that.matches(/wildcard/);
    });

    it("iam-no-broad-managed-policies: AdministratorAccess and friends", () => {
      const attachment = withInputs(prod.one(aws.iam.RolePolicy, "backend-task"), {}, {
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        inputs: { role: "x", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
      });
      expect(violationsOf(iamNoBroadManagedPolicies, attachment)).to.have.length(1).and.have.property("0").that.matches(/AdministratorAccess/);
      const fine = withInputs(attachment, { policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role" });
      expect(violationsOf(iamNoBroadManagedPolicies, fine)).to.deep.equal([]);
      expect(violationsOf(iamNoBroadManagedPolicies, withInputs(prod.one(aws.iam.Role, "backend-task"), { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonECS_FullAccess"] }))).to.have.length(1);
    });
  });

  describe("stack-wide", () => {
    const ingress = (from: PolicyResource, group: PolicyResource, props: Record<string, unknown>): PolicyResource => ({
      ...from,
      urn: `${from.urn}-broken`,
      name: "broken-ingress",
      props: { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", ...props },
      propertyDependencies: { securityGroupId: [group] },
    });
    const someIngress = (rs: PolicyResource[]) => rs.find((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")!;

    it("no-public-ingress-except-alb: the internet on another group, another port, or another protocol", () => {
      expect(stackViolations(noPublicIngressExceptAlb, prod, () => undefined)).to.deep.equal([]);
      expect(stackViolations(noPublicIngressExceptAlb, prod, (rs) => [...rs, ingress(someIngress(rs), named(rs, "sg-workspace"), {})]))
        .to.have.length(1).and.have.property("0").that.matches(/sg-workspace, which no internet-facing load balancer uses/);
      expect(stackViolations(noPublicIngressExceptAlb, prod, (rs) => [...rs, ingress(someIngress(rs), named(rs, "sg-alb"), { fromPort: 22, toPort: 22 })]))
        .to.have.length(1).and.have.property("0").that.matches(/only TCP 80 and 443 may be public/);
      expect(stackViolations(noPublicIngressExceptAlb, prod, (rs) => [...rs, ingress(someIngress(rs), named(rs, "sg-alb"), { ipProtocol: "-1", cidrIpv4: undefined, cidrIpv6: "::/0" })]))
        .to.have.length(1);
      expect(stackViolations(noPublicIngressExceptAlb, prod, (rs) => {
        named(rs, "sg-backend").props.ingress = [{ protocol: "tcp", fromPort: 8000, toPort: 8000, cidrBlocks: ["0.0.0.0/0"] }];
      })).to.have.length(1);
      // The ALB's group stops counting as the ALB's once the load balancer is internal.
      expect(stackViolations(noPublicIngressExceptAlb, prod, (rs) => {
        named(rs, "alb-alb").props.internal = true;
      }).length).to.be.greaterThan(0);
    });

    it("dns-firewall-fail-closed: no association, fail-open, no final block-all, unprotected association", () => {
      expect(stackViolations(dnsFirewallFailClosed, staging, () => undefined)).to.deep.equal([]);
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => rs.filter((r) => r.name !== "dns-firewall-vpc"))).to.have.length(1).and.have.property("0").that.matches(/no DNS Firewall rule group associated/);
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => {
        named(rs, "dns-firewall-fail-closed").props.firewallFailOpen = "ENABLED";
      })).to.have.length(2);
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => {
        named(rs, "dns-firewall-block-all").props.priority = 50;
      })).to.have.length(1).and.have.property("0").that.matches(/must come last/);
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => rs.filter((r) => r.name !== "dns-firewall-block-all"))).to.have.length(1).and.have.property("0").that.matches(/no catch-all rule \(BLOCK, or ALERT while rolling out\) for "\*"/);
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => {
        named(rs, "dns-firewall-everything").props.domains = ["*.example.com"];
      })).to.have.length(1).and.have.property("0").that.matches(/no catch-all rule/);
      // An ALLOW over "*" is no catch-all: it lets everything through.
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => {
        named(rs, "dns-firewall-block-all").props.action = "ALLOW";
      })).to.have.length(1).and.have.property("0").that.matches(/no catch-all rule/);
      // A catch-all in ALERT still closes the list (the other policy judges ALERT itself).
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => {
        named(rs, "dns-firewall-block-all").props.action = "ALERT";
      })).to.deep.equal([]);
      expect(stackViolations(dnsFirewallFailClosed, staging, (rs) => {
        named(rs, "dns-firewall-vpc").props.mutationProtection = "DISABLED";
      })).to.have.length(1).and.have.property("0").that.matches(/mutationProtection/);
    });
  });

  describe("DNS Firewall in ALERT", () => {
    let prodAlert: StackGraph;
    let stagingAlert: StackGraph;
    before(async () => {
      prodAlert = await buildStack("prod", { dnsFirewallCatchAllAction: "ALERT", dnsFirewallAlertAcknowledged: true });
      stagingAlert = await buildStack("staging", { dnsFirewallCatchAllAction: "ALERT" });
    });

    it("dns-firewall-blocks-in-production: prod's ALERT fails without the acknowledgement, passes with it; outside production ALERT is allowed", () => {
      expect(stackViolations(dnsFirewallBlocksInProduction, prod, () => undefined)).to.deep.equal([]);
      expect(stackViolations(dnsFirewallBlocksInProduction, prodAlert, () => undefined)).to.deep.equal([]);
      const unacknowledged = stackViolations(dnsFirewallBlocksInProduction, prodAlert, (rs) => {
        const group = named(rs, "dns-firewall-rules");
        group.props.tags = Object.fromEntries(Object.entries(group.props.tags).filter(([k]) => k !== "CatchAllAlertAcknowledged"));
      });
      expect(unacknowledged).to.have.length(1);
      expect(unacknowledged[0]).to.match(/^dns-firewall-block-all in production stack "prod" only ALERTs: every name off the allow list resolves\. Set dnsFirewallCatchAllAction to BLOCK, or acknowledge the observation window with dnsFirewallAlertAcknowledged: true\.$/);
      // The same rule in production without the config's tag: what a hand-edited ALERT looks like.
      expect(stackViolations(dnsFirewallBlocksInProduction, prod, (rs) => { named(rs, "dns-firewall-block-all").props.action = "ALERT"; })).to.have.length(1);
      expect(evaluatePolicies(stagingAlert, [dnsFirewallBlocksInProduction]).get("dns-firewall-blocks-in-production")).to.deep.equal({ violations: [], applicable: false });
      // Every policy of the pack passes on both ALERT stacks as configured.
      for (const g of [prodAlert, stagingAlert]) expect(runPolicies(g, allPolicies)).to.deep.equal([]);
    });
  });

  describe("egress (proxy mode)", () => {
    let proxied: StackGraph;
    before(async () => {
      proxied = await buildStack("staging", STAGING_EGRESS_PROXY);
    });
    const egressPolicies = [workspaceSubnetsNoInternetRoute, workspaceEgressProxyEndpointsResolverOnly];
    const workspaceTable = (rs: PolicyResource[]) => named(rs, "network-workspace-rt-0");
    const withRoute = (rs: PolicyResource[], props: Record<string, unknown>): PolicyResource[] => [...rs, {
      ...named(rs, "network-private-default-0"),
      urn: "urn:pulumi:staging::remote-claude::aws:ec2/route:Route::broken-route",
      name: "broken-route",
      props: { destinationCidrBlock: "0.0.0.0/0", ...props },
      propertyDependencies: { routeTableId: [workspaceTable(rs)] },
    }];
    const withEgress = (rs: PolicyResource[], props: Record<string, unknown>, peer?: PolicyResource): PolicyResource[] => [...rs, {
      ...named(rs, "sg-workspace-to-endpoints-tcp443-out"),
      urn: "urn:pulumi:staging::remote-claude::aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::broken-egress",
      name: "broken-egress",
      props: { ipProtocol: "tcp", fromPort: 443, toPort: 443, ...props },
      propertyDependencies: { securityGroupId: [named(rs, "sg-workspace")], ...(peer ? { referencedSecurityGroupId: [peer] } : {}) },
    }];

    it("pass on prod and on staging in proxy mode; n/a on staging in dns-firewall mode", () => {
      for (const g of [prod, proxied]) {
        const outcomes = evaluatePolicies(g, egressPolicies);
        for (const p of egressPolicies) expect(outcomes.get(p.name), `${g.stack} ${p.name}`).to.deep.equal({ applicable: true, violations: [] });
      }
      for (const p of egressPolicies) expect(evaluatePolicies(staging, [p]).get(p.name)?.applicable, p.name).to.equal(false);
    });

    it("workspace-subnets-no-internet-route: a NAT, internet-gateway or NAT-instance route, a subnet on the main table, production in dns-firewall mode", () => {
      const policy = workspaceSubnetsNoInternetRoute;
      expect(stackViolations(policy, proxied, (rs) => withRoute(rs, { natGatewayId: "nat-0abc" }))).to.have.length(1).and.have.property("0").that.matches(/broken-route routes 0\.0\.0\.0\/0 from workspace subnet network-workspace-0 to natGatewayId nat-0abc/);
      expect(stackViolations(policy, proxied, (rs) => withRoute(rs, { gatewayId: "igw-0abc" }))).to.have.length(1).and.have.property("0").that.matches(/to gatewayId igw-0abc/);
      expect(stackViolations(policy, proxied, (rs) => withRoute(rs, { networkInterfaceId: "eni-0nat" }))).to.have.length(1);
      expect(stackViolations(policy, proxied, (rs) => withRoute(rs, { vpcEndpointId: "vpce-0s3" }))).to.deep.equal([]);
      expect(stackViolations(policy, proxied, (rs) => { workspaceTable(rs).props.routes = [{ cidrBlock: "0.0.0.0/0", natGatewayId: "nat-0abc" }]; }))
        .to.have.length(1).and.have.property("0").that.matches(/inline route/);
      expect(stackViolations(policy, proxied, (rs) => rs.filter((r) => !(r.type === "aws:ec2/routeTableAssociation:RouteTableAssociation" && r.name === "network-workspace-1"))))
        .to.have.length(1).and.have.property("0").that.matches(/network-workspace-1 has no route table of its own/);
      expect(stackViolations(policy, proxied, (rs) => rs.filter((r) => !(r.props.tags?.Tier === "workspace"))))
        .to.have.length(1).and.have.property("0").that.matches(/no workspace subnets/);
      // A production stack cannot opt out: its VPC must say proxy.
      expect(stackViolations(policy, prod, (rs) => { named(rs, "network-vpc").props.tags = { ...named(rs, "network-vpc").props.tags, EgressMode: "dns-firewall" }; }))
        .to.have.length(1).and.have.property("0").that.matches(/production stack "prod" but runs egressMode dns-firewall/);
      // The real dns-firewall stack holds exactly such routes: the policy would catch them in proxy mode.
      expect(stackViolations(policy, staging, (rs) => { named(rs, "network-vpc").props.tags = { ...named(rs, "network-vpc").props.tags, EgressMode: "proxy" }; }))
        .to.have.length(2).and.satisfy((v: string[]) => v.every((m) => /network-workspace-default-\d routes 0\.0\.0\.0\/0 .* to natGatewayId nat-/.test(m)));
    });

    it("workspace-egress-proxy-endpoints-resolver-only: 443 anywhere, endpoints on another port, another group, a prefix list, all traffic, the wrong resolver", () => {
      const policy = workspaceEgressProxyEndpointsResolverOnly;
      expect(stackViolations(policy, proxied, (rs) => withEgress(rs, { cidrIpv4: "0.0.0.0/0" }))).to.have.length(1).and.have.property("0").that.matches(/0\.0\.0\.0\/0 tcp\/443 is not the VPC resolver \(10\.20\.0\.2\/32\) on 53/);
      expect(stackViolations(policy, proxied, (rs) => withEgress(rs, { fromPort: 80, toPort: 80 }, named(rs, "sg-endpoints")))).to.have.length(1).and.have.property("0").that.matches(/group sg-endpoints tcp\/80 is neither/);
      expect(stackViolations(policy, proxied, (rs) => withEgress(rs, { fromPort: 8000, toPort: 8000 }, named(rs, "sg-backend")))).to.have.length(1);
      expect(stackViolations(policy, proxied, (rs) => withEgress(rs, { fromPort: 443, toPort: 443 }, named(rs, "sg-egressProxyLb")))).to.have.length(1).and.have.property("0").that.matches(/sg-egressProxyLb tcp\/443/);
      expect(stackViolations(policy, proxied, (rs) => withEgress(rs, { prefixListId: "pl-s3" }))).to.have.length(1).and.have.property("0").that.matches(/prefix list pl-s3/);
      expect(stackViolations(policy, proxied, (rs) => withEgress(rs, { ipProtocol: "-1", fromPort: undefined, toPort: undefined, cidrIpv4: "10.20.0.2/32" }))).to.have.length(2).and.have.property("0").that.matches(/-1\/undefined is not a single TCP or UDP port/);
      expect(stackViolations(policy, proxied, (rs) => withEgress(rs, { ipProtocol: "udp", fromPort: 53, toPort: 53, cidrIpv4: "10.20.0.3/32" }))).to.have.length(1);
      expect(stackViolations(policy, proxied, (rs) => { named(rs, "sg-workspace").props.egress = [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }]; })).to.have.length(1).and.have.property("0").that.matches(/inline egress/);
      // The NLB stops counting as the proxy's once it is internet-facing.
      expect(stackViolations(policy, proxied, (rs) => { named(rs, "egress-proxy-lb-nlb").props.internal = false; })).to.have.length(1).and.have.property("0").that.matches(/sg-egressProxyLb tcp\/3128 is neither/);
      // dns-firewall staging's own 443-anywhere rule is exactly what proxy mode forbids.
      expect(stackViolations(policy, staging, (rs) => { named(rs, "network-vpc").props.tags = { ...named(rs, "network-vpc").props.tags, EgressMode: "proxy" }; }))
        .to.have.length(1).and.have.property("0").that.matches(/sg-workspace-to-0-0-0-0-0-tcp443-out: .*0\.0\.0\.0\/0 tcp\/443/);
    });
  });

  it("every policy has a broken case above", () => {
    const covered = [
      workspaceNoTaskRole, workspaceContainersHardened, workspaceSecretOnlyInCredentialProxy, ecsNoPrivilegedTasks, launchTemplateImdsv2,
      launchTemplateBlocksTaskImds, launchTemplateTaskPidsLimit, ecsDeploymentRollbackAsDocumented, rdsEncryptedPrivate, rdsRequiresTls, elasticacheEncryptedAuthenticated, prodDataMultiAzProtected,
      iamRunTaskScoped, iamPassRoleScoped, iamNoBroadManagedPolicies, noPublicIngressExceptAlb, dnsFirewallFailClosed, dnsFirewallBlocksInProduction,
      workspaceVolumeConfiguredAtLaunch, logGroupsPlatformKey, workspaceTaskResourcesBounded,
      workspaceSubnetsNoInternetRoute, workspaceEgressProxyEndpointsResolverOnly,
      // Their broken cases are in test/reachability.test.ts (no EC2 endpoint, name, flow) and
      // test/endpointPerimeter.test.ts (AWS's default policy, no aws:ResourceAccount, no policy, two accounts).
      awsCallsReachable, vpcEndpointsDataPerimeter,
    ].map((p) => p.name).sort();
    expect(covered).to.deep.equal(allPolicies.map((p) => p.name).sort());
  });
});
