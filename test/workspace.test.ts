import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { CONTAINERS, LOG_STREAM_PREFIX, POOL_ATTRIBUTE } from "../lib/names";
import { PID_MAX_LIMIT } from "../lib/taskLimits";
import type { StackGraph } from "../offline/graph";
import {
  AGENT_PORT,
  CREDENTIAL_PROXY_CPU,
  CREDENTIAL_PROXY_SECRET_ENV,
  CREDENTIAL_PROXY_PORT,
  WORKSPACE_MOUNT_PATH,
  WORKSPACE_USER,
  WORKSPACE_VOLUME,
  workspaceContainers,
  workspaceTaskSize,
  workspaceVolumes,
} from "../lib/workspaceContainers";
import { egressProxyEnvironment, LOOPBACK_NAMES } from "../lib/workspaceContainers";
import { interfaceEndpointServices } from "../lib/awsServices";
import { STAGING_EGRESS_PROXY } from "./helpers/egress";
import { resolveId } from "./helpers/graph";
import { containerNamed, containersOf, inlineStatements, statementBySid } from "./helpers/services";
import { buildStack, stackConfig, STACKS } from "./helpers/stacks";

const SETTINGS = {
  agentImage: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/x/workspace:1.0.0",
  credentialProxyImage: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/x/credential-proxy:1.0.0",
  agentCpu: 1024,
  agentMemoryMiB: 2048,
  tmpfsMiB: 512,
  credentialProxySecretArn: "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:x/credential-proxy-abcdef",
  logGroup: "/x/workspace",
  region: "ap-northeast-1",
};

