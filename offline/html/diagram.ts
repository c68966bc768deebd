// The architecture picture of a stack as inline SVG, generated from the graph: one box per
// security group (its role from flows.ts, the resources that use it), one arrow per allowed flow
// (the security group rules), laid out in columns by how far a box is from the traffic's sources;
// below, one box per top-level component with its resource count and monthly cost.
import { SECURITY_GROUPS } from "../../lib/flows";
import type { CapturedResource, StackGraph } from "../graph";
import { shortType } from "../plan";
import { escapeXml } from "./escape";

interface FlowNode {
  readonly id: string;
  readonly title: string;
  readonly kind: "group" | "external";
  readonly description?: string;
  readonly members: readonly string[];
}

interface FlowEdge {
  readonly from: string;
  readonly to: string;
  readonly ports: readonly string[];
}

interface ComponentBox {
  readonly name: string;
  readonly type: string;
  readonly resources: number;
  readonly monthly?: number;
}

const SG_LIST_KEYS = new Set(["securityGroups", "securityGroupIds", "vpcSecurityGroupIds"]);

/** Does any security-group list in the inputs (at any depth) hold this group id? */
function usesGroup(value: unknown, groupId: string, key = ""): boolean {
  if (Array.isArray(value)) return SG_LIST_KEYS.has(key) ? value.includes(groupId) : value.some((v) => usesGroup(v, groupId));
  if (value && typeof value === "object") return Object.entries(value).some(([k, v]) => usesGroup(v, groupId, k));
  return false;
}

function roleOf(sg: CapturedResource): string {
  return String(sg.inputs.tags?.Role ?? sg.inputs.name ?? sg.name);
}

function memberSummary(members: readonly CapturedResource[]): string[] {
  const byType = new Map<string, CapturedResource[]>();
  for (const m of members) byType.set(m.type, [...(byType.get(m.type) ?? []), m]);
  return [...byType].map(([type, rs]) => {
    const name = rs.length === 1 ? ` ${String(rs[0].inputs.name ?? rs[0].inputs.identifier ?? rs[0].inputs.replicationGroupId ?? rs[0].name)}` : ` x${rs.length}`;
    return `${shortType(type)}${name}`;
  });
}

/** Nodes and edges of the stack's allowed flows, from its security groups and their rules. */
export function flowGraph(graph: StackGraph): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const groups = graph.ofType("aws:ec2/securityGroup:SecurityGroup");
  const byPhysical = new Map(groups.map((g) => [g.physicalId, g]));
  const nodes = new Map<string, FlowNode>();
  const custom = graph.customResources.filter((r) => !r.type.includes("securityGroup") && !r.type.includes("SecurityGroup"));
  for (const g of groups) {
    const role = roleOf(g);
    const members = custom.filter((r) => usesGroup(r.inputs, String(g.physicalId)));
    nodes.set(`sg:${role}`, {
      id: `sg:${role}`,
      title: role,
      kind: "group",
      description: (SECURITY_GROUPS as Record<string, string>)[role] ?? String(g.inputs.description ?? ""),
      members: role === "workspace" && members.length === 0 ? ["workspace tasks (RunTask)"] : memberSummary(members),
    });
  }
  const external = (id: string, title: string) => {
    if (!nodes.has(id)) nodes.set(id, { id, title, kind: "external", members: [] });
    return id;
  };
  const peer = (rule: CapturedResource, direction: "in" | "out"): string => {
    const i = rule.inputs;
    if (i.referencedSecurityGroupId) {
      const g = byPhysical.get(String(i.referencedSecurityGroupId));
      return g ? `sg:${roleOf(g)}` : external(`sg:${i.referencedSecurityGroupId}`, String(i.referencedSecurityGroupId));
    }
    if (i.prefixListId) return external("pl:s3", "S3 (gateway endpoint)");
    const cidr = String(i.cidrIpv4 ?? i.cidrIpv6);
    if (direction === "in") return external(`in:${cidr}`, `clients ${cidr}`);
    if (cidr === "0.0.0.0/0" || cidr === "::/0") return external(`out:${cidr}`, `internet ${cidr}`);
    return external(`out:${cidr}`, Number(i.fromPort) === 53 ? `DNS resolver ${cidr}` : cidr);
  };
  const edges = new Map<string, { from: string; to: string; ports: Set<string> }>();
  const add = (from: string, to: string, port: string) => {
    const key = `${from}>${to}`;
    const e = edges.get(key) ?? { from, to, ports: new Set<string>() };
    e.ports.add(port);
    edges.set(key, e);
  };
  const portOf = (r: CapturedResource) => `${r.inputs.ipProtocol}/${r.inputs.fromPort}`;
  for (const r of graph.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
    const own = byPhysical.get(String(r.inputs.securityGroupId));
    if (own) add(peer(r, "in"), `sg:${roleOf(own)}`, portOf(r));
  }
  for (const r of graph.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")) {
    const own = byPhysical.get(String(r.inputs.securityGroupId));
    if (own) add(`sg:${roleOf(own)}`, peer(r, "out"), portOf(r));
  }
  return {
    nodes: [...nodes.values()],
    edges: [...edges.values()].map((e) => ({ from: e.from, to: e.to, ports: [...e.ports].sort() })),
  };
}

