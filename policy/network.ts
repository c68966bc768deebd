// Network invariants: nothing is open to the internet but the ALB's two ports, and the DNS
// Firewall guards every VPC: associated, fail-closed, with a final catch-all rule that blocks (or,
// outside production or with the written acknowledgement, alerts during a rollout window).
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { DNS_ALERT_ACKNOWLEDGED_TAG } from "../lib/egress";
import { asList, isProdStack, referenced, refersTo, stackOfUrn, TYPES } from "./util";

const PUBLIC = new Set(["0.0.0.0/0", "::/0"]);
const PUBLIC_ALB_PORTS: readonly number[] = [80, 443];

interface IngressFacts {
  readonly rule: PolicyResource;
  readonly cidrs: string[];
  readonly protocol: string;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
  /** The security groups the rule opens, as far as the graph tells. */
  readonly groups: PolicyResource[];
}

function ingressRules(resources: PolicyResource[]): IngressFacts[] {
  const facts: IngressFacts[] = [];
  for (const r of resources) {
    const p = r.props;
    if (r.type === TYPES.sgIngressRule) {
      facts.push({ rule: r, cidrs: [p.cidrIpv4, p.cidrIpv6].filter(Boolean), protocol: String(p.ipProtocol), fromPort: p.fromPort, toPort: p.toPort, groups: referenced(r, "securityGroupId") });
    } else if (r.type === TYPES.sgRule && p.type === "ingress") {
      facts.push({
        rule: r,
        cidrs: [...asList<string>(p.cidrBlocks), ...asList<string>(p.ipv6CidrBlocks)],
        protocol: String(p.protocol),
        fromPort: p.fromPort,
        toPort: p.toPort,
        groups: referenced(r, "securityGroupId"),
      });
    } else if (r.type === TYPES.securityGroup) {
      for (const inline of asList<Record<string, any>>(p.ingress)) {
        facts.push({
          rule: r,
          cidrs: [...asList<string>(inline.cidrBlocks), ...asList<string>(inline.ipv6CidrBlocks)],
          protocol: String(inline.protocol),
          fromPort: inline.fromPort,
          toPort: inline.toPort,
          groups: [r],
        });
      }
    }
  }
  return facts;
}

/** Security groups of internet-facing load balancers. */
function publicLoadBalancerGroups(resources: PolicyResource[]): Set<string> {
  const urns = new Set<string>();
  for (const lb of resources.filter((r) => r.type === TYPES.loadBalancer || r.type === TYPES.albLoadBalancer)) {
    if (lb.props.internal === true) continue;
    for (const sg of referenced(lb, "securityGroups")) urns.add(sg.urn);
  }
  return urns;
}

export const noPublicIngressExceptAlb: StackValidationPolicy = {
  name: "no-public-ingress-except-alb",
  description: "No security group accepts traffic from 0.0.0.0/0 or ::/0, except an internet-facing load balancer's group on TCP 80 and 443.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const albGroups = publicLoadBalancerGroups(args.resources);
    const rules = ingressRules(args.resources);
    if (rules.length === 0) args.notApplicable("no ingress rules");
    for (const rule of rules) {
      const open = rule.cidrs.filter((c) => PUBLIC.has(c));
      if (open.length === 0) continue;
      const where = `${open.join(", ")} ${rule.protocol}/${rule.fromPort}-${rule.toPort}`;
      const portsOk = rule.protocol === "tcp" && rule.fromPort === rule.toPort && PUBLIC_ALB_PORTS.includes(Number(rule.fromPort));
      if (!portsOk) {
        report(`${rule.rule.name} opens ${where} to the internet: only TCP ${PUBLIC_ALB_PORTS.join(" and ")} may be public.`, rule.rule.urn);
      } else if (rule.groups.length === 0) {
        report(`${rule.rule.name} opens ${where} on a security group the program does not create, so it cannot be shown to be the ALB's.`, rule.rule.urn);
      } else if (!rule.groups.every((g) => albGroups.has(g.urn))) {
        report(`${rule.rule.name} opens ${where} on ${rule.groups.map((g) => g.name).join(", ")}, which no internet-facing load balancer uses.`, rule.rule.urn);
      }
    }
  },
};

