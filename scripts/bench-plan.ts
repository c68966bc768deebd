// `npm run bench:plan`: the offline plan's start-to-exit time for each stack, as `npm run plan --
// --stack X --json` runs it (the npm wrapper itself excluded). BENCH_RUNS changes the runs per stack.
import * as path from "node:path";
import { printFigures, timeProcess } from "./benchProcess";

const ROOT = path.resolve(__dirname, "..");
const STACKS = ["staging", "prod"];

printFigures(STACKS.map((stack) => timeProcess(`plan --stack ${stack} --json`, ["-r", "./scripts/ts-hook.js", "scripts/plan.ts", "--stack", stack, "--json"], ROOT)));
