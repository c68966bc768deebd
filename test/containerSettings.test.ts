// The one mapping from the workspace task's container definitions to Docker's create body: every
// hardening setting of workspaceContainers() arrives, nothing unknown is dropped silently, and
// what cannot be the same locally is said. No engine needed.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { expect } from "chai";
import { applyOverride, dockerContainerSettings } from "../scripts/ops/docker/runtime/containerSettings";
import { LOCAL_CREDENTIAL_PROXY_SECRET, LocalWorkspace, localWorkspaceTask, startOrder } from "../scripts/ops/docker/runtime/localWorkspace";
import { CONTAINERS } from "../lib/names";
import { TASK_PIDS_LIMIT } from "../lib/taskLimits";
import { CREDENTIAL_PROXY_SECRET_ENV, ULIMITS, httpHealthCommand, workspaceContainers, workspaceVolumes } from "../lib/workspaceContainers";

const MIB = 1024 * 1024;
const S = 1e9;

function definitions(): ContainerDefinition[] {
  return workspaceContainers({ agentImage: "agent:1", credentialProxyImage: "proxy:1", agentCpu: 1024, agentMemoryMiB: 2048, tmpfsMiB: 512, credentialProxySecretArn: "arn:secret", logGroup: "/lg", region: "ap-northeast-1" });
}

const byName = (name: string) => definitions().find((c) => c.name === name)!;

