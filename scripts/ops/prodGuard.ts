// Nothing that changes, stops or loads something in a production stack runs without
// --confirm-prod. A dry run changes nothing and needs no confirmation.
import { isProdStack } from "../../lib/names";
import { UsageError } from "./errors";

interface GuardArgs {
  readonly confirmProd: boolean;
  readonly dryRun: boolean;
}

export function assertMayChange(stack: string, args: GuardArgs, action: string): void {
  if (args.dryRun || !isProdStack(stack)) return;
  if (!args.confirmProd) {
    throw new UsageError(`stack "${stack}" is production: ${action}; rerun with --confirm-prod (or --dry-run to see the plan)`);
  }
}
