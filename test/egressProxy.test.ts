// The egress proxy as the program builds it in egressMode proxy (prod; staging with STAGING_EGRESS_PROXY):
// the internal NLB, the ECS service on the backend pool, its task definition and roles, its
// decision log and metric filters, its image; and that dns-firewall mode builds none of it.
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EGRESS_MODE_FACTS, EGRESS_MODES, vpcReverseZone } from "../lib/egress";
import { CONTAINERS, POOL_ATTRIBUTE } from "../lib/names";
import type { StackGraph } from "../offline/graph";
import { EGRESS_PROXY_CONTAINER, EGRESS_PROXY_USER, egressProxyContainer, SQUID_CONFIG_ENV } from "../lib/egressProxyContainer";
import { DECISIONS_PATTERN, DENIED_PATTERN, matchesSpaceDelimited, NON_PUBLIC_DESTINATION_PATTERN } from "../lib/egressProxyDecisionLog";
import { EGRESS_PROXY_PORT, NON_PUBLIC_DESTINATION_PAGE, renderSquidConfig } from "../lib/squidConfig";
import { STAGING_EGRESS_PROXY } from "./helpers/egress";
import { resolveId } from "./helpers/graph";
import { containerNamed, containersOf, inlineStatements, statementBySid } from "./helpers/services";
import { buildStack, stackConfig } from "./helpers/stacks";

const ROOT = path.resolve(__dirname, "..");
const EGRESS_PROXY_DIR = path.join(ROOT, "services/egressProxy");

const subnetsOfTier = (g: StackGraph, tier: string) => g.ofType(aws.ec2.Subnet).filter((s) => s.inputs.tags.Tier === tier);

