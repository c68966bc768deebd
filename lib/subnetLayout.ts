// Where the subnets go when the config does not list them: each tier carved from the VPC CIDR.
// Private subnets (hosts, the backend, the egress proxy, the endpoints) get 1/8 of the VPC each;
// public and isolated subnets get 1/256 each, in the upper half; workspace subnets (one awsvpc
// address per workspace task) get 1/16 each, after those. A /16 gives /19s, /24s and /20s.
import { mustParseCidr, subnetAt } from "./cidr";

export interface SubnetLayout {
  readonly public: readonly string[];
  readonly private: readonly string[];
  readonly isolated: readonly string[];
  /** Workspace tasks only: no route out of the VPC in egressMode proxy (see components/network.ts). */
  readonly workspace: readonly string[];
}

export function planSubnets(
  vpcCidr: string,
  azCount: number,
  given: { public: readonly string[]; private: readonly string[]; isolated: readonly string[]; workspace?: readonly string[] },
): SubnetLayout {
  const vpc = mustParseCidr(vpcCidr);
  const carve = (prefixDelta: number, firstIndex: number) =>
    Array.from({ length: azCount }, (_, az) => subnetAt(vpc, vpc.prefix + prefixDelta, firstIndex + az).text);
  const workspace = given.workspace ?? [];
  return {
    private: given.private.length > 0 ? given.private : carve(3, 0),
    public: given.public.length > 0 ? given.public : carve(8, 128),
    isolated: given.isolated.length > 0 ? given.isolated : carve(8, 144),
    // 1/16 blocks 10..13: from 5/8 of the VPC on, clear of the public and isolated /256s.
    workspace: workspace.length > 0 ? workspace : carve(4, 10),
  };
}
