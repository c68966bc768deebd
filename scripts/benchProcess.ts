// Times whole processes for the start-up benchmarks (bench:plan, bench:cli): each command runs once
// unmeasured (the transpile cache and the OS file cache warm), then BENCH_RUNS times (default 5);
// wall time from the parent's clock around the process, CPU and peak memory from the process itself
// (scripts/bench-usage.js). Prints min, median and max: quote the median.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WARMUP_RUNS = 1;
const USAGE_HOOK = path.join(__dirname, "bench-usage.js");

interface ProcessFigures {
  readonly label: string;
  readonly wall: number[];
  readonly cpu: number[];
  readonly peakMiB: number[];
}

/** Runs `node ARGS` (cwd: the project) and returns its figures; fails on a non-zero exit. */
export function timeProcess(label: string, args: readonly string[], cwd: string): ProcessFigures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-process-"));
  const usageFile = path.join(dir, "usage.jsonl");
  const wall: number[] = [];
  try {
    for (let i = 0; i < WARMUP_RUNS + RUNS; i++) {
      const started = process.hrtime.bigint();
      const run = spawnSync(process.execPath, args, {
        cwd,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${USAGE_HOOK}`.trim(), BENCH_USAGE_FILE: usageFile },
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (run.status !== 0) throw new Error(`${label}: exit ${run.status ?? run.signal}: ${run.stderr.toString().slice(-2000)}`);
      if (i >= WARMUP_RUNS) wall.push(seconds);
    }
    const usage = fs.readFileSync(usageFile, "utf8").trim().split("\n").slice(WARMUP_RUNS).map((l) => JSON.parse(l) as { cpuSeconds: number; peakMiB: number });
    return { label, wall, cpu: usage.map((u) => u.cpuSeconds), peakMiB: usage.map((u) => u.peakMiB) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function spread(values: readonly number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return [sorted[0], median, sorted[sorted.length - 1]].map((v) => v.toFixed(digits)).join(" / ");
}

/** One line per command: wall, CPU (seconds) and peak memory (MiB), each min / median / max. */
export function printFigures(rows: readonly ProcessFigures[]): void {
  const width = Math.max(...rows.map((r) => r.label.length));
  console.log(`${RUNS} runs each after ${WARMUP_RUNS} warm-up; min / median / max, whole process`);
  console.log(`${"command".padEnd(width)}  wall s                  cpu s                   peak MiB`);
  for (const r of rows) {
    console.log(`${r.label.padEnd(width)}  ${spread(r.wall, 3).padEnd(22)}  ${spread(r.cpu, 3).padEnd(22)}  ${spread(r.peakMiB, 0)}`);
  }
}
