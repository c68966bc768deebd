import { expect } from "chai";
import { ConfigError } from "../config";
import { imageRefProblem, parseCertificateArn } from "../config/services";
import { runOffline } from "../offline/engine";
import { STAGING_CERT } from "./helpers/services";
import { configErrorOf, stackConfig, stackConfigValues } from "./helpers/stacks";

const problem = (err: ConfigError, key: string) => {
  const found = err.problems.find((p) => p.key === `remote-claude:${key}`);
  if (!found) throw new Error(`no problem for ${key}: ${err.message}`);
  return found;
};

describe("services and data config", () => {
  it("reads the stack files' images, strategy and sizes", () => {
    const prod = stackConfig("prod");
    expect(prod.backendDeploymentStrategy).to.equal("blueGreen");
    expect([prod.backendMinCount, prod.backendDesiredCount, prod.backendMaxCount]).to.deep.equal([3, 3, 12]);
    expect(parseCertificateArn(prod.certificateArn!)).to.deep.equal({ region: "ap-northeast-1", accountId: "123456789012" });
    const staging = stackConfig("staging");
    expect(staging.backendDeploymentStrategy).to.equal("rolling");
    expect(staging.certificateArn).to.equal(undefined);
    expect(staging.backendImage).to.equal("1.0.0");
  });

  it("refuses production without a certificate, saying what to set", () => {
    const err = configErrorOf("prod", { certificateArn: undefined });
    expect(problem(err, "certificateArn").expected).to.match(/ACM certificate ARN: production serves HTTPS only/);
    expect(err.message).to.include("pulumi config set certificateArn <value> --stack prod");
  });

  it("refuses a certificate of another region, or something that is not an ACM ARN", () => {
    const other = STAGING_CERT.replace("ap-northeast-1", "us-east-1");
    expect(problem(configErrorOf("staging", { certificateArn: other }), "certificateArn").expected).to.match(/region ap-northeast-1.*this one is in us-east-1/);
    expect(problem(configErrorOf("staging", { certificateArn: "arn:aws:iam::123456789012:server-certificate/x" }), "certificateArn").expected).to.match(/not an ACM certificate ARN/);
  });

  it("refuses the prod stack file's placeholder certificate when deploying to a real account", async () => {
    const { config, secretKeys } = stackConfigValues("prod");
    let error: unknown;
    try {
      await runOffline({ project: "remote-claude", stack: "prod", config, secretKeys, accountId: "210987654321" });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const p = problem(error as ConfigError, "certificateArn");
    expect(p.expected).to.match(/account the stack deploys to \(210987654321\); this one belongs to 123456789012, the placeholder account of the stack file/);
  });

  it("accepts image tags and digests, refuses latest and junk, and requires every image", () => {
    expect(imageRefProblem("1.4.2")).to.equal(undefined);
    expect(imageRefProblem("git-3f2a9c1")).to.equal(undefined);
    expect(imageRefProblem(`sha256:${"f".repeat(64)}`)).to.equal(undefined);
    expect(imageRefProblem("latest")).to.match(/immutable/);
    expect(imageRefProblem("sha256:abc")).to.match(/not a digest/);
    expect(imageRefProblem("bad tag")).to.match(/not an image tag/);
    const err = configErrorOf("staging", { backendImage: undefined, workspaceImage: "latest" });
    expect(problem(err, "backendImage").value).to.equal("(unset)");
    expect(problem(err, "workspaceImage").expected).to.match(/immutable repository/);
  });

  it("checks build contexts: a directory with a Dockerfile, pushed under a tag (not a digest)", () => {
    expect(problem(configErrorOf("staging", { backendBuildContext: "no/such/dir" }), "backendBuildContext").expected).to.match(/is not a directory/);
    expect(problem(configErrorOf("staging", { backendBuildContext: "test" }), "backendBuildContext").expected).to.match(/has no Dockerfile/);
    const digest = configErrorOf("staging", { backendBuildContext: "test/fixtures/backend-image", backendImage: `sha256:${"a".repeat(64)}` });
    expect(problem(digest, "backendImage").expected).to.match(/a tag to push the image built from test\/fixtures\/backend-image/);
  });

  it("nests the backend's counts and keeps two tasks at least in production", () => {
    expect(problem(configErrorOf("staging", { backendMinCount: 7, backendMaxCount: 6 }), "backendMinCount").expected).to.equal("at most backendMaxCount (6)");
    expect(problem(configErrorOf("staging", { backendDesiredCount: 9 }), "backendDesiredCount").expected).to.equal("a count from backendMinCount (2) to backendMaxCount (6)");
    expect(problem(configErrorOf("prod", { backendMinCount: 1, backendDesiredCount: 1 }), "backendMinCount").expected).to.match(/at least 2 in production/);
  });

  it("checks the data stores' settings", () => {
    expect(problem(configErrorOf("staging", { dbMaxAllocatedStorageGiB: 50, dbAllocatedStorageGiB: 60 }), "dbMaxAllocatedStorageGiB").expected).to.equal("at least dbAllocatedStorageGiB (60)");
    expect(problem(configErrorOf("staging", { dbEngineVersion: "12" }), "dbEngineVersion").expected).to.match(/14 to 17/);
    expect(problem(configErrorOf("staging", { redisEngineVersion: "6.2" }), "redisEngineVersion").expected).to.match(/7\.0 or 7\.1/);
    expect(problem(configErrorOf("staging", { redisNodeType: "m5.large" }), "redisNodeType").expected).to.match(/not an ElastiCache node type/);
    expect(problem(configErrorOf("staging", { albIdleTimeoutSeconds: 5000 }), "albIdleTimeoutSeconds").expected).to.match(/60 to 4000/);
    expect(problem(configErrorOf("staging", { alarmEmail: "nobody" }), "alarmEmail").expected).to.match(/e-mail/);
  });
});
