import { validateWorkflow } from "@action-validator/core";
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";

const file = path.resolve(__dirname, "../.github/workflows/deploy.yml");
const source = fs.readFileSync(file, "utf8");
const workflow = parse(source);
const jobs = workflow.jobs as Record<string, any>;

const runs = (job: any): string => (job.steps ?? []).map((s: any) => s.run ?? "").join("\n");
const uses = (job: any): string[] => (job.steps ?? []).map((s: any) => s.uses).filter(Boolean);

describe("deploy workflow (.github/workflows/deploy.yml)", () => {
  it("validates against GitHub's workflow schema (@action-validator/core)", () => {
    expect(validateWorkflow(source).errors).to.deep.equal([]);
  });

  it("the validator rejects a broken copy (so the check above can fail)", () => {
    const broken = parse(source);
    delete broken.jobs.test["runs-on"];
    broken.jobs.preview.needz = "test";
    expect(validateWorkflow(stringify(broken)).errors).to.not.deep.equal([]);
  });

  it("runs on pull requests to main and pushes to main", () => {
    expect(workflow.on.pull_request.branches).to.deep.equal(["main"]);
    expect(workflow.on.push.branches).to.deep.equal(["main"]);
    expect(workflow.permissions).to.deep.equal({ contents: "read" });
  });

  it("tests with the README's test command on Debian", () => {
    expect(jobs.test.container.image).to.match(/^debian:/);
    expect(runs(jobs.test)).to.include("npm run test:ci");
  });

  it("previews staging and prod with the policy pack on pull requests, after the tests, with OIDC credentials", () => {
    const p = jobs.preview;
    expect(p.needs).to.equal("test");
    expect(p.if).to.include("github.event_name == 'pull_request'");
    expect(p.strategy.matrix.stack).to.deep.equal(["staging", "prod"]);
    expect(p.permissions["id-token"]).to.equal("write");
    expect(runs(p)).to.include("pulumi preview --stack ${{ matrix.stack }} --policy-pack policy");
    expect(runs(p)).to.include("npm ci --no-audit --no-fund --prefix policy");
    const creds = p.steps.find((s: any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"));
    expect(creds.with["role-to-assume"]).to.match(/vars\.AWS_PREVIEW_ROLE_ARN_PROD/).and.match(/vars\.AWS_PREVIEW_ROLE_ARN_STAGING/);
    expect(creds.with).to.not.have.any.keys("aws-access-key-id", "aws-secret-access-key");
  });

  it("builds images on main, then deploys staging, then prod behind the production environment", () => {
    for (const name of ["images", "deploy-staging", "deploy-prod"]) expect(jobs[name], name).to.not.equal(undefined);
    expect(jobs.images.if).to.include("github.ref == 'refs/heads/main'");
    expect(jobs.images.needs).to.equal("test");
    expect(runs(jobs.images)).to.include("docker buildx build --platform linux/amd64 --push");
    expect(jobs["deploy-staging"].needs).to.equal("images");
    expect(jobs["deploy-staging"].environment).to.equal("staging");
    expect(runs(jobs["deploy-staging"])).to.include("pulumi config set --stack staging \"$key\" \"$TAG\"");
    expect(runs(jobs["deploy-staging"])).to.include("pulumi up --stack staging --policy-pack policy --yes");
    expect(jobs["deploy-prod"].needs).to.deep.equal(["images", "deploy-staging"]);
    expect(jobs["deploy-prod"].environment).to.equal("production");
    expect(runs(jobs["deploy-prod"])).to.include("pulumi up --stack prod --policy-pack policy --yes");
    // No job but deploy-prod touches prod with write access.
    for (const [name, job] of Object.entries(jobs)) {
      if (name !== "deploy-prod") expect(runs(job), name).to.not.match(/pulumi up --stack prod|remote-claude-prod\//);
    }
  });

  it("never lets two deploys of a stack overlap, and never cancels one half way", () => {
    for (const [name, group] of [["deploy-staging", "deploy-staging"], ["deploy-prod", "deploy-prod"]]) {
      expect(jobs[name].concurrency, name).to.deep.equal({ group, "cancel-in-progress": false });
    }
    expect(workflow.concurrency["cancel-in-progress"]).to.equal("${{ github.event_name == 'pull_request' }}");
  });

  it("pins every action to a major version and logs in to the Pulumi backend before using it", () => {
    for (const [name, job] of Object.entries(jobs)) {
      for (const u of uses(job)) expect(u, `${name}: ${u}`).to.match(/^[\w.-]+\/[\w.-]+@v\d+$/);
      if (runs(job).includes("pulumi ")) {
        const steps = job.steps.map((s: any) => s.run ?? s.uses ?? "");
        expect(steps.findIndex((s: string) => s.startsWith("pulumi login")), name).to.be.lessThan(steps.findIndex((s: string) => /pulumi (preview|up|config)/.test(s)));
        expect(uses(job), name).to.include("pulumi/actions@v6");
      }
    }
    expect(workflow.env.PULUMI_ACCESS_TOKEN).to.equal("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });
});
