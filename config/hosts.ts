// Host config: the instance types of the two host pools. Both pools run awsvpc tasks, so every
// type must support ENI trunking (see instanceTypes.ts for the table and its source).
import { trunkingProblem } from "./instanceTypes";
import { stringList } from "./schema";

export const hostKeys = {
  backendInstanceTypes: stringList({
    description: "Instance types of the backend (trusted) pool; every type must support ENI trunking.",
    default: ["m6i.large"],
    expected: "EC2 instance types with ENI trunking",
    minItems: 1,
    item: trunkingProblem,
  }),
  workspaceInstanceTypes: stringList({
    description: "Instance types of the workspace pool; every type must support ENI trunking.",
    default: ["c6i.2xlarge"],
    expected: "EC2 instance types with ENI trunking",
    minItems: 1,
    item: trunkingProblem,
  }),
};
