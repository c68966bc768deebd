// What every container of the platform shares: the lock-down (nothing privileged, no capabilities,
// no privilege gain on exec, a read-only root with only a tmpfs /tmp writable, an init process) and
// the log driver (awslogs, non-blocking with a bounded buffer, so a slow CloudWatch never stalls a
// container's writes).
import type { ContainerDefinition } from "@aws-sdk/client-ecs";

/** Bounded buffer of the non-blocking awslogs mode: lines beyond it are dropped, not waited for. */
export const LOG_MAX_BUFFER_SIZE = "4m";

export function lockedDown(tmpfs: { readonly sizeMiB: number; readonly noexec?: boolean }): Pick<ContainerDefinition, "privileged" | "readonlyRootFilesystem" | "dockerSecurityOptions" | "linuxParameters"> {
  return {
    privileged: false,
    readonlyRootFilesystem: true,
    // ECS accepts only no-new-privileges/apparmor/label/credentialspec here; the seccomp
    // profile is the hosts' Docker daemon default (daemon.json).
    dockerSecurityOptions: ["no-new-privileges"],
    linuxParameters: {
      capabilities: { drop: ["ALL"], add: [] },
      initProcessEnabled: true,
      tmpfs: [{ containerPath: "/tmp", size: tmpfs.sizeMiB, mountOptions: ["nosuid", "nodev", ...(tmpfs.noexec ? ["noexec"] : [])] }],
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
