// The AWS names the DNS Firewall allows, held against where they come from. Judges from outside
// the project: botocore's endpoint rules (each API host, per region) and its ECS model (the
// DiscoverPollEndpoint answer the agent dials), and the clients' own source at the commits
// lib/awsServices.ts cites. The ECS agent's source is the outside judge of the agent's names:
// with ECS_AGENT_GIT_DIR (and SSM_AGENT_GIT_DIR, ECS_AMI_GIT_DIR) pointing at a clone of
// aws/amazon-ecs-agent (aws/amazon-ssm-agent, aws/amazon-ecs-ami), every cited line is read there
// at the pinned commit. These machines and CI cannot fetch GitHub, so without a clone that part
// skips loudly (not a failure, also in CI): the citations are pinned to commits and cannot drift.
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import type { Context } from "mocha";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CREATED_AFTER } from "../components/endpoints";
import {
  BEDROCK_RUNTIME_REGIONS,
  ECS_AGENT_NAMES,
  interfaceEndpointServices,
  NAME_AUDIT,
  platformAwsDomains,
  REFUSED_NAMES,
} from "../lib/awsServices";
import type { StackGraph } from "../offline/graph";
import { hostHardening } from "../offline/hostBundle";
import { docText, endpointHosts, requireBotocore, serviceModel } from "./helpers/botocore";
import { buildStack, STACKS } from "./helpers/stacks";

const ACCOUNT = "123456789012";
// The stacks' region, us-east-1 (ec2.internal, the old S3 global endpoint), a Bedrock-less region.
const REGIONS = ["ap-northeast-1", "us-east-1", "eu-west-1", "af-south-1"];
const LIB = fs.readFileSync(path.resolve(__dirname, "..", "lib", "awsServices.ts"), "utf8");

const audited = (region: string) => NAME_AUDIT.filter((n) => !n.onlyIn || n.onlyIn(region)).map((n) => n.host(region, ACCOUNT));