describe("ContainerDefinition → Docker create body (scripts/ops/docker/runtime/containerSettings.ts)", () => {
  it("maps every hardening setting of the workspace agent (here with a task-level cpu: workspaceCpuHardLimit)", () => {
    const { body, adaptations, notMapped } = dockerContainerSettings(byName(CONTAINERS.workspaceAgent), {
      networkMode: "container:abc",
      volumes: { workspace: "ws1-workspace" },
      labels: { run: "r1" },
      seccompProfile: '{"defaultAction":"SCMP_ACT_ERRNO"}',
      taskCpu: 1152,
    });
    expect(body).to.deep.include({ Image: "agent:1", User: "1000:1000", StopTimeout: 30 });
    expect(body.Labels).to.deep.equal({ run: "r1" });
    expect(body.Env).to.deep.equal(["AGENT_PORT=9000", "WORKSPACE_DIR=/workspace", "CREDENTIAL_PROXY_URL=http://127.0.0.1:8080", "AGENT_STARTUP_WAIT_SECONDS=60"]);
    // ECS has no start interval, and neither does the create body: on Docker 25+ the engine's default applies.
    expect(body.Healthcheck).to.deep.equal({ Test: httpHealthCommand(9000), Interval: 5 * S, Timeout: 5 * S, Retries: 3, StartPeriod: 120 * S });
    expect(body.HostConfig).to.deep.equal({
      NetworkMode: "container:abc",
      Privileged: false,
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges", 'seccomp={"defaultAction":"SCMP_ACT_ERRNO"}'],
      Init: true,
      Tmpfs: { "/tmp": "rw,nosuid,nodev,exec,size=512m" },
      Ulimits: [{ Name: "nofile", Soft: ULIMITS.nofile, Hard: ULIMITS.nofile }, { Name: "nproc", Soft: ULIMITS.nproc, Hard: ULIMITS.nproc }],
      Memory: 2048 * MIB,
      CpuShares: 1024,
      NanoCpus: 1.125 * S,
      Mounts: [{ Type: "volume", Source: "ws1-workspace", Target: "/workspace", ReadOnly: false }],
    });
    expect(adaptations).to.have.length(1);
    expect(adaptations[0]).to.match(/^workspace-agent: the task's 1152 CPU units \(1\.125 CPUs\) cap this container with a CFS quota \(ECS puts that quota on the task's cgroup/);
    expect(notMapped.map((n) => n.split(" — ")[0])).to.deep.equal(["workspace-agent: portMappings (9000)", "workspace-agent: logConfiguration (awslogs)"]);
  });

  it("without a task-level cpu gives CPU shares only: a weight, no quota, nothing to adapt", () => {
    // ECS on EC2 passes a container's cpu to Docker as CpuShares; only a task-level cpu sets a quota.
    for (const name of [CONTAINERS.workspaceAgent, CONTAINERS.credentialProxy]) {
      const { body, adaptations } = dockerContainerSettings(byName(name), { networkMode: "none", secretValues: { "arn:secret": "x" } });
      expect(body.HostConfig.CpuShares, name).to.equal(byName(name).cpu);
      expect(body.HostConfig, name).to.not.have.property("NanoCpus");
      expect(adaptations, name).to.deep.equal([]);
    }
  });

  it("gives the credential proxy its secret from the local values, and nothing else sees it", () => {
    const { body } = dockerContainerSettings(byName(CONTAINERS.credentialProxy), { networkMode: "net", secretValues: { "arn:secret": "s3cret" } });
    expect(body.Env).to.include(`${CREDENTIAL_PROXY_SECRET_ENV}=s3cret`);
    expect(body.HostConfig).to.deep.include({ Memory: 128 * MIB, CpuShares: 128, Tmpfs: { "/tmp": "rw,nosuid,nodev,noexec,size=16m" } });
    expect(() => dockerContainerSettings(byName(CONTAINERS.credentialProxy), { networkMode: "net" })).to.throw(/no local value for secret PROXY_CREDENTIAL \(arn:secret\)/);
  });

  it("clamps ulimits to what the engine can grant, and says so", () => {
    const { body, adaptations } = dockerContainerSettings(byName(CONTAINERS.workspaceAgent), { networkMode: "none", ulimitCeilings: { nofile: 20000 } });
    expect(body.HostConfig.Ulimits).to.deep.equal([{ Name: "nofile", Soft: 20000, Hard: 20000 }, { Name: "nproc", Soft: ULIMITS.nproc, Hard: ULIMITS.nproc }]);
    expect(adaptations.some((a) => /ulimit nofile 65536:65536 → 20000:20000/.test(a))).to.equal(true);
  });

  it("gives each container the task's process budget as its pids limit (ECS puts it on the task's cgroup), and says so", () => {
    const { body, adaptations } = dockerContainerSettings(byName(CONTAINERS.workspaceAgent), { networkMode: "none", taskPidsLimit: TASK_PIDS_LIMIT });
    expect(body.HostConfig.PidsLimit).to.equal(TASK_PIDS_LIMIT);
    expect(adaptations).to.include(`workspace-agent: the task's pids limit ${TASK_PIDS_LIMIT} (ECS: pids.max on the task's cgroup, shared by its containers) → this container's own pids limit`);
    // The local task carries the budget the hosts' ecs.config gives every task.
    expect(localWorkspaceTask({ agent: "a", credentialProxy: "p" }).pidsLimit).to.equal(TASK_PIDS_LIMIT);
    expect(localWorkspaceTask({ agent: "a" }).pidsLimit).to.equal(TASK_PIDS_LIMIT);
    expect(dockerContainerSettings(byName(CONTAINERS.workspaceAgent), { networkMode: "none" }).body.HostConfig.PidsLimit).to.equal(undefined);
  });

  it("refuses a field it has no mapping for, so a new setting is never dropped silently", () => {
    const agent = byName(CONTAINERS.workspaceAgent);
    expect(() => dockerContainerSettings({ ...agent, volumesFrom: [{ sourceContainer: "x" }] }, { networkMode: "none" })).to.throw(/volumesFrom has no local mapping/);
    expect(() => dockerContainerSettings({ ...agent, linuxParameters: { ...agent.linuxParameters, maxSwap: 0 } }, { networkMode: "none" })).to.throw(/linuxParameters\.maxSwap has no local mapping/);
    expect(() => dockerContainerSettings({ ...agent, hostname: "h" }, { networkMode: "container:x" })).to.throw(/hostname/);
  });

  it("maps the rest of ECS's settings as the ECS agent does (entry point, DNS, sysctls, privileged, health defaults)", () => {
    const def: ContainerDefinition = {
      name: "c", image: "i", entryPoint: ["/e"], command: ["a"], privileged: true, dnsServers: ["10.0.0.2"], extraHosts: [{ hostname: "h", ipAddress: "1.2.3.4" }],
      systemControls: [{ namespace: "net.core.somaxconn", value: "1024" }], memoryReservation: 64, cpu: 0, healthCheck: { command: ["CMD-SHELL", "true"] },
    };
    const { body } = dockerContainerSettings(def, { networkMode: "n" });
    expect(body).to.deep.include({ Entrypoint: ["/e"], Cmd: ["a"], Healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 30 * S, Timeout: 5 * S, Retries: 3, StartPeriod: 0 } });
    expect(body.HostConfig).to.deep.include({ Privileged: true, Dns: ["10.0.0.2"], ExtraHosts: ["h:1.2.3.4"], Sysctls: { "net.core.somaxconn": "1024" }, MemoryReservation: 64 * MIB, CpuShares: 2 });
  });

  it("applies RunTask's container overrides: the command replaces, the environment merges by name", () => {
    const agent = applyOverride(byName(CONTAINERS.workspaceAgent), { name: CONTAINERS.workspaceAgent, command: ["python3", "-c", "x"], environment: [{ name: "PROBE_CONFIG", value: "{}" }, { name: "AGENT_PORT", value: "9001" }] });
    expect(agent.command).to.deep.equal(["python3", "-c", "x"]);
    expect(agent.environment).to.deep.include({ name: "PROBE_CONFIG", value: "{}" });
    expect(agent.environment).to.deep.include({ name: "AGENT_PORT", value: "9001" });
    expect(() => applyOverride(agent, { name: "x", environmentFiles: [{ value: "arn", type: "s3" }] })).to.throw(/environmentFiles not supported/);
  });
});

