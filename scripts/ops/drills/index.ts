// Every failure drill, by name (the CLI builds `ops drill <name>` from this list).
import { azOutage } from "./azOutage";
import { drainInstance } from "./drainInstance";
import type { DrillSpec } from "./drill";
import { fisDrill } from "./fis";
import { killBackendTask } from "./killBackendTask";
import { rdsFailover } from "./rdsFailover";
import { redisFailover } from "./redisFailover";
import { terminateInstance } from "./terminateInstance";

export const DRILLS: readonly DrillSpec[] = [killBackendTask, drainInstance, terminateInstance, azOutage, redisFailover, rdsFailover, fisDrill];
