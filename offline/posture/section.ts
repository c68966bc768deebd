// The plan's posture section: one line per security layer, read from the graph.
import type { StackConfig } from "../../config";
import type { StackGraph } from "../graph";
import type { PlanSection } from "../plan";
import { postureRows } from "./posture";

export function postureSection(graph: StackGraph, config?: StackConfig): PlanSection {
  const rows = postureRows(graph, config);
  const width = Math.max(...rows.map((r) => r.layer.length));
  return {
    title: "Security posture",
    lines: rows.map((r) => `${r.layer.padEnd(width)}  ${r.verdict.padEnd(8)}  ${r.detail}`),
    data: rows,
  };
}
