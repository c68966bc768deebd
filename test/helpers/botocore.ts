// AWS's own API models and endpoint rules, from botocore, as a judge from outside the project:
// shapes, enums and required members (service-2.json), which service defines an IAM action's
// operation (metadata.endpointPrefix, signingName) and the hostname a service's calls go to in a
// region, without a table of this project's. botocore comes with pyenv's Python on these machines (Debian's
// python3-botocore is the fallback scripts/ci.sh installs). Without it the tests skip loudly,
// except in CI (CI=true), where a missing judge is a failure. Nothing here touches the network.
import type { Context } from "mocha";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { MOTO_VENV } from "./moto";

export interface Botocore {
  readonly python: string;
  readonly version: string;
  /** botocore's data directory: <service>/<api version>/service-2.json.gz. */
  readonly dataDir: string;
}

/** Pythons to try: an explicit choice, PATH, pyenv's shims, Debian's, and the virtualenv scripts/ci.sh gives moto (which brings botocore). */
function candidates(): string[] {
  return [process.env.BOTOCORE_PYTHON, "python3", path.join(os.homedir(), ".pyenv", "shims", "python3"), "/usr/bin/python3", path.join(MOTO_VENV, "bin", "python3")]
    .filter((p): p is string => Boolean(p));
}

/**
 * Where a Python's botocore is and which version, read from the package's own files without
 * importing it (an import costs a second of CPU per candidate), and the interpreter itself, so
 * later runs skip a launcher such as pyenv's shim.
 */
const PROBE = [
  "import importlib.util, json, os, re, sys",
  "spec = importlib.util.find_spec('botocore')",
  "if spec is None or not spec.origin: sys.exit(1)",
  "home = os.path.dirname(spec.origin)",
  "version = re.search(r\"^__version__ = ['\\\"]([^'\\\"]+)\", open(spec.origin).read(), re.M).group(1)",
  "print(json.dumps([sys.executable, version, os.path.join(home, 'data')]))",
].join("\n");

let found: Botocore | null | undefined;

function findBotocore(): Botocore | undefined {
  if (found !== undefined) return found ?? undefined;
  found = null;
  // The newest botocore wins: Debian's python3-botocore (1.29) predates shapes the tests read.
  for (const python of candidates()) {
    const r = spawnSync(python, ["-c", PROBE], { encoding: "utf8", timeout: 30_000, env: hermeticEnv() });
    if (r.status !== 0) continue;
    const [executable, version, dataDir] = JSON.parse(r.stdout.trim()) as [string, string, string];
    if (!found || compareVersions(version, found.version) > 0) found = { python: executable, version, dataDir };
  }
  return found ?? undefined;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Skips the test (loudly) or, in CI, fails it, when no Python here imports botocore. */
export function requireBotocore(ctx: Context): Botocore {
  const b = findBotocore();
  if (b) return b;
  const reason = `no Python with botocore (tried ${candidates().join(", ")}): AWS's API models are the judge of these tests`;
  if (process.env.CI === "true") throw new Error(reason);
  console.warn(`\n    !!! SKIPPED (botocore judge): ${reason}\n`);
  ctx.skip();
}

const models = new Map<string, any>();

/** botocore's service-2 model of `service`, newest API version. */
export function serviceModel(b: Botocore, service: string): any {
  const cached = models.get(service);
  if (cached) return cached;
  const dir = path.join(b.dataDir, service);
  const version = fs.readdirSync(dir).filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v)).sort().at(-1);
  if (!version) throw new Error(`botocore ${b.version} has no API version of ${service} in ${dir}`);
  const file = path.join(dir, version, "service-2.json");
  const text = fs.existsSync(`${file}.gz`) ? zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).toString("utf8") : fs.readFileSync(file, "utf8");
  const model = JSON.parse(text);
  models.set(service, model);
  return model;
}

/** A shape's documentation as plain text (botocore documents in HTML). */
export function docText(html: string | undefined): string {
  return (html ?? "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
}

/**
 * The environment of the judge's Python: no AWS_* variable and no AWS config or credentials file
 * (an AWS_ENDPOINT_URL another test set, or a profile's endpoint_url, would answer instead of the
 * endpoint rules).
 */
function hermeticEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  return { ...env, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" };
}

/**
 * The hostname botocore's endpoint rules give each service in each region (standard endpoint: no
 * FIPS, no dual-stack): region → botocore service name → host. One Python process for every
 * region, so botocore loads each service's model and rules once. Runs no request.
 */
export function endpointHosts(b: Botocore, servicesByRegion: Readonly<Record<string, readonly string[]>>): Record<string, Record<string, string>> {
  const script = [
    "import json, sys, botocore.session",
    "s = botocore.session.get_session()",
    "out = {}",
    "for region, services in json.loads(sys.argv[1]).items():",
    "    out[region] = {}",
    "    for svc in services:",
    "        c = s.create_client(svc, region_name=region, aws_access_key_id='x', aws_secret_access_key='x')",
    "        out[region][svc] = c.meta.endpoint_url.split('://', 1)[1].rstrip('/')",
    "print(json.dumps(out))",
  ].join("\n");
  const r = spawnSync(b.python, ["-c", script, JSON.stringify(servicesByRegion)], { encoding: "utf8", timeout: 120_000, env: hermeticEnv() });
  if (r.status !== 0) throw new Error(`botocore endpoint resolution failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

interface ActionModel {
  readonly endpointPrefix: string;
  readonly signingName: string;
  readonly operations: ReadonlySet<string>;
}

function actionModel(b: Botocore, directory: string): ActionModel | undefined {
  if (!fs.existsSync(path.join(b.dataDir, directory))) return undefined;
  let model: any;
  try {
    model = serviceModel(b, directory);
  } catch {
    return undefined;
  }
  const endpointPrefix = String(model.metadata.endpointPrefix);
  return { endpointPrefix, signingName: String(model.metadata.signingName ?? endpointPrefix), operations: new Set(Object.keys(model.operations)) };
}

/**
 * The botocore model that defines an IAM action's operation: the service whose directory, signing
 * name or endpoint prefix is the action's prefix and that has an operation of the action's name.
 * Undefined when no model has it (the ECS agent's and SSM agent's private APIs, for instance).
 */
export function modelForAction(b: Botocore, action: string): ActionModel | undefined {
  const [prefix, name] = action.split(":");
  const direct = actionModel(b, prefix);
  if (direct) return direct.operations.has(name) ? direct : undefined;
  // IAM prefixes that name no model directory ("tag" is resourcegroupstaggingapi): look them all up.
  for (const directory of fs.readdirSync(b.dataDir)) {
    if (!fs.statSync(path.join(b.dataDir, directory)).isDirectory()) continue;
    const model = actionModel(b, directory);
    if (model && (model.signingName === prefix || model.endpointPrefix === prefix) && model.operations.has(name)) return model;
  }
  return undefined;
}

/** The host botocore sends a service's calls to in a region (endpoints.json, partition "aws"). */
export function hostFor(b: Botocore, endpointPrefix: string, region: string): string {
  const table = JSON.parse(fs.readFileSync(path.join(b.dataDir, "endpoints.json"), "utf8"));
  const partition = table.partitions.find((p: { partition: string }) => p.partition === "aws");
  const service = partition.services[endpointPrefix];
  const pattern: string = service?.endpoints?.[region]?.hostname ?? service?.defaults?.hostname ?? partition.defaults.hostname;
  return pattern.replace("{service}", endpointPrefix).replace("{region}", region).replace("{dnsSuffix}", partition.dnsSuffix);
}
