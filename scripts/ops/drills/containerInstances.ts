// Container instances of the cluster, by pool or AZ, and the DRAINING/ACTIVE switch the drain
// drills use. A drained instance is tagged with the run id first, so `ops cleanup --run-id` can
// find and reactivate it if the drill is killed before its rollback.
import {
  type ContainerInstance,
  DescribeContainerInstancesCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateContainerInstancesStateCommand,
  paginateListContainerInstances,
} from "@aws-sdk/client-ecs";
import { POOL_ATTRIBUTE, type Pool } from "../../../lib/names";
import { chunk } from "../concurrency";
import type { OpsContext } from "../context";
import { DRILL_RUN_TAG } from "../runId";

/** UpdateContainerInstancesState and DescribeContainerInstances limits. */
const MAX_STATE_BATCH = 10;
const MAX_DESCRIBE_BATCH = 100;

export interface InstanceInfo {
  readonly arn: string;
  readonly ec2InstanceId: string;
  readonly status: string;
  readonly availabilityZone: string;
  readonly pool: string;
  readonly runningTasks: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Every attribute the agent registered (name → value; "" for name-only capabilities). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly agentConnected: boolean;
  readonly agentVersion: string;
}

function info(ci: ContainerInstance): InstanceInfo {
  const attr = (name: string) => ci.attributes?.find((a) => a.name === name)?.value ?? "";
  return {
    arn: ci.containerInstanceArn ?? "",
    ec2InstanceId: ci.ec2InstanceId ?? "",
    status: ci.status ?? "",
    availabilityZone: attr("ecs.availability-zone"),
    pool: attr(POOL_ATTRIBUTE),
    runningTasks: ci.runningTasksCount ?? 0,
    tags: Object.fromEntries((ci.tags ?? []).map((t) => [t.key ?? "", t.value ?? ""])),
    attributes: Object.fromEntries((ci.attributes ?? []).map((a) => [a.name ?? "", a.value ?? ""])),
    agentConnected: ci.agentConnected ?? false,
    agentVersion: ci.versionInfo?.agentVersion ?? "",
  };
}

interface InstanceQuery {
  readonly pool?: Pool;
  readonly availabilityZone?: string;
  readonly status?: "ACTIVE" | "DRAINING";
}

/** Cluster query language filter, e.g. `attribute:remote-claude.pool == backend`. */
function instanceFilter(query: InstanceQuery): string | undefined {
  const parts: string[] = [];
  if (query.pool) parts.push(`attribute:${POOL_ATTRIBUTE} == ${query.pool}`);
  if (query.availabilityZone) parts.push(`attribute:ecs.availability-zone == ${query.availabilityZone}`);
  return parts.length > 0 ? parts.join(" and ") : undefined;
}

export async function listInstances(ctx: OpsContext, cluster: string, query: InstanceQuery = {}): Promise<InstanceInfo[]> {
  const filter = instanceFilter(query);
  const arns: string[] = [];
  const pages = paginateListContainerInstances({ client: ctx.aws.ecs }, { cluster, ...(filter ? { filter } : {}), ...(query.status ? { status: query.status } : {}) });
  for await (const page of ctx.api.pages("ListContainerInstances", pages)) arns.push(...(page.containerInstanceArns ?? []));
  return describeInstances(ctx, cluster, arns);
}

export async function describeInstances(ctx: OpsContext, cluster: string, arns: readonly string[]): Promise<InstanceInfo[]> {
  const out: InstanceInfo[] = [];
  for (const batch of chunk(arns, MAX_DESCRIBE_BATCH)) {
    const response = await ctx.api.call("DescribeContainerInstances", () =>
      ctx.aws.ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: batch, include: ["TAGS"] })));
    out.push(...(response.containerInstances ?? []).map(info));
  }
  return out;
}

/** DRAINING (tagged with the run id first) or back to ACTIVE (tag removed after). */
export async function setInstancesState(ctx: OpsContext, cluster: string, arns: readonly string[], status: "DRAINING" | "ACTIVE", runId: string): Promise<string[]> {
  const failures: string[] = [];
  for (const batch of chunk(arns, MAX_STATE_BATCH)) {
    if (status === "DRAINING") {
      for (const arn of batch) {
        await ctx.api.call("TagResource", () => ctx.aws.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: DRILL_RUN_TAG, value: runId }] })));
      }
    }
    const response = await ctx.api.call("UpdateContainerInstancesState", () =>
      ctx.aws.ecs.send(new UpdateContainerInstancesStateCommand({ cluster, containerInstances: batch, status })));
    failures.push(...(response.failures ?? []).map((f) => `${f.arn}: ${f.reason}${f.detail ? ` (${f.detail})` : ""}`));
    if (status === "ACTIVE") {
      for (const arn of batch) {
        await ctx.api.call("UntagResource", () => ctx.aws.ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [DRILL_RUN_TAG] })));
      }
    }
  }
  return failures;
}