describe("workspace containers (pure)", () => {
  const [credentialProxy, agent] = workspaceContainers(SETTINGS);

  it("is the agent and the credential proxy, both essential", () => {
    expect([credentialProxy.name, agent.name]).to.deep.equal([CONTAINERS.credentialProxy, CONTAINERS.workspaceAgent]);
    expect(credentialProxy.essential).to.equal(true);
    expect(agent.essential).to.equal(true);
    expect(agent.portMappings).to.deep.equal([{ name: "agent", containerPort: AGENT_PORT, protocol: "tcp" }]);
    expect(credentialProxy.portMappings).to.deep.equal([{ name: "proxy", containerPort: CREDENTIAL_PROXY_PORT, protocol: "tcp" }]);
  });

  it("hardens both: non-root, read-only root, no capabilities, no-new-privileges, init, ulimits, tmpfs", () => {
    for (const c of [credentialProxy, agent]) {
      expect(c.user, c.name).to.equal(WORKSPACE_USER);
      expect(c.user).not.to.match(/^(0|root)(:|$)/);
      expect(c.readonlyRootFilesystem).to.equal(true);
      expect(c.privileged).to.equal(false);
      expect(c.dockerSecurityOptions).to.deep.equal(["no-new-privileges"]);
      expect(c.linuxParameters?.capabilities).to.deep.equal({ drop: ["ALL"], add: [] });
      expect(c.linuxParameters?.initProcessEnabled).to.equal(true);
      expect(c.ulimits?.map((u) => u.name)).to.deep.equal(["nofile", "nproc"]);
      // nproc counts uid 1000 across the host: at the kernel's PID ceiling it never couples workspaces.
      expect(c.ulimits?.find((u) => u.name === "nproc")).to.deep.include({ softLimit: PID_MAX_LIMIT, hardLimit: PID_MAX_LIMIT });
      expect(c.linuxParameters?.tmpfs?.[0]).to.include({ containerPath: "/tmp" });
    }
    expect(agent.linuxParameters?.tmpfs?.[0].size).to.equal(SETTINGS.tmpfsMiB);
  });

  it("gives the agent only the workspace volume to write and sizes it from the settings", () => {
    expect(agent.mountPoints).to.deep.equal([{ sourceVolume: WORKSPACE_VOLUME, containerPath: WORKSPACE_MOUNT_PATH, readOnly: false }]);
    expect(credentialProxy.mountPoints).to.equal(undefined);
    expect([agent.cpu, agent.memory]).to.deep.equal([1024, 2048]);
    expect(workspaceTaskSize([credentialProxy, agent])).to.deep.equal({ cpu: 1024 + (credentialProxy.cpu ?? 0), memoryMiB: 2048 + (credentialProxy.memory ?? 0) });
    // An EBS volume ECS creates per task at launch: never shared, never a host path.
    expect(workspaceVolumes()).to.deep.equal([{ name: WORKSPACE_VOLUME, configuredAtLaunch: true }]);
  });

  it("starts the agent once the credential proxy has started (its image waits for the credential proxy's answer), and health-checks both on their ports", () => {
    expect(agent.dependsOn).to.deep.equal([{ containerName: CONTAINERS.credentialProxy, condition: "START" }]);
    expect(credentialProxy.dependsOn).to.equal(undefined);
    // A GET /health to the container's own port (test/docker/credentialProxyWait.test.ts runs it in a real engine).
    expect(credentialProxy.healthCheck?.command?.join(" ")).to.include(`create_connection(('127.0.0.1',${CREDENTIAL_PROXY_PORT})`).and.include("GET /health HTTP/1.0");
    expect(agent.healthCheck?.command?.join(" ")).to.include(`create_connection(('127.0.0.1',${AGENT_PORT})`).and.include("GET /health HTTP/1.0");
    expect(agent.healthCheck?.command?.[0]).to.equal("CMD");
  });

  it("gives the credential to the credential proxy only; the agent reaches it through localhost", () => {
    expect(credentialProxy.secrets).to.deep.equal([{ name: CREDENTIAL_PROXY_SECRET_ENV, valueFrom: SETTINGS.credentialProxySecretArn }]);
    expect(agent.secrets).to.equal(undefined);
    const agentEnv = Object.fromEntries((agent.environment ?? []).map((e) => [e.name, e.value]));
    expect(agentEnv.CREDENTIAL_PROXY_URL).to.equal(`http://127.0.0.1:${CREDENTIAL_PROXY_PORT}`);
    expect(JSON.stringify(agent)).not.to.include(SETTINGS.credentialProxySecretArn);
  });

  it("logs through awslogs without blocking, with a bounded buffer, under the workspace prefix", () => {
    for (const c of [credentialProxy, agent]) {
      expect(c.logConfiguration).to.deep.equal({
        logDriver: "awslogs",
        options: {
          "awslogs-group": SETTINGS.logGroup,
          "awslogs-region": SETTINGS.region,
          "awslogs-stream-prefix": LOG_STREAM_PREFIX.workspace,
          mode: "non-blocking",
          "max-buffer-size": "4m",
        },
      });
    }
  });
});

