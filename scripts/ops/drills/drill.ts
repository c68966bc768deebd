// What a failure drill is: a name, the outputs it needs, and a prepare step that picks its target
// and returns the injection (inject, recovered, rollback). runDrill.ts does the rest the same way
// for every drill: steady state first, inject, observe, roll back, report.
import type { Pool } from "../../../lib/names";
import type { OpsContext } from "../context";
import type { OutputPath } from "../outputs";
import type { SteadyTargets } from "./steadyState";

export interface DrillArgs {
  /** Time-to-recover objective, seconds. */
  readonly slo: number;
  /** Give up observing after this many seconds (then roll back). */
  readonly timeout: number;
  readonly pollInterval: number;
  /** Consecutive good checks that count as "steady again". */
  readonly stableChecks: number;
  readonly pool: Pool;
  readonly instance?: string;
  readonly task?: string;
  readonly az?: string;
  readonly template?: string;
  /** terminate-instance (workspace pool): the dead host's volumes survive and a workspace resumes from a snapshot of one. */
  readonly verifyRestore?: boolean;
  /** Seconds each restore step (canary start, detach, snapshot, resumed start) may take. */
  readonly restoreTimeout?: number;
}

export interface DrillEnv {
  readonly ctx: OpsContext;
  readonly args: DrillArgs;
  readonly runId: string;
  readonly steady: SteadyTargets;
}

interface Condition {
  readonly ok: boolean;
  readonly detail: string;
}

export interface DrillVerdict {
  readonly name: string;
  readonly expected: string;
  readonly observed: string;
  readonly pass: boolean;
}

export interface Injection {
  /** What inject() will do (printed by --dry-run, kept in the report). */
  readonly plan: readonly string[];
  /** What rollback() will undo. */
  readonly rollbackPlan: readonly string[];
  /** Makes the change; returns what was done. */
  inject(): Promise<string[]>;
  /** The drill's own sign that the system absorbed the failure (besides the steady state). */
  recovered(): Promise<Condition>;
  /** Undoes what inject() changed (idempotent; runs on success, timeout, error and Ctrl-C). */
  rollback(): Promise<string[]>;
  /**
   * Checks that need the recovered stack and may leave things to clean up (the restore drill's
   * snapshot and resumed workspace): run once after recovery, before rollback(), which removes
   * whatever they made. Their rows come back through verdicts().
   */
  afterRecovery?(): Promise<void>;
  /** Extra pass/fail rows (FIS: the experiment completed). */
  verdicts?(): Promise<DrillVerdict[]>;
  /** Drill-specific data for the JSON report. */
  details?(): Record<string, unknown>;
}

export interface DrillSpec {
  readonly name: string;
  /** Short kind in run ids ("drill-<kind>-<time>-<hex>"): run ids must fit in 32 characters. */
  readonly runKind: string;
  readonly describe: string;
  /** Outputs besides the steady-state ones (cluster, backend service, target group, alarms). */
  readonly outputs: readonly OutputPath[];
  prepare(env: DrillEnv): Promise<Injection>;
}
