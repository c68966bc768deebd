// The offline engine: runs the real program for a stack under Pulumi's mocks and returns the whole
// resource graph (type, name, inputs, parent, options) and the stack outputs. The plan command and
// the tests both use it; no AWS account, Pulumi CLI or provider plugin is involved.
import * as pulumi from "@pulumi/pulumi";
import { type CapturedResource, type ResourceOptions, StackGraph } from "./graph";
import { createMocks, MOCK_ACCOUNT_ID } from "./mocks";
import { runIsolated, waitForRegistrations } from "./pulumiInternals";

interface OfflineRun {
  readonly project: string;
  readonly stack: string;
  /** Config as the Pulumi CLI passes it: fully qualified keys to strings. */
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys?: readonly string[];
  /** The program; defaults to the project's index.ts export. */
  readonly program?: () => Promise<Record<string, unknown> | undefined>;
  readonly accountId?: string;
  /** Called as each resource registers, before the program finishes (also when it then fails). */
  readonly onRegister?: (type: string, name: string) => void;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): unknown;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getAliasurnsList(): string[];
  getAliasesList(): AliasMessage[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getProvider(): string;
  getDeletedwith(): string;
}

/** An alias as the SDK sends it to a monitor that takes alias specs (the mock monitor does). */
interface AliasMessage {
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getStack(): string; getProject(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
}

interface MockMonitorLike {
  registerResource(req: RegisterRequest, callback: (err: unknown, resp: unknown) => void): Promise<void>;
  getRegisteredResources(): Map<string, { urn: string; id: string | null; state: Record<string, any> }>;
}

/** "urn:pulumi:stack::project::parent$type::name" → "type::name". */
export function urnToId(urn: string): string {
  const parts = urn.split("::");
  const type = parts[2].split("$").pop() as string;
  return `${type}::${parts.slice(3).join("::")}`;
}

function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Unwraps secret envelopes, recording where they were. */
function unwrapSecrets(value: unknown, path: string, secretPaths: string[]): any {
  if (isSecret(value)) {
    secretPaths.push(path);
    return unwrapSecrets(value.value, path, []);
  }
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, path ? `${path}.${i}` : String(i), secretPaths));
  if (pulumi.Resource.isInstance(value)) return "<resource reference>";
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, secretPaths)]),
    );
  }
  return value;
}

/** Input property → ids ("type::name") of the resources its value came from (what CrossGuard sees too). */
function capturePropertyDependencies(req: RegisterRequest): Record<string, string[]> {
  const deps: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((value, key) => {
    const urns = value.getUrnsList();
    if (urns.length > 0) deps[key] = urns.map(urnToId);
  });
  return deps;
}

/**
 * The URN each alias stands for, as the Pulumi engine resolves it: a spec's unset parts are the
 * resource's own, and a child's type is qualified by its parent's ("parent$type"), the root stack
 * left out (the SDK's createUrn in @pulumi/pulumi resource.js). The mock monitor's URNs keep the
 * root stack in a component's type; real state does not, so neither does an alias here.
 */
function aliasUrns(req: RegisterRequest): string[] {
  const [, stack, project] = /^urn:pulumi:([^:]*)::([^:]*)::/.exec(req.getParent()) ?? [];
  return [...req.getAliasurnsList(), ...req.getAliasesList().map((alias) => {
    const spec = alias.getSpec();
    if (!spec) return alias.getUrn();
    const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
    const parentChain = parent.split("::")[2]?.replace(/^pulumi:pulumi:Stack\$?/, "") ?? "";
    const type = `${parentChain ? `${parentChain}$` : ""}${spec.getType() || req.getType()}`;
    return `urn:pulumi:${spec.getStack() || stack}::${spec.getProject() || project}::${type}::${spec.getName() || req.getName()}`;
  })];
}

