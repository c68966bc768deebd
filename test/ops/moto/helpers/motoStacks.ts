// The moto suite's setting: one moto server per test file (test/helpers/moto.ts), the shim in
// front of it, and stacks deployed from the offline plan (fixture.ts) with their outputs file.
// Also the two judgements every scenario uses: what moto holds (read straight from moto, not
// through the shim, so the tool's own report is never the judge) and which calls a run made.
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLaunchTemplateVersionsCommand, DescribeSecurityGroupRulesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand } from "@aws-sdk/client-ec2";
import { DescribeContainerInstancesCommand, DescribeServicesCommand, DescribeTasksCommand, ListContainerInstancesCommand, ListTasksCommand, type Task } from "@aws-sdk/client-ecs";
import type { Context } from "mocha";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type MotoServer, motoServer, stopMotoServers } from "../../../helpers/moto";
import { type StackName, buildStack, stackConfig } from "../../../helpers/stacks";
import { type DeployedStack, deployStack } from "./fixture";
import { MotoShim } from "./shim";

export interface MotoSetting {
  readonly moto: MotoServer;
  readonly shim: MotoShim;
  /** What the CLI's AWS_ENDPOINT_URL points at: the shim. */
  readonly endpoint: string;
}

export interface MotoStack extends DeployedStack {
  /** The outputs file (`--outputs`). */
  readonly outputsFile: string;
}

/**
 * Tasks stay as RunTask left them until stopped: moto's default steps a task towards STOPPED each
 * time it is read (ECS's agent does not exist here), which would make every workspace fail.
 */
export const TASKS_STAY = { progression: "manual", times: 1_000_000_000 };
/** How often `until` reads moto's state. */
const STATE_POLL_MS = 100;
/** A state not reached after this long will not be: the test fails instead of hanging (a bound, not a wait). */
const STATE_BOUND_MS = 120_000;

// The SDK's notice that releases after January 2027 need Node 22 is not what these tests are about.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

let setting: Promise<MotoSetting> | undefined;
let shim: MotoShim | undefined;

/** Stops the shim and the moto server: every moto test file's `after` hook. */
export async function releaseMoto(): Promise<void> {
  await shim?.stop();
  shim = undefined;
  setting = undefined;
  await stopMotoServers();
}

/** The shared server and shim; the task transition set. */
async function motoSetting(ctx: Context): Promise<MotoSetting> {
  // moto's services report MOTO_ECS_SERVICE_RUNNING tasks running, read when a service is created:
  // staging's desired count, so the backend service is at its desired count as in a steady stack.
  const running = String(stackConfig("staging").backendDesiredCount);
  const moto = await motoServer(ctx, { MOTO_ECS_SERVICE_RUNNING: running });
  setting ??= (async () => {
    await moto.setTransition("ecs::task", TASKS_STAY);
    shim = new MotoShim(moto.url);
    return { moto, shim, endpoint: await shim.start() };
  })();
  return setting;
}

/** Forgets everything in moto and the shim, then deploys the stacks from their offline plans. */
export async function freshStacks<S extends StackName>(ctx: Context, stacks: readonly S[]): Promise<{ setting: MotoSetting; stacks: Record<S, MotoStack> }> {
  const s = await motoSetting(ctx);
  const graphs = await Promise.all(stacks.map((name) => buildStack(name)));
  await s.moto.reset();
  s.shim.reset();
  const out = {} as Record<S, MotoStack>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-moto-"));
  for (const [i, name] of stacks.entries()) {
    const deployed = await deployStack(graphs[i], s.moto, s.shim);
    const outputsFile = path.join(dir, `${name}.json`);
    fs.writeFileSync(outputsFile, JSON.stringify(deployed.outputs, null, 2));
    out[name] = { ...deployed, outputsFile };
  }
  return { setting: s, stacks: out };
}

/** Every task of the cluster (moto lists stopped ones too when asked without desiredStatus), described. */
export async function clusterTasks(stack: DeployedStack): Promise<Task[]> {
  const cluster = stack.outputs.clusterName;
  const arns = (await stack.clients.ecs.send(new ListTasksCommand({ cluster }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await stack.clients.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns, include: ["TAGS"] }))).tasks ?? [];
}

