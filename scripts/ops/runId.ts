// Every change a drill makes carries its run id: tasks through startedBy ("ops/<run id>", which
// ListTasks can filter on) and the drill-run tag, container instances and FIS experiments through
// the tag. `ops cleanup --run-id` finds leftovers of a killed run by these.
import { randomBytes } from "node:crypto";

export const DRILL_RUN_TAG = "remote-claude:drill-run";
export const DRILL_KIND_TAG = "remote-claude:drill";
// startedBy allows letters, digits, "-", "_" and "/" only (no ":"); ListTasks' startedBy filter
// has been limited to 36 characters, so run ids stay short.
const STARTED_BY_PREFIX = "ops/";
const MAX_STARTED_BY = 36;

/** e.g. "load-20261123T120000-3fa2": the kind first, so a run id says what it was. */
export function newRunId(kind: string, now: number, random: () => string = () => randomBytes(2).toString("hex")): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "");
  return `${kind}-${stamp}-${random()}`;
}

const RUN_ID = /^[a-z][A-Za-z0-9-]{2,31}$/;

export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** RunTask's startedBy for a run: "ops/<run id>". */
export function startedByFor(runId: string): string {
  const startedBy = `${STARTED_BY_PREFIX}${runId}`;
  if (!/^[A-Za-z0-9/_-]+$/.test(startedBy) || startedBy.length > MAX_STARTED_BY) {
    throw new RangeError(`run id ${runId} does not fit in startedBy (letters, digits, - _ /; at most ${MAX_STARTED_BY} characters with "${STARTED_BY_PREFIX}")`);
  }
  return startedBy;
}

export function runIdFromStartedBy(startedBy: string | undefined): string | undefined {
  return startedBy?.startsWith(STARTED_BY_PREFIX) ? startedBy.slice(STARTED_BY_PREFIX.length) : undefined;
}

export function drillTags(runId: string, kind: string): Record<string, string> {
  return { [DRILL_RUN_TAG]: runId, [DRILL_KIND_TAG]: kind };
}
