// The captured resource graph of one stack run, and the queries tests and the plan make on it.

export interface ResourceOptions {
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  /** Explicit dependsOn, as "type::name" ids (implicit input dependencies are left out). */
  readonly dependsOn: readonly string[];
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
  readonly additionalSecretOutputs: readonly string[];
  readonly aliases: readonly string[];
  readonly customTimeouts?: { readonly create?: string; readonly update?: string; readonly delete?: string };
  readonly provider?: string;
  readonly deletedWith?: string;
}

export interface CapturedResource {
  readonly urn: string;
  /** "type::name": unique within a stack, and how other entries refer to this one. */
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** The parent's id ("type::name"), absent for the stack itself. */
  readonly parent?: string;
  /** Inputs as the program passed them, secrets unwrapped (see secretPaths). */
  readonly inputs: Readonly<Record<string, any>>;
  /** Dotted paths of inputs that were Pulumi secrets, e.g. "secretString" or "environment.0.value". */
  readonly secretPaths: readonly string[];
  readonly options: ResourceOptions;
  /** Input property → ids of the resources its value depends on (as the engine and CrossGuard see them). */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** What the mock returned: the physical id and output properties. */
  readonly physicalId?: string;
  readonly state: Readonly<Record<string, any>>;
}

/** A type token, or a resource class such as aws.ec2.Vpc (whose token the SDK keeps on the class). */
type TypeRef = string | (abstract new (...args: any[]) => unknown);

export function typeToken(ref: TypeRef): string {
  if (typeof ref === "string") return ref;
  const token = (ref as unknown as { __pulumiType?: string }).__pulumiType;
  if (!token) throw new Error(`${ref.name} is not a Pulumi resource class`);
  return token;
}

export class StackGraph {
  private readonly byId = new Map<string, CapturedResource>();

  constructor(
    readonly stack: string,
    readonly project: string,
    readonly resources: readonly CapturedResource[],
    readonly outputs: Readonly<Record<string, any>>,
  ) {
    for (const r of resources) this.byId.set(r.id, r);
  }

  /** Every resource of a type. */
  ofType(ref: TypeRef): CapturedResource[] {
    const token = typeToken(ref);
    return this.resources.filter((r) => r.type === token);
  }

  /** The one resource of a type (with this logical name, if given); throws when not exactly one. */
  one(ref: TypeRef, name?: string): CapturedResource {
    const found = this.ofType(ref).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
      const names = this.ofType(ref).map((r) => r.name).join(", ") || "none";
      throw new Error(`expected one ${typeToken(ref)}${name ? ` named ${name}` : ""}, found ${found.length} (have: ${names})`);
    }
    return found[0];
  }

  get(id: string): CapturedResource | undefined {
    return this.byId.get(id);
  }

  /** The resource whose physical id (as the mock returned it) is `physicalId`. */
  byPhysicalId(physicalId: string): CapturedResource | undefined {
    return this.resources.find((r) => r.physicalId === physicalId);
  }

  /** The resource whose ARN output is `arn`. */
  byArn(arn: string): CapturedResource | undefined {
    return this.resources.find((r) => r.state.arn === arn);
  }

  children(parent: CapturedResource): CapturedResource[] {
    return this.resources.filter((r) => r.parent === parent.id);
  }

  /** All resources under `ancestor`, at any depth. */
  descendants(ancestor: CapturedResource): CapturedResource[] {
    return this.resources.filter((r) => this.ancestors(r).some((a) => a.id === ancestor.id));
  }

  ancestors(resource: CapturedResource): CapturedResource[] {
    const chain: CapturedResource[] = [];
    let parent = resource.parent ? this.byId.get(resource.parent) : undefined;
    while (parent) {
      chain.push(parent);
      parent = parent.parent ? this.byId.get(parent.parent) : undefined;
    }
    return chain;
  }

  /** The top-level component a resource belongs to (the stack's direct child), or itself. */
  component(resource: CapturedResource): CapturedResource | undefined {
    const chain = [resource, ...this.ancestors(resource)];
    return chain.find((r) => r.parent !== undefined && this.byId.get(r.parent)?.type === "pulumi:pulumi:Stack");
  }

  /** Custom (cloud) resources only: what `pulumi up` would create. */
  get customResources(): CapturedResource[] {
    return this.resources.filter((r) => r.custom);
  }
}
