// `npm run plan -- --stack staging [--format text|json|html] [--out FILE]`: the offline plan of a
// stack, no AWS account needed. `--json` is short for `--format json`.
import * as fs from "node:fs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ConfigError } from "../config";
import { PLAN_SECTIONS, PROJECT_DIR, planConfig, planJson, planStack, planText } from "../offline/plan";
import { StackFileError } from "../offline/stackFiles";
import { renderPlanHtml } from "../offline/html/page";

const FORMATS = ["text", "json", "html"] as const;

async function main(): Promise<number> {
  const args = await yargs(hideBin(process.argv))
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
  const format = args.format ?? (args.json ? "json" : "text");

  try {
    const graph = await planStack(args.stack, args.projectDir);
    const config = planConfig(args.stack, args.projectDir);
    const sections = format === "html" ? [] : PLAN_SECTIONS.map((build) => build(graph, config));
    const body = format === "html"
      ? renderPlanHtml({ graph, config })
      : `${format === "json" ? JSON.stringify(planJson(graph, sections), null, 2) : planText(graph, sections)}\n`;
    if (args.out) {
      fs.writeFileSync(args.out, body);
      console.error(`wrote the ${format} plan of stack ${args.stack} to ${args.out}`);
      return 0;
    }
    // Wait until stdout has taken all of it: process.exit() would cut a piped plan short (> 64 KiB).
    await new Promise<void>((resolve, reject) => process.stdout.write(body, (err) => (err ? reject(err) : resolve())));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StackFileError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(2);
});
