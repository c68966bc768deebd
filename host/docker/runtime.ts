// The ECS agent's container as ecs-init starts it on the hosts (not a task definition's container,
// so nothing to derive it from): root, and the SYS_ADMIN and NET_ADMIN its namespace helpers
// need. Workspaces are created from the task definition instead (localWorkspace.ts,
// containerSettings.ts).
export function agentRunArgs(opts: { seccompProfile?: string } = {}): string[] {
  return [
    "--cap-drop", "ALL",
    "--cap-add", "SYS_ADMIN",
    "--cap-add", "NET_ADMIN",
    ...(opts.seccompProfile ? ["--security-opt", `seccomp=${opts.seccompProfile}`] : []),
    "--network", "none",
  ];
}
