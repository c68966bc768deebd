// Wires the ECS simulator (and its EC2 volumes) into aws-sdk-client-mock stubs of
// ECSClient and EC2Client.
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import type { WorkspaceLaunchTarget } from "../../../lib/launchContract";
import { launchTargetFromOutputs } from "../../../scripts/ops/launchTarget";
import { Ec2Sim, type Ec2SimOptions } from "../../../scripts/ops/sim/ec2Sim";
import { EcsSim, type SimOptions } from "../../../scripts/ops/sim/ecsSim";
import { stackOutputs } from "./outputs";

/** The EC2 side of the simulation on a mocked EC2Client. */
export function simulatedEc2(ec2Sim: Ec2Sim) {
  const ec2 = mockClient(EC2Client);
  ec2.on(DescribeVolumesCommand).callsFake((input) => ec2Sim.describeVolumes(input));
  ec2.on(DeleteVolumeCommand).callsFake((input) => ec2Sim.deleteVolume(input));
  ec2.on(CreateSnapshotCommand).callsFake((input) => ec2Sim.createSnapshot(input));
  ec2.on(DescribeSnapshotsCommand).callsFake((input) => ec2Sim.describeSnapshots(input));
  ec2.on(DeleteSnapshotCommand).callsFake((input) => ec2Sim.deleteSnapshot(input));
  return ec2;
}

export function simulatedEcs(options: Omit<SimOptions, "ec2"> & { readonly ec2Options?: Omit<Ec2SimOptions, "clock"> }) {
  const ec2Sim = new Ec2Sim({ clock: options.clock, ...(options.ec2Options ?? {}) });
  const sim = new EcsSim({ ...options, ec2: ec2Sim });
  const ecs = mockClient(ECSClient);
  ecs.on(RunTaskCommand).callsFake((input) => sim.runTask(input));
  ecs.on(DescribeTasksCommand).callsFake((input) => sim.describeTasks(input));
  ecs.on(StopTaskCommand).callsFake((input) => sim.stopTask(input));
  ecs.on(ListTasksCommand).callsFake((input) => sim.listTasks(input));
  ecs.on(DescribeContainerInstancesCommand).callsFake((input) => sim.describeContainerInstances(input));
  ecs.on(ListContainerInstancesCommand).callsFake((input) => sim.listContainerInstances(input));
  ecs.on(DescribeTaskDefinitionCommand).callsFake(() => sim.describeTaskDefinition());
  const ec2 = simulatedEc2(ec2Sim);
  return { sim, ecs, ec2Sim, ec2 };
}

/** The launch target of the ops fixture's staging outputs. */
export const TEST_LAUNCH: WorkspaceLaunchTarget = launchTargetFromOutputs(stackOutputs());

/** A task that starts in `running` ms and is healthy `healthy` ms after creation. */
export const starts = (running: number, healthy = running + 1000) => ({ pendingAfter: Math.min(500, running), runningAfter: running, healthyAfter: healthy });
