// Every change a drill makes carries its run id: tasks through startedBy ("ops:<run id>", which
// ListTasks can filter on) and the drill-run tag, container instances and FIS experiments through
// the tag. `ops cleanup --run-id` finds leftovers of a killed run by these.
import { randomBytes } from "node:crypto";

export const DRILL_RUN_TAG = "remote-claude:drill-run";
export const DRILL_KIND_TAG = "remote-claude:drill";
const STARTED_BY_PREFIX = "ops:";

/** e.g. "load-20261123T120000-3fa2": the kind first, so a run id says what it was. */
export function newRunId(kind: string, now: number, random: () => string = () => randomBytes(2).toString("hex")): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "");
  return `${kind}-${stamp}-${random()}`;
}

const RUN_ID = /^[a-z][a-z0-9-]{2,100}$/;

export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** RunTask's startedBy (at most 128 characters, letters, digits, - _ : .). */
export function startedByFor(runId: string): string {
  return `${STARTED_BY_PREFIX}${runId}`;
}

export function runIdFromStartedBy(startedBy: string | undefined): string | undefined {
  return startedBy?.startsWith(STARTED_BY_PREFIX) ? startedBy.slice(STARTED_BY_PREFIX.length) : undefined;
}

export function drillTags(runId: string, kind: string): Record<string, string> {
  return { [DRILL_RUN_TAG]: runId, [DRILL_KIND_TAG]: kind };
}
