// The two pieces of @pulumi/pulumi's runtime the offline engine needs that are not public API.
// Both exist in the pinned version (3.248.0); the Automation API uses them the same way.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const state = require("@pulumi/pulumi/runtime/state") as { withLocalStorage<T>(fn: () => Promise<T>): Promise<T> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Runs `fn` with its own runtime state (settings, config, stack), so runs never leak into each other. */
export function runIsolated<T>(fn: () => Promise<T>): Promise<T> {
  return state.withLocalStorage(fn);
}

/** Waits until every resource registration and output registration has completed. */
export function waitForRegistrations(): Promise<void> {
  return settings.waitForRPCs();
}