/** Column of each node: the longest path to it from a node nothing flows into (cycles are cut). */
function layers(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): Map<string, number> {
  const layer = new Map(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    let changed = false;
    for (const e of edges) {
      const next = (layer.get(e.from) ?? 0) + 1;
      if (next > (layer.get(e.to) ?? 0) && next < nodes.length) {
        layer.set(e.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

const BOX_W = 210;
const COL_GAP = 90;
const LINE_H = 15;
const PAD = 20;

function nodeHeight(n: FlowNode): number {
  return 30 + Math.min(n.members.length, 4) * LINE_H + 8;
}

function text(x: number, y: number, content: string, cls: string, max = 34): string {
  const shown = content.length > max ? `${content.slice(0, max - 1)}…` : content;
  return `<text x="${x}" y="${y}" class="${cls}">${escapeXml(shown)}</text>`;
}

/** The flow diagram as an SVG element. */
export function flowDiagramSvg(graph: StackGraph): string {
  const { nodes, edges } = flowGraph(graph);
  const column = layers(nodes, edges);
  const columns = Math.max(0, ...column.values()) + 1;
  const pos = new Map<string, { x: number; y: number; h: number }>();
  let height = 0;
  for (let c = 0; c < columns; c++) {
    let y = PAD;
    for (const n of nodes.filter((x) => column.get(x.id) === c)) {
      const h = nodeHeight(n);
      pos.set(n.id, { x: PAD + c * (BOX_W + COL_GAP), y, h });
      y += h + 24;
    }
    height = Math.max(height, y);
  }
  const width = PAD * 2 + columns * BOX_W + (columns - 1) * COL_GAP;
  const arrows = edges.map((e) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) return "";
    const forward = b.x > a.x;
    const x1 = forward ? a.x + BOX_W : a.x + BOX_W / 2;
    const y1 = forward ? a.y + a.h / 2 : a.y + a.h;
    const x2 = forward ? b.x : b.x + BOX_W / 2;
    const y2 = forward ? b.y + b.h / 2 : b.y;
    const bend = forward ? Math.max(40, (x2 - x1) / 2) : 40;
    const path = forward
      ? `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`
      : `M${x1},${y1} C${x1 + 60},${y1 + bend} ${x2 + 60},${y2 - bend} ${x2},${y2}`;
    const label = e.ports.join(", ");
    return `<g class="flow" data-from="${escapeXml(e.from)}" data-to="${escapeXml(e.to)}"><title>${escapeXml(`${e.from} -> ${e.to}: ${label}`)}</title>` +
      `<path d="${path}" marker-end="url(#arrow)"/>` +
      `${text((x1 + x2) / 2 - 30, (y1 + y2) / 2 - 4, label, "port", 28)}</g>`;
  }).join("\n");
  const boxes = nodes.map((n) => {
    const p = pos.get(n.id);
    if (!p) return "";
    const lines = n.members.slice(0, 4).map((m, i) => text(p.x + 10, p.y + 38 + i * LINE_H, m, "member")).join("");
    return `<g class="node ${n.kind}" data-node="${escapeXml(n.id)}"><title>${escapeXml(n.description ?? n.title)}</title>` +
      `<rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${p.h}" rx="8"/>` +
      `${text(p.x + 10, p.y + 20, n.title, "title", 30)}${lines}</g>`;
  }).join("\n");
  return `<svg class="flows" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto" role="img" aria-label="allowed network flows">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
${arrows}
${boxes}
</svg>`;
}

/** The stack's top-level components with their resource counts and (optionally) their monthly cost. */
export function componentBoxes(graph: StackGraph, monthlyByResource?: ReadonlyMap<string, number>): ComponentBox[] {
  const top = graph.resources.filter((r) => !r.custom && r.parent !== undefined && graph.get(r.parent)?.type === "pulumi:pulumi:Stack");
  return top.map((c) => {
    const members = graph.descendants(c).filter((r) => r.custom);
    const monthly = monthlyByResource ? members.reduce((sum, r) => sum + (monthlyByResource.get(r.id) ?? 0), 0) : undefined;
    return { name: c.name, type: c.type, resources: members.length, monthly };
  });
}

export function componentsSvg(boxes: readonly ComponentBox[]): string {
  const perRow = 5;
  const w = 200;
  const h = 64;
  const gap = 14;
  const rows = Math.ceil(boxes.length / perRow);
  const width = PAD * 2 + perRow * w + (perRow - 1) * gap;
  const height = PAD * 2 + rows * h + (rows - 1) * gap;
  const items = boxes.map((b, i) => {
    const x = PAD + (i % perRow) * (w + gap);
    const y = PAD + Math.floor(i / perRow) * (h + gap);
    const cost = b.monthly !== undefined ? ` · $${Math.round(b.monthly).toLocaleString("en-US")}/mo` : "";
    return `<g class="component" data-component="${escapeXml(b.name)}"><title>${escapeXml(b.type)}</title>` +
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="8"/>` +
      `${text(x + 10, y + 24, b.name, "title", 26)}${text(x + 10, y + 44, `${b.resources} resources${cost}`, "member", 30)}</g>`;
  }).join("\n");
  return `<svg class="components" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto" role="img" aria-label="stack components">
${items}
</svg>`;
}
