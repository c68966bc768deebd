import { expect } from "chai";
import { contains, isPrivateRange, mustParseCidr, nthAddress, overlaps, parseCidr, subnetAt } from "../lib/cidr";
import { planSubnets } from "../lib/subnetLayout";

describe("CIDR arithmetic", () => {
  it("parses canonical CIDRs and explains bad ones", () => {
    expect(parseCidr("10.1.0.0/16")).to.deep.equal({ text: "10.1.0.0/16", network: 0x0a010000, prefix: 16 });
    expect(parseCidr("10.1.0.0")).to.match(/not an IPv4 CIDR/);
    expect(parseCidr("10.256.0.0/16")).to.match(/octet above 255/);
    expect(parseCidr("10.1.0.0/40")).to.match(/prefix length above 32/);
    expect(parseCidr("10.1.2.3/16")).to.match(/network address is 10\.1\.0\.0\/16/);
  });

  it("knows containment, overlap, private ranges and offsets", () => {
    const vpc = mustParseCidr("10.0.0.0/16");
    expect(contains(vpc, mustParseCidr("10.0.255.0/24"))).to.equal(true);
    expect(contains(vpc, mustParseCidr("10.1.0.0/24"))).to.equal(false);
    expect(overlaps(mustParseCidr("10.0.0.0/19"), mustParseCidr("10.0.16.0/20"))).to.equal(true);
    expect(overlaps(mustParseCidr("10.0.0.0/19"), mustParseCidr("10.0.32.0/19"))).to.equal(false);
    expect(isPrivateRange(mustParseCidr("172.20.0.0/16"))).to.equal(true);
    expect(isPrivateRange(mustParseCidr("0.0.0.0/0"))).to.equal(false);
    expect(isPrivateRange(mustParseCidr("100.64.0.0/16"))).to.equal(false);
    expect(nthAddress(vpc, 2)).to.equal("10.0.0.2");
    expect(subnetAt(vpc, 24, 255).text).to.equal("10.0.255.0/24");
    expect(() => subnetAt(vpc, 24, 256)).to.throw(/holds only 256 blocks/);
  });

  it("carves private /19s, public and isolated /24s and workspace /20s from a /16", () => {
    expect(planSubnets("10.20.0.0/16", 3, { public: [], private: [], isolated: [] })).to.deep.equal({
      private: ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"],
      public: ["10.20.128.0/24", "10.20.129.0/24", "10.20.130.0/24"],
      isolated: ["10.20.144.0/24", "10.20.145.0/24", "10.20.146.0/24"],
      workspace: ["10.20.160.0/20", "10.20.176.0/20", "10.20.192.0/20"],
    });
  });

  it("carves four AZs of every tier from the smallest VPC without overlaps", () => {
    const layout = planSubnets("10.20.0.0/18", 4, { public: [], private: [], isolated: [] });
    const all = [...layout.private, ...layout.public, ...layout.isolated, ...layout.workspace].map(mustParseCidr);
    const vpc = mustParseCidr("10.20.0.0/18");
    for (const [i, a] of all.entries()) {
      expect(contains(vpc, a), a.text).to.equal(true);
      for (const b of all.slice(i + 1)) expect(overlaps(a, b), `${a.text} / ${b.text}`).to.equal(false);
    }
    expect(layout.workspace).to.deep.equal(["10.20.40.0/22", "10.20.44.0/22", "10.20.48.0/22", "10.20.52.0/22"]);
  });

  it("keeps listed tiers and carves the rest", () => {
    const layout = planSubnets("10.20.0.0/18", 2, { public: ["10.20.60.0/24", "10.20.61.0/24"], private: [], isolated: [] });
    expect(layout.public).to.deep.equal(["10.20.60.0/24", "10.20.61.0/24"]);
    expect(layout.private).to.deep.equal(["10.20.0.0/21", "10.20.8.0/21"]);
    expect(layout.isolated).to.deep.equal(["10.20.36.0/26", "10.20.36.64/26"]);
  });
});
