import { expect } from "chai";
import { estimateCost } from "../offline/cost/estimate";
import { COST_RULES, UNPRICED_TYPES } from "../offline/cost/rules";
import { costAssumptions } from "../config/cost";
import { buildStack, STACKS } from "./helpers/stacks";

// Every custom resource type of both stacks (and of the optional features they leave off) must be
// priced by a rule or listed as free / counted elsewhere / not estimated. A branch that adds a
// resource type fails here until its cost is decided: the lead sees it at merge.
const VARIANTS = [
  ...STACKS.map((stack) => ({ stack, overrides: {} })),
  { stack: "staging" as const, overrides: { alarmEmail: "ops@example.com", credentialProxySecret: "x", amiId: "ami-0123456789abcdef0" } },
];

describe("cost coverage of the resource types", () => {
  it("prices every resource type of both stacks or says why it has no line", async () => {
    const types = new Set<string>();
    for (const v of VARIANTS) for (const r of (await buildStack(v.stack, v.overrides)).customResources) types.add(r.type);
    const undecided = [...types].filter((t) => !COST_RULES[t] && !UNPRICED_TYPES[t]).sort();
    expect(undecided, `resource types with no cost decision: add a price (offline/cost/prices.ts) and a rule (COST_RULES), or an UNPRICED_TYPES entry with the reason, in offline/cost/rules.ts:\n  ${undecided.join("\n  ")}`).to.deep.equal([]);
  });

  it("decides each type once, with a reason for every unpriced one", () => {
    const both = Object.keys(COST_RULES).filter((t) => UNPRICED_TYPES[t]);
    expect(both).to.deep.equal([]);
    for (const [type, u] of Object.entries(UNPRICED_TYPES)) expect(u.reason, type).to.have.length.greaterThan(5);
  });

  for (const stack of STACKS) {
    it(`leaves nothing of ${stack} unpriced and finds every price it needs`, async () => {
      const e = estimateCost(await buildStack(stack), costAssumptions());
      expect(e.refused).to.equal(undefined);
      expect(e.unpricedTypes).to.deep.equal([]);
      expect(e.missingPrices).to.deep.equal([]);
      const sum = e.lines.reduce((s, l) => s + l.monthly.min, 0);
      expect(e.total.min).to.be.closeTo(sum, 1e-9);
      // Every category the issue names is there.
      for (const category of ["EC2", "EBS", "NAT gateway", "Load balancing", "RDS", "ElastiCache", "VPC endpoints", "CloudWatch Logs", "DNS Firewall", "FIS", "Secrets Manager", "KMS", "CloudWatch"]) {
        expect(e.byCategory.map((c) => c.category), category).to.include(category);
      }
    });
  }
});
