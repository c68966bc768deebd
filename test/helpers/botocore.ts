// AWS's own API models as an outside judge: botocore (Debian's python3-botocore, see scripts/ci.sh, or moto's) ships
// every service's model (metadata.endpointPrefix, signingName, operations) and the partitions'
// endpoint table (endpoints.json). From them, which host an IAM action's API call goes to in a
// region, without a table of this project's.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";

/** Pythons that may have botocore: $PYTHON, python3 on PATH, pyenv's shim (a non-login shell may lack it on PATH). */
function candidates(): string[] {
  return [process.env.PYTHON, "python3", path.join(os.homedir(), ".pyenv", "shims", "python3")].filter((p): p is string => Boolean(p));
}

let dataDir: string | null | undefined;

/** botocore's data directory, or null when no Python here imports botocore. */
export function botocoreDataDir(): string | null {
  if (dataDir !== undefined) return dataDir;
  dataDir = null;
  for (const python of candidates()) {
    const r = spawnSync(python, ["-c", "import botocore, os; print(os.path.dirname(botocore.__file__))"], { encoding: "utf8" });
    const dir = r.status === 0 ? path.join(r.stdout.trim(), "data") : "";
    if (dir && fs.existsSync(path.join(dir, "endpoints.json"))) {
      dataDir = dir;
      break;
    }
  }
  return dataDir;
}

/** Skips the suite loudly when botocore is missing; fails instead under CI=true, where scripts/ci.sh installs it. */
export function requireBotocore(ctx: Mocha.Context): string {
  const dir = botocoreDataDir();
  if (dir) return dir;
  const message = `no Python here imports botocore (tried ${candidates().join(", ")}); scripts/ci.sh installs python3-botocore`;
  if (process.env.CI === "true") throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  ctx.skip();
}

interface ServiceModel {
  readonly directory: string;
  readonly endpointPrefix: string;
  readonly signingName: string;
  readonly operations: ReadonlySet<string>;
}

const models = new Map<string, ServiceModel | null>();

function readModel(dir: string, directory: string): ServiceModel | null {
  if (models.has(directory)) return models.get(directory) as ServiceModel | null;
  const base = path.join(dir, directory);
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v)).sort() : [];
  const latest = versions.at(-1);
  let model: ServiceModel | null = null;
  if (latest) {
    const file = ["service-2.json.gz", "service-2.json"].map((f) => path.join(base, latest, f)).find((f) => fs.existsSync(f));
    if (file) {
      const raw = fs.readFileSync(file);
      const json = JSON.parse((file.endsWith(".gz") ? zlib.gunzipSync(raw) : raw).toString("utf8"));
      const endpointPrefix = String(json.metadata.endpointPrefix);
      model = { directory, endpointPrefix, signingName: String(json.metadata.signingName ?? endpointPrefix), operations: new Set(Object.keys(json.operations)) };
    }
  }
  models.set(directory, model);
  return model;
}

/**
 * The botocore model that defines an IAM action's operation: the service whose directory, signing
 * name or endpoint prefix is the action's prefix and that has an operation of the action's name.
 * Undefined when no model has it (the ECS agent's and SSM agent's private APIs, for instance).
 */
export function modelForAction(dir: string, action: string): ServiceModel | undefined {
  const [prefix, name] = action.split(":");
  const direct = readModel(dir, prefix);
  if (direct) return direct.operations.has(name) ? direct : undefined;
  // IAM prefixes that name no model directory ("tag" is resourcegroupstaggingapi): look them all up.
  for (const directory of fs.readdirSync(dir)) {
    if (!fs.statSync(path.join(dir, directory)).isDirectory()) continue;
    const model = readModel(dir, directory);
    if (model && (model.signingName === prefix || model.endpointPrefix === prefix) && model.operations.has(name)) return model;
  }
  return undefined;
}

/** The host botocore sends a service's calls to in a region (endpoints.json, partition "aws"). */
export function hostFor(dir: string, endpointPrefix: string, region: string): string {
  const table = JSON.parse(fs.readFileSync(path.join(dir, "endpoints.json"), "utf8"));
  const partition = table.partitions.find((p: { partition: string }) => p.partition === "aws");
  const service = partition.services[endpointPrefix];
  const pattern: string = service?.endpoints?.[region]?.hostname ?? service?.defaults?.hostname ?? partition.defaults.hostname;
  return pattern.replace("{service}", endpointPrefix).replace("{region}", region).replace("{dnsSuffix}", partition.dnsSuffix);
}
