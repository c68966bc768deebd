// The egress proxy's Squid configuration, generated from the same allow list the DNS Firewall uses.
// It allows only CONNECT to port 443 of allow-listed names, resolves names itself, refuses IP
// literals, other ports and plain HTTP, refuses an allowed name that resolves to an address that is
// not public (loopback, private, link-local …), and logs every decision. The egress proxy task runs exactly
// renderSquidConfig(cfg.dnsAllowedDomains, { proxyProtocolFrom: <the NLB's subnets> })
// (lib/egressProxyContainer.ts).

export const EGRESS_PROXY_PORT = 3128;

export interface SquidOptions {
  /** Where Squid listens; production listens on all addresses of the task. */
  readonly listen?: string;
  /** Access log destination; production writes to stdout (the container's CloudWatch log). */
  readonly accessLog?: string;
  readonly cacheLog?: string;
  /** Test runs point name resolution at their own hosts file (and resolver); production uses the
   * task's /etc/hosts and resolv.conf, i.e. the VPC resolver behind the DNS Firewall. */
  readonly hostsFile?: string;
  readonly dnsNameservers?: readonly string[];
  readonly coredumpDir?: string;
  /** Test runs only: error pages from a directory of their own (production: the image's templates). */
  readonly errorDirectory?: string;
  /**
   * Networks of the load balancer in front of Squid. Set: the port requires a PROXY protocol header
   * (the NLB's, naming the real client, so every decision is logged with the workspace's address)
   * and only these sources may send one.
   */
  readonly proxyProtocolFrom?: readonly string[];
}

/**
 * One line per decision: time, client, method, target, status, Squid's verdict (TCP_DENIED,
 * TCP_TUNNEL…) and its error page ("-" for none; ERR_ACCESS_DENIED, ERR_NON_PUBLIC_DESTINATION,
 * ERR_CANNOT_FORWARD, ERR_CONNECT_FAIL …), which tells why a request went nowhere.
 */
export const DECISION_LOG_FORMAT = "%ts.%03tu %>a %rm %ru %>Hs %Ss %err_code";

/**
 * The error page (services/egressProxy/errors/, in the image's error template directory) and
 * decision-log error of a request refused because its name resolved to an address in
 * NON_PUBLIC_DESTINATIONS.
 */
export const NON_PUBLIC_DESTINATION_PAGE = "ERR_NON_PUBLIC_DESTINATION";

interface NonPublicRange {
  readonly cidr: string;
  readonly what: string;
}

/**
 * Where the egress proxy never connects, whatever allowed name led there: every block IANA's
 * special-purpose registries mark as not globally reachable, multicast, and the IPv6 prefixes that
 * carry an IPv4 address inside them (NAT64, 6to4, Teredo), so a private IPv4 address cannot come
 * back wrapped in an AAAA record. IPv4-mapped IPv6 (::ffff:0:0/96) needs no entry: Squid holds
 * IPv4 addresses in that form, so the IPv4 entries also judge an AAAA record ::ffff:10.0.0.1.
 * Squid 5.7 has no ready-made ACL for these (no to_linklocal), hence the list.
 */
export const NON_PUBLIC_DESTINATIONS: readonly NonPublicRange[] = [
  { cidr: "0.0.0.0/8", what: "\"this network\": a connection to 0.0.0.0 reaches the proxy's own host" },
  { cidr: "10.0.0.0/8", what: "private (RFC 1918): the VPC, peered networks" },
  { cidr: "100.64.0.0/10", what: "shared address space (CGNAT), also usable as a VPC range" },
  { cidr: "127.0.0.0/8", what: "loopback: the proxy's own task" },
  { cidr: "169.254.0.0/16", what: "link-local: IMDS 169.254.169.254, ECS task credentials 169.254.170.2, the Amazon DNS server, time sync" },
  { cidr: "172.16.0.0/12", what: "private (RFC 1918)" },
  { cidr: "192.0.0.0/24", what: "IETF protocol assignments" },
  { cidr: "192.0.2.0/24", what: "documentation (TEST-NET-1)" },
  { cidr: "192.168.0.0/16", what: "private (RFC 1918)" },
  { cidr: "198.18.0.0/15", what: "benchmarking" },
  { cidr: "198.51.100.0/24", what: "documentation (TEST-NET-2)" },
  { cidr: "203.0.113.0/24", what: "documentation (TEST-NET-3)" },
  { cidr: "224.0.0.0/4", what: "multicast" },
  { cidr: "240.0.0.0/4", what: "reserved, and the broadcast address 255.255.255.255" },
  { cidr: "::/128", what: "unspecified: like 0.0.0.0, reaches the proxy's own host" },
  { cidr: "::1/128", what: "loopback" },
  { cidr: "64:ff9b::/96", what: "NAT64: a NAT64 gateway carries it to the IPv4 address inside" },
  { cidr: "64:ff9b:1::/48", what: "local-use NAT64" },
  { cidr: "100::/64", what: "discard-only" },
  { cidr: "2001::/23", what: "IETF protocol assignments, including Teredo (2001::/32, an IPv4 address inside)" },
  { cidr: "2001:db8::/32", what: "documentation" },
  { cidr: "2002::/16", what: "6to4: an IPv4 address inside" },
  { cidr: "fc00::/7", what: "unique local (ULA), including IMDS fd00:ec2::254 and AWS's other fd00:ec2:: services" },
  { cidr: "fe80::/10", what: "link-local" },
  { cidr: "fec0::/10", what: "site-local (deprecated, still routed by some stacks)" },
  { cidr: "ff00::/8", what: "multicast" },
];

