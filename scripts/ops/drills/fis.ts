// fis TEMPLATE: start one of the stack's FIS experiment templates (output fisTemplateIds), follow
// it to its end and the stack back to steady state. Ctrl-C, an error or the timeout stop the
// experiment. It passes when the experiment completed (a stop condition halting it is a failure).
import { GetExperimentCommand, GetExperimentTemplateCommand, StartExperimentCommand, StopExperimentCommand } from "@aws-sdk/client-fis";
import { UsageError } from "../errors";
import { drillTags } from "../runId";
import type { DrillSpec } from "./drill";
import { drillEntry } from "./names";

const ENDED = new Set(["completed", "stopped", "failed", "cancelled"]);

export function resolveTemplate(templates: Readonly<Record<string, string>>, wanted: string): { name: string; id: string } {
  if (templates[wanted]) return { name: wanted, id: templates[wanted] };
  const byId = Object.entries(templates).find(([, id]) => id === wanted);
  if (byId) return { name: byId[0], id: byId[1] };
  throw new UsageError(`no FIS template "${wanted}" in output fisTemplateIds; the stack has: ${Object.keys(templates).sort().join(", ") || "none"}`);
}

export const fisDrill: DrillSpec = {
  ...drillEntry("fis"),
  runKind: "fis",
  outputs: ["fisTemplateIds"],
  async prepare({ ctx, args, runId }) {
    const template = resolveTemplate(ctx.require(["fisTemplateIds"]).fisTemplateIds, args.template ?? "");
    const t = await ctx.api.call("GetExperimentTemplate", () => ctx.aws.fis.send(new GetExperimentTemplateCommand({ id: template.id })));
    const actions = Object.entries(t.experimentTemplate?.actions ?? {}).map(([name, a]) => `${name} (${a.actionId})`);
    const stops = (t.experimentTemplate?.stopConditions ?? []).map((s) => s.value ?? s.source).filter(Boolean);
    let experimentId: string | undefined;
    let status = "not started";
    let reason = "";
    const poll = async () => {
      if (!experimentId) return;
      const e = await ctx.api.call("GetExperiment", () => ctx.aws.fis.send(new GetExperimentCommand({ id: experimentId })));
      status = e.experiment?.state?.status ?? "unknown";
      reason = e.experiment?.state?.reason ?? "";
    };
    return {
      plan: [`start FIS template ${template.name} (${template.id}): ${t.experimentTemplate?.description ?? ""}; actions ${actions.join(", ") || "none"}; stop conditions ${stops.join(", ") || "none"}`],
      rollbackPlan: ["stop the experiment if it is still running"],
      async inject() {
        const r = await ctx.api.call("StartExperiment", () => ctx.aws.fis.send(new StartExperimentCommand({
          experimentTemplateId: template.id,
          clientToken: runId,
          tags: drillTags(runId, "fis"),
        })));
        experimentId = r.experiment?.id;
        status = r.experiment?.state?.status ?? "pending";
        return [`experiment ${experimentId} started from ${template.name}`];
      },
      async recovered() {
        await poll();
        return { ok: ENDED.has(status), detail: `experiment ${status}${reason ? ` (${reason})` : ""}` };
      },
      async rollback() {
        if (!experimentId) return [];
        await poll();
        if (ENDED.has(status)) return [`nothing to undo: experiment ${experimentId} ${status}`];
        await ctx.api.call("StopExperiment", () => ctx.aws.fis.send(new StopExperimentCommand({ id: experimentId })));
        return [`stopped experiment ${experimentId} (was ${status})`];
      },
      async verdicts() {
        await poll();
        return [{ name: "experiment state", expected: "completed", observed: `${status}${reason ? `: ${reason}` : ""}`, pass: status === "completed" }];
      },
      details: () => ({ template, experimentId, status, reason }),
    };
  },
};
