// The launch contract's target as the stack outputs describe it: what every command that starts
// workspaces (load, security probe, restore drill) hands to workspaceRunTaskRequest.
import type { WorkspaceLaunchTarget } from "../../lib/launchContract";
import type { StackOutputs } from "../../stackOutputs";
import type { OpsContext } from "./context";

/** The outputs a workspace launch needs, volume included. */
export const LAUNCH_OUTPUTS = [
  "clusterName",
  "workspaceTaskDefinitionArn",
  "workspaceSubnetIds",
  "securityGroupIds.workspace",
  "workspaceCapacityProvider",
  "workspaceVolumeRoleArn",
  "workspaceVolumeKeyArn",
  "workspaceVolumeSettings",
] as const;

type LaunchOutputs = Pick<StackOutputs, "clusterName" | "workspaceTaskDefinitionArn" | "workspaceSubnetIds" | "securityGroupIds" | "workspaceCapacityProvider" | "workspaceVolumeRoleArn" | "workspaceVolumeKeyArn" | "workspaceVolumeSettings">;

export function launchTargetFromOutputs(out: LaunchOutputs): WorkspaceLaunchTarget {
  const v = out.workspaceVolumeSettings;
  return {
    cluster: out.clusterName,
    taskDefinition: out.workspaceTaskDefinitionArn,
    // Workspaces run in their own subnets (no internet route in proxy mode).
    subnets: out.workspaceSubnetIds,
    securityGroups: [out.securityGroupIds.workspace],
    capacityProvider: out.workspaceCapacityProvider,
    volume: {
      volumeName: v.volumeName,
      sizeGiB: v.sizeGiB,
      iops: v.iops,
      throughputMiBps: v.throughputMiBps,
      filesystem: v.filesystem,
      kmsKeyArn: out.workspaceVolumeKeyArn,
      infrastructureRoleArn: out.workspaceVolumeRoleArn,
      stack: v.stackTag,
    },
  };
}

/** Requires the launch outputs (one error naming every missing one) and builds the target. */
export function requireLaunchTarget(ctx: OpsContext): WorkspaceLaunchTarget {
  return launchTargetFromOutputs(ctx.require(LAUNCH_OUTPUTS));
}
