// `ops drill <name>`: one subcommand per failure drill in drills/catalogue.ts; the drill's code and
// the shared choreography (runDrill) load only when it runs.
import { DRILLS } from "../drills/catalogue";
import { UsageError } from "../errors";
import { type OpsCommand, toDrillArgs } from "./options";

/** The drill names, as `ops --help` lists them. */
export const DRILL_NAMES = DRILLS.map((d) => d.name).join(", ");

/** One subcommand per drill (`ops drill` adds drillOptions). */
export function drillSubcommands(): OpsCommand[] {
  return DRILLS.map((entry) => ({
    command: entry.name === "fis" ? "fis <template>" : entry.name,
    describe: entry.describe,
    builder: (x) => (entry.name === "fis" ? x.positional("template", { type: "string", describe: "key of output fisTemplateIds (or the template id)" }) : x),
    handler: (a, { select }) => {
      const args = toDrillArgs(a);
      if (args.verifyRestore && entry.name !== "terminate-instance") throw new UsageError(`--verify-restore belongs to terminate-instance, not ${entry.name}`);
      select(`drill ${entry.name}`, async (ctx) => (await import("../drills/runDrill")).runDrill(ctx, await entry.load(), args));
    },
  }));
}
