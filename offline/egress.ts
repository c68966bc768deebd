// The plan's "Egress" section: which egress mode the stack runs, what the graph shows for it
// (the workspace subnets' routes out, the workspace security group's egress, the egress proxy) and what
// the mode blocks and still allows (lib/egress.ts).
import { EGRESS_MODE_FACTS, EGRESS_MODES, type EgressMode } from "../lib/egress";
import type { CapturedResource, StackGraph } from "./graph";
import type { PlanSection } from "./plan";
import { nameOf } from "./summaries";

const T = {
  subnet: "aws:ec2/subnet:Subnet",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  route: "aws:ec2/route:Route",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  service: "aws:ecs/service:Service",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
} as const;

/** Routes that leave the VPC from the workspace subnets' route tables, as "<subnet>: <dest> -> <target>". */
function workspaceRoutesOut(g: StackGraph): string[] {
  const subnets = g.ofType(T.subnet).filter((s) => s.inputs.tags?.Tier === "workspace");
  return subnets.flatMap((s) => {
    const tables = g.ofType(T.association).filter((a) => a.inputs.subnetId === s.physicalId).map((a) => a.inputs.routeTableId);
    return g.ofType(T.route)
      .filter((r) => tables.includes(r.inputs.routeTableId))
      .map((r) => `${s.name}: ${r.inputs.destinationCidrBlock} -> ${nameOf(g, r.inputs.natGatewayId ?? r.inputs.gatewayId ?? r.inputs.transitGatewayId)}`);
  });
}

/** The workspace security group's egress rules, as "<peer> <proto>/<port>". */
function workspaceEgressRules(g: StackGraph): string[] {
  const workspace = g.ofType(T.securityGroup).find((sg) => sg.inputs.tags?.Role === "workspace");
  if (!workspace) return [];
  const peer = (r: CapturedResource) => (r.inputs.referencedSecurityGroupId ? `sg:${nameOf(g, r.inputs.referencedSecurityGroupId)}` : String(r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6 ?? r.inputs.prefixListId));
  return g.ofType(T.egressRule)
    .filter((r) => r.inputs.securityGroupId === workspace.physicalId)
    .map((r) => `${peer(r)} ${r.inputs.ipProtocol}/${r.inputs.fromPort}`)
    .sort();
}

export function egressSection(g: StackGraph): PlanSection {
  const mode = g.outputs.egressMode as EgressMode;
  if (!EGRESS_MODES.includes(mode)) {
    return { title: "Egress", lines: [`egress mode unknown (output egressMode = ${JSON.stringify(mode)})`], data: { mode } };
  }
  const facts = EGRESS_MODE_FACTS[mode];
  const routesOut = workspaceRoutesOut(g);
  const egress = workspaceEgressRules(g);
  const egressProxy = g.ofType(T.service).find((s) => String(s.inputs.name).endsWith("-egress-proxy"));
  const lines = [
    `mode ${mode} (config egressMode): ${facts.summary}`,
    `workspace subnets' routes out of the VPC: ${routesOut.length === 0 ? "none" : routesOut.join("; ")}`,
    `workspace security group egress: ${egress.join(", ")}`,
    ...(egressProxy ? [`egress proxy: ${egressProxy.inputs.desiredCount} Squid tasks (${egressProxy.inputs.name}) on ${egressProxy.inputs.capacityProviderStrategies?.[0]?.capacityProvider}, workspaces reach it as ${g.outputs.egressProxy?.url}`] : []),
    "blocks:",
    ...facts.blocks.map((b) => `  - ${b}`),
    "still allows:",
    ...facts.allows.map((a) => `  - ${a}`),
    `(docs/egress.md; ${EGRESS_MODES.filter((m) => m !== mode).join(", ")} is the other mode)`,
  ];
  return { title: "Egress", lines, data: { mode, routesOut, workspaceEgress: egress, egressProxyService: egressProxy?.inputs.name ?? null, blocks: facts.blocks, allows: facts.allows } };
}
