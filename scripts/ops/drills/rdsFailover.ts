// rds-failover: reboot the Multi-AZ PostgreSQL instance with forced failover; it must be available
// again in the other AZ and the backend steady. A single-AZ instance is refused.
import { DescribeDBInstancesCommand, RebootDBInstanceCommand } from "@aws-sdk/client-rds";
import { PreconditionError } from "../errors";
import type { DrillSpec } from "./drill";
import { drillEntry } from "./names";

export const rdsFailover: DrillSpec = {
  ...drillEntry("rds-failover"),
  runKind: "rds",
  outputs: ["dbInstanceIdentifier"],
  async prepare({ ctx }) {
    const id = ctx.require(["dbInstanceIdentifier"]).dbInstanceIdentifier;
    const describe = async () => {
      const r = await ctx.api.call("DescribeDBInstances", () => ctx.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })));
      const db = r.DBInstances?.[0];
      if (!db) throw new PreconditionError(`DB instance ${id} not found`);
      return db;
    };
    const db = await describe();
    if (!db.MultiAZ) throw new PreconditionError(`DB instance ${id} is not Multi-AZ: there is no standby to fail over to`);
    if (db.DBInstanceStatus !== "available") throw new PreconditionError(`DB instance ${id} is ${db.DBInstanceStatus}, not available`);
    const oldAz = db.AvailabilityZone;
    let newAz: string | undefined;
    return {
      plan: [`reboot ${id} with forced failover (primary in ${oldAz}, standby in ${db.SecondaryAvailabilityZone})`],
      rollbackPlan: [],
      async inject() {
        await ctx.api.call("RebootDBInstance", () => ctx.aws.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: id, ForceFailover: true })));
        return [`failover of ${id} started`];
      },
      async recovered() {
        const d = await describe();
        newAz = d.AvailabilityZone;
        return { ok: d.DBInstanceStatus === "available" && newAz !== oldAz, detail: `${id} ${d.DBInstanceStatus} in ${newAz}` };
      },
      async rollback() {
        return [`nothing to undo: the primary is now in ${newAz ?? "(unknown)"}, was ${oldAz}`];
      },
      details: () => ({ dbInstanceIdentifier: id, oldAz, newAz }),
    };
  },
};
