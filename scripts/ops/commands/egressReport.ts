// `ops egress report`: what the DNS Firewall's catch-all matched and the egress proxy denied, from
// the stack's logs (the Logs Insights queries load only when it runs).
import { QUERY_TIMEOUT_MAX_SECONDS } from "../egress/queryTimeouts";
import { PROBE_BLOCKED_DOMAIN } from "../security/probeDefaults";
import { type OpsCommand, positive, queryTimeoutOption } from "./options";

export const egressReportCommand: OpsCommand = {
  command: "report",
  describe: "names the DNS Firewall's catch-all rule matched and requests the egress proxy denied, by name and by source, with the config line that allows each",
  builder: (r) => r
    .option("since", { type: "string", default: "24h", describe: "window up to now: minutes, hours or days (90m, 1h, 24h, 7d)" })
    .option("query-timeout", queryTimeoutOption())
    .option("fail-on-findings", { type: "boolean", default: false, describe: "any name or request off the allow list fails the run (exit 1): a gate before the catch-all goes to BLOCK" })
    .option("probe-name", { type: "string", array: true, default: [PROBE_BLOCKED_DOMAIN], describe: "a name the security probe tries on purpose (its --blocked-domain): listed apart, not a finding (repeatable)" })
    .example("$0 egress report --stack staging --since 24h", "what the allow list lacked in the last day")
    .example("$0 egress report --stack staging --since 7d --fail-on-findings", "exit 1 unless the last week was clean"),
  handler: (a, { select }) => {
    positive("query-timeout", a.queryTimeout, { min: 1, max: QUERY_TIMEOUT_MAX_SECONDS });
    const args = { since: a.since as string, queryTimeout: a.queryTimeout as number, failOnFindings: a.failOnFindings as boolean, probeName: a.probeName as string[] };
    select("egress report", async (ctx) => (await import("../egress/command")).egressReport(ctx, args));
  },
};
