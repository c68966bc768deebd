// The host side of `ops verify`: both capacity providers ACTIVE and attached to the cluster, and
// each pool's container instances registered, connected, with the attributes their agent settings
// imply (agentAttributes.ts), one agent version per pool, and a trunk network interface on every
// instance whose type supports ENI trunking (the stack turns awsvpcTrunking on for the account;
// EC2 lists the trunk as interface type "trunk").
import { DescribeCapacityProvidersCommand, DescribeClustersCommand } from "@aws-sdk/client-ecs";
import { paginateDescribeNetworkInterfaces } from "@aws-sdk/client-ec2";
import { instanceTypeInfo } from "../../../config/instanceTypes";
import { POOLS, type Pool } from "../../../lib/names";
import { chunk } from "../concurrency";
import type { OpsContext } from "../context";
import { type InstanceInfo, listInstances } from "../drills/containerInstances";
import type { ReportBuilder } from "../report";
import { expectedAttributes, meets } from "./agentAttributes";

/** EC2 filter values per DescribeNetworkInterfaces call. */
const INSTANCES_PER_CALL = 100;

export async function checkCapacityProviders(ctx: OpsContext, report: ReportBuilder, cluster: string, providers: Readonly<Record<Pool, string>>): Promise<void> {
  const names = POOLS.map((p) => providers[p]);
  const r = await ctx.api.call("DescribeCapacityProviders", () => ctx.aws.ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: names })));
  for (const pool of POOLS) {
    const cp = (r.capacityProviders ?? []).find((c) => c.name === providers[pool]);
    const scaling = cp?.autoScalingGroupProvider?.managedScaling?.status;
    const observed = cp ? `${cp.status}${cp.updateStatus ? `, update ${cp.updateStatus}` : ""}${scaling ? `, managed scaling ${scaling}` : ""}` : "not found";
    report.check("capacity", `${pool} capacity provider ${providers[pool]}`, "ACTIVE, managed scaling ENABLED, no failed update", observed,
      cp?.status === "ACTIVE" && !/FAILED/.test(cp.updateStatus ?? "") && scaling === "ENABLED");
  }
  const c = await ctx.api.call("DescribeClusters", () => ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [cluster] })));
  const attached = c.clusters?.[0]?.capacityProviders ?? [];
  const missing = names.filter((n) => !attached.includes(n));
  report.check("capacity", `cluster ${cluster}: capacity providers attached`, names.join(", "), attached.join(", ") || "none", missing.length === 0 && c.clusters?.[0]?.status === "ACTIVE");
}

/** Trunk interfaces by the instance they are attached to. */
async function trunkInterfaces(ctx: OpsContext, instanceIds: readonly string[]): Promise<Map<string, string>> {
  const trunks = new Map<string, string>();
  for (const batch of chunk(instanceIds, INSTANCES_PER_CALL)) {
    // The type is checked here rather than by an interface-type filter: a host has only a few interfaces.
    const pages = paginateDescribeNetworkInterfaces({ client: ctx.aws.ec2 }, { Filters: [{ Name: "attachment.instance-id", Values: batch }] });
    for await (const page of ctx.api.pages("DescribeNetworkInterfaces", pages)) {
      for (const eni of page.NetworkInterfaces ?? []) {
        const instance = eni.Attachment?.InstanceId;
        if (instance && eni.NetworkInterfaceId && eni.InterfaceType === "trunk") trunks.set(instance, eni.NetworkInterfaceId);
      }
    }
  }
  return trunks;
}

const share = (n: number, of: number) => `${n} of ${of}`;

export async function checkPools(ctx: OpsContext, report: ReportBuilder, cluster: string): Promise<Record<Pool, InstanceInfo[]>> {
  const byPool = {} as Record<Pool, InstanceInfo[]>;
  const rows: (string | number)[][] = [];
  for (const pool of POOLS) {
    const all = await listInstances(ctx, cluster, { pool });
    byPool[pool] = all;
    const active = all.filter((i) => i.status === "ACTIVE");
    const connected = active.filter((i) => i.agentConnected);
    report.check(`pool:${pool}`, "container instances registered", "at least 1 ACTIVE, agent connected", all.length === 0 ? "none registered" : `${share(connected.length, all.length)} ACTIVE and connected${all.length > connected.length ? ` (${all.filter((i) => i.status !== "ACTIVE" || !i.agentConnected).map((i) => `${i.ec2InstanceId} ${i.status}${i.agentConnected ? "" : " disconnected"}`).join(", ")})` : ""}`, connected.length > 0 && connected.length === all.length);
    if (all.length === 0) continue;

    for (const e of expectedAttributes(pool)) {
      const results = all.map((i) => ({ i, ...meets(i.attributes, e) }));
      const bad = results.filter((r) => !r.ok);
      const expected = `${e.present ? (e.value !== undefined ? e.value : "present") : "absent"} (${e.because})`;
      report.check(`pool:${pool}`, e.attribute, expected, bad.length === 0 ? `${results[0].observed} on ${share(all.length, all.length)}` : `${bad.map((b) => `${b.i.ec2InstanceId}: ${b.observed}`).join(", ")}`, bad.length === 0);
    }

    const versions = [...new Set(all.map((i) => i.agentVersion || "(not reported)"))];
    report.check(`pool:${pool}`, "ECS agent version", "one version on every host of the pool (one AMI)", versions.join(", "), versions.length === 1 && versions[0] !== "(not reported)");

    const trunks = await trunkInterfaces(ctx, all.map((i) => i.ec2InstanceId).filter(Boolean));
    const trunking = all.filter((i) => (instanceTypeInfo(i.attributes["ecs.instance-type"] ?? "")?.tasksWithTrunking ?? 0) > 0);
    const unknownType = all.filter((i) => !instanceTypeInfo(i.attributes["ecs.instance-type"] ?? ""));
    const without = trunking.filter((i) => !trunks.has(i.ec2InstanceId));
    report.check(`pool:${pool}`, "trunk network interface (ENI trunking)", "one on every instance whose type supports trunking",
      `${share(trunking.length - without.length, trunking.length)}${without.length ? `; none on ${without.map((i) => `${i.ec2InstanceId} (${i.attributes["ecs.instance-type"]})`).join(", ")}` : ""}${unknownType.length ? `; ${unknownType.length} of a type not in the trunking table: not judged` : ""}`,
      trunking.length > 0 ? without.length === 0 : "skip");

    for (const i of all) {
      rows.push([pool, i.ec2InstanceId, i.attributes["ecs.instance-type"] ?? "-", i.availabilityZone || "-", i.status, i.agentConnected ? "yes" : "no", i.agentVersion || "-", trunks.get(i.ec2InstanceId) ?? "-", i.runningTasks]);
    }
  }
  report.table("Container instances", ["pool", "instance", "type", "AZ", "status", "agent connected", "agent version", "trunk interface", "running tasks"], rows);
  return byPool;
}