/** The rule over "*" that decides every name the rules before it did not: BLOCK, or ALERT while rolling out. */
function isCatchAll(r: PolicyResource): boolean {
  return ["BLOCK", "ALERT"].includes(r.props.action) && referenced(r, "firewallDomainListId").some((list) => asList<string>(list.props.domains).includes("*"));
}

export const dnsFirewallFailClosed: StackValidationPolicy = {
  name: "dns-firewall-fail-closed",
  description: "Every VPC has a DNS Firewall rule group associated (with mutation protection) whose last rule is a catch-all over every name, and fails closed.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const of = (type: string) => args.resources.filter((r) => r.type === type);
    if (of(TYPES.vpc).length === 0 && of(TYPES.firewallConfig).length === 0) args.notApplicable("no VPC");
    for (const config of of(TYPES.firewallConfig)) {
      if (config.props.firewallFailOpen !== "DISABLED") {
        report(`${config.name}: firewallFailOpen is ${JSON.stringify(config.props.firewallFailOpen)}; it must be "DISABLED" (fail closed).`, config.urn);
      }
    }
    for (const vpc of of(TYPES.vpc)) {
      const associations = of(TYPES.firewallAssociation).filter((a) => refersTo(a, "vpcId", vpc));
      if (associations.length === 0) {
        report(`VPC ${vpc.name} has no DNS Firewall rule group associated: every name resolves.`, vpc.urn);
        continue;
      }
      if (!of(TYPES.firewallConfig).some((c) => refersTo(c, "resourceId", vpc) && c.props.firewallFailOpen === "DISABLED")) {
        report(`VPC ${vpc.name} has no DNS Firewall config with firewallFailOpen "DISABLED": state fail-closed explicitly, so a failing firewall blocks queries.`, vpc.urn);
      }
      for (const association of associations) {
        if (association.props.mutationProtection !== "ENABLED") {
          report(`${association.name}: mutationProtection must be "ENABLED" so the firewall cannot be detached by accident.`, association.urn);
        }
        for (const group of referenced(association, "firewallRuleGroupId")) {
          const rules = of(TYPES.firewallRule).filter((r) => refersTo(r, "firewallRuleGroupId", group));
          const catchAll = rules.filter(isCatchAll);
          const maxOther = Math.max(-Infinity, ...rules.filter((r) => !isCatchAll(r)).map((r) => Number(r.props.priority)));
          if (catchAll.length === 0) {
            report(`Rule group ${group.name} (on VPC ${vpc.name}) has no catch-all rule (BLOCK, or ALERT while rolling out) for "*": names off the allow list resolve unseen.`, group.urn);
          } else if (!catchAll.some((r) => Number(r.props.priority) > maxOther)) {
            report(`Rule group ${group.name}: the catch-all rule must come last (highest priority number), after every other rule.`, group.urn);
          }
        }
      }
    }
  },
};

export const dnsFirewallBlocksInProduction: StackValidationPolicy = {
  name: "dns-firewall-blocks-in-production",
  description:
    `In production the DNS Firewall's catch-all rule BLOCKs names off the allow list; ALERT (resolve and log) only with the written acknowledgement (config dnsFirewallAlertAcknowledged, the rule group's ${DNS_ALERT_ACKNOWLEDGED_TAG} tag).`,
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const rules = args.resources.filter((r) => r.type === TYPES.firewallRule && isCatchAll(r) && isProdStack(stackOfUrn(r.urn)));
    if (rules.length === 0) args.notApplicable("no catch-all DNS Firewall rule in a production stack");
    for (const rule of rules.filter((r) => r.props.action === "ALERT")) {
      const groups = referenced(rule, "firewallRuleGroupId");
      if (groups.length > 0 && groups.every((g) => g.props.tags?.[DNS_ALERT_ACKNOWLEDGED_TAG] === "true")) continue;
      report(
        `${rule.name} in production stack "${stackOfUrn(rule.urn)}" only ALERTs: every name off the allow list resolves. ` +
          "Set dnsFirewallCatchAllAction to BLOCK, or acknowledge the observation window with dnsFirewallAlertAcknowledged: true.",
        rule.urn,
      );
    }
  },
};
