import { expect } from "chai";
import { STACK_OUTPUT_DOCS } from "../stackOutputs";
import { stackOutputs as opsFixture } from "./ops/helpers/outputs";
import { buildStack, STACKS } from "./helpers/stacks";

// The outputs are the contract between the program and the ops tool: the program must export every
// documented output, and the ops tests' fixture must have the shape the program really exports.
for (const stack of STACKS) {
  describe(`stack outputs (${stack})`, () => {
    it("exports exactly the documented outputs", async () => {
      const g = await buildStack(stack);
      expect(Object.keys(g.outputs).sort()).to.deep.equal(Object.keys(STACK_OUTPUT_DOCS).sort());
    });

    it("matches the ops tests' fixture in names and value shapes", async () => {
      const g = await buildStack(stack);
      const fixture = opsFixture(stack) as unknown as Record<string, unknown>;
      const shape = (v: unknown): string =>
        Array.isArray(v) ? "array" : v !== null && typeof v === "object" ? `object(${Object.keys(v).sort().join(",")})` : typeof v;
      for (const [name, value] of Object.entries(g.outputs)) {
        if (name === "fisTemplateIds") continue; // drill names differ per stack; both are string maps
        expect(shape(fixture[name]), name).to.equal(shape(value));
      }
    });
  });
}
