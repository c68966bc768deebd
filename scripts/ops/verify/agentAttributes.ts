// What a host's container instance attributes must show when its ECS agent runs the settings the
// pool's ecs.config gives it (host/files/ecs.config.tmpl, rendered by host/render.ts). The agent
// registers a capability attribute per feature it has turned on, so the attributes are the
// agent's own word on its settings. Which attribute follows from which setting is read from the
// agent's source, aws/amazon-ecs-agent at commit 8dfceca6cf38 (v1.105.0 + 10 commits, 2026-06-30):
//   agent/app/agent_capability.go      :229-231 privileged-container only unless ECS_DISABLE_PRIVILEGED
//                                      :366-369 container-health-check (Docker API 1.24+)
//                                      :411  task-iam-role-network-host only if ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST
//                                      :450-456 task-eni when task networking (awsvpc) is on
//                                      :465-471 task-eni-block-instance-metadata with ECS_AWSVPC_BLOCK_IMDS
//                                      :579  storage.ebs-task-volume-attach (EBS task attach)
//   agent/app/agent_capability_unix.go :128-131 task-eni-trunking unless ENI trunking is turned off
//   agent/config/config_unix.go        :172-173 trunking on by default with task networking (ECS_ENABLE_HIGH_DENSITY_ENI)
// The pool attribute comes from ECS_INSTANCE_ATTRIBUTES (POOL_ATTRIBUTE, lib/names.ts).
import { POOL_ATTRIBUTE, type Pool } from "../../../lib/names";
import { ecsConfig, instanceAttributes, parseEcsConfig } from "../../../host/render";

const LEGACY = "com.amazonaws.ecs.capability.";
const CAPABILITY = "ecs.capability.";

interface AttributeExpectation {
  readonly attribute: string;
  /** present (with this value when given) or absent. */
  readonly present: boolean;
  readonly value?: string;
  /** The setting it shows, for the report: "ECS_DISABLE_PRIVILEGED=true". */
  readonly because: string;
}

/** The pool's ecs.config as the agent reads it (only the settings that do not vary per stack matter here). */
function poolAgentSettings(pool: Pool): Record<string, string> {
  return parseEcsConfig(ecsConfig({ pool, cluster: "cluster", spot: false, stopTimeoutSeconds: 30, reservedMemoryMiB: 256, seccompPtrace: "allowed" }));
}

const truthy = (v: string | undefined) => v?.toLowerCase() === "true";

/** Every attribute a registered host of `pool` must show (or must not). */
export function expectedAttributes(pool: Pool): AttributeExpectation[] {
  const s = poolAgentSettings(pool);
  const out: AttributeExpectation[] = [];
  for (const [name, value] of Object.entries(instanceAttributes(pool))) {
    out.push({ attribute: name, present: true, value, because: `ECS_INSTANCE_ATTRIBUTES (${POOL_ATTRIBUTE} places tasks on their pool)` });
  }
  out.push({ attribute: `${LEGACY}privileged-container`, present: !truthy(s.ECS_DISABLE_PRIVILEGED), because: `ECS_DISABLE_PRIVILEGED=${s.ECS_DISABLE_PRIVILEGED ?? "(unset)"}` });
  out.push({ attribute: `${LEGACY}task-iam-role-network-host`, present: truthy(s.ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST), because: `ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=${s.ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST ?? "(unset)"}` });
  out.push({ attribute: `${CAPABILITY}task-eni`, present: true, because: "awsvpc task networking (every task of the platform is awsvpc)" });
  out.push({ attribute: `${CAPABILITY}task-eni-block-instance-metadata`, present: truthy(s.ECS_AWSVPC_BLOCK_IMDS), because: `ECS_AWSVPC_BLOCK_IMDS=${s.ECS_AWSVPC_BLOCK_IMDS ?? "(unset)"}` });
  out.push({ attribute: `${CAPABILITY}task-eni-trunking`, present: true, because: "ENI trunking on in the agent (default with task networking)" });
  out.push({ attribute: `${CAPABILITY}container-health-check`, present: true, because: "container health checks (the workspace and backend containers have them)" });
  if (pool === "workspace") {
    out.push({ attribute: `${CAPABILITY}storage.ebs-task-volume-attach`, present: true, because: "EBS task attach (every workspace gets its own volume at launch)" });
  }
  return out;
}

/** Whether a host's attributes meet one expectation; the observed text for the report. */
export function meets(attributes: Readonly<Record<string, string>>, e: AttributeExpectation): { ok: boolean; observed: string } {
  const has = Object.prototype.hasOwnProperty.call(attributes, e.attribute);
  if (!e.present) return { ok: !has, observed: has ? "present" : "absent" };
  if (!has) return { ok: false, observed: "absent" };
  if (e.value !== undefined) return { ok: attributes[e.attribute] === e.value, observed: attributes[e.attribute] || "(no value)" };
  return { ok: true, observed: "present" };
}
