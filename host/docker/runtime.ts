// The workspace container's runtime settings as `docker run` flags: what the workspace task
// definition asks ECS for (all capabilities dropped, no-new-privileges, read-only root with a
// writable tmpfs, a non-root user, an init process), so a local container is confined like a
// workspace on the hosts. The seccomp profile comes from the daemon (daemon.json) on the hosts;
// locally it can be named explicitly.
import { WORKSPACE_UID } from "./rootfs";

export function workspaceRunArgs(opts: { seccompProfile?: string; network?: string } = {}): string[] {
  return [
    "--cap-drop", "ALL",
    "--security-opt", "no-new-privileges",
    ...(opts.seccompProfile ? ["--security-opt", `seccomp=${opts.seccompProfile}`] : []),
    "--read-only",
    "--tmpfs", "/tmp:rw,nosuid,nodev,size=64m",
    "--user", `${WORKSPACE_UID}:${WORKSPACE_UID}`,
    "--init",
    "--pids-limit", "512",
    "--network", opts.network ?? "none",
  ];
}

/** The ECS agent's container as ecs-init starts it: root, host namespaces' helpers need SYS_ADMIN and NET_ADMIN. */
export function agentRunArgs(opts: { seccompProfile?: string } = {}): string[] {
  return [
    "--cap-drop", "ALL",
    "--cap-add", "SYS_ADMIN",
    "--cap-add", "NET_ADMIN",
    ...(opts.seccompProfile ? ["--security-opt", `seccomp=${opts.seccompProfile}`] : []),
    "--network", "none",
  ];
}
