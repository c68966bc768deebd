// Network config: VPC layout, NAT, ingress CIDRs, the DNS allow list and log retention.
import { type Cidr, contains, mustParseCidr, overlaps, parseCidr } from "../lib/cidr";
import { DNS_CATCH_ALL_ACTIONS } from "../lib/egress";
import { planSubnets } from "../lib/subnetLayout";
import { allowedDomainProblem, cidrProblem, LOG_RETENTION_DAYS, vpcCidrProblem } from "./checks";
import { boolean, integer, oneOf, string, stringList } from "./schema";
import type { CrossCheck } from "./problems";

export const networkKeys = {
  vpcCidr: string({
    description: "IPv4 CIDR of the VPC: a private /16, /17 or /18.",
    default: "10.0.0.0/16",
    expected: "a private IPv4 CIDR (/16 to /18)",
    check: vpcCidrProblem,
  }),
  azCount: integer({
    description: "Number of availability zones the VPC spans (the first N available in the region).",
    default: 2,
    min: 2,
    max: 4,
  }),
  publicSubnetCidrs: stringList({
    description: "CIDRs of the public subnets (ALB, NAT), one per AZ; empty = carved from vpcCidr.",
    default: [],
    expected: "IPv4 CIDRs",
    item: cidrProblem,
  }),
  privateSubnetCidrs: stringList({
    description: "CIDRs of the private subnets (ECS hosts and tasks), one per AZ; empty = carved from vpcCidr.",
    default: [],
    expected: "IPv4 CIDRs",
    item: cidrProblem,
  }),
  isolatedSubnetCidrs: stringList({
    description: "CIDRs of the isolated subnets (RDS, Redis; no internet route), one per AZ; empty = carved from vpcCidr.",
    default: [],
    expected: "IPv4 CIDRs",
    item: cidrProblem,
  }),
  workspaceSubnetCidrs: stringList({
    description:
      "CIDRs of the workspace subnets (workspace tasks only; no internet route with egressMode proxy), one per AZ; empty = carved from vpcCidr.",
    default: [],
    expected: "IPv4 CIDRs",
    item: cidrProblem,
  }),
  natGateways: oneOf(["single", "perAz"] as const, {
    description: "NAT gateways: one for the VPC (cheaper) or one per AZ (survives an AZ outage).",
    default: "single",
  }),
  albIngressCidrs: stringList({
    description: "Client CIDRs allowed to reach the ALB on 443 and 80 (the only place 0.0.0.0/0 is allowed).",
    default: ["0.0.0.0/0"],
    expected: "IPv4 CIDRs",
    minItems: 1,
    item: cidrProblem,
  }),
  dnsAllowedDomains: stringList({
    description:
      "Names workspaces may resolve besides the AWS names the platform needs (Bedrock, ECR, ...), e.g. MCP hosts and Git hosts; '*.' prefix for subdomains.",
    default: ["github.com", "*.github.com", "*.githubusercontent.com", "registry.npmjs.org"],
    expected: "domain names",
    minItems: 1,
    maxItems: 900,
    item: allowedDomainProblem,
  }),
  dnsBlockResponse: oneOf(["NXDOMAIN", "NODATA"] as const, {
    description: "DNS Firewall answer for names off the allow list (with dnsFirewallCatchAllAction BLOCK).",
    default: "NXDOMAIN",
  }),
  dnsFirewallCatchAllAction: oneOf(DNS_CATCH_ALL_ACTIONS, {
    description:
      "What the DNS Firewall's catch-all rule does with names off the allow list: BLOCK, or ALERT (resolve them and log the match) for a first deploy's observation window, fixed from `ops egress report`. The allow rules apply either way. ALERT in production needs dnsFirewallAlertAcknowledged.",
    default: "BLOCK",
  }),
  dnsFirewallAlertAcknowledged: boolean({
    description:
      "true: the operator accepts that a production stack's DNS Firewall only logs names off the allow list (dnsFirewallCatchAllAction ALERT). Only with ALERT; unset it when the catch-all blocks again.",
    default: false,
  }),
  logRetentionDays: integer({
    description: "Retention of the platform's CloudWatch log groups (flow logs, DNS query logs, containers).",
    default: 30,
    allowed: LOG_RETENTION_DAYS,
    unit: "a CloudWatch Logs retention period in days",
  }),
};

const SUBNET_KEYS = ["publicSubnetCidrs", "privateSubnetCidrs", "isolatedSubnetCidrs", "workspaceSubnetCidrs"] as const;

export const networkChecks: CrossCheck[] = [
  (cfg, report) => {
    // A production VPC whose firewall only logs lets every workspace resolve any name: that must
    // be a decision someone wrote down, and one that does not outlive the ALERT window.
    if (cfg.dnsFirewallCatchAllAction === "ALERT" && cfg.isProd && !cfg.dnsFirewallAlertAcknowledged) {
      report("dnsFirewallAlertAcknowledged", cfg.dnsFirewallAlertAcknowledged,
        "true to run production's DNS Firewall catch-all in ALERT (names off the allow list resolve and are only logged); or set dnsFirewallCatchAllAction to BLOCK");
    }
    if (cfg.dnsFirewallCatchAllAction === "BLOCK" && cfg.dnsFirewallAlertAcknowledged) {
      report("dnsFirewallAlertAcknowledged", cfg.dnsFirewallAlertAcknowledged,
        "false (unset) while dnsFirewallCatchAllAction is BLOCK: a standing acknowledgement would let a later switch to ALERT through unreviewed");
    }
  },
  (cfg, report) => {
    const vpc = parseCidr(cfg.vpcCidr);
    if (typeof vpc === "string") return; // reported by the key itself
    let listsFit = true;
    for (const key of SUBNET_KEYS) {
      const list = cfg[key];
      if (list.length !== 0 && list.length !== cfg.azCount) {
        report(key, list, `exactly azCount (${cfg.azCount}) CIDRs, one per AZ, or an empty list to carve them from vpcCidr`);
        listsFit = false;
      }
    }
    if (!listsFit) return;
    // Check the final layout, carved tiers included, so a listed tier cannot collide with a carved one.
    const layout = planSubnets(cfg.vpcCidr, cfg.azCount, {
      public: cfg.publicSubnetCidrs,
      private: cfg.privateSubnetCidrs,
      isolated: cfg.isolatedSubnetCidrs,
      workspace: cfg.workspaceSubnetCidrs,
    });
    const tiers = [
      { key: "publicSubnetCidrs", cidrs: layout.public },
      { key: "privateSubnetCidrs", cidrs: layout.private },
      { key: "isolatedSubnetCidrs", cidrs: layout.isolated },
      { key: "workspaceSubnetCidrs", cidrs: layout.workspace },
    ] as const;
    const placed: { key: string; cidr: Cidr }[] = [];
    for (const { key, cidrs } of tiers) {
      for (const text of cidrs) {
        const cidr = mustParseCidr(text);
        if (!contains(vpc, cidr)) report(key, cidrs, `CIDRs inside vpcCidr ${vpc.text}; ${cidr.text} is outside it`);
        else if (cidr.prefix > 27) report(key, cidrs, `subnets of /27 or larger (an ALB needs at least /27); ${cidr.text} is smaller`);
        const clash = placed.find((p) => overlaps(p.cidr, cidr));
        if (clash) report(key, cidrs, `CIDRs that overlap no other subnet; ${cidr.text} overlaps ${clash.cidr.text} of ${clash.key}`);
        placed.push({ key, cidr });
      }
    }
  },
];
