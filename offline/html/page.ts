// The plan as one self-contained HTML page (`npm run plan -- --stack NAME --format html`): the
// architecture picture, the posture, the policy verdicts, the cost table, the capacity model with
// the stack's ceilings, and the instance-type advisor.
// Inline CSS and SVG only: no script, font or image is fetched, so it opens offline and can be
// attached to a review as is. One small inline script marks the page once the browser has laid
// out the pictures (the rendering test reads that mark).
import { costAssumptions } from "../../config/cost";
import type { StackConfig } from "../../config";
import { allPolicies, POLICY_PACK_NAME } from "../../policy/policies";
import { workspaceCapacity, type CapacityModel } from "../cost/capacity";
import { type CostEstimate, estimateCost } from "../cost/estimate";
import type { Advice } from "../cost/advisor";
import { ceilingNotes, type Ceilings } from "../cost/ceilings";
import { adviceOf, advisorLines, capacityLines, ceilingsOf, seedFigureFor, usd, usdRange } from "../cost/section";
import type { StackGraph } from "../graph";
import { evaluatePolicies, type PolicyOutcome } from "../policies";
import { postureRows, type PostureRow } from "../posture/posture";
import { componentBoxes, componentsSvg, flowDiagramSvg } from "./diagram";
import { escapeXml as e } from "./escape";

interface PlanPageInput {
  readonly graph: StackGraph;
  readonly config?: StackConfig;
}

const STYLE = `
:root { color-scheme: light; --ink:#1d2433; --muted:#5b6477; --line:#d5dae3; --ok:#1b7f3b; --warn:#a86400; --bad:#b3261e; --accent:#2f5bd3; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0; padding: 24px 32px; background: #f6f7fb; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 180px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f7; font-weight: 600; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 700; background: #eef1f7; }
.verdict { font-weight: 700; white-space: nowrap; } .v-in-force, .v-pass { color: var(--ok); } .v-baseline, .v-warning, .v-partial, .v-n-a { color: var(--warn); } .v-missing, .v-mismatch, .v-fail { color: var(--bad); }
.est { color: var(--warn); font-size: 12px; }
.diagram { background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; padding: 8px; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); } svg text.title { font-weight: 700; font-size: 13px; } svg text.member { fill: var(--muted); font-size: 11px; }
svg text.port { fill: var(--accent); font-size: 11px; }
svg .node rect { fill: #fff; stroke: var(--accent); stroke-width: 1.5; } svg .node.external rect { fill: #f3f4f8; stroke: var(--muted); stroke-dasharray: 4 3; }
svg .flow path { fill: none; stroke: var(--accent); stroke-width: 1.3; opacity: .75; } svg marker path { fill: var(--accent); }
svg .component rect { fill: #fff; stroke: var(--muted); stroke-width: 1.2; }
ul { margin: 4px 0; } code { font-size: 12px; }
`;

function verdictClass(v: string): string {
  return `verdict v-${v.toLowerCase().replace(/[^a-z]+/g, "-")}`;
}

function postureTable(rows: readonly PostureRow[]): string {
  return `<table class="posture"><thead><tr><th>Layer</th><th>Verdict</th><th>What the planned resources carry</th></tr></thead><tbody>
${rows.map((r) => `<tr class="posture-row" data-layer="${e(r.layer)}"><td>${e(r.layer)}</td><td class="${verdictClass(r.verdict)}">${e(r.verdict)}</td><td>${e(r.detail)}</td></tr>`).join("\n")}
</tbody></table>`;
}

function policyTable(outcomes: ReadonlyMap<string, PolicyOutcome>): string {
  const rows = allPolicies.map((p) => {
    const o = outcomes.get(p.name);
    const verdict = !o ? "?" : o.violations.length > 0 ? "FAIL" : o.applicable ? "pass" : "n/a";
    const why = o && o.violations.length > 0 ? o.violations.map((v) => v.message).join("; ") : p.description;
    return `<tr class="policy-row"><td><code>${e(p.name)}</code></td><td class="${verdictClass(verdict)}">${e(verdict)}</td><td>${e(why)}</td></tr>`;
  });
  return `<table class="policies"><thead><tr><th>Policy (${e(POLICY_PACK_NAME)})</th><th>Verdict</th><th>Checks</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table>`;
}

