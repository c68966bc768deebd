// The program's layers only look down (LAYERS in eslint.config.mjs): eslint itself judges a
// deliberate upward import in each layer as an error and the same file importing downward as clean.
// lintText with a filePath applies the config of that path without writing a file into the tree.
import { expect } from "chai";
import { ESLint } from "eslint";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** A file in `dir` importing `spec`: the layering rule's messages about it. */
async function layeringErrors(eslint: ESLint, file: string, spec: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from "${spec}";\nexport const y = x;\n`, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("layering: the program's layers only look down (eslint no-restricted-imports)", function () {
  this.timeout(120_000);
  const eslint = new ESLint({ cwd: ROOT });

  const upward: [string, string][] = [
    ["lib/layeringProbe.ts", "../components/kms"],
    ["lib/layeringProbe.ts", "../services/backend"],
    ["lib/layeringProbe.ts", "../config"],
    ["host/layeringProbe.ts", "../config/hosts"],
    ["config/layeringProbe.ts", "../services/backend"],
    ["stackOutputs.ts", "./components/workspaceStorage"],
    ["components/layeringProbe.ts", "../services/backend"],
    ["components/layeringProbe.ts", "../platform"],
    ["services/egressProxy/layeringProbe.ts", "../../platform"],
    ["platform.ts", "./offline/plan"],
    ["platform.ts", "./scripts/ops/outputs"],
  ];
  for (const [file, spec] of upward) {
    it(`${file} importing ${spec} is an error`, async () => {
      const errors = await layeringErrors(eslint, file, spec);
      expect(errors, `eslint found no layering error for ${file} → ${spec}`).to.have.length(1);
      expect(errors[0]).to.include("layers only look down");
    });
  }

  const downward: [string, string][] = [
    ["lib/layeringProbe.ts", "./names"],
    ["host/layeringProbe.ts", "../lib/names"],
    ["config/layeringProbe.ts", "./services"],
    ["config/layeringProbe.ts", "../host/seccomp"],
    ["components/layeringProbe.ts", "../lib/workloadIam"],
    ["services/egressProxy/layeringProbe.ts", "../taskResources"],
    ["platform.ts", "./services/backend"],
    ["offline/layeringProbe.ts", "../platform"],
  ];
  for (const [file, spec] of downward) {
    it(`${file} importing ${spec} is allowed`, async () => {
      expect(await layeringErrors(eslint, file, spec)).to.deep.equal([]);
    });
  }
});