describe("AWS names of the DNS allow list", () => {
  it("allows exactly the audited names, each with who resolves it and a source", () => {
    for (const region of REGIONS) {
      expect(platformAwsDomains(region, ACCOUNT), region).to.deep.equal([...new Set(audited(region))].sort());
    }
    for (const n of NAME_AUDIT) {
      expect(n.resolvedBy, n.host("ap-northeast-1", ACCOUNT)).to.have.length.greaterThan(5);
      expect(n.source, n.host("ap-northeast-1", ACCOUNT)).to.have.length.greaterThan(10);
    }
    // Bedrock runtime only where the region has it.
    expect(platformAwsDomains("af-south-1", ACCOUNT)).to.not.include("bedrock-runtime.af-south-1.amazonaws.com");
    expect(BEDROCK_RUNTIME_REGIONS.has("ap-northeast-1")).to.equal(true);
  });

  it("names every API host exactly as botocore's endpoint rules resolve it, in every region tried", function () {
    const b = requireBotocore(this);
    for (const region of REGIONS) {
      const withService = NAME_AUDIT.filter((n) => n.botocoreService && (!n.onlyIn || n.onlyIn(region)));
      const hosts = endpointHosts(b, region, withService.map((n) => n.botocoreService!));
      for (const n of withService) expect(n.host(region, ACCOUNT), `${n.botocoreService} in ${region}`).to.equal(hosts[n.botocoreService!]);
    }
  });

  it("has no wildcard over an AWS name: every AWS name is exact", () => {
    for (const region of REGIONS) {
      for (const name of platformAwsDomains(region, ACCOUNT)) {
        if (name.startsWith("*.")) expect(name, name).to.match(/\.(compute|ec2)\.internal$/);
      }
    }
  });

  it("leaves out the names nothing here needs, each with the reason", () => {
    for (const region of REGIONS) {
      const allowed = platformAwsDomains(region, ACCOUNT);
      for (const r of REFUSED_NAMES) expect(allowed, r.why).to.not.include(r.host(region));
    }
  });

  it("the agent's ACS and TCS names are the un-numbered names the interface endpoints answer", () => {
    const byId = Object.fromEntries(interfaceEndpointServices("ap-northeast-1").map((s) => [s.id, s.names("ap-northeast-1")]));
    expect(byId["ecs-agent"]).to.deep.equal([ECS_AGENT_NAMES.acs("ap-northeast-1")]).and.deep.equal(["ecs-a.ap-northeast-1.amazonaws.com"]);
    expect(byId["ecs-telemetry"]).to.deep.equal([ECS_AGENT_NAMES.tcs("ap-northeast-1")]).and.deep.equal(["ecs-t.ap-northeast-1.amazonaws.com"]);
  });

  it("the agent dials what DiscoverPollEndpoint answers: the strings of ECS's own response shape (botocore's ECS model)", function () {
    const model = serviceModel(requireBotocore(this), "ecs");
    const op = model.operations.DiscoverPollEndpoint;
    expect(op, "DiscoverPollEndpoint").to.not.equal(undefined);
    const response = model.shapes[op.output.shape];
    expect(Object.keys(response.members)).to.include.members(["endpoint", "telemetryEndpoint"]);
    expect(docText(response.members.endpoint.documentation)).to.match(/endpoint for the Amazon ECS agent to poll/);
    expect(docText(response.members.telemetryEndpoint.documentation)).to.match(/telemetry endpoint for the Amazon ECS agent/);
    expect(model.shapes[response.members.endpoint.shape].type).to.equal("string");
  });

  for (const stack of STACKS) {
    describe(`${stack}: what makes the agent use the endpoints' names`, () => {
      let g: StackGraph;
      before(async () => {
        g = await buildStack(stack);
      });

      it("puts every audited name, and none of the refused ones, on the DNS Firewall's allow list", () => {
        const list = g.one(aws.route53.ResolverFirewallDomainList, "dns-firewall-allow").inputs.domains as string[];
        for (const r of REFUSED_NAMES) expect(list, r.host("ap-northeast-1")).to.not.include(r.host("ap-northeast-1"));
        for (const name of audited("ap-northeast-1")) expect(list, name).to.include(name);
      });

      it("creates the ecs endpoint after ecs-agent and ecs-telemetry", () => {
        const endpoint = (id: string) => g.one(aws.ec2.VpcEndpoint, `endpoints-${id}`);
        expect(CREATED_AFTER).to.deep.equal({ ecs: ["ecs-agent", "ecs-telemetry"] });
        expect(endpoint("ecs").options.dependsOn).to.have.members([endpoint("ecs-agent").id, endpoint("ecs-telemetry").id]);
        for (const e of g.ofType(aws.ec2.VpcEndpoint)) expect(e.inputs.privateDnsEnabled ?? e.inputs.vpcEndpointType === "Gateway", e.name).to.equal(true);
      });

      it("boots no host before the endpoints and the DNS Firewall exist (an agent keeps a public answer for 12 hours)", () => {
        // A component in dependsOn stands for all its children.
        const interfaceEndpoints = g.ofType(aws.ec2.VpcEndpoint).filter((e) => e.inputs.vpcEndpointType === "Interface").map((e) => e.id);
        expect(interfaceEndpoints).to.include(g.one(aws.ec2.VpcEndpoint, "endpoints-ecs-agent").id);
        const firewall = [g.one(aws.route53.ResolverFirewallRuleGroupAssociation).id, ...g.ofType(aws.route53.ResolverFirewallRule).map((r) => r.id)];
        for (const asg of g.ofType(aws.autoscaling.Group)) expect(asg.options.dependsOn, asg.name).to.include.members([...interfaceEndpoints, ...firewall]);
      });

      it("configures no agent feature that would need another name: no Service Connect, no EC2 tag lookup, no self-update, no backend override", () => {
        for (const s of g.ofType(aws.ecs.Service)) expect(s.inputs, s.name).to.not.have.property("serviceConnectConfiguration");
        for (const lt of g.ofType(aws.ec2.LaunchTemplate)) {
          const ecsConfig = hostHardening(lt)?.ecsConfig ?? {};
          expect(ecsConfig, lt.name).to.have.property("ECS_CLUSTER");
          for (const key of ["ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM", "ECS_UPDATES_ENABLED", "ECS_BACKEND_HOST"]) expect(ecsConfig, `${lt.name} ${key}`).to.not.have.property(key);
        }
      });
    });
  }
});

interface Citation {
  readonly file: string;
  readonly line: number;
  /** What that line says (a fragment of it). */
  readonly says: string;
}

