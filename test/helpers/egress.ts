// Egress-mode variants: staging's stack file runs dns-firewall, prod's proxy; these
// overrides build the other mode on staging, so each mode is tested on both stacks' shapes.
import type { Overrides } from "./stacks";

/** Staging in egressMode proxy (the egress proxy needs an image). */
export const STAGING_EGRESS_PROXY: Overrides = { egressMode: "proxy", egressProxyImage: "1.0.0" };
