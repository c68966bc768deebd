// Wires the ECS simulator into an aws-sdk-client-mock of ECSClient.
import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { EcsSim, type SimOptions } from "../../../scripts/ops/sim/ecsSim";

export function simulatedEcs(options: SimOptions) {
  const sim = new EcsSim(options);
  const ecs = mockClient(ECSClient);
  ecs.on(RunTaskCommand).callsFake((input) => sim.runTask(input));
  ecs.on(DescribeTasksCommand).callsFake((input) => sim.describeTasks(input));
  ecs.on(StopTaskCommand).callsFake((input) => sim.stopTask(input));
  ecs.on(ListTasksCommand).callsFake((input) => sim.listTasks(input));
  ecs.on(DescribeContainerInstancesCommand).callsFake((input) => sim.describeContainerInstances(input));
  ecs.on(DescribeTaskDefinitionCommand).callsFake(() => sim.describeTaskDefinition());
  return { sim, ecs };
}

/** A task that starts in `running` ms and is healthy `healthy` ms after creation. */
export const starts = (running: number, healthy = running + 1000) => ({ pendingAfter: Math.min(500, running), runningAfter: running, healthyAfter: healthy });
