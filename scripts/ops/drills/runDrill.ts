// The drill loop shared by every failure drill: refuse unless the stack is in steady state,
// inject, observe until the steady state (and the drill's own recovery sign) holds for
// `stableChecks` polls in a row or the timeout passes, roll back in `finally` (also on errors and
// Ctrl-C), and report time-to-recover against the SLO with every alarm that fired meanwhile.
import type { OpsContext } from "../context";
import { EXIT, PreconditionError, errorMessage, errorName } from "../errors";
import { ReportBuilder } from "../report";
import { alarmTransitions } from "./alarms";
import type { DrillArgs, DrillSpec, Injection } from "./drill";
import { type SteadyTargets, checkSteadyState } from "./steadyState";

interface TimelineEntry {
  readonly t: number;
  readonly state: string;
}

export async function runDrill(ctx: OpsContext, spec: DrillSpec, args: DrillArgs): Promise<ReportBuilder> {
  const out = ctx.require(["clusterName", "backendServiceName", "backendTargetGroupArns", "alarmNames"]);
  ctx.require(spec.outputs as never[]);
  ctx.guard(`drill ${spec.name} injects a failure`);
  await ctx.verifyCredentials();

  const runId = ctx.newRunId(`drill-${spec.runKind}`);
  // FIS runs are told apart by template (the report's command is also the metrics' Drill dimension).
  const name = args.template ? `${spec.name} ${args.template}` : spec.name;
  const report = new ReportBuilder(`drill ${name}`, `Failure drill: ${name}`);
  report.runId = runId;
  const steady: SteadyTargets = { cluster: out.clusterName, services: [out.backendServiceName], targetGroupArns: out.backendTargetGroupArns, alarmNames: out.alarmNames };

  const before = await checkSteadyState(ctx, steady);
  report.data.steadyBefore = before;
  if (!before.ok) throw new PreconditionError(`stack "${ctx.stack}" is not in steady state, nothing injected: ${before.problems.join("; ")}`);
  const injection = await spec.prepare({ ctx, args, runId, steady });
  report.data.plan = injection.plan;
  report.data.rollbackPlan = injection.rollbackPlan;
  report.summary.push(`Steady state before: ${describeSteady(before)}.`);

  if (ctx.args.dryRun) {
    report.outcome = "dry-run";
    report.summary.push(...injection.plan.map((l) => `Would: ${l}`), ...injection.rollbackPlan.map((l) => `Rollback: ${l}`));
    return report;
  }

  if (ctx.signal.aborted) {
    report.summary.push("Interrupted before the injection: nothing was changed.");
    return report;
  }
  ctx.scope.setCleanupHint(ctx.cleanupHint(runId));
  const startedAt = ctx.clock.now();
  let injectedAt: number | undefined;
  let recoveredAt: number | undefined;
  let failure: string | undefined;
  let rollbackError: string | undefined;
  let rolledBack: string[] = [];
  const timeline: TimelineEntry[] = [];
  const seenFiring = new Map<string, number>();
  try {
    ctx.progress.log(`run ${runId}: ${injection.plan.join("; ")}`);
    const done = await injection.inject();
    injectedAt = ctx.clock.now();
    report.summary.push(...done.map((l) => `Injected: ${l}`));
    recoveredAt = await observe(ctx, args, steady, injection, injectedAt, timeline, seenFiring);
    if (recoveredAt !== undefined && !ctx.signal.aborted && injection.afterRecovery) {
      ctx.progress.log("recovered; checking what the drill verifies after recovery");
      await injection.afterRecovery();
    }
  } catch (err) {
    failure = `${errorName(err)}: ${errorMessage(err)}`;
  } finally {
    try {
      rolledBack = await injection.rollback();
      for (const line of rolledBack) ctx.progress.log(`rollback: ${line}`);
    } catch (err) {
      rollbackError = `${errorName(err)}: ${errorMessage(err)}`;
    }
  }

  const endedAt = ctx.clock.now();
  const ttr = injectedAt !== undefined && recoveredAt !== undefined ? (recoveredAt - injectedAt) / 1000 : undefined;
  report.summary.push(
    ttr !== undefined
      ? `Recovered ${ttr.toFixed(1)} s after the injection (SLO ${args.slo} s).`
      : ctx.signal.aborted ? "Interrupted before the stack recovered." : failure ? `Drill failed: ${failure}` : `Not recovered within ${args.timeout} s.`,
    ...rolledBack.map((l) => `Rolled back: ${l}`),
  );
  report.check("recovery", "time to recover", `<= ${args.slo} s`, ttr === undefined ? "not recovered" : `${ttr.toFixed(1)} s`, ttr !== undefined && ttr <= args.slo);
  report.check("rollback", "rolled back", injection.rollbackPlan.join("; ") || "nothing to undo", rollbackError ?? (rolledBack.join("; ") || "nothing to undo"), rollbackError === undefined);
  for (const v of (await safe(report, "drill verdicts", () => injection.verdicts?.() ?? Promise.resolve([]))) ?? []) report.check("drill", v.name, v.expected, v.observed, v.pass);

  const transitions = (await safe(report, "alarm history", () => alarmTransitions(ctx, steady.alarmNames, startedAt, endedAt))) ?? [];
  report.table("Alarms during the drill", ["alarm", "time", "change"], [
    ...transitions.map((t) => [t.alarm, t.at, t.summary]),
    ...[...seenFiring].filter(([name]) => !transitions.some((t) => t.alarm === name)).map(([name, at]) => [name, new Date(at).toISOString(), "seen in ALARM while polling"]),
  ]);
  report.table("Timeline (seconds after injection)", ["t", "state"], timeline.map((e) => [e.t.toFixed(1), e.state]));
  report.data.alarms = { transitions, seenInAlarm: Object.fromEntries([...seenFiring].map(([n, at]) => [n, new Date(at).toISOString()])) };
  report.data.timeToRecoverSeconds = ttr;
  report.data.details = injection.details?.();
  report.metrics.push({ name: "DrillTimeToRecover", unit: "Seconds", values: ttr === undefined ? [] : [ttr] });
  report.metrics.push({ name: "DrillAlarmsFired", unit: "Count", values: [new Set([...transitions.map((t) => t.alarm), ...seenFiring.keys()]).size] });

  if (rollbackError) {
    report.outcome = "error";
    report.exitCode = EXIT.cleanupIncomplete;
    report.notes.push(`rollback failed (${rollbackError}); still to undo: ${injection.rollbackPlan.join("; ")}; run: ${ctx.cleanupHint(runId)}`);
  } else if (failure && !ctx.signal.aborted) {
    report.outcome = "error";
    report.exitCode = EXIT.error;
    report.notes.push(`the drill stopped on an error: ${failure}`);
  }
  return report;
}

