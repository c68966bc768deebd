// Flat config: the recommended TypeScript rules, without type information so lint stays fast, and
// the program's layers, which only look down (see LAYERS).
import tseslint from "typescript-eslint";

/**
 * The Pulumi program's layers, from the ground up: each may import the ones below it and none above.
 * lib/ holds the pure contracts (flow table, IAM statements, container definitions, alarm specs,
 * ports and names); host/ and lambda/ what goes onto the hosts and into the Lambda function;
 * config/ the validated stack config; components/ the infrastructure; services/ the workloads;
 * platform.ts composes them all. The tools above (offline/, policy/, probe/, scripts/, index.ts)
 * may import any of them. Each layer is the root-level files and folders it names.
 */
export const LAYERS = [
  { name: "lib", roots: ["lib"] },
  { name: "host", roots: ["host", "lambda"] },
  { name: "config", roots: ["config.ts", "config"] },
  { name: "stackOutputs", roots: ["stackOutputs.ts"] },
  { name: "components", roots: ["components"] },
  { name: "services", roots: ["services"] },
  { name: "platform", roots: ["platform.ts", "platform"] },
];
/** Everything above the program: no layer may import these. */
const TOOLS = ["index.ts", "offline", "policy", "probe", "scripts", "test"];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const stem = (root) => escape(root.replace(/\.ts$/, ""));

/**
 * One rule per layer and kind of file: a root-level file reaches the others with "./", a file in a
 * folder with "../" (as many as it is deep), so each pattern matches only a climb to the project root.
 */
const layerRules = LAYERS.flatMap((layer, i) => {
  const above = [...LAYERS.slice(i + 1).flatMap((l) => l.roots), ...TOOLS];
  const into = `(${[...new Set(above.map(stem))].join("|")})(\\.ts)?(/|$)`;
  const message = `${layer.name} is below ${above.join(", ")}: it may not import them (layers only look down; LAYERS in eslint.config.mjs)`;
  const rule = (files, climb) => ({
    files,
    rules: { "no-restricted-imports": ["error", { patterns: [{ regex: `^${climb}${into}`, message }] }] },
  });
  const files = layer.roots.filter((r) => r.endsWith(".ts"));
  const folders = layer.roots.filter((r) => !r.endsWith(".ts")).map((r) => `${r}/**/*.ts`);
  return [
    ...(files.length > 0 ? [rule(files, "\\./")] : []),
    ...(folders.length > 0 ? [rule(folders, "(\\.\\./)+")] : []),
  ];
});

export default tseslint.config(
  { ignores: ["node_modules/**", "policy/node_modules/**", "reports/**", ".tmp/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-restricted-properties": ["error",
        { object: "describe", property: "only", message: "focused tests hide the rest of the suite" },
        { object: "it", property: "only", message: "focused tests hide the rest of the suite" }],
    },
  },
  ...layerRules,
);