describe("workspace containers behind the egress proxy (pure)", () => {
  const url = "http://internal-x-egress-0123.elb.ap-northeast-1.amazonaws.com:3128";
  const directNames = ["bedrock-runtime.ap-northeast-1.amazonaws.com", "logs.ap-northeast-1.amazonaws.com"];
  const [credentialProxy, agent] = workspaceContainers({ ...SETTINGS, egressProxy: { url, directNames } });
  const env = (c: typeof agent) => Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));

  it("names the egress proxy for HTTPS (and plain HTTP, refused there) in the variables git, curl, npm, pip and Node read", () => {
    for (const c of [credentialProxy, agent]) {
      for (const name of ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]) expect(env(c)[name], `${c.name} ${name}`).to.equal(url);
      expect(env(c).NODE_USE_ENV_PROXY).to.equal("1");
    }
  });

  it("keeps loopback (the credential proxy) and the VPC endpoints' names direct", () => {
    for (const c of [credentialProxy, agent]) {
      const noProxy = env(c).NO_PROXY.split(",");
      expect(noProxy).to.deep.equal([...LOOPBACK_NAMES, ...directNames]);
      expect(env(c).no_proxy).to.equal(env(c).NO_PROXY);
    }
    // The credential proxy's address is covered: the agent reaches it without the egress proxy.
    expect(env(agent).CREDENTIAL_PROXY_URL).to.match(/^http:\/\/127\.0\.0\.1:/);
  });

  it("changes nothing else, and nothing at all without an egress proxy (dns-firewall mode)", () => {
    const plain = workspaceContainers(SETTINGS);
    const strip = (c: typeof agent) => ({ ...c, environment: (c.environment ?? []).filter((e) => !egressProxyEnvironment({ url, directNames }).some((p) => p.name === e.name)) });
    expect([strip(credentialProxy), strip(agent)]).to.deep.equal(plain);
    expect(egressProxyEnvironment(undefined)).to.deep.equal([]);
    expect(plain.flatMap((c) => c.environment ?? []).map((e) => e.name)).to.not.include("HTTPS_PROXY");
  });

  it("is what the staging task definition carries once staging runs egressMode proxy", async () => {
    const g = await buildStack("staging", STAGING_EGRESS_PROXY);
    const task = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-staging-workspace")!;
    const nlb = g.one(aws.lb.LoadBalancer, "egress-proxy-lb-nlb").state.dnsName;
    for (const c of containersOf(task)) {
      expect(Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value])).HTTPS_PROXY, c.name).to.equal(`http://${nlb}:3128`);
    }
  });
});

