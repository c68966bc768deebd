// The whole platform for one stack, from a validated config: the composition root. Each step
// builds one part (platform/), in dependency order; the stack outputs, grouped as in
// stackOutputs.ts, are the contract with the ops tool.
import type { StackConfig } from "./config";
import { platformContext } from "./platform/context";
import { buildData, dataEndpointNames } from "./platform/data";
import { buildNetwork, buildNetworkControls, foundationOutputs } from "./platform/foundation";
import { buildHosts, hostOutputs } from "./platform/hosts";
import { egressOutputs, serviceOutputs, storageOutputs } from "./platform/outputs";
import { buildWorkloads } from "./platform/workloads";
import type { OutputInputs, StackOutputs } from "./stackOutputs";

export async function buildPlatform(cfg: StackConfig): Promise<OutputInputs<StackOutputs>> {
  const ctx = await platformContext(cfg);
  const net = buildNetwork(ctx);
  // The data stores before the DNS Firewall, whose allow list names their endpoints.
  const data = buildData(ctx, net);
  const controls = buildNetworkControls(ctx, net, dataEndpointNames(data));
  const hosts = buildHosts(ctx, net, controls);
  const workloads = buildWorkloads(ctx, { net, controls, data, hosts });
  return {
    ...foundationOutputs(ctx, net, controls),
    ...hostOutputs(ctx, hosts),
    ...serviceOutputs(ctx, data, workloads),
    ...storageOutputs(workloads),
    ...egressOutputs(ctx, net, controls, workloads),
  };
}
