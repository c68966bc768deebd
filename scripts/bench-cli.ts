// `npm run bench:cli`: the ops tool's start for `ops --help` and every command's `--help`, run as
// the installed bin runs (bin/ops.js). BENCH_RUNS changes the runs per command.
import * as path from "node:path";
import { printFigures, timeProcess } from "./benchProcess";

const ROOT = path.resolve(__dirname, "..");
const COMMANDS = [
  [],
  ["load", "workspaces"],
  ["load", "http"],
  ["drill", "kill-backend-task"],
  ["drill", "terminate-instance"],
  ["security"],
  ["egress", "report"],
  ["verify"],
  ["cleanup"],
  ["local", "image"],
  ["volumes", "list"],
  ["volumes", "snapshot"],
  ["volumes", "prune"],
];

printFigures(COMMANDS.map((command) => timeProcess(["ops", ...command, "--help"].join(" "), ["bin/ops.js", ...command, "--help"], ROOT)));