async function observe(
  ctx: OpsContext,
  args: DrillArgs,
  steady: SteadyTargets,
  injection: Injection,
  injectedAt: number,
  timeline: TimelineEntry[],
  seenFiring: Map<string, number>,
): Promise<number | undefined> {
  let streak = 0;
  let streakStart = 0;
  let lastState = "";
  // A loop rather than an SDK waiter: recovery is several APIs at once, and the time it first
  // held is the measurement.
  while (!ctx.signal.aborted) {
    await ctx.clock.sleep(args.pollInterval * 1000, ctx.signal);
    if (ctx.signal.aborted) break;
    const now = ctx.clock.now();
    const state = await checkSteadyState(ctx, steady);
    const own = await injection.recovered();
    for (const alarm of state.alarmsInAlarm) if (!seenFiring.has(alarm)) seenFiring.set(alarm, now);
    const ok = state.ok && own.ok;
    const text = ok ? `steady; ${own.detail}` : [...state.problems, own.ok ? "" : own.detail].filter(Boolean).join("; ");
    if (text !== lastState) timeline.push({ t: (now - injectedAt) / 1000, state: text });
    lastState = text;
    ctx.progress.update(`${((now - injectedAt) / 1000).toFixed(0)} s: ${text}`);
    if (ok) {
      if (streak === 0) streakStart = now;
      if (++streak >= args.stableChecks) return streakStart;
    } else {
      streak = 0;
    }
    if (now - injectedAt >= args.timeout * 1000) break;
  }
  ctx.progress.clear();
  return undefined;
}

function describeSteady(s: Awaited<ReturnType<typeof checkSteadyState>>): string {
  const services = s.services.map((x) => `${x.name} ${x.running}/${x.desired}`).join(", ");
  return `${services}; ${s.healthyTargets}/${s.targets} targets healthy; ${s.alarmsInAlarm.length} alarms in ALARM`;
}

/** Reading after the drill must not hide its result: a failed read becomes a note. */
async function safe<T>(report: ReportBuilder, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    report.notes.push(`${what} not read: ${errorName(err)}: ${errorMessage(err)}`);
    return undefined;
  }
}