function costTable(c: CostEstimate): string {
  if (c.refused) return `<p class="refused">${e(c.refused)}</p>`;
  const rows = c.lines.map((l) => `<tr class="cost-line"><td>${e(l.category)}</td><td>${e(l.item)}${l.note ? `<br><small>${e(l.note)}</small>` : ""}</td>` +
    `<td class="num">${e(l.quantity.min === l.quantity.max ? l.quantity.min.toLocaleString("en-US") : `${l.quantity.min.toLocaleString("en-US")}–${l.quantity.max.toLocaleString("en-US")}`)} ${e(l.unit)}</td>` +
    `<td class="num">${l.price ? e(usd(l.unitPrice, 4)) : "no price"}${l.price?.status === "estimate" ? ' <span class="est" title="estimate: not confirmed by a source">est.</span>' : ""}</td>` +
    `<td class="num">${e(usdRange(l.monthly))}</td></tr>`);
  return `<table class="cost"><thead><tr><th>Category</th><th>Item</th><th>Quantity / month</th><th>Unit price</th><th>Monthly (min – max size)</th></tr></thead><tbody>
${rows.join("\n")}
<tr class="total"><td colspan="4">Total</td><td class="num" id="cost-total">${e(usdRange(c.total))}</td></tr>
</tbody></table>`;
}

function ceilingTable(c: Ceilings): string {
  const rows = c.rows.map((r) => `<tr class="ceiling-row${r === c.binding ? " binding" : ""}" data-limit="${e(r.limit)}"><td>${e(r.limit)}${r === c.binding ? " <b>(binds first)</b>" : ""}</td>` +
    `<td class="num">${e(r.workspaces.toLocaleString("en-US"))}</td><td>${e(r.detail)}</td><td><code>${e(r.key)}</code></td></tr>`);
  return `<table class="ceilings"><thead><tr><th>Limit</th><th>Concurrent workspaces</th><th>Why</th><th>Key</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table>`;
}

/** The advisor's eligible rows (the JSON plan has the excluded ones too). */
function advisorTable(a: Advice, configured?: string): string {
  const rows = a.rows.filter((r) => !r.excluded).slice(0, 12).map((r, i) => {
    const d = r.density;
    const est = [r.priceStatus === "estimate" ? "price" : "", r.trunkingStatus === "estimate" ? "ENI" : ""].filter(Boolean).join(", ");
    return `<tr class="advisor-row${r.instanceType === configured ? " configured" : ""}" data-type="${e(r.instanceType)}"><td class="num">${i + 1}</td><td>${e(r.instanceType)}${r.instanceType === configured ? " <b>(this stack)</b>" : ""}</td>` +
      `<td class="num">${r.vcpu} / ${r.memoryMiB / 1024}</td><td class="num">${d.byEni} / ${d.byMemory} / ${d.byCpu} → ${d.workspaces} (${e(d.boundBy)})</td>` +
      `<td class="num">${e(usd(r.hourly, 4))}</td><td class="num">${e(usd(r.perWorkspaceHour.atFull, 4))}</td><td class="num">${e(usd(r.perWorkspaceHour.atGoal, 4))}</td>` +
      `<td>${est ? `<span class="est" title="estimate: not confirmed by a source">${e(est)} est.</span>` : ""}</td></tr>`;
  });
  return `<table class="advisor"><thead><tr><th>Rank</th><th>Type</th><th>vCPU / GiB</th><th>ENI / memory / CPU → workspaces</th><th>$/hour</th><th>$/workspace-hour, 100%</th><th>at ${Math.round(a.goal.utilization * 100)}%</th><th></th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>`;
}

function list(items: readonly string[]): string {
  return `<ul>${items.map((i) => `<li>${e(i)}</li>`).join("")}</ul>`;
}

/** Monthly cost (at minimum size) per resource id, spread evenly over the resources a line names. */
function monthlyByResource(c: CostEstimate): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of c.lines) {
    for (const id of l.resources) out.set(id, (out.get(id) ?? 0) + l.monthly.min / l.resources.length);
  }
  return out;
}

