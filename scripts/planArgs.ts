// The plan command's options, parsed apart from running it (so tests can check them in-process).
import yargs from "yargs";
import { PROJECT } from "../config";
import { PROJECT_DIR } from "../offline/plan";

const FORMATS = ["text", "json", "html"] as const;
type PlanFormat = (typeof FORMATS)[number];

interface PlanArgs {
  readonly stack: string;
  readonly format: PlanFormat;
  readonly out?: string;
  readonly projectDir: string;
  /** --set KEY=VALUE: config over the stack file's, by fully qualified key. */
  readonly set: Readonly<Record<string, string>>;
}

/** "workspaceMaxSize=1429" → ["remote-claude:workspaceMaxSize", "1429"]; a key with a namespace stays as it is. */
function parseSet(item: string, project: string): [string, string] {
  const at = item.indexOf("=");
  if (at <= 0) throw new Error(`--set takes KEY=VALUE (a list as JSON, e.g. 'workspaceSubnetCidrs=["10.0.0.0/19","10.0.32.0/19"]'), got ${JSON.stringify(item)}`);
  const key = item.slice(0, at);
  return [key.includes(":") ? key : `${project}:${key}`, item.slice(at + 1)];
}

/** Parses the command line; with `inProcess`, errors reject instead of printing usage and exiting. */
export async function parsePlanArgs(argv: readonly string[], inProcess = false): Promise<PlanArgs> {
  const parser = yargs([...argv]);
  if (inProcess) {
    parser.exitProcess(false).fail((message, error) => {
      throw error ?? new Error(message);
    });
  }
  const args = await parser
    .scriptName("plan")
    .usage("$0 --stack NAME [--format text|json|html] [--out FILE]\n\nRuns the Pulumi program for a stack on the offline engine (mocks, no AWS) and prints what `pulumi up` would build, its security posture and its monthly cost.")
    .option("stack", { type: "string", default: "staging", describe: "stack to plan: reads Pulumi.<stack>.yaml" })
    .option("format", { choices: FORMATS, describe: "text for people, json for tools ({ stack, resources, outputs, sections }), html for a self-contained page [default: text]" })
    .option("json", { type: "boolean", default: false, describe: "same as --format json" })
    .option("out", { type: "string", describe: "write to this file instead of stdout" })
    .option("project-dir", { type: "string", default: PROJECT_DIR, describe: "directory holding Pulumi.yaml and the stack files" })
    .option("set", { type: "string", array: true, default: [], describe: "KEY=VALUE: plan with this config value over the stack file's (repeatable; nothing is written), e.g. --set workspaceMaxSize=1429" })
    .check((a) => {
      if (a.json && a.format !== undefined && a.format !== "json") throw new Error(`--json and --format ${a.format} contradict each other`);
      for (const item of a.set) parseSet(String(item), PROJECT);
      return true;
    })
    .strict()
    .help()
    .parseAsync();
  return {
    stack: args.stack,
    format: args.format ?? (args.json ? "json" : "text"),
    out: args.out,
    projectDir: args.projectDir,
    set: Object.fromEntries(args.set.map((item) => parseSet(String(item), PROJECT))),
  };
}
