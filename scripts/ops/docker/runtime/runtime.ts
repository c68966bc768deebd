// The ECS agent's container as ecs-init starts it on the hosts (not a task definition's container,
// so nothing to derive it from): root, Docker's default capabilities plus the SYS_ADMIN and
// NET_ADMIN its namespace helpers need, an init (aws/amazon-ecs-agent ecs-init/docker/
// docker_config.go, createHostConfig), and no seccomp profile of its own: the daemon's default
// applies. Workspaces are created from the task definition instead (localWorkspace.ts,
// containerSettings.ts).
export function agentRunArgs(opts: { seccompProfile?: string } = {}): string[] {
  return [
    "--cap-add", "SYS_ADMIN",
    "--cap-add", "NET_ADMIN",
    "--init",
    ...(opts.seccompProfile ? ["--security-opt", `seccomp=${opts.seccompProfile}`] : []),
    "--network", "none",
  ];
}
