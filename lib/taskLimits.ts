// How many processes a task may run, in one place: the hosts' ecs.config (the ECS agent puts
// ECS_TASK_PIDS_LIMIT on each task's cgroup as pids.max), the local target (the engine's pids
// limit on each container of a task) and the nproc ulimit of the task definitions. Every
// workspace runs as the same uid, and RLIMIT_NPROC counts a uid's processes across the whole
// host, so a per-uid limit would let one workspace stop every other from forking: the budget is
// per task instead, and nproc is set where it can never bind.

/**
 * pids.max of every task (threads count too): room for parallel builds, language servers and a
 * headless browser, while a fork bomb stops at it. A memory-bound host (7 workspaces on a
 * c6i.2xlarge) stays far below the kernel's thread and PID ceilings even with every task at it.
 */
export const TASK_PIDS_LIMIT = 4096;

/**
 * The first ECS agent that reads ECS_TASK_PIDS_LIMIT, and how it does, in aws/amazon-ecs-agent at
 * commit 8dfceca6cf38: CHANGELOG.md:481-482 (1.77.0, PR #3923); agent/config/parse_linux.go:131-152
 * parseTaskPidsLimit reads it (1 to 4194304, anything else ignored with a warning). An older agent
 * ignores the variable, and the agent applies it only with task CPU/memory limits on:
 * agent/config/config.go:555 reads ECS_ENABLE_TASK_CPU_MEM_LIMIT (default true),
 * agent/api/task/task_linux.go:88 keeps it on the task, :91-101 builds no task cgroup without it,
 * and :181-186 put the limit on that cgroup as pids.max.
 */
export const ECS_AGENT_MIN_VERSION_FOR_PIDS_LIMIT = "1.77.0";

/**
 * The first ECS-optimized AMI release that carries that agent: aws/amazon-ecs-ami at commit
 * a2532d3503f2, CHANGELOG.md:1257-1258 (release 20230929, ecs version 1.77.0-1; the release before,
 * :1270-1271, carries 1.76.0). The release is the date in the AMI's name, as the repository's
 * release pages name them (al2023-ami-ecs-hvm-2023.0.<release>-kernel-6.1-x86_64).
 */
export const ECS_AMI_FIRST_RELEASE_FOR_PIDS_LIMIT = "20230929";

/**
 * The kernel's ceiling for pid_max on 64-bit (PID_MAX_LIMIT, 4 × 1024 × 1024, include/linux/threads.h;
 * also the largest ECS_TASK_PIDS_LIMIT the agent accepts, agent/config/parse_linux.go:147 at the
 * commit above). No uid can ever have more processes than the host has PIDs, so an nproc ulimit of
 * this size never binds and never couples workspaces.
 */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;

/**
 * ECS_TASK_PIDS_LIMIT as the agent reads it (agent/config/parse_linux.go:131-152 at the commit
 * above): trimmed, a decimal integer (Go's strconv.Atoi: an optional sign, digits), from 1 to
 * PID_MAX_LIMIT; anything else (unset included) gives tasks no pids.max.
 */
export function agentTaskPidsLimit(value: string | undefined): number | undefined {
  const v = value?.trim() ?? "";
  if (!/^[+-]?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= PID_MAX_LIMIT ? n : undefined;
}

/** The strings Go's strconv.ParseBool reads as false. */
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/**
 * Whether the agent keeps task CPU/memory limits on, and with them the task cgroup that carries
 * pids.max, for a value of ECS_ENABLE_TASK_CPU_MEM_LIMIT: agent/config/parse.go:272-291 reads it
 * with strconv.ParseBool, unset or unreadable leaving it on, so only a false value turns it off.
 */
export function agentTaskCgroupsOn(value: string | undefined): boolean {
  return !GO_FALSE.has(value?.trim() ?? "");
}
