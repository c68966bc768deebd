// The policy pack's policies, in one list: index.ts serves them to `pulumi preview --policy-pack
// policy`, and the repository's tests run the same objects over the offline graphs.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { elasticacheEncryptedAuthenticated, prodDataMultiAzProtected, rdsEncryptedPrivate, rdsRequiresTls } from "./data";
import { ecsDeploymentRollbackAsDocumented } from "./deployments";
import { ecsNoPrivilegedTasks, workspaceContainersHardened, workspaceNoTaskRole, workspaceSecretOnlyInCredentialProxy, workspaceTaskResourcesBounded, workspaceVolumeConfiguredAtLaunch } from "./ecs";
import { launchTemplateBlocksTaskImds, launchTemplateImdsv2, launchTemplateTaskPidsLimit } from "./hosts";
import { iamNoBroadManagedPolicies, iamPassRoleScoped, iamRunTaskScoped } from "./iam";
import { logGroupsPlatformKey } from "./logs";
import { dnsFirewallBlocksInProduction, dnsFirewallFailClosed, noPublicIngressExceptAlb } from "./network";
import { workspaceEgressProxyEndpointsResolverOnly, workspaceSubnetsNoInternetRoute } from "./egress";
import { vpcEndpointsDataPerimeter } from "./perimeter";
import { awsCallsReachable } from "./reachability";

export const POLICY_PACK_NAME = "remote-claude-security";

export const resourcePolicies: readonly ResourceValidationPolicy[] = [
  workspaceNoTaskRole,
  workspaceContainersHardened,
  workspaceSecretOnlyInCredentialProxy,
  workspaceTaskResourcesBounded,
  workspaceVolumeConfiguredAtLaunch,
  ecsNoPrivilegedTasks,
  ecsDeploymentRollbackAsDocumented,
  launchTemplateImdsv2,
  launchTemplateBlocksTaskImds,
  launchTemplateTaskPidsLimit,
  rdsEncryptedPrivate,
  elasticacheEncryptedAuthenticated,
  prodDataMultiAzProtected,
  iamRunTaskScoped,
  iamPassRoleScoped,
  iamNoBroadManagedPolicies,
];

export const stackPolicies: readonly StackValidationPolicy[] = [
  noPublicIngressExceptAlb,
  dnsFirewallFailClosed,
  dnsFirewallBlocksInProduction,
  rdsRequiresTls,
  logGroupsPlatformKey,
  // Egress: proxy mode, and production.
  workspaceSubnetsNoInternetRoute,
  workspaceEgressProxyEndpointsResolverOnly,
  // Every role's AWS calls can leave where the role runs, and the endpoints serve only this account.
  awsCallsReachable,
  vpcEndpointsDataPerimeter,
];

export const allPolicies: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = [...resourcePolicies, ...stackPolicies];
