// The one module that renders the host hardening assets (host/files/) into what AWS consumes:
// the bundle (every asset, gzip+base64, unpacked by a few lines of bash), the Image Builder
// component document that installs it into the AMI, and each pool's user data, which installs
// the same bundle (a no-op on the baked AMI), checks it is in force and writes ecs.config. The
// bundle's seccomp.json is the rendering of the stack's ptrace choice (config seccompPtrace).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { stringify } from "yaml";
import { type Pool, POOL_ATTRIBUTE } from "../lib/names";
import { TASK_PIDS_LIMIT } from "../lib/taskLimits";
import { type PtraceChoice, seccompProfileFile } from "./seccomp";

export const HOST_FILES_DIR = path.join(__dirname, "files");

/** Files of the bundle, in install order; install.sh knows the same names. */
export const BUNDLE_FILES = [
  "seccomp.json",
  "daemon.json",
  "imds-block.sh",
  "imds-block.rules",
  "imds-block6.rules",
  "remote-claude-imds-block.service",
  "install.sh",
] as const;
type BundleFile = (typeof BUNDLE_FILES)[number];

/** Where the assets land on a host (install.sh uses the same paths). */
export const HOST_PATHS = {
  seccompProfile: "/etc/docker/seccomp/remote-claude.json",
  daemonJson: "/etc/docker/daemon.json",
  imdsScript: "/usr/local/sbin/remote-claude-imds-block",
  imdsRulesDir: "/etc/remote-claude",
  imdsUnit: "/etc/systemd/system/remote-claude-imds-block.service",
  installer: "/usr/local/lib/remote-claude/install.sh",
  ecsConfig: "/etc/ecs/ecs.config",
} as const;

/** Launch template user data is limited to 16 KB before base64; Image Builder inline component data to 16,000 characters. */
export const USER_DATA_LIMIT = 16 * 1024;
export const COMPONENT_DATA_LIMIT = 16000;

export function hostFile(name: string): string {
  return fs.readFileSync(path.join(HOST_FILES_DIR, name), "utf8");
}

function fill(template: string, values: Readonly<Record<string, string>>): string {
  const out = template.replace(/@@([A-Z_]+)@@/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`no value for template placeholder @@${key}@@`);
    return values[key];
  });
  return out;
}

/** The file of host/files/ a bundle file comes from: seccomp.json is the ptrace choice's rendering. */
function bundleSource(name: BundleFile, ptrace: PtraceChoice): string {
  return name === "seccomp.json" ? seccompProfileFile(ptrace) : name;
}

/** The content of every bundle file for a stack's ptrace choice. */
function bundleFiles(ptrace: PtraceChoice): Record<BundleFile, string> {
  return Object.fromEntries(BUNDLE_FILES.map((name) => [name, hostFile(bundleSource(name, ptrace))])) as Record<BundleFile, string>;
}

/** Shell lines that write every bundle file into "$bundle_dir" (which the caller creates). */
function bundleScript(ptrace: PtraceChoice): string {
  const lines = ['unpack() { base64 -d | gzip -dc > "$bundle_dir/$1"; }'];
  for (const [name, text] of Object.entries(bundleFiles(ptrace))) {
    const packed = gzipSync(Buffer.from(text), { level: 9 }).toString("base64").replace(/.{1,76}/g, "$&\n");
    lines.push(`unpack ${name} <<'B64'`, packed.trimEnd(), "B64");
  }
  return lines.join("\n");
}

/** Content hash of the bundle: names the Image Builder component and recipe versions. */
export function bundleHash(ptrace: PtraceChoice): string {
  const h = createHash("sha256");
  for (const [name, text] of Object.entries(bundleFiles(ptrace))) h.update(name).update("\0").update(text).update("\0");
  return h.digest("hex").slice(0, 12);
}

export interface PoolHostSettings {
  readonly pool: Pool;
  readonly cluster: string;
  /** Spot capacity in the pool: the agent then drains an instance on its interruption notice. */
  readonly spot: boolean;
  readonly stopTimeoutSeconds: number;
  readonly reservedMemoryMiB: number;
  /** The stack's ptrace choice: which seccomp profile the bundle carries. */
  readonly seccompPtrace: PtraceChoice;
}

/** The pool's container instance attributes: placement constraints select on these. */
export function instanceAttributes(pool: Pool): Record<string, string> {
  return { [POOL_ATTRIBUTE]: pool };
}

export function ecsConfig(s: PoolHostSettings): string {
  return fill(hostFile("ecs.config.tmpl"), {
    POOL: s.pool,
    CLUSTER: s.cluster,
    INSTANCE_ATTRIBUTES: JSON.stringify(instanceAttributes(s.pool)),
    SPOT_DRAINING: String(s.spot),
    STOP_TIMEOUT: String(s.stopTimeoutSeconds),
    RESERVED_MEMORY: String(s.reservedMemoryMiB),
    TASK_PIDS_LIMIT: String(TASK_PIDS_LIMIT),
  }).trimEnd();
}

/** The launch template's user data for one pool (plain text; the launch template takes it base64). */
export function userData(s: PoolHostSettings): string {
  return fill(hostFile("user-data.sh.tmpl"), {
    POOL: s.pool,
    CLUSTER: s.cluster,
    BUNDLE: bundleScript(s.seccompPtrace),
    ECS_CONFIG: ecsConfig(s),
  });
}

/** Parses an ecs.config (KEY=value lines) as the agent reads it. */
export function parseEcsConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The ecs.config a rendered user data writes. */
export function ecsConfigOfUserData(script: string): Record<string, string> {
  const m = /cat > \/etc\/ecs\/ecs\.config <<'ECS_CONFIG'\n([\s\S]*?)\nECS_CONFIG\n/.exec(script);
  if (!m) throw new Error("user data writes no /etc/ecs/ecs.config");
  return parseEcsConfig(m[1]);
}

/** The AWSTOE document of the Image Builder component that bakes the bundle into the AMI. */
export function componentDocument(ptrace: PtraceChoice): string {
  const install = [
    "set -euo pipefail",
    'bundle_dir="$(mktemp -d)"',
    bundleScript(ptrace),
    'bash "$bundle_dir/install.sh" "$bundle_dir"',
    'rm -rf "$bundle_dir"',
  ].join("\n");
  const verify = `bash ${HOST_PATHS.installer} --verify`;
  const doc = {
    name: "remote-claude-host-hardening",
    description: "Docker seccomp profile as the daemon default, hardened daemon.json, IMDS blocking rules kept across reboots.",
    schemaVersion: 1.0,
    phases: [
      { name: "build", steps: [{ name: "InstallHardening", action: "ExecuteBash", inputs: { commands: [install] } }] },
      // validate runs on the build instance; test on a fresh instance booted from the new AMI,
      // which proves the rules come back after a reboot.
      { name: "validate", steps: [{ name: "VerifyHardening", action: "ExecuteBash", inputs: { commands: [verify] } }] },
      { name: "test", steps: [{ name: "VerifyAfterBoot", action: "ExecuteBash", inputs: { commands: [verify] } }] },
    ],
  };
  // AWSTOE documents write the schema version as 1.0.
  return stringify(doc, { lineWidth: 0 }).replace(/^schemaVersion: 1$/m, "schemaVersion: 1.0");
}
