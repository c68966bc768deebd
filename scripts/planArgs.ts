// The plan command's options, parsed apart from running it (so tests can check them in-process).
import yargs from "yargs";
import { PROJECT_DIR } from "../offline/plan";

export const FORMATS = ["text", "json", "html"] as const;
export type PlanFormat = (typeof FORMATS)[number];

export interface PlanArgs {
  readonly stack: string;
  readonly format: PlanFormat;
  readonly out?: string;
  readonly projectDir: string;
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
    .check((a) => {
      if (a.json && a.format !== undefined && a.format !== "json") throw new Error(`--json and --format ${a.format} contradict each other`);
      return true;
    })
    .strict()
    .help()
    .parseAsync();
  return { stack: args.stack, format: args.format ?? (args.json ? "json" : "text"), out: args.out, projectDir: args.projectDir };
}
