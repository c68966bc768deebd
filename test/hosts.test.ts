import * as aws from "@pulumi/aws";
import { expect } from "chai";
import type { CapturedResource, StackGraph } from "../offline/graph";
import { ECS_AL2023_AMI_PARAMETER } from "../components/hostImage";
import { bundleHash, componentDocument, ecsConfigOfUserData } from "../host/render";
import { seccompProfileText } from "../host/seccomp";
import { TASK_PIDS_LIMIT } from "../lib/taskLimits";
import { bundleFilesOfUserData } from "../offline/hostBundle";
import { matchesExpression, poolPlacementConstraint } from "../lib/placement";
import { POOL_ATTRIBUTE, POOLS, type Pool } from "../lib/names";
import { jsonInput, resolveId } from "./helpers/graph";
import { buildStack, configErrorOf, STACKS } from "./helpers/stacks";

const EXPECTED = {
  staging: {
    backend: { min: 1, max: 2, types: ["m6i.large", "m5.large"], spot: true, warm: 0, target: 100 },
    workspace: { min: 1, max: 3, types: ["m6a.xlarge"], spot: false, warm: 1, target: 100 },
    rootGiB: 50,
    stopTimeout: "30s",
  },
  prod: {
    backend: { min: 2, max: 4, types: ["m6i.large"], spot: false, warm: 0, target: 100 },
    workspace: { min: 2, max: 10, types: ["m6a.4xlarge"], spot: false, warm: 2, target: 90 },
    rootGiB: 100,
    stopTimeout: "60s",
  },
} as const;

const PINNED = "ami-0123456789abcdef0";

function launchTemplate(g: StackGraph, pool: Pool) {
  return g.one(aws.ec2.LaunchTemplate, `hosts-${pool}-lt`);
}
function asg(g: StackGraph, pool: Pool) {
  return g.one(aws.autoscaling.Group, `hosts-${pool}-asg`);
}
function capacityProvider(g: StackGraph, pool: Pool) {
  return g.one(aws.ecs.CapacityProvider, `hosts-${pool}-cp`);
}
function userDataOf(lt: CapturedResource): string {
  return Buffer.from(String(lt.inputs.userData), "base64").toString("utf8");
}
/** The launch template an ASG launches, whether directly or through a mixed instances policy. */
function launchTemplateOfAsg(g: StackGraph, group: CapturedResource): CapturedResource {
  const id = group.inputs.launchTemplate?.id ?? group.inputs.mixedInstancesPolicy?.launchTemplate?.launchTemplateSpecification?.launchTemplateId;
  return resolveId(g, id);
}
/** The container instance attributes a pool's hosts register with (from their user data). */
function attributesOf(lt: CapturedResource): Record<string, string> {
  return JSON.parse(ecsConfigOfUserData(userDataOf(lt)).ECS_INSTANCE_ATTRIBUTES);
}

