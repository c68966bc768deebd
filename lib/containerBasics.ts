// What every container of the platform shares: the lock-down (nothing privileged, no capabilities,
// no privilege gain on exec, a read-only root with only a tmpfs /tmp writable, an init process) and
// the log driver (awslogs, non-blocking with a bounded buffer, so a slow CloudWatch never stalls a
// container's writes).
import type { ContainerDefinition } from "@aws-sdk/client-ecs";

/** Bounded buffer of the non-blocking awslogs mode: lines beyond it are dropped, not waited for. */
const LOG_MAX_BUFFER_SIZE = "4m";

/**
 * The writable /tmp. `exec` is always stated, never left to defaults: Docker mounts a HostConfig
 * tmpfs `noexec,nosuid,nodev` and then applies the given options over them, the last word per flag
 * winning (moby/moby@b985e2313a86 daemon/oci_linux.go:525,530; vendor/github.com/moby/sys/mount/
 * flags_unix.go:21-22,74), and the ECS agent hands Docker the HostConfig as ECS sent it, tmpfs
 * included (aws/amazon-ecs-agent@8dfceca6cf38 agent/api/task/task.go:2087, dockerHostConfig).
 * Left unsaid, /tmp is noexec on ECS and locally alike; stated, both do what the line says.
 */
export interface TmpfsChoice {
  readonly sizeMiB: number;
  /** true: programs built in /tmp may run there (a coding workspace's builds and tests). */
  readonly exec: boolean;
}

export function lockedDown(tmpfs: TmpfsChoice): Pick<ContainerDefinition, "privileged" | "readonlyRootFilesystem" | "dockerSecurityOptions" | "linuxParameters"> {
  return {
    privileged: false,
    readonlyRootFilesystem: true,
    // ECS accepts only no-new-privileges/apparmor/label/credentialspec here; the seccomp
    // profile is the hosts' Docker daemon default (daemon.json).
    dockerSecurityOptions: ["no-new-privileges"],
    linuxParameters: {
      capabilities: { drop: ["ALL"], add: [] },
      initProcessEnabled: true,
      tmpfs: [{ containerPath: "/tmp", size: tmpfs.sizeMiB, mountOptions: ["nosuid", "nodev", tmpfs.exec ? "exec" : "noexec"] }],
    },
  };
}

export function awslogs(s: { readonly logGroup: string; readonly region: string }, streamPrefix: string): ContainerDefinition["logConfiguration"] {
  return {
    logDriver: "awslogs",
    options: {
      "awslogs-group": s.logGroup,
      "awslogs-region": s.region,
      "awslogs-stream-prefix": streamPrefix,
      mode: "non-blocking",
      "max-buffer-size": LOG_MAX_BUFFER_SIZE,
    },
  };
}