for (const stack of STACKS) {
  describe(`workspace task definition (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });
    const taskDef = () => g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === `remote-claude-${stack}-workspace`)!;

    it("is awsvpc on EC2 with no task role, placed on the workspace pool only", () => {
      const t = taskDef().inputs;
      expect(t.networkMode).to.equal("awsvpc");
      expect(t.requiresCompatibilities).to.deep.equal(["EC2"]);
      expect(t).not.to.have.property("taskRoleArn");
      expect(t.placementConstraints).to.deep.equal([{ type: "memberOf", expression: `attribute:${POOL_ATTRIBUTE} == workspace` }]);
      expect(t.volumes).to.deep.equal([{ name: WORKSPACE_VOLUME, configureAtLaunch: true }]);
      // Each container its own PID and IPC namespace: with ptrace allowed (seccompPtrace), a shared
      // one would let the agent trace the credential proxy (same uid) and read its credential.
      expect(t).not.to.have.property("pidMode");
      expect(t).not.to.have.property("ipcMode");
    });

    it("uses the containers of workspaceContainers() with this stack's images, sizes, secret and log group", () => {
      const cfg = stackConfig(stack);
      const repoUrl = (suffix: string) => `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/remote-claude-${stack}/${suffix}`;
      const expected = workspaceContainers({
        agentImage: `${repoUrl("workspace")}:${cfg.workspaceImage}`,
        credentialProxyImage: `${repoUrl("credential-proxy")}:${cfg.credentialProxyImage}`,
        agentCpu: cfg.workspaceAgentCpu,
        agentMemoryMiB: cfg.workspaceAgentMemoryMiB,
        tmpfsMiB: cfg.workspaceTmpfsMiB,
        credentialProxySecretArn: g.one(aws.secretsmanager.Secret, "secrets-credential-proxy").state.arn,
        logGroup: `/remote-claude-${stack}/workspace`,
        region: "ap-northeast-1",
        // egressMode proxy (prod): HTTPS_PROXY is the egress proxy's NLB; NO_PROXY the endpoints.
        egressProxy: stack === "prod"
          ? { url: g.outputs.egressProxy.url, directNames: interfaceEndpointServices("ap-northeast-1").flatMap((s) => s.names("ap-northeast-1")) }
          : undefined,
      });
      expect(containersOf(taskDef())).to.deep.equal(JSON.parse(JSON.stringify(expected)));
      const size = workspaceTaskSize(expected);
      // No task-level cpu (workspaceCpuHardLimit false): the containers' cpu units are the
      // reservation and CPU shares. Memory is a hard limit at both levels.
      expect(cfg.workspaceCpuHardLimit).to.equal(false);
      expect(taskDef().inputs).to.not.have.property("cpu");
      expect(taskDef().inputs.memory).to.equal(String(size.memoryMiB));
      expect(containerNamed(taskDef(), CONTAINERS.workspaceAgent)).to.include({ cpu: cfg.workspaceAgentCpu, memory: cfg.workspaceAgentMemoryMiB });
    });

    it("with workspaceCpuHardLimit sets the task-level cpu to the containers' sum, and changes nothing else", async () => {
      const capped = await buildStack(stack, { workspaceCpuHardLimit: true });
      const t = capped.ofType(aws.ecs.TaskDefinition).find((x) => x.inputs.family === `remote-claude-${stack}-workspace`)!;
      const cfg = stackConfig(stack);
      expect(t.inputs.cpu).to.equal(String(cfg.workspaceAgentCpu + CREDENTIAL_PROXY_CPU));
      const { cpu, ...rest } = t.inputs;
      expect(cpu).to.not.equal(undefined);
      expect(JSON.stringify(rest)).to.equal(JSON.stringify(taskDef().inputs));
    });

    it("has an execution role that pulls only its two images, writes only its logs and reads only the credential proxy's secret", () => {
      const role = resolveId(g, taskDef().inputs.executionRoleArn);
      const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement[0];
      expect(trust.Principal).to.deep.equal({ Service: "ecs-tasks.amazonaws.com" });
      expect(trust.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
      const s = inlineStatements(g, "workspace-execution");
      expect(s.map((x) => x.Sid)).to.deep.equal(["RegistryLogin", "PullOwnImages", "WriteOwnLogs", "ReadOwnSecrets", "DecryptOwnSecrets"]);
      expect(statementBySid(s, "RegistryLogin")).to.deep.include({ Action: "ecr:GetAuthorizationToken", Resource: "*" });
      expect(statementBySid(s, "PullOwnImages").Resource).to.deep.equal([
        g.one(aws.ecr.Repository, "ecr-workspace").state.arn,
        g.one(aws.ecr.Repository, "ecr-credential-proxy").state.arn,
      ]);
      expect(statementBySid(s, "WriteOwnLogs").Resource).to.deep.equal([`arn:aws:logs:ap-northeast-1:123456789012:log-group:/remote-claude-${stack}/workspace:log-stream:*`]);
      expect(statementBySid(s, "ReadOwnSecrets")).to.deep.include({ Action: "secretsmanager:GetSecretValue", Resource: [g.one(aws.secretsmanager.Secret, "secrets-credential-proxy").state.arn] });
      expect(statementBySid(s, "DecryptOwnSecrets")).to.deep.include({
        Action: "kms:Decrypt",
        Resource: g.one(aws.kms.Key, "kms-key").state.arn,
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.ap-northeast-1.amazonaws.com" } },
      });
      // Nothing attached besides that one inline policy.
      expect(g.ofType(aws.iam.RolePolicyAttachment).filter((a) => a.inputs.role === role.physicalId)).to.have.length(0);
    });

    it("writes to a KMS-encrypted log group with the configured retention", () => {
      const group = g.ofType(aws.cloudwatch.LogGroup).find((l) => l.inputs.name === `/remote-claude-${stack}/workspace`)!;
      expect(group.inputs.retentionInDays).to.equal(stackConfig(stack).logRetentionDays);
      expect(group.inputs.kmsKeyId).to.equal(g.one(aws.kms.Key, "kms-key").state.arn);
      expect(g.outputs.workspaceLogGroupName).to.equal(`/remote-claude-${stack}/workspace`);
    });
  });
}