export const tagsOf = (tags: readonly { key?: string; value?: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.key ?? "", t.value ?? ""]));

/** The container instances of the cluster with their status and pool. */
export async function containerInstances(stack: DeployedStack): Promise<{ arn: string; instanceId: string; status: string; pool?: string }[]> {
  const cluster = stack.outputs.clusterName;
  const arns = (await stack.clients.ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns ?? [];
  const described = (await stack.clients.ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances ?? [];
  return described.map((ci) => ({
    arn: ci.containerInstanceArn!,
    instanceId: ci.ec2InstanceId!,
    status: ci.status!,
    pool: ci.attributes?.find((a) => a.name === "remote-claude.pool")?.value,
  }));
}

/**
 * What a dry run must leave alone, read from moto: tasks (status, desired status, tags), container
 * instances, the service, volumes and snapshots, security group rules, launch template versions,
 * alarm states; and the container instance tags the shim keeps.
 */
export async function motoState(stack: DeployedStack, setting: MotoSetting): Promise<unknown> {
  const c = stack.clients;
  const o = stack.outputs;
  // Reading tasks advances moto's task state machine by one tick (see TASKS_STAY): harmless here.
  const tasks = (await clusterTasks(stack)).map((t) => ({ arn: t.taskArn, last: t.lastStatus, desired: t.desiredStatus, tags: tagsOf(t.tags), reason: t.stoppedReason })).sort((a, b) => String(a.arn).localeCompare(String(b.arn)));
  const instances = (await containerInstances(stack)).sort((a, b) => a.arn.localeCompare(b.arn));
  const service = (await c.ecs.send(new DescribeServicesCommand({ cluster: o.clusterName, services: [o.backendServiceName] }))).services?.map((s) => ({ desired: s.desiredCount, status: s.status }));
  const volumes = ((await c.ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []).map((v) => ({ id: v.VolumeId, state: v.State, tags: v.Tags, attached: v.Attachments?.map((a) => a.InstanceId) })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const snapshots = ((await c.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }))).Snapshots ?? []).map((sn) => ({ id: sn.SnapshotId, state: sn.State, volume: sn.VolumeId })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const rules = ((await c.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: Object.values(o.securityGroupIds) }] }))).SecurityGroupRules ?? []).map((r) => r.SecurityGroupRuleId).sort();
  const templates = await Promise.all([o.backendLaunchTemplateId, o.workspaceLaunchTemplateId].map(async (id) => (await c.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id }))).LaunchTemplateVersions?.map((v) => [v.VersionNumber, v.DefaultVersion])));
  const alarms = ((await c.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: o.alarmNames }))).MetricAlarms ?? []).map((a) => [a.AlarmName, a.StateValue]);
  const instanceTags = instances.map((i) => [i.arn, setting.shim.instanceTagsOf(i.arn)]);
  return { tasks, instances, service, volumes, snapshots, rules, templates, alarms, instanceTags };
}

/** Reads: RPC operations named Describe…, List…, Get…; REST calls (FIS) with GET or HEAD. */
const READ = /^(Describe|List|Get)[A-Z]|^(GET|HEAD) /;

/** The calls a run made (recorded by the shim since `from`) that are not reads. */
export function writesSince(setting: MotoSetting, from: number): string[] {
  return setting.shim.since(from).filter((op) => !READ.test(op));
}

/**
 * Waits until `condition` holds in moto's state (read every STATE_POLL_MS), failing when `exited`
 * (the process that should bring it about) ends first or after STATE_BOUND_MS.
 */
export async function until(condition: () => Promise<boolean>, what: string, exited?: Promise<{ code: number | null; stderr: string }>): Promise<void> {
  let ended: { code: number | null; stderr: string } | undefined;
  void exited?.then((r) => {
    ended = r;
  });
  const bound = Date.now() + STATE_BOUND_MS;
  for (;;) {
    if (await condition()) return;
    if (ended) throw new Error(`the process exited (${ended.code}) before ${what}: ${ended.stderr.slice(-1500)}`);
    if (Date.now() > bound) throw new Error(`${what}: not reached after ${STATE_BOUND_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, STATE_POLL_MS));
  }
}
