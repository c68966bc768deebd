// Reads the host hardening a launch template really carries: its user data (base64 in the
// graph), the ecs.config it writes and the bundle files it unpacks (gzip+base64 heredocs, see
// host/render.ts). The posture and the capacity model read these rather than host/files/, so
// they describe what the planned stack would boot with.
import { gunzipSync } from "node:zlib";
import { ecsConfigOfUserData } from "../host/render";
import type { CapturedResource } from "./graph";

/** The user data of a launch template as plain text, or undefined when it has none. */
function launchTemplateUserData(lt: CapturedResource): string | undefined {
  const encoded = lt.inputs.userData;
  return typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** The bundle files a user data script unpacks: file name → content. */
export function bundleFilesOfUserData(script: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const m of script.matchAll(/^unpack (\S+) <<'B64'\n([\s\S]*?)\nB64$/gm)) {
    files[m[1]] = gunzipSync(Buffer.from(m[2].replace(/\s+/g, ""), "base64")).toString("utf8");
  }
  return files;
}

export interface HostHardening {
  readonly ecsConfig: Record<string, string>;
  readonly bundle: Record<string, string>;
}

/** ecs.config and bundle of a launch template; undefined when its user data writes none. */
export function hostHardening(lt: CapturedResource): HostHardening | undefined {
  const script = launchTemplateUserData(lt);
  if (!script) return undefined;
  try {
    return { ecsConfig: ecsConfigOfUserData(script), bundle: bundleFilesOfUserData(script) };
  } catch {
    return undefined;
  }
}