describe("the workspace task on a local engine (scripts/ops/docker/runtime/localWorkspace.ts)", () => {
  it("is the task definition's containers with the config's default sizes, started proxy first", () => {
    const task = localWorkspaceTask({ agent: "a", credentialProxy: "p" });
    expect(task.containers.map((c) => c.name)).to.deep.equal(definitions().map((c) => c.name));
    expect(task.volumes).to.deep.equal(workspaceVolumes());
    expect(task.notes).to.deep.equal([]);
    expect(startOrder([...task.containers].reverse()).map((c) => c.name)).to.deep.equal([CONTAINERS.credentialProxy, CONTAINERS.workspaceAgent]);
    expect(task.containers.find((c) => c.name === CONTAINERS.credentialProxy)?.secrets?.[0].valueFrom).to.equal(LOCAL_CREDENTIAL_PROXY_SECRET);
  });

  it("sets no CPU quota by default, as the task definition sets no task-level cpu; with workspaceCpuHardLimit each container gets the task's", () => {
    const rt = { api: {} as never, network: "n", labels: {}, secretValues: { [LOCAL_CREDENTIAL_PROXY_SECRET]: "x" } };
    const hostConfigs = (task: ReturnType<typeof localWorkspaceTask>, overrides = [] as { name: string; cpu: number }[]) =>
      Object.fromEntries([...new LocalWorkspace("run-w9", task, rt, overrides).settings()].map(([name, s]) => [name, { shares: s.body.HostConfig.CpuShares, quota: s.body.HostConfig.NanoCpus }]));
    const shares = localWorkspaceTask({ agent: "a", credentialProxy: "p" });
    expect(shares.taskCpu).to.equal(undefined);
    expect(hostConfigs(shares)).to.deep.equal({ [CONTAINERS.credentialProxy]: { shares: 128, quota: undefined }, [CONTAINERS.workspaceAgent]: { shares: 384, quota: undefined } });
    const capped = localWorkspaceTask({ agent: "a", credentialProxy: "p" }, true);
    expect(capped.taskCpu).to.equal(512);
    expect(hostConfigs(capped)).to.deep.equal({ [CONTAINERS.credentialProxy]: { shares: 128, quota: 0.5 * S }, [CONTAINERS.workspaceAgent]: { shares: 384, quota: 0.5 * S } });
    // RunTask's container override changes that container's shares, not the task-level cpu.
    expect(hostConfigs(capped, [{ name: CONTAINERS.workspaceAgent, cpu: 1024 }])[CONTAINERS.workspaceAgent]).to.deep.equal({ shares: 1024, quota: 0.5 * S });
  });

  it("without a credential proxy image the agent runs alone and waits for nothing (no CREDENTIAL_PROXY_URL), and says so", () => {
    const task = localWorkspaceTask({ agent: "a" });
    expect(task.containers.map((c) => c.name)).to.deep.equal([CONTAINERS.workspaceAgent]);
    expect(task.containers[0].dependsOn).to.deep.equal([]);
    expect(task.containers[0].environment?.map((e) => e.name)).to.not.include("CREDENTIAL_PROXY_URL");
    expect(task.notes[0]).to.match(/no credential-proxy image/);
  });

  it("gives each workspace its own named volume, also for a volume ECS configures at launch (EBS on the hosts)", () => {
    const task = localWorkspaceTask({ agent: "a", credentialProxy: "p" });
    const rt = { api: {} as never, network: "n", labels: { run: "r" }, secretValues: { [LOCAL_CREDENTIAL_PROXY_SECRET]: "x" } };
    const ebs = new LocalWorkspace("run-w7", { ...task, volumes: [{ name: "workspace", configuredAtLaunch: true }] }, rt);
    expect(ebs.volumes).to.deep.equal([{ taskName: "workspace", dockerName: "run-w7-workspace", driver: "local", created: false }]);
    const agent = ebs.settings().get(CONTAINERS.workspaceAgent)!.body;
    expect(agent.HostConfig.Mounts).to.deep.equal([{ Type: "volume", Source: "run-w7-workspace", Target: "/workspace", ReadOnly: false }]);
    expect(agent.HostConfig.NetworkMode).to.equal(`container:run-w7-${CONTAINERS.credentialProxy}`);
    expect(agent.Labels).to.deep.equal({ run: "r", "remote-claude.workspace": "run-w7", "remote-claude.container": CONTAINERS.workspaceAgent });
    expect(() => new LocalWorkspace("run-w8", { ...task, volumes: [{ name: "workspace", host: { sourcePath: "/srv" } }] }, rt)).to.throw(/no local equivalent/);
  });

  it("refuses dependency cycles and unknown dependencies", () => {
    expect(() => startOrder([{ name: "a", dependsOn: [{ containerName: "b", condition: "START" }] }, { name: "b", dependsOn: [{ containerName: "a", condition: "START" }] }])).to.throw(/cycle/);
    expect(() => startOrder([{ name: "a", dependsOn: [{ containerName: "z", condition: "START" }] }])).to.throw(/does not have/);
  });
});
