// `ops verify`: go/no-go for a freshly deployed stack (the checks load only when it runs).
import { QUERY_TIMEOUT_MAX_SECONDS } from "../egress/queryTimeouts";
import { LOAD_DEFAULTS } from "../load/defaults";
import { type OpsCommand, positive, probeOptions, queryTimeoutOption, seconds } from "./options";

export const verifyCommand: OpsCommand = {
  command: "verify",
  describe: "go/no-go for a freshly deployed stack: capacity providers, both pools' agents, one workspace HEALTHY with its volume, the in-task probe, an empty egress report; cleans up",
  builder: (v) => probeOptions(v)
    .option("start-timeout", seconds("seconds the workspace may take to turn HEALTHY (an empty pool launches an instance first)", 600))
    .option("egress-since", { type: "string", default: "1h", describe: "the egress report's window, ending when verify starts" })
    .option("query-timeout", queryTimeoutOption())
    .option("volume-timeout", seconds("seconds to wait for the run's volumes to detach before deleting them", LOAD_DEFAULTS.volumeTimeout))
    .option("run-id", { type: "string", describe: "run id to tag tasks and volumes with (default: generated, printed)" })
    .example("$0 verify --stack staging", "after the first pulumi up: GO (exit 0) or NO-GO (exit 1)"),
  handler: (a, { select }) => {
    positive("start-timeout", a.startTimeout, { min: 1 });
    positive("query-timeout", a.queryTimeout, { min: 1, max: QUERY_TIMEOUT_MAX_SECONDS });
    positive("volume-timeout", a.volumeTimeout, { min: 1 });
    positive("probe-timeout", a.probeTimeout, { min: 1 });
    select("verify", async (ctx) => (await import("../verify/command")).verify(ctx, a as never));
  },
};
