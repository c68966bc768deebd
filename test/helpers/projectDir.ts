// A throwaway project directory: this project's Pulumi.yaml plus one stack file written by the test.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../offline/plan";

/** Creates the directory and returns it; `configLines` are the stack file's lines under `config:`. */
export function projectWithStack(stack: string, configLines: readonly string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rc-project-"));
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), ["config:", ...configLines.map((l) => `  ${l}`)].join("\n"));
  return dir;
}