/**
 * DNS Firewall names to Squid dstdomain entries: "*.example.com" becomes ".example.com" (which in
 * Squid also matches the apex; the DNS Firewall still decides whether the apex resolves), and a
 * name already covered by a wildcard is dropped, since Squid rejects overlapping entries.
 */
export function squidDomains(allowList: readonly string[]): string[] {
  const wildcards = allowList.filter((d) => d.startsWith("*.")).map((d) => d.slice(1));
  const covered = (name: string) => wildcards.some((w) => name === w.slice(1) || name.endsWith(w));
  const exact = allowList.filter((d) => !d.startsWith("*.") && !covered(d));
  const nestedWildcard = (w: string) => wildcards.some((other) => other !== w && w.endsWith(other));
  return [...new Set([...exact, ...wildcards.filter((w) => !nestedWildcard(w))])].sort();
}

export function renderSquidConfig(allowList: readonly string[], options: SquidOptions = {}): string {
  const domains = squidDomains(allowList);
  if (domains.length === 0) throw new Error("the egress proxy needs at least one allowed name");
  const lb = options.proxyProtocolFrom ?? [];
  return [
    "# Generated by the remote-claude Pulumi program from the allow list; do not edit.",
    `http_port ${options.listen ?? String(EGRESS_PROXY_PORT)}${lb.length > 0 ? " require-proxy-header" : ""}`,
    ...(lb.length > 0
      ? [`acl load_balancer src ${lb.join(" ")}`, "proxy_protocol_access allow load_balancer", "proxy_protocol_access deny all"]
      : []),
    "",
    "# -n: match the name as requested, never a reverse lookup of an address.",
    `acl allowed_names dstdomain -n ${domains.join(" ")}`,
    "acl https_port port 443",
    "acl CONNECT method CONNECT",
    "# CONNECT targets written as an address (dotted, decimal or hex IPv4; bracketed IPv6).",
    "acl ip_literal url_regex -i ^[0-9]+(\\.[0-9]+){0,3}(:[0-9]+)?$ ^0x[0-9a-f.x]+(:[0-9]+)?$ ^\\[[0-9a-f:.]+\\](:[0-9]+)?$",
    "",
    "# Addresses that are not public (NON_PUBLIC_DESTINATIONS). dst resolves the name as Squid will",
    "# to connect (the same cached answer serves both) and matches if ANY of its addresses is listed.",
    ...NON_PUBLIC_DESTINATIONS.flatMap((r) => [`# ${r.what}`, `acl non_public_destination dst ${r.cidr}`]),
    "",
    "http_access deny !CONNECT",
    "http_access deny !https_port",
    "http_access deny ip_literal",
    "# Only an allowed name is resolved here (ACLs on a line are tested left to right).",
    "http_access deny allowed_names non_public_destination",
    "http_access allow CONNECT allowed_names",
    "http_access deny all",
    `deny_info ${NON_PUBLIC_DESTINATION_PAGE} non_public_destination`,
    "",
    `logformat decisions ${DECISION_LOG_FORMAT}`,
    "# Only transactions with a request: a load balancer's TCP health check is no decision.",
    "acl received_request has request",
    `access_log ${options.accessLog ?? "stdio:/dev/stdout"} decisions received_request`,
    `cache_log ${options.cacheLog ?? "stdio:/dev/stderr"}`,
    ...(options.hostsFile ? [`hosts_file ${options.hostsFile}`] : []),
    ...(options.dnsNameservers?.length ? [`dns_nameservers ${options.dnsNameservers.join(" ")}`] : []),
    ...(options.errorDirectory ? [`error_directory ${options.errorDirectory}`] : []),
    "pid_filename none",
    "# No ICMP helper: the container has no capabilities to open raw sockets.",
    "pinger_enable off",
    `coredump_dir ${options.coredumpDir ?? "/tmp"}`,
    "",
    "# A forwarder, not a cache; reveal nothing about clients or itself (no host name lookup either).",
    "visible_hostname egress-proxy",
    "cache deny all",
    "via off",
    "forwarded_for delete",
    "httpd_suppress_version_string on",
    "",
  ].join("\n");
}