function captureOptions(req: RegisterRequest): ResourceOptions {
  const implicit = new Set<string>();
  req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((u) => implicit.add(u)));
  const timeouts = req.getCustomtimeouts();
  return {
    protect: req.getProtect() ?? false,
    retainOnDelete: req.getRetainondelete() ?? false,
    deleteBeforeReplace: req.getDeletebeforereplace(),
    dependsOn: req.getDependenciesList().filter((u) => !implicit.has(u)).map(urnToId),
    ignoreChanges: req.getIgnorechangesList(),
    replaceOnChanges: req.getReplaceonchangesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    aliases: aliasUrns(req),
    customTimeouts: timeouts
      ? { create: timeouts.getCreate() || undefined, update: timeouts.getUpdate() || undefined, delete: timeouts.getDelete() || undefined }
      : undefined,
    provider: req.getProvider() || undefined,
    deletedWith: req.getDeletedwith() ? urnToId(req.getDeletedwith()) : undefined,
  };
}

function defaultProgram(): () => Promise<Record<string, unknown> | undefined> {
  // Required lazily: the program must load after the mocks are in place.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../index") as () => Promise<Record<string, unknown>>;
}

/** Runs a stack offline and returns its graph; rejects with the program's own error (e.g. ConfigError). */
export async function runOffline(run: OfflineRun): Promise<StackGraph> {
  const region = run.config["aws:region"] ?? "us-east-1";
  const mocks = createMocks({ region, accountId: run.accountId ?? MOCK_ACCOUNT_ID, stack: run.stack });
  const program = run.program ?? defaultProgram();

  return runIsolated(async () => {
    await pulumi.runtime.setMocks(mocks, run.project, run.stack, false);
    pulumi.runtime.setAllConfig({ ...run.config }, [...(run.secretKeys ?? [])]);

    const monitor = (pulumi.runtime.getMonitor() as unknown) as MockMonitorLike;
    const pending: {
      urn?: string;
      req: RegisterRequest;
      inputs: Record<string, any>;
      secretPaths: string[];
      options: ResourceOptions;
      propertyDependencies: Record<string, string[]>;
    }[] = [];
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      run.onRegister?.(req.getType(), req.getName());
      const secretPaths: string[] = [];
      const raw = pulumi.runtime.deserializeProperties(req.getObject() as never);
      const entry = {
        req,
        inputs: unwrapSecrets(raw, "", secretPaths) as Record<string, any>,
        secretPaths,
        options: captureOptions(req),
        propertyDependencies: capturePropertyDependencies(req),
      } as (typeof pending)[number];
      pending.push(entry);
      return register(req, (err, resp) => {
        if (!err) entry.urn = (resp as { getUrn(): string }).getUrn();
        callback(err, resp);
      });
    };

    const outputs = (await pulumi.runtime.runInPulumiStack(program)) ?? {};
    await waitForRegistrations();

    const registered = monitor.getRegisteredResources();
    const resources: CapturedResource[] = pending
      .filter((p) => p.urn !== undefined)
      .map((p) => {
        const urn = p.urn as string;
        const record = registered.get(urn);
        const stateSecrets: string[] = [];
        return {
          urn,
          id: urnToId(urn),
          type: p.req.getType(),
          name: p.req.getName(),
          custom: p.req.getCustom(),
          parent: p.req.getParent() ? urnToId(p.req.getParent()) : undefined,
          inputs: p.inputs,
          secretPaths: p.secretPaths,
          options: p.options,
          propertyDependencies: p.propertyDependencies,
          physicalId: record?.id ?? undefined,
          state: record ? unwrapSecrets(deserializeState(record.state), "", stateSecrets) : {},
        };
      });
    assertUniqueIds(resources);
    return new StackGraph(run.stack, run.project, resources, unwrapSecrets(outputs, "", []));
  });
}

/** Custom resources keep serialized state; components keep the protobuf struct of registerOutputs. */
function deserializeState(state: unknown): Record<string, any> {
  if (state && typeof (state as { toJavaScript?: unknown }).toJavaScript === "function") {
    return pulumi.runtime.deserializeProperties(state as never);
  }
  return pulumi.runtime.deserializeProperty(state) as Record<string, any>;
}

/** The engine does not detect duplicate URNs, so the graph does. */
function assertUniqueIds(resources: readonly CapturedResource[]) {
  const seen = new Set<string>();
  for (const r of resources) {
    if (seen.has(r.urn)) throw new Error(`duplicate resource URN ${r.urn}: two resources share a type and name`);
    seen.add(r.urn);
  }
}
