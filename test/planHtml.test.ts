import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { costAssumptions } from "../config/cost";
import { estimateCost } from "../offline/cost/estimate";
import { usdRange } from "../offline/cost/section";
import { componentBoxes, flowGraph } from "../offline/html/diagram";
import { renderPlanHtml } from "../offline/html/page";
import { postureRows } from "../offline/posture/posture";
import { CHROMIUM, runChromium } from "./helpers/chromium";
import { decodePng, distinctColours } from "./helpers/png";
import { buildStack, stackConfig } from "./helpers/stacks";

describe("plan as a picture (HTML)", function () {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-html-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("draws the flow diagram from the graph's security group rules and names each group's users", async () => {
    const { nodes, edges } = flowGraph(await buildStack("staging"));
    const ids = nodes.map((n) => n.id);
    for (const role of ["alb", "backend", "workspace", "backendHosts", "workspaceHosts", "endpoints", "database", "redis"]) expect(ids).to.include(`sg:${role}`);
    expect(ids).to.include.members(["in:0.0.0.0/0", "out:0.0.0.0/0", "pl:s3"]);
    expect(edges).to.deep.include({ from: "in:0.0.0.0/0", to: "sg:alb", ports: ["tcp/443", "tcp/80"] });
    expect(edges).to.deep.include({ from: "sg:backend", to: "sg:workspace", ports: ["tcp/9000"] });
    expect(nodes.find((n) => n.id === "sg:database")?.members).to.deep.equal(["rds.Instance remote-claude-staging-db"]);
    expect(nodes.find((n) => n.id === "sg:endpoints")?.members).to.deep.equal(["ec2.VpcEndpoint x13"]);
  });

  it("is self-contained: no external URL, script source, stylesheet or font", async () => {
    const html = renderPlanHtml({ graph: await buildStack("prod"), config: stackConfig("prod") });
    expect(html).to.not.match(/(src|href)=["']?(https?:|\/\/)/i);
    expect(html).to.not.match(/@import|url\(\s*['"]?https?:/i);
    expect(html.match(/<svg /g)).to.have.length(2);
  });

  it("renders in headless Chromium with the title, the cost total, the posture rows and the component boxes", async function () {
    if (!CHROMIUM) {
      console.warn("\n    SKIPPED: Debian's chromium is not installed here (scripts/ci.sh installs it); the HTML page was NOT rendered.");
      this.skip();
    }
    const graph = await buildStack("staging");
    const config = stackConfig("staging");
    const file = path.join(dir, "staging.html");
    fs.writeFileSync(file, renderPlanHtml({ graph, config }));
    const dom = runChromium(file, ["--dump-dom"]);
    expect(dom).to.include("<title>Plan of stack staging — remote-claude</title>");
    const total = usdRange(estimateCost(graph, costAssumptions(config)).total);
    expect(dom).to.include(`<td class="num" id="cost-total">${total}</td>`);
    expect(dom.match(/class="posture-row"/g)).to.have.length(postureRows(graph, config).length);
    for (const layer of ["IMDS", "seccomp", "ptrace", "Containers", "Processes", "Security groups", "DNS Firewall", "Egress mode", "Egress destinations", "Task roles", "Endpoint perimeter", "Encryption"]) expect(dom).to.include(`data-layer="${layer}"`);
    const components = componentBoxes(graph);
    for (const c of components) expect(dom).to.include(`data-component="${c.name}"`);
    // The page's own script counts the SVG boxes that have a size once the browser laid them out.
    const rendered = /data-rendered="components:(\d+) nodes:(\d+) flows:(\d+)"/.exec(dom);
    expect(rendered, "the page's layout mark").to.not.equal(null);
    const [, comp, nodes, flows] = (rendered as RegExpExecArray).map(Number);
    expect(comp).to.equal(components.length);
    expect(nodes).to.equal(flowGraph(graph).nodes.length);
    expect(flows).to.be.greaterThan(10);
  });

  it("makes a screenshot that is not blank", async function () {
    if (!CHROMIUM) {
      console.warn("\n    SKIPPED: Debian's chromium is not installed here; no screenshot was taken.");
      this.skip();
    }
    const file = path.join(dir, "prod.html");
    fs.writeFileSync(file, renderPlanHtml({ graph: await buildStack("prod"), config: stackConfig("prod") }));
    const shot = path.join(dir, "prod.png");
    runChromium(file, [`--screenshot=${shot}`, "--window-size=1280,1600"]);
    const pixels = decodePng(fs.readFileSync(shot));
    expect(pixels.width).to.equal(1280);
    expect(distinctColours(pixels)).to.be.greaterThan(50);
    // The same measure on an empty page, so the threshold means something.
    const blank = path.join(dir, "blank.html");
    fs.writeFileSync(blank, "<!doctype html><title>blank</title>");
    const blankShot = path.join(dir, "blank.png");
    runChromium(blank, [`--screenshot=${blankShot}`, "--window-size=1280,1600"]);
    expect(distinctColours(decodePng(fs.readFileSync(blankShot)))).to.be.lessThan(5);
  });
});
