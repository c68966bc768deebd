// Egress modes (config egressMode): how a workspace reaches anything outside the VPC. One table of
// what each mode blocks and what it still allows, read by the plan, the docs' tests and the
// security drill's expectations, so the claims cannot drift from one another.
import { mustParseCidr } from "./cidr";

/**
 * What the DNS Firewall's catch-all rule does with names off the allow list (config
 * dnsFirewallCatchAllAction): BLOCK answers them with dnsBlockResponse; ALERT lets them resolve
 * and logs the match, the first step of a staged rollout (log, fix the list, then block).
 */
export const DNS_CATCH_ALL_ACTIONS = ["BLOCK", "ALERT"] as const;
export type DnsCatchAllAction = (typeof DNS_CATCH_ALL_ACTIONS)[number];
/**
 * Tag the DNS Firewall rule group carries when a production stack runs ALERT by config
 * (dnsFirewallAlertAcknowledged): the policy pack reads the acknowledgement from the graph.
 */
export const DNS_ALERT_ACKNOWLEDGED_TAG = "CatchAllAlertAcknowledged";

export const EGRESS_MODES = ["proxy", "dns-firewall"] as const;
export type EgressMode = (typeof EGRESS_MODES)[number];

interface EgressModeFacts {
  readonly summary: string;
  readonly blocks: readonly string[];
  readonly allows: readonly string[];
}

export const EGRESS_MODE_FACTS: Readonly<Record<EgressMode, EgressModeFacts>> = {
  proxy: {
    summary: "workspace subnets have no route out of the VPC; HTTPS leaves only through the allow-listing Squid proxy",
    blocks: [
      "names off the allow list (DNS Firewall answers NXDOMAIN, the proxy answers 403)",
      "TCP to any IP address outside the VPC, on any port (no route, and the security group allows only the proxy, the endpoints and the resolver)",
      "DNS over HTTPS/TLS to a public resolver (an IP literal: no route)",
      "CONNECT to an IP literal, to a port other than 443, and plain HTTP through the proxy (403, logged)",
      "CONNECT to an allow-listed name that resolves to an address that is not public: loopback, private, CGNAT, link-local (IMDS, ECS credentials), ULA, IPv4 inside IPv6 … (403, logged as ERR_NON_PUBLIC_DESTINATION)",
    ],
    allows: [
      "HTTPS (CONNECT to 443) to allow-listed names that resolve to public addresses, through the proxy, every decision logged",
      "AWS APIs through the VPC endpoints (Bedrock runtime, …), not through the proxy (NO_PROXY)",
      "DNS queries to the VPC resolver, filtered by the DNS Firewall (a query for a blocked name still reaches the resolver, never the internet)",
      "any content on an allow-listed host (e.g. any repository on github.com): the allow list is per name, not per path",
    ],
  },
  "dns-firewall": {
    summary: "workspaces route to a NAT gateway; the security group allows TCP 443 anywhere and the DNS Firewall filters names",
    blocks: [
      "resolving names off the allow list (DNS Firewall, NXDOMAIN)",
      "every port but 443 (and DNS to the VPC resolver)",
    ],
    allows: [
      "TCP 443 to ANY IP address: an IP literal needs no DNS lookup, so the allow list does not apply (known gap)",
      "DNS over HTTPS to a public resolver on 443, which resolves any name (known gap)",
      "HTTPS to allow-listed names, unlogged except in VPC flow logs",
      "AWS APIs through the VPC endpoints",
    ],
  },
};

/**
 * The reverse-DNS zone of the VPC's /16 ("*.30.10.in-addr.arpa" for 10.30.0.0/16). Squid looks up
 * the name of every client address it is told about (the workspaces', from the NLB's PROXY
 * header); the DNS Firewall allows these lookups so that they are answered instead of logged as
 * blocked. Route 53 Resolver answers private reverse zones itself (autodefined rules): nothing
 * leaves the VPC.
 */
export function vpcReverseZone(vpcCidr: string): string {
  const [a, b] = mustParseCidr(vpcCidr).text.split(".");
  return `*.${b}.${a}.in-addr.arpa`;
}
