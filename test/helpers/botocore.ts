// AWS's own API models and endpoint rules, from botocore, as a judge from outside the project:
// shapes, enums and required members (service-2.json) and the hostname each service's endpoint
// rules give for a region. botocore comes with pyenv's Python on these machines (Debian's
// python3-botocore is the fallback scripts/ci.sh installs). Without it the tests skip loudly,
// except in CI (CI=true), where a missing judge is a failure. Nothing here touches the network.
import type { Context } from "mocha";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";

export interface Botocore {
  readonly python: string;
  readonly version: string;
  /** botocore's data directory: <service>/<api version>/service-2.json.gz. */
  readonly dataDir: string;
}

/** Pythons to try, in order: an explicit choice, PATH, pyenv's shims, Debian's. */
function candidates(): string[] {
  return [process.env.BOTOCORE_PYTHON, "python3", path.join(os.homedir(), ".pyenv", "shims", "python3"), "/usr/bin/python3"]
    .filter((p): p is string => Boolean(p));
}

let found: Botocore | null | undefined;

export function findBotocore(): Botocore | undefined {
  if (found !== undefined) return found ?? undefined;
  found = null;
  for (const python of candidates()) {
    const r = spawnSync(python, ["-c", "import botocore, json, os; print(json.dumps([botocore.__version__, os.path.join(os.path.dirname(botocore.__file__), 'data')]))"], {
      encoding: "utf8",
      timeout: 30_000,
      env: hermeticEnv(),
    });
    if (r.status !== 0) continue;
    const [version, dataDir] = JSON.parse(r.stdout.trim()) as [string, string];
    found = { python, version, dataDir };
    break;
  }
  return found ?? undefined;
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
 * The hostname botocore's endpoint rules give each service in `region` (standard endpoint: no
 * FIPS, no dual-stack), keyed by botocore service name. Runs no request.
 */
export function endpointHosts(b: Botocore, region: string, services: readonly string[]): Record<string, string> {
  const script = [
    "import json, sys, botocore.session",
    "s = botocore.session.get_session()",
    "out = {}",
    "for svc in json.loads(sys.argv[2]):",
    "    c = s.create_client(svc, region_name=sys.argv[1], aws_access_key_id='x', aws_secret_access_key='x')",
    "    out[svc] = c.meta.endpoint_url.split('://', 1)[1].rstrip('/')",
    "print(json.dumps(out))",
  ].join("\n");
  const r = spawnSync(b.python, ["-c", script, region, JSON.stringify(services)], { encoding: "utf8", timeout: 60_000, env: hermeticEnv() });
  if (r.status !== 0) throw new Error(`botocore endpoint resolution failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}
