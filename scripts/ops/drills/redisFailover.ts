// redis-failover: ElastiCache TestFailover on the replication group's node group; the primary
// must move to a replica, the group be available again and the backend steady. Needs automatic
// failover (Multi-AZ with a replica): a single-node group is refused before anything changes.
import { DescribeReplicationGroupsCommand, type ReplicationGroup, TestFailoverCommand } from "@aws-sdk/client-elasticache";
import { PreconditionError } from "../errors";
import type { DrillSpec } from "./drill";
import { drillEntry } from "./names";

function primaryOf(group: ReplicationGroup): string | undefined {
  return group.NodeGroups?.[0]?.NodeGroupMembers?.find((m) => m.CurrentRole === "primary")?.CacheClusterId;
}

export const redisFailover: DrillSpec = {
  ...drillEntry("redis-failover"),
  runKind: "redis",
  outputs: ["redisReplicationGroupId"],
  async prepare({ ctx }) {
    const id = ctx.require(["redisReplicationGroupId"]).redisReplicationGroupId;
    const describe = async () => {
      const r = await ctx.api.call("DescribeReplicationGroups", () => ctx.aws.elastiCache.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })));
      const group = r.ReplicationGroups?.[0];
      if (!group) throw new PreconditionError(`replication group ${id} not found`);
      return group;
    };
    const group = await describe();
    if (group.AutomaticFailover !== "enabled") throw new PreconditionError(`replication group ${id} has automatic failover ${group.AutomaticFailover ?? "disabled"}: no replica to fail over to`);
    if (group.Status !== "available") throw new PreconditionError(`replication group ${id} is ${group.Status}, not available`);
    const nodeGroupId = group.NodeGroups?.[0]?.NodeGroupId ?? "0001";
    const oldPrimary = primaryOf(group);
    let newPrimary: string | undefined;
    return {
      plan: [`TestFailover on ${id} node group ${nodeGroupId} (primary now ${oldPrimary})`],
      rollbackPlan: [],
      async inject() {
        await ctx.api.call("TestFailover", () => ctx.aws.elastiCache.send(new TestFailoverCommand({ ReplicationGroupId: id, NodeGroupId: nodeGroupId })));
        return [`failover of ${id} started`];
      },
      async recovered() {
        const g = await describe();
        newPrimary = primaryOf(g);
        const ok = g.Status === "available" && newPrimary !== undefined && newPrimary !== oldPrimary;
        return { ok, detail: `${id} ${g.Status}, primary ${newPrimary ?? "none"}` };
      },
      async rollback() {
        return [`nothing to undo: the primary is now ${newPrimary ?? "(unknown)"}, was ${oldPrimary}; failing back is another failover`];
      },
      details: () => ({ replicationGroupId: id, nodeGroupId, oldPrimary, newPrimary }),
    };
  },
};