const SOURCES: readonly { repo: string; env: string; commit: string; citations: readonly Citation[] }[] = [
  {
    repo: "aws/amazon-ecs-agent",
    env: "ECS_AGENT_GIT_DIR",
    commit: "8dfceca6cf380a83c3007349317566f2862f0673",
    citations: [
      { file: "ecs-agent/api/ecs/client/ecs_client.go", line: 52, says: "defaultPollEndpointCacheTTL = 12 * time.Hour" },
      { file: "ecs-agent/api/ecs/client/ecs_client.go", line: 142, says: "client.standardClient = ecsservice.NewFromConfig(ecsConfig)" },
      { file: "ecs-agent/api/ecs/client/ecs_client.go", line: 825, says: "return aws.ToString(resp.Endpoint), nil" },
      { file: "ecs-agent/api/ecs/client/ecs_client.go", line: 837, says: "return aws.ToString(resp.TelemetryEndpoint), nil" },
      { file: "ecs-agent/api/ecs/client/ecs_client.go", line: 898, says: "client.standardClient.DiscoverPollEndpoint(ctx" },
      { file: "ecs-agent/api/ecs/client/ecs_client.go", line: 908, says: "if expired {" },
      { file: "ecs-agent/acs/session/session.go", line: 265, says: "s.ecsClient.DiscoverPollEndpoint(s.containerInstanceARN)" },
      { file: "ecs-agent/acs/session/session.go", line: 278, says: "s.acsURL(acsEndpoint)," },
      { file: "ecs-agent/acs/session/session.go", line: 419, says: "func (s *session) acsURL(endpoint string) string {" },
      { file: "ecs-agent/acs/session/session.go", line: 424, says: 'wsURL += "ws"' },
      { file: "ecs-agent/tcs/handler/handler.go", line: 184, says: "session.getTelemetryEndpoint()" },
      { file: "ecs-agent/tcs/handler/handler.go", line: 244, says: "session.ecsClient.DiscoverTelemetryEndpoint(containerInstanceARN)" },
      { file: "ecs-agent/tcs/handler/handler.go", line: 326, says: "func formatURL(endpoint," },
      { file: "ecs-agent/tcs/handler/handler.go", line: 339, says: 'return tcsURL + "ws?" + query.Encode()' },
      { file: "agent/ecr/factory.go", line: 126, says: "ecrservice.NewFromConfig(*cfg)" },
      { file: "agent/asm/factory/factory.go", line: 63, says: "secretsmanager.NewFromConfig(cfg)" },
      { file: "agent/dockerclient/dockerapi/errors_test.go", line: 77, says: "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/" },
      { file: "agent/dockerclient/dockerapi/errors.go", line: 445, says: "starport-layer-bucket" },
      { file: "agent/engine/serviceconnect/manager_linux.go", line: 302, says: '"https://ecs-sc.%s.api.aws"' },
      { file: "ecs-init/engine/engine.go", line: 193, says: "case cache.StatusUncached:" },
      { file: "ecs-init/engine/engine.go", line: 195, says: "return e.downloadAndLoadCache(docker)" },
      { file: "packaging/amazon-linux-ami-integrated/ecs-agent.spec", line: 297, says: "echo 2 > %{buildroot}%{_cachedir}/ecs/state" },
      { file: "packaging/amazon-linux-ami-integrated/ecs-agent.spec", line: 298, says: "%{agent_image} %{buildroot}%{_cachedir}/ecs/" },
      { file: "agent/config/config.go", line: 542, says: 'parseBooleanDefaultFalseConfig("ECS_UPDATES_ENABLED")' },
      { file: "agent/app/agent.go", line: 849, says: "ContainerInstancePropagateTagsFromEC2InstanceType" },
    ],
  },
  {
    repo: "aws/amazon-ssm-agent",
    env: "SSM_AGENT_GIT_DIR",
    commit: "1c217c89b42de51d4f4063363d8ec1f2eef56055",
    citations: [
      { file: "agent/session/config/config.go", line: 29, says: '"ssmmessages"' },
      { file: "agent/runcommand/mds/service.go", line: 92, says: 'sdkutil.AwsConfig(context, "ec2messages")' },
    ],
  },
  {
    repo: "aws/amazon-ecs-ami",
    env: "ECS_AMI_GIT_DIR",
    commit: "a2532d3503f2052a09ac18189b0de33918406db8",
    citations: [
      { file: "scripts/enable-services.sh", line: 6, says: "systemctl enable amazon-ssm-agent" },
      { file: "files/90_ecs.cfg.amzn2", line: 2, says: "repo_upgrade: none" },
    ],
  },
];

describe("the sources lib/awsServices.ts cites", () => {
  it("cites every line below, at the commits below", () => {
    // A citation is the file's name followed (within its sentence) by the line, a list or a range.
    const cites = (file: string, line: number) => {
      for (let at = LIB.indexOf(file); at >= 0; at = LIB.indexOf(file, at + 1)) {
        const after = LIB.slice(at + file.length, at + file.length + 160);
        for (const m of after.matchAll(/(\d+)(?:-(\d+))?/g)) {
          const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
          if (line >= from && line <= to) return true;
        }
      }
      return false;
    };
    for (const source of SOURCES) {
      expect(LIB, source.repo).to.include(source.commit.slice(0, 12));
      for (const c of source.citations) expect(cites(path.basename(c.file), c.line), `lib/awsServices.ts cites ${c.file}:${c.line}`).to.equal(true);
    }
  });

  for (const source of SOURCES) {
    it(`says what ${source.repo} says at ${source.commit.slice(0, 12)} (${source.env})`, function (this: Context) {
      const gitDir = process.env[source.env];
      if (!gitDir) {
        console.warn(`\n    !!! SKIPPED (${source.repo} is the judge): set ${source.env} to a clone of github.com/${source.repo} to read the cited lines\n`);
        this.skip();
      }
      for (const c of source.citations) {
        const r = spawnSync("git", ["--git-dir", gitDir, "show", `${source.commit}:${c.file}`], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        expect(r.status, `${source.repo} ${c.file} at ${source.commit}: ${r.stderr}`).to.equal(0);
        expect(r.stdout.split("\n")[c.line - 1], `${c.file}:${c.line}`).to.include(c.says);
      }
    });
  }
});
