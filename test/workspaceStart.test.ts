// How the workspace task starts, judged against AWS's ECS model (botocore) and the ECS agent's
// source: the agent starts once the credential proxy has started (dependsOn START) and waits for
// the proxy's answer itself; HEALTHY still means both containers answer; the health checks are
// within what ECS accepts, and ECS has no start interval to pass. Both stacks register exactly
// these containers (test/workspace.test.ts). That the agent's first request never precedes the
// proxy's answer is judged on a real engine (test/docker/credentialProxyWait.test.ts).
import { expect } from "chai";
import type { Context } from "mocha";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONTAINERS } from "../lib/names";
import { AGENT_STARTUP_WAIT_SECONDS, HEALTH_CHECK, CREDENTIAL_PROXY_URL_ENV, workspaceContainers } from "../lib/workspaceContainers";
import { docText, requireBotocore, serviceModel } from "./helpers/botocore";
import { lineProblems, uncitedLines } from "./helpers/upstreamCitations";

const CITING = fs.readFileSync(path.join(__dirname, "..", "lib", "workspaceContainers.ts"), "utf8");
const AGENT = {
  repo: "aws/amazon-ecs-agent",
  commit: "8dfceca6cf380a83c3007349317566f2862f0673",
  citations: [
    // START: the dependent container starts once the dependency is in its steady state (running).
    { file: "agent/engine/dependencygraph/graph.go", line: 437, says: "case startCondition:" },
    { file: "agent/engine/dependencygraph/graph.go", line: 452, says: "return dependsOnContainer.IsKnownSteadyState()" },
    // Health comes from Docker's own health_status events.
    { file: "agent/dockerclient/dockerapi/docker_client.go", line: 1114, says: `case "health_status: healthy":` },
  ],
} as const;

const SETTINGS = {
  agentImage: "agent:1", credentialProxyImage: "proxy:1", agentCpu: 384, agentMemoryMiB: 2048, tmpfsMiB: 512,
  credentialProxySecretArn: "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:x", logGroup: "/x", region: "ap-northeast-1",
};

/** "You may specify between 5 and 300 seconds" (or "You can specify between …") → [5, 300]. */
function range(documentation: string): [number, number] {
  const m = /specify between (\d+) and (\d+)/.exec(docText(documentation));
  if (!m) throw new Error(`no range in: ${docText(documentation)}`);
  return [Number(m[1]), Number(m[2])];
}

describe("the workspace task's start: the agent and the credential proxy start together", () => {
  const [credentialProxy, agent] = workspaceContainers(SETTINGS);

  it("rests on AWS's ECS model: START waits for the dependency to start, and a health check has no start interval", function (this: Context) {
    const model = serviceModel(requireBotocore(this), "ecs");
    expect(model.shapes.ContainerCondition.enum).to.include.members(["START", "HEALTHY"]);
    const condition = docText(model.shapes.ContainerDependency.members.condition.documentation);
    expect(condition).to.include("START - This condition emulates the behavior of links and volumes today. It validates that a dependent container is started before permitting other containers to start.");
    const health = model.shapes.HealthCheck;
    // What ECS can pass to Docker: no startInterval, so the engine's default applies (5 s from Docker 25 on).
    expect(Object.keys(health.members).sort()).to.deep.equal(["command", "interval", "retries", "startPeriod", "timeout"]);
    // The task is HEALTHY only when every essential container with a health check is.
    expect(docText(health.documentation)).to.include("HEALTHY -All essential containers within the task have passed their health checks.");
  });

  it("health-checks both containers within ECS's ranges, and does not count failures while the agent may still wait", function (this: Context) {
    const members = serviceModel(requireBotocore(this), "ecs").shapes.HealthCheck.members;
    for (const c of [credentialProxy, agent]) {
      expect(c.essential, c.name).to.equal(true);
      const h = c.healthCheck!;
      for (const field of ["interval", "timeout", "retries", "startPeriod"] as const) {
        const [min, max] = range(members[field].documentation);
        expect(h[field], `${c.name} ${field}`).to.be.within(min, max);
      }
      expect(h).to.deep.include(HEALTH_CHECK);
      expect(h.startPeriod, c.name).to.be.at.least(AGENT_STARTUP_WAIT_SECONDS);
    }
  });

  it("starts the agent once the credential proxy has started, and tells it where the credential proxy is and how long to wait", () => {
    expect(agent.dependsOn).to.deep.equal([{ containerName: CONTAINERS.credentialProxy, condition: "START" }]);
    const env = Object.fromEntries((agent.environment ?? []).map((e) => [e.name, e.value]));
    expect(env[CREDENTIAL_PROXY_URL_ENV]).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.AGENT_STARTUP_WAIT_SECONDS).to.equal(String(AGENT_STARTUP_WAIT_SECONDS));
  });

  it("cites the ECS agent's lines at a pinned commit", () => {
    expect(CITING).to.include(`${AGENT.repo} ${AGENT.commit.slice(0, 12)}`);
    expect(uncitedLines(CITING, "lib/workspaceContainers.ts", AGENT.citations)).to.deep.equal([]);
  });

  it(`says what ${AGENT.repo} says at ${AGENT.commit.slice(0, 12)} (ECS_AGENT_GIT_DIR)`, function (this: Context) {
    const gitDir = process.env.ECS_AGENT_GIT_DIR;
    if (!gitDir) {
      console.warn(`\n    !!! SKIPPED (${AGENT.repo} is the judge): set ECS_AGENT_GIT_DIR to a clone of github.com/${AGENT.repo} to read the cited lines\n`);
      this.skip();
    }
    expect(lineProblems(gitDir, AGENT.commit, AGENT.citations)).to.deep.equal([]);
    // The agent sets no start interval of its own: only its vendored Docker client names the field.
    const grep = spawnSync("git", ["--git-dir", gitDir, "grep", "-l", "StartInterval", AGENT.commit, "--", "agent", ":!agent/vendor"], { encoding: "utf8" });
    expect(grep.stdout.trim(), "the agent's own source names StartInterval").to.equal("");
  });
});
