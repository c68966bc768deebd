// `npm run plan -- --stack staging [--format text|json|html] [--out FILE] [--set KEY=VALUE ...]`:
// the offline plan of a stack, no AWS account needed. `--json` is short for `--format json`;
// `--set` plans a "what if" config over the stack file's without writing it.
// First: it must be in place before anything requires @pulumi/pulumi.
import "./deferredModules";
import * as fs from "node:fs";
import { hideBin } from "yargs/helpers";
import { ConfigError } from "../config";
import { PLAN_SECTIONS, planConfig, planJson, planStack, planText } from "../offline/plan";
import { StackFileError } from "../offline/stackFiles";
import { renderPlanHtml } from "../offline/html/page";
import { parsePlanArgs } from "./planArgs";

async function main(): Promise<number> {
  const args = await parsePlanArgs(hideBin(process.argv));
  const format = args.format;

  try {
    const config = planConfig(args.stack, args.projectDir, args.set);
    const graph = await planStack(args.stack, args.projectDir, args.set);
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