describe("egress proxy (prod: egressMode proxy)", () => {
  let g: StackGraph;
  before(async () => {
    g = await buildStack("prod");
  });
  const nlb = () => g.one(aws.lb.LoadBalancer, "egress-proxy-lb-nlb");
  const targets = () => g.one(aws.lb.TargetGroup, "egress-proxy-lb-targets");
  const service = () => g.one(aws.ecs.Service, "egress-proxy-service");
  const taskDef = () => g.one(aws.ecs.TaskDefinition, "egress-proxy-task");

  it("listens on one port of an internal NLB across the private subnets, behind its own security group", () => {
    expect(nlb().inputs).to.deep.include({ loadBalancerType: "network", internal: true, enableCrossZoneLoadBalancing: true, enableDeletionProtection: true });
    expect(nlb().inputs.subnets).to.deep.equal(subnetsOfTier(g, "private").map((s) => s.physicalId));
    expect(nlb().inputs.securityGroups).to.deep.equal([g.one(aws.ec2.SecurityGroup, "sg-egressProxyLb").physicalId]);
    const listeners = g.ofType(aws.lb.Listener).filter((l) => resolveId(g, l.inputs.loadBalancerArn).id === nlb().id);
    expect(listeners.map((l) => [l.inputs.port, l.inputs.protocol])).to.deep.equal([[EGRESS_PROXY_PORT, "TCP"]]);
    expect(listeners[0].inputs.defaultActions).to.deep.equal([{ type: "forward", targetGroupArn: targets().state.arn }]);
    // Not the NLB's 350 s default: quiet event streams and slow steps keep their tunnel.
    expect(listeners[0].inputs.tcpIdleTimeoutSeconds).to.equal(3600);
    expect(g.outputs.egressProxy.url).to.equal(`http://${nlb().state.dnsName}:${EGRESS_PROXY_PORT}`);
  });

  it("forwards to the egress proxy tasks' addresses with a PROXY v2 header, health-checked over TCP", () => {
    expect(targets().inputs).to.deep.include({ targetType: "ip", protocol: "TCP", port: EGRESS_PROXY_PORT, preserveClientIp: "false", proxyProtocolV2: true });
    expect(targets().inputs.healthCheck).to.deep.include({ enabled: true, protocol: "TCP", port: "traffic-port" });
    expect(targets().inputs.vpcId).to.equal(g.one(aws.ec2.Vpc).physicalId);
  });

  it("runs as an ECS service on the backend pool, spread over AZs, registered with the NLB, rolling back failed deployments", () => {
    const s = service().inputs;
    expect(s.name).to.equal("remote-claude-prod-egress-proxy");
    expect(s.desiredCount).to.equal(stackConfig("prod").egressProxyCount).and.to.be.at.least(2);
    expect(s.capacityProviderStrategies).to.deep.equal([{ capacityProvider: "remote-claude-prod-backend", weight: 1, base: 0 }]);
    expect(s).to.not.have.property("launchType");
    expect(s.networkConfiguration).to.deep.equal({
      subnets: subnetsOfTier(g, "private").map((x) => x.physicalId),
      securityGroups: [g.one(aws.ec2.SecurityGroup, "sg-egressProxy").physicalId],
      assignPublicIp: false,
    });
    expect(s.orderedPlacementStrategies).to.deep.equal([
      { type: "spread", field: "attribute:ecs.availability-zone" },
      { type: "spread", field: "instanceId" },
    ]);
    expect(s.loadBalancers).to.deep.equal([{ targetGroupArn: targets().state.arn, containerName: EGRESS_PROXY_CONTAINER, containerPort: EGRESS_PROXY_PORT }]);
    expect(s.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
    expect([s.deploymentMinimumHealthyPercent, s.deploymentMaximumPercent]).to.deep.equal([100, 200]);
    expect(s.enableExecuteCommand).to.equal(false);
    expect(s.cluster).to.equal(g.one(aws.ecs.Cluster).state.arn);
    // It needs the capacity providers attached and the listener in place.
    expect(service().options.dependsOn).to.include.members([g.one(aws.ecs.ClusterCapacityProviders).id, g.one(aws.lb.Listener, "egress-proxy-lb-listener").id]);
  });

  it("has a task definition for the backend pool with no task role and one hardened Squid container carrying the generated configuration", () => {
    const t = taskDef().inputs;
    const cfg = stackConfig("prod");
    expect(t).to.deep.include({ family: "remote-claude-prod-egress-proxy", networkMode: "awsvpc", requiresCompatibilities: ["EC2"] });
    expect(t).to.not.have.property("taskRoleArn");
    expect(t.placementConstraints).to.deep.equal([{ type: "memberOf", expression: `attribute:${POOL_ATTRIBUTE} == backend` }]);
    const expected = egressProxyContainer({
      image: `${g.one(aws.ecr.Repository, "ecr-egress-proxy").state.repositoryUrl}:${cfg.egressProxyImage}`,
      cpu: cfg.egressProxyCpu,
      memoryMiB: cfg.egressProxyMemoryMiB,
      allowList: cfg.dnsAllowedDomains,
      loadBalancerCidrs: subnetsOfTier(g, "private").map((s) => s.inputs.cidrBlock),
      logGroup: "/remote-claude-prod/egress-proxy",
      region: "ap-northeast-1",
    });
    expect(containersOf(taskDef())).to.deep.equal(JSON.parse(JSON.stringify([expected])));
    const c = containerNamed(taskDef(), EGRESS_PROXY_CONTAINER);
    // One allow list: the DNS Firewall's configured names, for Squid.
    expect(c.environment).to.deep.equal([{ name: SQUID_CONFIG_ENV, value: renderSquidConfig(cfg.dnsAllowedDomains, { proxyProtocolFrom: ["10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"] }) }]);
    expect(c).to.deep.include({ user: EGRESS_PROXY_USER, privileged: false, readonlyRootFilesystem: true, dockerSecurityOptions: ["no-new-privileges"] });
    expect(c.linuxParameters?.capabilities).to.deep.equal({ drop: ["ALL"], add: [] });
    expect(c.secrets).to.equal(undefined);
    expect(c.logConfiguration?.options).to.deep.include({ "awslogs-group": "/remote-claude-prod/egress-proxy", "awslogs-stream-prefix": "egress-proxy" });
    expect([t.cpu, t.memory]).to.deep.equal([String(cfg.egressProxyCpu), String(cfg.egressProxyMemoryMiB)]);
  });

  it("has an execution role that pulls only its image and writes only its decision log", () => {
    const role = resolveId(g, taskDef().inputs.executionRoleArn);
    expect(role.name).to.equal("egress-proxy-execution");
    const s = inlineStatements(g, "egress-proxy-execution");
    expect(s.map((x) => x.Sid)).to.deep.equal(["RegistryLogin", "PullOwnImages", "WriteOwnLogs"]);
    expect(statementBySid(s, "PullOwnImages").Resource).to.deep.equal([g.one(aws.ecr.Repository, "ecr-egress-proxy").state.arn]);
    expect(statementBySid(s, "WriteOwnLogs").Resource).to.deep.equal(["arn:aws:logs:ap-northeast-1:123456789012:log-group:/remote-claude-prod/egress-proxy:log-stream:*"]);
  });

  it("logs every decision to an encrypted log group and counts all, denied and non-public-destination decisions with metric filters", () => {
    const group = g.one(aws.cloudwatch.LogGroup, "egress-proxy-logs");
    expect(group.inputs).to.deep.include({ name: "/remote-claude-prod/egress-proxy", retentionInDays: 365, kmsKeyId: g.one(aws.kms.Key, "kms-key").state.arn });
    const filters = g.ofType(aws.cloudwatch.LogMetricFilter);
    expect(filters.map((f) => [f.name, f.inputs.logGroupName, f.inputs.pattern, f.inputs.metricTransformation.name])).to.deep.equal([
      ["egress-proxy-requests", "/remote-claude-prod/egress-proxy", DECISIONS_PATTERN, "Requests"],
      ["egress-proxy-denied", "/remote-claude-prod/egress-proxy", DENIED_PATTERN, "DeniedRequests"],
      ["egress-proxy-non-public-destinations", "/remote-claude-prod/egress-proxy", NON_PUBLIC_DESTINATION_PATTERN, "NonPublicDestinationRequests"],
    ]);
    for (const f of filters) expect(f.inputs.metricTransformation).to.deep.include({ namespace: "RemoteClaude/EgressProxy/remote-claude-prod", value: "1", unit: "Count" });
    expect(g.outputs.egressProxy).to.deep.equal({
      url: `http://${nlb().state.dnsName}:3128`,
      serviceName: "remote-claude-prod-egress-proxy",
      logGroupName: "/remote-claude-prod/egress-proxy",
      metricsNamespace: "RemoteClaude/EgressProxy/remote-claude-prod",
    });
  });

  it("never shares a host with a workspace: the workspace task stays on its pool, the egress proxy on the backend's", () => {
    const workspace = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-prod-workspace")!;
    expect(workspace.inputs.placementConstraints[0].expression).to.equal(`attribute:${POOL_ATTRIBUTE} == workspace`);
    expect(containersOf(workspace).map((c) => c.name)).to.deep.equal([CONTAINERS.credentialProxy, CONTAINERS.workspaceAgent]);
  });
});

describe("egress proxy in dns-firewall mode (staging)", () => {
  it("builds none of it: no NLB, service, task, log group, metric filter or image; its groups stay empty", async () => {
    const g = await buildStack("staging");
    expect(g.ofType(aws.lb.LoadBalancer).map((l) => l.name)).to.deep.equal(["alb-alb"]);
    expect(g.ofType(aws.ecs.Service).map((s) => s.name)).to.deep.equal(["backend-service"]);
    expect(g.ofType(aws.ecs.TaskDefinition).map((t) => t.inputs.family).sort()).to.deep.equal(["remote-claude-staging-backend", "remote-claude-staging-workspace"]);
    expect(g.ofType(aws.cloudwatch.LogMetricFilter)).to.deep.equal([]);
    expect(g.ofType(aws.ecr.Repository).map((r) => r.name)).to.not.include("ecr-egress-proxy");
    const groups = ["sg-egressProxy", "sg-egressProxyLb"].map((n) => g.one(aws.ec2.SecurityGroup, n).physicalId);
    const rules = [...g.ofType(aws.vpc.SecurityGroupIngressRule), ...g.ofType(aws.vpc.SecurityGroupEgressRule)];
    expect(rules.filter((r) => groups.includes(r.inputs.securityGroupId) || groups.includes(r.inputs.referencedSecurityGroupId))).to.deep.equal([]);
    expect(g.outputs.egressProxy).to.deep.equal({});
    expect(g.outputs.egressMode).to.equal("dns-firewall");
  });

  it("builds all of it on the same stack in proxy mode, with the staging pool and one NAT", async () => {
    const g = await buildStack("staging", STAGING_EGRESS_PROXY);
    expect(g.one(aws.ecs.Service, "egress-proxy-service").inputs.capacityProviderStrategies[0].capacityProvider).to.equal("remote-claude-staging-backend");
    expect(g.one(aws.lb.LoadBalancer, "egress-proxy-lb-nlb").inputs.enableDeletionProtection).to.equal(false);
    expect(g.outputs.egressMode).to.equal("proxy");
  });
});

describe("egress proxy image", () => {
  it("is built and pushed with awsx from services/egressProxy when its build context is set, and the service runs that digest", async () => {
    const g = await buildStack("staging", { ...STAGING_EGRESS_PROXY, egressProxyImage: "build-7", egressProxyBuildContext: "services/egressProxy" });
    const image = g.ofType("awsx:ecr:Image").find((i) => i.name === "ecr-egress-proxy")!;
    expect(image.inputs).to.deep.equal({
      repositoryUrl: g.one(aws.ecr.Repository, "ecr-egress-proxy").state.repositoryUrl,
      context: EGRESS_PROXY_DIR,
      platform: "linux/amd64",
      imageTag: "build-7",
    });
    const task = g.one(aws.ecs.TaskDefinition, "egress-proxy-task");
    expect(containerNamed(task, EGRESS_PROXY_CONTAINER).image).to.equal(image.state.imageUri).and.match(/@sha256:[0-9a-f]{64}$/);
  });

  it("is Debian's Squid and nothing else but its error page, run as the proxy user through the entrypoint", () => {
    const dockerfile = fs.readFileSync(path.join(EGRESS_PROXY_DIR, "Dockerfile"), "utf8");
    const instructions = dockerfile.split("\n").filter((l) => /^[A-Z]+ /.test(l)).map((l) => l.split(" ")[0]);
    expect(instructions).to.deep.equal(["ARG", "FROM", "RUN", "COPY", "COPY", "USER", "EXPOSE", "ENTRYPOINT"]);
    expect(dockerfile).to.match(/^COPY errors\/ \/usr\/share\/squid\/errors\/templates\/$/m);
    expect(fs.readdirSync(path.join(EGRESS_PROXY_DIR, "errors"))).to.deep.equal([NON_PUBLIC_DESTINATION_PAGE]);
    expect(dockerfile).to.match(/^ARG BASE=debian:bookworm-slim$/m);
    expect(dockerfile).to.match(/apt-get install -y --no-install-recommends squid ca-certificates/);
    expect(dockerfile).to.match(/^USER proxy$/m);
    expect(dockerfile).to.include(`EXPOSE ${EGRESS_PROXY_PORT}`);
    expect(dockerfile).to.match(/^COPY entrypoint\.sh \/usr\/local\/bin\/egress-proxy$/m);
    expect(dockerfile).to.include('ENTRYPOINT ["/usr/local/bin/egress-proxy"]');
    // COPY keeps the mode: the entrypoint must be executable in the repository.
    expect(fs.statSync(path.join(EGRESS_PROXY_DIR, "entrypoint.sh")).mode & 0o111).to.not.equal(0);
  });

  it("refuses to start without the configuration, and passes shellcheck", function () {
    const empty = spawnSync("sh", [path.join(EGRESS_PROXY_DIR, "entrypoint.sh")], { env: { PATH: process.env.PATH, SQUID_CONFIG: "" }, encoding: "utf8" });
    expect(empty.status).to.equal(64);
    expect(empty.stderr).to.match(/SQUID_CONFIG is empty/);
    const lint = spawnSync("shellcheck", [path.join(EGRESS_PROXY_DIR, "entrypoint.sh")], { encoding: "utf8" });
    if (lint.error) this.skip();
    expect(lint.status, lint.stdout).to.equal(0);
  });
});

describe("decision log metric filters (the subset of CloudWatch's space-delimited syntax they use)", () => {
  const allowed = "1795480342.663 10.40.160.7 CONNECT github.com:443 200 TCP_TUNNEL -";
  const denied = "1795480342.663 10.40.160.7 CONNECT evil.example:443 403 TCP_DENIED ERR_ACCESS_DENIED";
  const aborted = "1795480342.664 10.40.160.7 CONNECT 203.0.113.9:443 403 TCP_DENIED_ABORTED ERR_ACCESS_DENIED";
  const nonPublic = "1795480342.665 10.40.160.7 CONNECT internal.github.com:443 403 TCP_DENIED ERR_NON_PUBLIC_DESTINATION";

  it("counts every decision, the denied ones, and among them the allowed names that led to a non-public address", () => {
    expect([allowed, denied, nonPublic].map((l) => matchesSpaceDelimited(DECISIONS_PATTERN, l))).to.deep.equal([true, true, true]);
    expect([allowed, denied, aborted, nonPublic].map((l) => matchesSpaceDelimited(DENIED_PATTERN, l))).to.deep.equal([false, true, true, true]);
    expect([allowed, denied, aborted, nonPublic].map((l) => matchesSpaceDelimited(NON_PUBLIC_DESTINATION_PATTERN, l))).to.deep.equal([false, false, false, true]);
    // Squid's startup messages (cache log, stderr) are not decisions.
    expect(matchesSpaceDelimited(DECISIONS_PATTERN, "2026/11/24 00:32:20| Squid Cache (Version 5.7): Exiting normally.")).to.equal(false);
  });

  it("names the VPC's reverse zone, which the egress proxy's client lookups need", () => {
    expect(vpcReverseZone("10.30.0.0/16")).to.equal("*.30.10.in-addr.arpa");
    expect(vpcReverseZone("172.16.64.0/18")).to.equal("*.16.172.in-addr.arpa");
  });

  it("matches whole fields with wildcards and refuses syntax it does not cover", () => {
    expect(matchesSpaceDelimited("[a, b = TCP_*]", "x TCP_DENIED")).to.equal(true);
    expect(matchesSpaceDelimited("[a, b != TCP_*]", "x TCP_DENIED")).to.equal(false);
    expect(matchesSpaceDelimited('[a, b = "TCP_DENIED"]', "x TCP_DENIED_REPLY")).to.equal(false);
    expect(() => matchesSpaceDelimited("[a, ...]", "x")).to.throw(/unsupported/);
    expect(() => matchesSpaceDelimited("TCP_DENIED", "x")).to.throw(/not a space-delimited pattern/);
  });
});

describe("egress documentation", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/egress.md"), "utf8");
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

  it("states what each mode blocks and still allows exactly as the plan prints it (lib/egress.ts)", () => {
    for (const mode of EGRESS_MODES) {
      for (const line of [...EGRESS_MODE_FACTS[mode].blocks, ...EGRESS_MODE_FACTS[mode].allows]) expect(doc, `${mode}: ${line}`).to.include(`- ${line}\n`);
    }
  });

  it("is linked from the README, which names both modes and the stack each runs", () => {
    expect(readme).to.include("[docs/egress.md](docs/egress.md)");
    expect(readme).to.match(/\*\*`proxy`\*\* \(production, and the\s+default\)/);
    expect(readme).to.match(/\*\*`dns-firewall`\*\* \(staging\)/);
    expect([stackConfig("staging").egressMode, stackConfig("prod").egressMode]).to.deep.equal(["dns-firewall", "proxy"]);
    // The README's flow table has the proxy's flows.
    expect(readme).to.include("| workspace | egressProxyLb | tcp/3128 |");
  });
});
