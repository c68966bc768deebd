// Pool placement: each host pool's container instances carry POOL_ATTRIBUTE (ecs.config's
// ECS_INSTANCE_ATTRIBUTES), and task definitions place themselves on their pool with a memberOf
// constraint on it. The evaluator covers the part of the ECS cluster query language these
// expressions use (attribute:NAME == / != VALUE, joined by "and"), so tests can check placement.
import { type Pool, POOL_ATTRIBUTE } from "./names";

interface PlacementConstraint {
  readonly type: "memberOf";
  readonly expression: string;
}

/** The constraint a task definition (or RunTask) uses to stay on one pool's hosts. */
export function poolPlacementConstraint(pool: Pool): PlacementConstraint {
  return { type: "memberOf", expression: `attribute:${POOL_ATTRIBUTE} == ${pool}` };
}

/** Whether a container instance with these attributes satisfies the expression. */
export function matchesExpression(expression: string, attributes: Readonly<Record<string, string>>): boolean {
  return expression.split(/\s+and\s+/i).every((clause) => {
    const m = /^\s*attribute:([A-Za-z0-9_.:-]+)\s*(==|!=)\s*([A-Za-z0-9_.:-]+)\s*$/.exec(clause);
    if (!m) throw new Error(`unsupported cluster query language clause: ${clause}`);
    const [, name, op, value] = m;
    return op === "==" ? attributes[name] === value : attributes[name] !== value;
  });
}
