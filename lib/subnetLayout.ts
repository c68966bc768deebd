// Where the subnets go when the config does not list them: each tier carved from the VPC CIDR.
// Private subnets (every awsvpc task takes an address) get 1/8 of the VPC each; public and
// isolated subnets get 1/256 each, in the upper half, so a /16 gives /19s and /24s.
import { mustParseCidr, subnetAt } from "./cidr";

export interface SubnetLayout {
  readonly public: readonly string[];
  readonly private: readonly string[];
  readonly isolated: readonly string[];
}

export function planSubnets(
  vpcCidr: string,
  azCount: number,
  given: { public: readonly string[]; private: readonly string[]; isolated: readonly string[] },
): SubnetLayout {
  const vpc = mustParseCidr(vpcCidr);
  const carve = (prefixDelta: number, firstIndex: number) =>
    Array.from({ length: azCount }, (_, az) => subnetAt(vpc, vpc.prefix + prefixDelta, firstIndex + az).text);
  return {
    private: given.private.length > 0 ? given.private : carve(3, 0),
    public: given.public.length > 0 ? given.public : carve(8, 128),
    isolated: given.isolated.length > 0 ? given.isolated : carve(8, 144),
  };
}
