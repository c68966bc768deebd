import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { configSchema } from "../config";
import { renderConfigTable, renderProjectFile } from "../config/docs";
import { ECS_AGENT_MIN_VERSION_FOR_PIDS_LIMIT } from "../lib/taskLimits";
import { projectWithStack } from "./helpers/projectDir";
import { MASKED_SECRET, projectDefaults, readStackFiles } from "../offline/stackFiles";

const root = path.resolve(__dirname, "..");

describe("config documentation", () => {
  it("Pulumi.yaml is what config.ts generates (run `npm run gen:config` after changing the schema)", () => {
    expect(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")).to.equal(renderProjectFile());
  });

  it("declares every key that has a default, with its type, and nothing else", () => {
    const declared = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")).config;
    for (const [key, spec] of Object.entries(configSchema)) {
      if (spec.default === undefined) {
        expect(declared[key], key).to.equal(undefined);
      } else {
        expect(declared[key].type, key).to.equal(spec.type);
        expect(declared[key].default, key).to.deep.equal(spec.default);
        expect(declared[key].description, key).to.be.a("string").and.not.equal("");
      }
    }
  });

  it("says what a pinned amiId must carry: the ECS agent that reads ECS_TASK_PIDS_LIMIT (config, README, docs/hardening.md)", () => {
    const needs = `ECS agent ${ECS_AGENT_MIN_VERSION_FOR_PIDS_LIMIT} or later`;
    expect(configSchema.amiId.description).to.include(needs).and.include("ECS_TASK_PIDS_LIMIT");
    expect(renderConfigTable().split("\n").find((l) => l.startsWith("| `remote-claude:amiId`"))).to.include(needs);
    const hardening = fs.readFileSync(path.join(root, "docs/hardening.md"), "utf8");
    expect(hardening).to.match(new RegExp(`pinned \`amiId\`[^.]*${needs.replace(/\./g, "\\.")}`));
  });

  it("the README's config reference is the generated table", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    expect(readme).to.include(renderConfigTable());
    for (const key of Object.keys(configSchema)) expect(readme).to.include(`\`remote-claude:${key}\``);
  });

  it("reads stack files as the CLI hands config to programs: defaults, strings, JSON lists, masked secrets", () => {
    const dir = projectWithStack("demo", [
      "aws:region: eu-west-1",
      "remote-claude:azCount: 3",
      "remote-claude:albIngressCidrs: [203.0.113.0/24]",
      "remote-claude:credentialProxySecret:",
      "  secure: v1:AAAABBBBCCCC",
    ]);
    const files = readStackFiles(dir, "demo");
    expect(files.config["aws:region"]).to.equal("eu-west-1");
    expect(files.config["remote-claude:azCount"]).to.equal("3");
    expect(files.config["remote-claude:albIngressCidrs"]).to.equal('["203.0.113.0/24"]');
    expect(files.config["remote-claude:credentialProxySecret"]).to.equal(MASKED_SECRET);
    expect(files.secretKeys).to.deep.equal(["remote-claude:credentialProxySecret"]);
    expect(files.config["remote-claude:natGateways"]).to.equal(projectDefaults(dir).defaults["remote-claude:natGateways"]);
    expect(() => readStackFiles(dir, "nope")).to.throw(/no stack "nope".*stacks here: demo/);
  });
});
