// `npm run plan -- --stack staging [--json]`: the offline plan of a stack, no AWS account needed.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ConfigError } from "../config";
import { PLAN_SECTIONS, PROJECT_DIR, planJson, planStack, planText } from "../offline/plan";
import { StackFileError } from "../offline/stackFiles";

async function main(): Promise<number> {
  const args = await yargs(hideBin(process.argv))
    .scriptName("plan")
    .usage("$0 --stack NAME [--json]\n\nRuns the Pulumi program for a stack on the offline engine (mocks, no AWS) and prints what `pulumi up` would build.")
    .option("stack", { type: "string", default: "staging", describe: "stack to plan: reads Pulumi.<stack>.yaml" })
    .option("json", { type: "boolean", default: false, describe: "print one JSON object: { stack, resources, outputs }" })
    .option("project-dir", { type: "string", default: PROJECT_DIR, describe: "directory holding Pulumi.yaml and the stack files" })
    .strict()
    .help()
    .parseAsync();

  try {
    const graph = await planStack(args.stack, args.projectDir);
    const sections = PLAN_SECTIONS.map((build) => build(graph));
    // Wait until stdout has taken all of it: process.exit() would cut a piped plan short (> 64 KiB).
    const text = `${args.json ? JSON.stringify(planJson(graph, sections), null, 2) : planText(graph, sections)}\n`;
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
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