for (const stack of STACKS) {
  const want = EXPECTED[stack];
  describe(`host pools (${stack})`, () => {
    let g: StackGraph;
    before(async () => {
      g = await buildStack(stack);
    });

    for (const pool of POOLS) {
      describe(`${pool} pool`, () => {
        it("launch template: IMDSv2 required, hop limit 1, no instance tags in metadata, no IPv6 IMDS", () => {
          expect(launchTemplate(g, pool).inputs.metadataOptions).to.deep.equal({
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            httpProtocolIpv6: "disabled",
            instanceMetadataTags: "disabled",
          });
        });

        it("launch template: encrypted gp3 root of the configured size, no public IP, the pool's host security group only", () => {
          const lt = launchTemplate(g, pool);
          expect(lt.inputs.blockDeviceMappings).to.deep.equal([{
            deviceName: "/dev/xvda",
            ebs: { volumeSize: want.rootGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
          }]);
          expect(lt.inputs.networkInterfaces).to.have.length(1);
          const nic = lt.inputs.networkInterfaces[0];
          expect(nic.associatePublicIpAddress).to.equal("false");
          const sg = g.one(aws.ec2.SecurityGroup, `sg-${pool}Hosts`);
          expect(nic.securityGroups).to.deep.equal([sg.physicalId]);
          expect(lt.inputs.vpcSecurityGroupIds).to.equal(undefined);
        });

        it("launch template: the pool's own instance role, with only the ECS and SSM agents' calls on this cluster", () => {
          const lt = launchTemplate(g, pool);
          const profile = resolveId(g, lt.inputs.iamInstanceProfile.arn);
          expect(profile.inputs.name).to.equal(`remote-claude-${stack}-${pool}-hosts`);
          const role = g.ofType(aws.iam.Role).find((r) => r.state.name === profile.inputs.role);
          expect(role, "instance role").to.not.equal(undefined);
          expect(jsonInput(role!, "assumeRolePolicy").Statement[0].Principal).to.deep.equal({ Service: "ec2.amazonaws.com" });
          expect(g.ofType(aws.iam.RolePolicyAttachment).filter((a) => a.inputs.role === role!.state.name)).to.deep.equal([]);
          const policies = g.ofType(aws.iam.RolePolicy).filter((p) => p.inputs.role === role!.physicalId);
          expect(policies).to.have.length(1);
          const statements: any[] = jsonInput(policies[0], "policy").Statement;
          const actions: string[] = statements.flatMap((s) => [s.Action].flat());
          for (const forbidden of ["ecs:CreateCluster", "ecs:RunTask", "ecs:StartTask", "iam:PassRole", "ssm:GetParameter", "ssm:GetParameters", "ecr:GetAuthorizationToken", "logs:PutLogEvents"]) {
            expect(actions, forbidden).to.not.include(forbidden);
          }
          expect(actions.filter((a) => a.endsWith("*"))).to.deep.equal([]);
          const clusterScoped = statements.find((s) => s.Sid === "EcsAgentCluster");
          expect(clusterScoped.Resource).to.equal(`arn:aws:ecs:ap-northeast-1:123456789012:cluster/remote-claude-${stack}`);
          const onInstances = statements.find((s) => s.Sid === "EcsAgentInstance");
          expect(onInstances.Resource).to.equal(`arn:aws:ecs:ap-northeast-1:123456789012:container-instance/remote-claude-${stack}/*`);
          // Only calls without resource-level permissions use "*".
          for (const s of statements.filter((x) => x.Resource === "*")) {
            expect(s.Sid, JSON.stringify(s)).to.be.oneOf(["EcsAgentDiscover", "SsmAgent", "SessionManagerChannels"]);
          }
        });

        it("user data writes ecs.config: cluster, pool attribute, IMDS block, no privileged, task roles, cached pulls, warm pools, stop timeout", () => {
          const script = userDataOf(launchTemplate(g, pool));
          expect(script.startsWith("#!/bin/bash\n")).to.equal(true);
          const ecs = ecsConfigOfUserData(script);
          expect(ecs).to.include({
            ECS_CLUSTER: `remote-claude-${stack}`,
            ECS_INSTANCE_ATTRIBUTES: JSON.stringify({ [POOL_ATTRIBUTE]: pool }),
            ECS_AWSVPC_BLOCK_IMDS: "true",
            ECS_DISABLE_PRIVILEGED: "true",
            ECS_ENABLE_TASK_IAM_ROLE: "true",
            ECS_IMAGE_PULL_BEHAVIOR: "prefer-cached",
            ECS_WARM_POOLS_CHECK: "true",
            ECS_ENABLE_SPOT_INSTANCE_DRAINING: String(want[pool].spot),
            ECS_CONTAINER_STOP_TIMEOUT: want.stopTimeout,
            ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE: "true",
            ECS_ENABLE_TASK_CPU_MEM_LIMIT: "true",
            ECS_TASK_PIDS_LIMIT: String(TASK_PIDS_LIMIT),
          });
          // The hardening bundle is installed and verified before the host may join.
          const install = script.indexOf('bash "$bundle_dir/install.sh" "$bundle_dir"');
          const verify = script.indexOf('bash "$bundle_dir/install.sh" --verify');
          const config = script.indexOf("cat > /etc/ecs/ecs.config");
          expect(install).to.be.greaterThan(0);
          expect(verify).to.be.greaterThan(install);
          expect(config).to.be.greaterThan(verify);
          expect(script).to.include("systemctl mask --now ecs.service");
          expect(Buffer.byteLength(script)).to.be.lessThan(16 * 1024);
        });

        it(`ASG: ${want[pool].min}..${want[pool].max} over the private subnets, scale-in protected, instance refresh, AmazonECSManaged tag`, () => {
          const group = asg(g, pool);
          expect(group.inputs.name).to.equal(`remote-claude-${stack}-${pool}-hosts`);
          expect(group.inputs.minSize).to.equal(want[pool].min);
          expect(group.inputs.maxSize).to.equal(want[pool].max);
          expect(group.inputs.desiredCapacity).to.equal(undefined);
          const privateSubnets = g.ofType(aws.ec2.Subnet).filter((s) => s.inputs.tags.Tier === "private").map((s) => s.physicalId);
          expect(group.inputs.vpcZoneIdentifiers).to.deep.equal(privateSubnets);
          expect(group.inputs.protectFromScaleIn).to.equal(true);
          expect(group.inputs.instanceRefresh.strategy).to.equal("Rolling");
          expect(group.inputs.instanceRefresh.preferences).to.include({ scaleInProtectedInstances: "Refresh", minHealthyPercentage: 100 });
          // The ASG follows the launch template's latest version: a new version starts the refresh.
          const lt = launchTemplateOfAsg(g, group);
          expect(lt.id).to.equal(launchTemplate(g, pool).id);
          const version = group.inputs.launchTemplate?.version ?? group.inputs.mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version;
          expect(version).to.equal(String(lt.state.latestVersion));
          expect(group.inputs.tags).to.deep.include({ key: "AmazonECSManaged", value: "true", propagateAtLaunch: true });
          expect(group.options.ignoreChanges).to.include.members(["tags", "desiredCapacity"]);
          expect(group.options.dependsOn).to.include("aws:ecs/accountSettingDefault:AccountSettingDefault::hosts-awsvpc-trunking");
        });

        it(want[pool].spot ? "ASG: mixed instances, Spot above an On-Demand minimum, capacity rebalancing" : "ASG: On-Demand only", () => {
          const group = asg(g, pool);
          const mixed = group.inputs.mixedInstancesPolicy;
          if (want[pool].spot) {
            expect(mixed.launchTemplate.overrides.map((o: any) => o.instanceType)).to.deep.equal(want[pool].types);
            expect(mixed.instancesDistribution).to.include({ onDemandBaseCapacity: want[pool].min, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: "price-capacity-optimized" });
            expect(group.inputs.capacityRebalance).to.equal(true);
          } else {
            expect(mixed).to.equal(undefined);
            expect(launchTemplate(g, pool).inputs.instanceType).to.equal(want[pool].types[0]);
            expect(group.inputs.capacityRebalance).to.equal(false);
          }
        });

        it(want[pool].warm ? `ASG: a Stopped warm pool of ${want[pool].warm}, never reused on scale-in` : "ASG: no warm pool", () => {
          const warm = asg(g, pool).inputs.warmPool;
          // maxGroupPreparedCapacity = minSize keeps exactly that many, whatever the group runs.
          if (want[pool].warm) {
            expect(warm).to.deep.equal({
              poolState: "Stopped",
              minSize: want[pool].warm,
              maxGroupPreparedCapacity: want[pool].warm,
              instanceReusePolicy: { reuseOnScaleIn: false },
            });
          }
          else expect(warm).to.equal(undefined);
        });

        it("capacity provider: managed scaling at the configured target, managed termination protection and draining", () => {
          const cp = capacityProvider(g, pool);
          expect(cp.inputs.name).to.equal(`remote-claude-${stack}-${pool}`);
          const p = cp.inputs.autoScalingGroupProvider;
          expect(p.autoScalingGroupArn).to.equal(asg(g, pool).state.arn);
          expect(p.managedTerminationProtection).to.equal("ENABLED");
          expect(p.managedDraining).to.equal("ENABLED");
          expect(p.managedScaling).to.include({ status: "ENABLED", targetCapacity: want[pool].target });
          expect(g.outputs[`${pool}CapacityProvider`]).to.equal(cp.inputs.name);
          expect(g.outputs[`${pool}AutoScalingGroup`]).to.equal(asg(g, pool).inputs.name);
          expect(g.outputs[`${pool}LaunchTemplateId`]).to.equal(launchTemplate(g, pool).physicalId);
        });
      });
    }

    it("attaches both capacity providers to the one cluster, the trusted pool as the default", () => {
      const association = g.one(aws.ecs.ClusterCapacityProviders);
      expect(association.inputs.clusterName).to.equal(g.one(aws.ecs.Cluster).inputs.name);
      expect([...association.inputs.capacityProviders].sort()).to.deep.equal([`remote-claude-${stack}-backend`, `remote-claude-${stack}-workspace`]);
      expect(association.inputs.defaultCapacityProviderStrategies).to.deep.equal([{ capacityProvider: `remote-claude-${stack}-backend`, weight: 1, base: 0 }]);
      expect(g.ofType(aws.ecs.CapacityProvider)).to.have.length(2);
    });

    it("makes the backend service wait for the capacity providers' attachment to the cluster", () => {
      const association = g.one(aws.ecs.ClusterCapacityProviders);
      expect(g.one(aws.ecs.Service, "backend-service").options.dependsOn).to.include(association.id);
    });

    it("turns ENI trunking on for the account and keeps it on destroy", () => {
      const setting = g.one(aws.ecs.AccountSettingDefault);
      expect(setting.inputs).to.include({ name: "awsvpcTrunking", value: "enabled" });
      expect(setting.options.retainOnDelete).to.equal(true);
    });

    it("places the workspace task only on the workspace pool and the backend only on the backend pool", () => {
      // Each capacity provider leads (ASG -> launch template -> user data) to hosts of its own pool.
      for (const cpPool of POOLS) {
        const group = resolveId(g, capacityProvider(g, cpPool).inputs.autoScalingGroupProvider.autoScalingGroupArn);
        expect(group.id).to.equal(asg(g, cpPool).id);
        const attributes = attributesOf(launchTemplateOfAsg(g, group));
        // The task definitions as the program declares them, not a copy of their constraint.
        for (const taskPool of POOLS) {
          const family = `remote-claude-${stack}-${taskPool}`;
          const task = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === family);
          expect(task, family).to.not.equal(undefined);
          expect(task!.inputs.placementConstraints).to.deep.equal([poolPlacementConstraint(taskPool)]);
          const placed = task!.inputs.placementConstraints.every((c: { expression: string }) => matchesExpression(c.expression, attributes));
          expect(placed, `${taskPool} task on ${cpPool} hosts`).to.equal(taskPool === cpPool);
        }
      }
      // The backend service asks for its own pool's capacity provider.
      const service = g.one(aws.ecs.Service, "backend-service");
      expect(service.inputs.capacityProviderStrategies.map((c: { capacityProvider: string }) => c.capacityProvider))
        .to.deep.equal([`remote-claude-${stack}-backend`]);
      // And no other group or launch template launches hosts of either pool.
      expect(g.ofType(aws.autoscaling.Group)).to.have.length(2);
      const pools = g.ofType(aws.ec2.LaunchTemplate).map((lt) => attributesOf(lt)[POOL_ATTRIBUTE]).sort();
      expect(pools).to.deep.equal(["backend", "workspace"]);
    });

    it("builds the AMI with Image Builder from the ECS-optimized AL2023 parameter, and both pools launch it", () => {
      const image = g.one(aws.imagebuilder.Image);
      const recipe = resolveId(g, image.inputs.imageRecipeArn);
      expect(recipe.type).to.equal("aws:imagebuilder/imageRecipe:ImageRecipe");
      // The mock answers the public parameter with an AMI id derived from its name.
      expect(recipe.inputs.parentImage).to.match(/^ami-0[0-9a-f]{16}$/);
      const component = resolveId(g, recipe.inputs.components[0].componentArn);
      // The stacks keep the default ptrace choice: the AMI bakes that profile.
      expect(component.inputs.data).to.equal(componentDocument("allowed"));
      expect(component.inputs.platform).to.equal("Linux");
      expect(recipe.inputs.blockDeviceMappings[0].ebs).to.include({ encrypted: "true", volumeType: "gp3", volumeSize: want.rootGiB });
      const infra = resolveId(g, image.inputs.infrastructureConfigurationArn);
      expect(infra.inputs.securityGroupIds).to.deep.equal([g.one(aws.ec2.SecurityGroup, "sg-backendHosts").physicalId]);
      expect(g.ofType(aws.ec2.Subnet).find((s) => s.physicalId === infra.inputs.subnetId)?.inputs.tags.Tier).to.equal("private");
      expect(infra.inputs.instanceMetadataOptions).to.deep.equal({ httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(image.inputs.imageTestsConfiguration.imageTestsEnabled).to.equal(true);
      // The build waits for what its instance needs: the endpoints and the DNS Firewall's allow list.
      expect(image.options.dependsOn).to.include.members([
        "aws:ec2/vpcEndpoint:VpcEndpoint::endpoints-imagebuilder",
        "aws:ec2/vpcEndpoint:VpcEndpoint::endpoints-ssm",
        "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList::dns-firewall-allow",
        "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation::dns-firewall-vpc",
      ]);
      expect(g.ofType(aws.imagebuilder.ImagePipeline)).to.have.length(1);
      expect(g.ofType(aws.imagebuilder.DistributionConfiguration)).to.have.length(1);
      const ami = image.state.outputResources[0].amis[0].image;
      expect(g.outputs.amiId).to.equal(ami);
      for (const pool of POOLS) expect(launchTemplate(g, pool).inputs.imageId).to.equal(ami);
    });

    it("sends the build and test logs to its own encrypted log group, which the build instance may write", () => {
      const group = g.ofType(aws.cloudwatch.LogGroup).find((l) => l.name === "hosts-ami-build-logs")!;
      expect(group.inputs).to.deep.include({ name: `/remote-claude-${stack}/ami-builds`, kmsKeyId: g.one(aws.kms.Key, "kms-key").state.arn });
      // Image Builder's default group is named after the recipe (content-hashed): name it instead.
      expect(g.one(aws.imagebuilder.Image).inputs.loggingConfiguration).to.deep.equal({ logGroupName: group.state.name });
      expect(g.one(aws.imagebuilder.ImagePipeline).inputs.loggingConfiguration).to.deep.equal({ imageLogGroupName: group.state.name });
      const infra = g.one(aws.imagebuilder.InfrastructureConfiguration);
      const profile = g.ofType(aws.iam.InstanceProfile).find((p) => p.state.name === infra.inputs.instanceProfileName)!;
      const role = g.ofType(aws.iam.Role).find((r) => r.state.name === profile.inputs.role)!;
      const statements: any[] = jsonInput(g.ofType(aws.iam.RolePolicy).find((p) => p.inputs.role === role.physicalId)!, "policy").Statement;
      expect(statements.find((s) => s.Sid === "BuildLogs").Resource).to.deep.equal([`${group.state.arn}:*`]);
    });

    it("gives the build instance only the SSM agent, its own component, the AWSTOE bucket and its log group", () => {
      const infra = g.one(aws.imagebuilder.InfrastructureConfiguration);
      const profile = g.ofType(aws.iam.InstanceProfile).find((p) => p.state.name === infra.inputs.instanceProfileName)!;
      const role = g.ofType(aws.iam.Role).find((r) => r.state.name === profile.inputs.role)!;
      const statements: any[] = jsonInput(g.ofType(aws.iam.RolePolicy).find((p) => p.inputs.role === role.physicalId)!, "policy").Statement;
      const component = g.one(aws.imagebuilder.Component);
      expect(statements.find((s) => s.Sid === "OwnComponent").Resource).to.deep.equal([component.state.arn]);
      expect(statements.find((s) => s.Sid === "AwsToeBinary").Resource).to.deep.equal(["arn:aws:s3:::ec2imagebuilder-toe-ap-northeast-1-prod/*"]);
      // The VPC lets it reach those: an imagebuilder endpoint, the bucket in the S3 gateway policy and the DNS allow list.
      const services = g.ofType(aws.ec2.VpcEndpoint).map((e) => e.inputs.serviceName);
      expect(services).to.include("com.amazonaws.ap-northeast-1.imagebuilder");
      const s3 = g.ofType(aws.ec2.VpcEndpoint).find((e) => e.inputs.vpcEndpointType === "Gateway")!;
      expect(jsonInput(s3, "policy").Statement[0].Resource).to.include("arn:aws:s3:::ec2imagebuilder-toe-ap-northeast-1-prod/*");
      const allowList = g.ofType(aws.route53.ResolverFirewallDomainList).find((d) => d.inputs.name.endsWith("-allow"))!;
      expect(allowList.inputs.domains).to.include.members([
        "imagebuilder.ap-northeast-1.amazonaws.com",
        "ec2imagebuilder-toe-ap-northeast-1-prod.s3.ap-northeast-1.amazonaws.com",
      ]);
    });
  });
}

describe("host pools with a pinned AMI", () => {
  it("skips the Image Builder build and launches the pinned AMI in both pools", async () => {
    const g = await buildStack("staging", { amiId: PINNED });
    expect(g.resources.filter((r) => r.type.startsWith("aws:imagebuilder/"))).to.deep.equal([]);
    for (const pool of POOLS) expect(launchTemplate(g, pool).inputs.imageId).to.equal(PINNED);
    expect(g.outputs.amiId).to.equal(PINNED);
    // The user data still installs and verifies the hardening: a pinned AMI without it gets it at boot.
    expect(userDataOf(launchTemplate(g, "workspace"))).to.include('bash "$bundle_dir/install.sh" --verify');
  });

  it("ships the stack's ptrace choice: seccompPtrace denied puts the denied profile into the AMI component and both pools' user data", async () => {
    const g = await buildStack("staging", { seccompPtrace: "denied" });
    const component = g.one(aws.imagebuilder.Component);
    expect(component.inputs.data).to.equal(componentDocument("denied"));
    expect(component.inputs.name).to.equal(`remote-claude-staging-host-hardening-${bundleHash("denied")}`);
    for (const pool of POOLS) {
      const bundle = bundleFilesOfUserData(userDataOf(launchTemplate(g, pool)));
      expect(bundle["seccomp.json"], pool).to.equal(seccompProfileText("denied"));
    }
    const pinned = await buildStack("staging", { seccompPtrace: "denied", amiId: PINNED });
    expect(bundleFilesOfUserData(userDataOf(launchTemplate(pinned, "workspace")))["seccomp.json"]).to.equal(seccompProfileText("denied"));
  });

  it("reads the AMI parameter only when it builds", async () => {
    expect(ECS_AL2023_AMI_PARAMETER).to.equal("/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id");
  });
});

describe("host config validation", () => {
  const one = (overrides: Record<string, unknown>, key: string) => {
    const err = configErrorOf("staging", overrides);
    const found = err.problems.filter((p) => p.key === `remote-claude:${key}`);
    expect(found, err.message).to.have.length(1);
    return { problem: found[0], message: err.message };
  };

  it("rejects a warm pool with Spot workspaces, naming both keys and the fix", () => {
    const { problem, message } = one({ workspaceSpot: true, workspaceWarmPoolSize: 1 }, "workspaceWarmPoolSize");
    expect(problem.value).to.equal("1");
    expect(problem.expected).to.match(/AWS allows no warm pool with Spot/).and.match(/workspaceSpot: false/);
    expect(message).to.match(/Fix: set remote-claude:workspaceWarmPoolSize in Pulumi\.staging\.yaml/);
  });

  it("rejects a warm pool with mixed workspace instance types", () => {
    const { problem } = one({ workspaceInstanceTypes: ["c6i.2xlarge", "c5.2xlarge"], workspaceWarmPoolSize: 2 }, "workspaceWarmPoolSize");
    expect(problem.expected).to.match(/no warm pool with mixed instance types/);
  });

  it("accepts Spot or mixed types once the warm pool is 0", () => {
    expect(() => configErrorOf("staging", { workspaceSpot: true, workspaceInstanceTypes: ["c6i.2xlarge", "c5.2xlarge"], workspaceWarmPoolSize: 0 })).to.throw(/expected a ConfigError/);
  });

  it("rejects a minimum above the maximum", () => {
    const { problem } = one({ backendMinSize: 5, backendMaxSize: 2 }, "backendMinSize");
    expect(problem.expected).to.match(/at most backendMaxSize \(2\)/);
  });

  it("rejects a malformed AMI id, a too small root volume and an out-of-range target capacity", () => {
    const err = configErrorOf("prod", { amiId: "ami-xyz", hostRootVolumeGiB: 8, workspaceTargetCapacity: 0 });
    const keys = err.problems.map((p) => p.key);
    expect(keys).to.include.members(["remote-claude:amiId", "remote-claude:hostRootVolumeGiB", "remote-claude:workspaceTargetCapacity"]);
    expect(err.problems.find((p) => p.key === "remote-claude:amiId")!.expected).to.match(/ami- and 8 or 17 hex digits/);
  });
});
