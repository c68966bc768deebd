import { expect } from "chai";
import type { StackConfig } from "../config";
import { type CapturedResource, StackGraph } from "../offline/graph";
import { derivedEgressMode, MUST_REFUSE_RANGES, type PostureRow, postureRows } from "../offline/posture/posture";
import { NON_PUBLIC_DESTINATIONS } from "../lib/squidConfig";
import { fakeResource, withChanges } from "./helpers/fakeGraph";
import { buildStack, STACKS, stackConfig } from "./helpers/stacks";

const row = (rows: PostureRow[], layer: string) => {
  const found = rows.find((r) => r.layer === layer);
  if (!found) throw new Error(`no posture row ${layer}`);
  return found;
};

const sgOf = (g: StackGraph, role: string) => g.ofType("aws:ec2/securityGroup:SecurityGroup").find((s) => s.inputs.tags?.Role === role) as CapturedResource;
const inputsChanged = (r: CapturedResource, inputs: Record<string, any>): CapturedResource => ({ ...r, inputs: { ...r.inputs, ...inputs } });

describe("security posture read from the graph", () => {
  for (const stack of STACKS) {
    it(`shows every layer of ${stack} in force, egress as its egressMode says`, async () => {
      const rows = postureRows(await buildStack(stack), stackConfig(stack));
      expect(rows.map((r) => r.layer)).to.deep.equal(["IMDS", "seccomp", "ptrace", "Containers", "Processes", "Security groups", "DNS Firewall", "Egress mode", "Egress destinations", "Task roles", "Endpoint perimeter", "Encryption"]);
      for (const r of rows.filter((x) => !x.layer.startsWith("Egress ") && x.layer !== "ptrace")) expect(r.verdict, `${r.layer}: ${r.detail}`).to.equal("in force");
      expect(row(rows, "IMDS").detail).to.include("IMDSv2 required with hop limit 1 on 2/2 launch templates; ECS_AWSVPC_BLOCK_IMDS=true in 2/2 user data");
      expect(row(rows, "seccomp").detail).to.match(/default profile \/etc\/docker\/seccomp\/remote-claude\.json on 2\/2 .*default SCMP_ACT_ERRNO/);
      expect(row(rows, "seccomp").detail).to.include("today's Docker default (moby seccomp/v0.2.3, 2026-05-06) plus the project's rules");
      expect(row(rows, "seccomp").detail).to.include("socket families for containers without CAP_NET_ADMIN: AF_UNIX, AF_INET, AF_INET6, AF_NETLINK; AF_ALG and AF_VSOCK refused on 2/2 hosts");
      // Both stacks keep the default choice: Docker's own, shown as the baseline it is.
      expect(row(rows, "ptrace")).to.include({ verdict: "baseline" });
      expect(row(rows, "ptrace").detail).to.match(/^allowed on 2\/2 hosts' profiles: Docker's default; .*workspace task PID namespace: one per container .*config seccompPtrace: allowed$/);
      expect(row(rows, "Processes").detail).to.match(/^ECS_TASK_PIDS_LIMIT=4096 on 2\/2 hosts .*workspace containers' nproc ulimit: credential-proxy 4194304, workspace-agent 4194304 /);
      expect(row(rows, "Security groups").detail).to.include("0.0.0.0/0 ingress: alb tcp/443, alb tcp/80 (the ALB only)");
      expect(row(rows, "DNS Firewall").detail).to.match(/fail-open DISABLED \(fail-closed\); ALLOW \d+ names, then BLOCK \* last \(priority 1000, NXDOMAIN\); queries logged/);
      // Staging runs the DNS-filtered baseline; prod the egress proxy with no route out.
      if (stack === "staging") {
        expect(row(rows, "Egress mode")).to.include({ verdict: "baseline" });
        expect(row(rows, "Egress mode").detail).to.match(/^dns-firewall .*workspace subnets route 0\.0\.0\.0\/0 to a NAT gateway; config egressMode: dns-firewall$/);
        expect(row(rows, "Egress destinations")).to.include({ verdict: "baseline" });
        expect(row(rows, "Egress destinations").detail).to.match(/^no egress proxy \(dns-firewall mode\): nothing checks where an allowed name leads/);
      } else {
        expect(row(rows, "Egress mode")).to.include({ verdict: "in force" });
        expect(row(rows, "Egress mode").detail).to.match(/^proxy .*workspace subnets route 0\.0\.0\.0\/0 to nothing \(no default route\); config egressMode: proxy$/);
        expect(row(rows, "Egress destinations")).to.include({ verdict: "in force" });
        expect(row(rows, "Egress destinations").detail).to.equal(
          `egress proxy remote-claude-prod-egress-proxy resolves each allowed name and refuses it (403, ERR_NON_PUBLIC_DESTINATION) if any address is in ${NON_PUBLIC_DESTINATIONS.length} non-public ranges (14 IPv4, 12 IPv6): ` +
          "loopback, RFC 1918, CGNAT, link-local (IMDS, ECS credentials), ULA (fd00:ec2::254), IPv6 link-local, …; refusals counted (metric filter NonPublicDestinationRequests)");
      }
      expect(row(rows, "Task roles").detail).to.match(new RegExp(`workspace remote-claude-${stack}-workspace: no task role`));
      expect(row(rows, "Encryption").detail).to.include("RDS storage (KMS) 1/1; Redis at rest (KMS) and TLS required 1/1; host root volumes 2/2");
      expect(row(rows, "Endpoint perimeter").detail).to.match(/^13\/13 interface endpoints serve only account 123456789012's principals on its resources and named AWS-owned resources \(ssm, imagebuilder, bedrock-runtime\); 1\/1 gateway endpoints only the buckets they name, read only$/);
      const logGroups = (await buildStack(stack)).ofType("aws:cloudwatch/logGroup:LogGroup").length;
      expect(row(rows, "Encryption").detail).to.match(new RegExp(`; log groups \\(KMS\\) ${logGroups}/${logGroups}$`));
    });
  }

  it("sees an endpoint left with AWS's default policy as a partial perimeter, and names it", async () => {
    const g = await buildStack("staging");
    const broken = withChanges(g, (r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint" && String(r.inputs.serviceName).endsWith(".logs")
      ? inputsChanged(r, { policy: undefined }) : undefined);
    const perimeter = row(postureRows(broken), "Endpoint perimeter");
    expect(perimeter.verdict).to.equal("partial");
    expect(perimeter.detail).to.include("12/13 interface endpoints").and.include("OPEN to other accounts: logs (no policy: AWS's default policy serves every principal of every account)");
  });

  it("shows a DNS Firewall whose catch-all only ALERTs as a warning, saying names off the list resolve", async () => {
    const staging = row(postureRows(await buildStack("staging", { dnsFirewallCatchAllAction: "ALERT" })), "DNS Firewall");
    expect(staging.verdict).to.equal("warning");
    expect(staging.detail).to.match(/ALLOW \d+ names, then ALERT \* last \(priority 1000\): names off the allow list RESOLVE and are only logged \(dnsFirewallCatchAllAction ALERT; set BLOCK once `ops egress report` is clean\); queries logged$/);
    const prod = row(postureRows(await buildStack("prod", { dnsFirewallCatchAllAction: "ALERT", dnsFirewallAlertAcknowledged: true })), "DNS Firewall");
    expect(prod.verdict).to.equal("warning");
    expect(prod.detail).to.include("(dnsFirewallCatchAllAction ALERT, acknowledged for production;");
  });

  it("sees a launch template that allows IMDSv1 as a partial IMDS layer", async () => {
    const g = await buildStack("staging");
    let changed = false;
    const broken = withChanges(g, (r) => {
      if (r.type !== "aws:ec2/launchTemplate:LaunchTemplate" || changed) return undefined;
      changed = true;
      return inputsChanged(r, { metadataOptions: { ...r.inputs.metadataOptions, httpTokens: "optional" } });
    });
    const imds = row(postureRows(broken), "IMDS");
    expect(imds.verdict).to.equal("partial");
    expect(imds.detail).to.include("IMDSv2 required with hop limit 1 on 1/2 launch templates");
  });

  it("flags 0.0.0.0/0 ingress anywhere but the ALB", async () => {
    const g = await buildStack("staging");
    const open = fakeResource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-open", {
      securityGroupId: sgOf(g, "database").physicalId, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 5432, toPort: 5432,
    });
    const sg = row(postureRows(withChanges(g, () => undefined, [open])), "Security groups");
    expect(sg.verdict).to.equal("missing");
    expect(sg.detail).to.include("BESIDES THE ALB: database tcp/5432");
  });

  it("derives proxy mode when the workspace group has no rule to 0.0.0.0/0, and flags a config that disagrees", async () => {
    const g = await buildStack("staging");
    const workspace = sgOf(g, "workspace");
    const proxied = new StackGraph(g.stack, g.project, g.resources.filter((r) =>
      !(r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule" && r.inputs.securityGroupId === workspace.physicalId && r.inputs.cidrIpv4 === "0.0.0.0/0")), g.outputs);
    expect(derivedEgressMode(g)?.mode).to.equal("dns-firewall");
    expect(derivedEgressMode(proxied)?.mode).to.equal("proxy");
    const config = { ...stackConfig("staging"), egressMode: "proxy" } as StackConfig;
    expect(row(postureRows(proxied, config), "Egress mode")).to.include({ verdict: "in force" });
    const mismatch = row(postureRows(g, config), "Egress mode");
    expect(mismatch.verdict).to.equal("mismatch");
    expect(mismatch.detail).to.include("config egressMode: proxy — DOES NOT MATCH the graph");
  });

  it("flags an egress proxy that no longer looks where allowed names lead, or skips a range the platform needs refused", async () => {
    const g = await buildStack("prod");
    const editConf = (edit: (conf: string) => string) => withChanges(g, (r) => {
      if (r.type !== "aws:ecs/taskDefinition:TaskDefinition" || !String(r.inputs.family).endsWith("-egress-proxy")) return undefined;
      const containers = JSON.parse(r.inputs.containerDefinitions);
      for (const e of containers[0].environment) if (e.name === "SQUID_CONFIG") e.value = edit(e.value);
      return inputsChanged(r, { containerDefinitions: JSON.stringify(containers) });
    });
    const unchecked = row(postureRows(editConf((c) => c.replace("http_access deny allowed_names non_public_destination\n", ""))), "Egress destinations");
    expect(unchecked.verdict).to.equal("missing");
    expect(unchecked.detail).to.include("NO rule refusing allowed names that resolve to private, loopback or link-local addresses");
    const gaps = row(postureRows(editConf((c) => c.replace("acl non_public_destination dst 169.254.0.0/16\n", "").replace("acl non_public_destination dst fc00::/7\n", ""))), "Egress destinations");
    expect(gaps.verdict).to.equal("partial");
    expect(gaps.detail).to.include("MISSING 169.254.0.0/16, fc00::/7");
    // What the posture demands is what the egress proxy refuses.
    expect(MUST_REFUSE_RANGES.filter((r) => !NON_PUBLIC_DESTINATIONS.some((d) => d.cidr === r))).to.deep.equal([]);
  });

  it("flags a workspace task role, an open DNS Firewall and an unencrypted database", async () => {
    const g = await buildStack("staging");
    const broken = withChanges(g, (r) => {
      if (r.type === "aws:ecs/taskDefinition:TaskDefinition" && String(r.inputs.family).endsWith("-workspace")) return inputsChanged(r, { taskRoleArn: "arn:aws:iam::123456789012:role/oops" });
      if (r.type === "aws:route53/resolverFirewallConfig:ResolverFirewallConfig") return inputsChanged(r, { firewallFailOpen: "ENABLED" });
      if (r.type === "aws:rds/instance:Instance") return inputsChanged(r, { storageEncrypted: false });
      return undefined;
    });
    const rows = postureRows(broken);
    expect(row(rows, "Task roles")).to.include({ verdict: "missing" });
    expect(row(rows, "Task roles").detail).to.include("TASK ROLE oops");
    expect(row(rows, "DNS Firewall")).to.include({ verdict: "partial" });
    expect(row(rows, "DNS Firewall").detail).to.include("fail-open NOT disabled");
    expect(row(rows, "Encryption")).to.include({ verdict: "partial" });
    expect(row(rows, "Encryption").detail).to.include("RDS storage (KMS) 0/1");
  });

  it("shows ptrace denied as in force, a config that disagrees as a mismatch, and allowed ptrace with a task-wide PID namespace as missing", async () => {
    const denied = row(postureRows(await buildStack("staging", { seccompPtrace: "denied" }), stackConfig("staging", { seccompPtrace: "denied" })), "ptrace");
    expect(denied.verdict).to.equal("in force");
    expect(denied.detail).to.match(/^denied on 2\/2 hosts' profiles: ptrace and process_vm_readv\/writev answer ENOSYS/);
    const g = await buildStack("staging");
    expect(row(postureRows(g, stackConfig("staging", { seccompPtrace: "denied" })), "ptrace")).to.include({ verdict: "mismatch" });
    const shared = withChanges(g, (r) => (r.type === "aws:ecs/taskDefinition:TaskDefinition" && String(r.inputs.family).endsWith("-workspace") ? inputsChanged(r, { pidMode: "task" }) : undefined));
    const ptrace = row(postureRows(shared, stackConfig("staging")), "ptrace");
    expect(ptrace.verdict).to.equal("missing");
    expect(ptrace.detail).to.include("pidMode task — SHARED with the credential proxy");
  });

  it("flags hosts without a per-task process budget and a workspace nproc that couples workspaces", async () => {
    const g = await buildStack("staging");
    let first = true;
    const noBudget = withChanges(g, (r) => {
      if (r.type !== "aws:ec2/launchTemplate:LaunchTemplate" || !first) return undefined;
      first = false;
      const script = Buffer.from(String(r.inputs.userData), "base64").toString("utf8").replace(/^ECS_TASK_PIDS_LIMIT=.*\n/m, "");
      return inputsChanged(r, { userData: Buffer.from(script).toString("base64") });
    });
    const partial = row(postureRows(noBudget), "Processes");
    expect(partial.verdict).to.equal("partial");
    expect(partial.detail).to.match(/^ECS_TASK_PIDS_LIMIT=4096 on 1\/2 hosts/);
    const coupled = withChanges(g, (r) => {
      if (r.type !== "aws:ecs/taskDefinition:TaskDefinition" || !String(r.inputs.family).endsWith("-workspace")) return undefined;
      const defs = JSON.parse(String(r.inputs.containerDefinitions)).map((c: any) => ({ ...c, ulimits: [{ name: "nproc", softLimit: 4096, hardLimit: 4096 }] }));
      return inputsChanged(r, { containerDefinitions: JSON.stringify(defs) });
    });
    const processes = row(postureRows(coupled), "Processes");
    expect(processes.verdict).to.equal("partial");
    expect(processes.detail).to.include("workspace-agent 4096 — BELOW 4194304");
  });
});
