// Modules the plan process loads only if it touches them. Libraries the program imports load large
// trees it never uses offline: @pulumi/pulumi's function serializer (the TypeScript compiler and
// npm's Arborist, for closures the program does not have), awsx's classic v1 library (AWS SDK
// clients), and the Lambda handler's SDK clients (the plan reads only the handler's environment
// names). Together they are about a third of a plan's start. Each request below gets a stand-in
// that loads the real module on its first property read, so a plan that does use one still gets it.
// Imported first by scripts/plan.ts, before anything requires @pulumi/pulumi.
import Module from "node:module";
import * as path from "node:path";

interface DeferredModule {
  /** The request as the requiring file writes it. */
  readonly request: string;
  /** Which requiring files: a path fragment with "/" separators. */
  readonly from: string;
  /**
   * What the stand-in answers for `__esModule` without loading the module: the real module's own
   * value, except where a TypeScript `import * as` wrapper would enumerate (and so load) it at once.
   */
  readonly esModule: boolean;
}

const PROJECT_DIR = path.resolve(__dirname, "..").split(path.sep).join("/");

export const DEFERRED_MODULES: readonly DeferredModule[] = [
  // Pulumi's closure serializer: used only when a program serializes a JavaScript function.
  { request: "typescript", from: "/node_modules/@pulumi/pulumi/typescript-shim.js", esModule: false },
  // Read through `__importStar` for `.Arborist`; the real module has no __esModule but the same property.
  { request: "@npmcli/arborist", from: "/node_modules/@pulumi/pulumi/runtime/closure/codePaths.js", esModule: true },
  // awsx's v1 library, reachable only as `awsx.classic`.
  { request: "./classic", from: "/node_modules/@pulumi/awsx/index.js", esModule: true },
  // The handler's clients run in Lambda; the program imports the handler for its environment names.
  { request: "@aws-sdk/client-ec2", from: `${PROJECT_DIR}/lambda/`, esModule: false },
  { request: "@aws-sdk/client-cloudwatch", from: `${PROJECT_DIR}/lambda/`, esModule: false },
];

type Load = (request: string, parent: NodeJS.Module | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Load };

/** A stand-in for a module: every read loads the real one (once) and reads from it. */
function standIn(load: () => object, esModule: boolean): object {
  return new Proxy({}, {
    get: (_, key) => (key === "__esModule" ? esModule : Reflect.get(load(), key)),
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

function install(): void {
  const load = loader._load;
  loader._load = function deferringLoad(request, parent, isMain) {
    const from = parent?.filename?.split(path.sep).join("/");
    const deferred = from && DEFERRED_MODULES.find((d) => d.request === request && from.includes(d.from));
    if (!deferred) return load.call(this, request, parent, isMain);
    let real: object | undefined;
    return standIn(() => (real ??= load.call(this, request, parent, false) as object), deferred.esModule);
  };
}

install();