export function renderPlanHtml({ graph, config }: PlanPageInput): string {
  const assumptions = costAssumptions(config);
  const posture = postureRows(graph, config);
  const outcomes = evaluatePolicies(graph, allPolicies);
  const cost = estimateCost(graph, assumptions);
  const capacity: CapacityModel | undefined = workspaceCapacity(graph, assumptions.workspaceUtilization);
  const ceilings = ceilingsOf(graph, capacity, config);
  const advice = adviceOf(capacity);
  const configuredType = capacity?.byType[0]?.instanceType;
  const failed = [...outcomes.values()].filter((o) => o.violations.length > 0).length;
  const seed = seedFigureFor(graph.stack);
  const outputs = graph.outputs as Record<string, unknown>;
  const title = `Plan of stack ${graph.stack} — ${graph.project}`;
  const components = componentBoxes(graph, cost.refused ? undefined : monthlyByResource(cost));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title><style>${STYLE}</style></head>
<body data-stack="${e(graph.stack)}">
<h1>${e(title)}</h1>
<p class="sub">Offline plan: what <code>pulumi up -s ${e(graph.stack)}</code> would create${outputs.region ? ` in ${e(outputs.region)}` : ""}. ${graph.customResources.length} AWS resources in ${components.length} components. Generated by <code>npm run plan -- --stack ${e(graph.stack)} --format html</code>.</p>
<div class="cards">
<div class="card">Monthly estimate<b id="headline-total">${cost.refused ? "not estimated" : e(usdRange(cost.total, 0))}</b>${seed ? `seed: ${e(seed.text)}` : ""}</div>
<div class="card">Policies<b>${allPolicies.length - failed} of ${allPolicies.length} pass</b>${e(POLICY_PACK_NAME)}</div>
<div class="card">Security layers<b>${posture.filter((r) => r.verdict === "in force").length} of ${posture.length} in force</b>${e(posture.filter((r) => r.verdict !== "in force").map((r) => `${r.layer}: ${r.verdict}`).join(", ") || "all")}</div>
${capacity?.byType[0] ? `<div class="card">Workspaces per ${e(capacity.byType[0].instanceType)}<b>${capacity.byType[0].density.workspaces}</b>bound by ${e(capacity.byType[0].density.boundBy)}</div>` : ""}
${ceilings ? `<div class="card">Ceiling<b id="headline-ceiling">${e(ceilings.binding.workspaces.toLocaleString("en-US"))} workspaces</b>first to bind: ${e(ceilings.binding.limit)}</div>` : ""}
</div>

<h2>Architecture: allowed flows</h2>
<p class="sub">One box per security group (with the resources that use it), one arrow per allowed flow, read from the planned security group rules; the roles are those of <code>lib/flows.ts</code>. Dashed boxes are outside the VPC's groups.</p>
<div class="diagram">${flowDiagramSvg(graph)}</div>
<h2>Components</h2>
<div class="diagram">${componentsSvg(components)}</div>

<h2>Security posture</h2>
${postureTable(posture)}

<h2>Policy pack</h2>
${policyTable(outcomes)}

<h2>Monthly cost estimate</h2>
<p class="sub">${cost.refused ? "" : `Prices: ${e(cost.priceTable.region)}, USD, on-demand, as of ${e(cost.priceTable.date)} (offline/cost/prices.ts). "est." marks prices not confirmed by a source. Minimum – maximum: the host pools at their minimum and maximum sizes.`}</p>
${costTable(cost)}
${cost.refused ? "" : `<h3>Assumptions</h3>${list(Object.entries(assumptions).map(([k, v]) => `${k}: ${v}`))}
${cost.notUsed.length ? list(cost.notUsed) : ""}
${cost.unpricedTypes.length ? `<h3>Not priced (no rule)</h3>${list(cost.unpricedTypes)}` : ""}
<h3>Left out</h3>${list(cost.leftOut)}`}

<h2>Capacity model</h2>
${list(capacityLines(capacity, cost))}
${ceilings ? `<h3>Ceilings</h3>
<p class="sub">Concurrent workspaces the stack holds under each AWS limit (default quotas as of ${e(ceilings.asOf)} unless a quota* key sets the account's; lib/awsLimits.ts). The lowest binds first.</p>
${ceilingTable(ceilings)}
${list(ceilingNotes(ceilings, assumptions.hoursPerMonth))}` : ""}

<h2>Instance-type advisor</h2>
${advice ? advisorTable(advice, configuredType) : ""}
${list(advisorLines(advice, configuredType).slice(2).filter((l) => !l.startsWith("  ")))}
<script>
// Marks the page once laid out: how many component and flow boxes have a size on screen.
addEventListener("load", () => {
  const sized = (sel) => [...document.querySelectorAll(sel)].filter((g) => { const b = g.getBBox(); return b.width > 0 && b.height > 0; }).length;
  document.body.setAttribute("data-rendered", "components:" + sized("svg .component") + " nodes:" + sized("svg .node") + " flows:" + sized("svg .flow"));
});
</script>
</body></html>
`;
}
