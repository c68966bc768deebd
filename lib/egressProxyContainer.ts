// The egress proxy's container, as a pure function of plain values: the task definition uses it
// and the tests read the very configuration it carries. Squid from the project's image
// (services/egressProxy/Dockerfile) runs the configuration in SQUID_CONFIG, generated here from the
// allow list the DNS Firewall also uses; the entrypoint writes it to /tmp and starts Squid.
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { awslogs, lockedDown } from "./containerBasics";
import { EGRESS_PROXY_PORT, renderSquidConfig } from "./squidConfig";

export const EGRESS_PROXY_CONTAINER = "egress-proxy";
/** Environment variable carrying the whole squid.conf (the entrypoint writes it to a file). */
export const SQUID_CONFIG_ENV = "SQUID_CONFIG";
/** Debian's proxy user (base-passwd: uid and gid 13): Squid never runs as root. */
export const EGRESS_PROXY_USER = "13:13";
const EGRESS_PROXY_LOG_STREAM_PREFIX = "egress-proxy";

interface EgressProxyContainerSettings {
  readonly image: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** config dnsAllowedDomains: the one list the DNS Firewall and the proxy both enforce. */
  readonly allowList: readonly string[];
  /** CIDRs of the subnets the NLB sits in: the only sources whose PROXY protocol header counts. */
  readonly loadBalancerCidrs: readonly string[];
  readonly logGroup: string;
  readonly region: string;
}

/** The squid.conf the proxy runs: renderSquidConfig of the allow list, behind the NLB. */
export function egressProxySquidConfig(s: Pick<EgressProxyContainerSettings, "allowList" | "loadBalancerCidrs">): string {
  return renderSquidConfig(s.allowList, { proxyProtocolFrom: s.loadBalancerCidrs });
}

export function egressProxyContainer(s: EgressProxyContainerSettings): ContainerDefinition {
  return {
    name: EGRESS_PROXY_CONTAINER,
    image: s.image,
    essential: true,
    cpu: s.cpu,
    memory: s.memoryMiB,
    portMappings: [{ name: "proxy", containerPort: EGRESS_PROXY_PORT, protocol: "tcp" }],
    environment: [{ name: SQUID_CONFIG_ENV, value: egressProxySquidConfig(s) }],
    user: EGRESS_PROXY_USER,
    // /tmp holds the configuration and core dumps; Squid keeps no disk cache.
    ...lockedDown({ sizeMiB: 64, exec: false }),
    // Two descriptors per tunnel: Squid sizes its tables from this limit.
    ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
    // A TCP connect: the port requires a PROXY header, so no request is made (and none logged).
    healthCheck: { command: ["CMD", "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${EGRESS_PROXY_PORT}`], interval: 10, timeout: 3, retries: 3, startPeriod: 10 },
    stopTimeout: 30,
    logConfiguration: awslogs(s, EGRESS_PROXY_LOG_STREAM_PREFIX),
  };
}
