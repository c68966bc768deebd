// The security probe's default names, apart from the probe so the CLI shows them in --help without loading it.
/** A name that exists (so only the DNS Firewall can stop it resolving) and no workload needs. */
export const PROBE_BLOCKED_DOMAIN = "example.com";
