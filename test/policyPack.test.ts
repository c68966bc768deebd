// The policy pack as the Pulumi CLI runs it: policy/index.ts started as its own process serves the
// analyzer gRPC protocol on the port it prints; this test plays the engine's part.
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import type { CapturedResource } from "../offline/graph";
import { allPolicies } from "../policy/policies";
import { buildStack } from "./helpers/stacks";
import { tsNodeArgs } from "./helpers/tsProcess";

// The same gRPC and protobuf libraries the pack's server uses, and Pulumi's analyzer protocol
// (generated CommonJS modules without typings worth importing).
/* eslint-disable @typescript-eslint/no-require-imports */
const fromPolicy = (id: string) => require(require.resolve(id, { paths: [path.dirname(require.resolve("@pulumi/policy"))] }));
const grpc = fromPolicy("@grpc/grpc-js");
const { Empty } = fromPolicy("google-protobuf/google/protobuf/empty_pb");
const { Struct } = fromPolicy("google-protobuf/google/protobuf/struct_pb");
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const messages = require("@pulumi/pulumi/proto/analyzer_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

interface Diagnostic {
  policy: string;
  enforcement: number;
  message: string;
}

describe("policy pack served over the analyzer protocol", function () {
  this.timeout(30_000);
  let child: ChildProcess;
  let client: any;

  before(async () => {
    child = spawn(process.execPath, tsNodeArgs("index.ts"), {
      cwd: path.resolve(__dirname, "../policy"),
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += String(d)));
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout?.once("data", (d) => resolve(String(d).trim()));
      child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    expect(port).to.match(/^\d+$/);
    const Client = grpc.makeGenericClientConstructor(services.AnalyzerService, "Analyzer");
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

  async function analyze(r: Pick<CapturedResource, "type" | "name" | "urn" | "inputs">, protect = false): Promise<Diagnostic[]> {
    const req = new messages.AnalyzeRequest();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(r.urn);
    req.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.inputs))));
    const options = new messages.AnalyzerResourceOptions();
    options.setProtect(protect);
    req.setOptions(options);
    const res: any = await call("analyze", req);
    return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), enforcement: d.getEnforcementlevel(), message: d.getMessage() }));
  }

  it("announces every policy, mandatory", async () => {
    const info: any = await call("getAnalyzerInfo", new Empty());
    expect(info.getName()).to.equal("remote-claude-security");
    const policies = info.getPoliciesList().map((p: any) => ({ name: p.getName(), level: p.getEnforcementlevel() }));
    expect(policies.map((p: any) => p.name)).to.deep.equal(allPolicies.map((p) => p.name));
    // EnforcementLevel.MANDATORY in Pulumi's analyzer protocol.
    expect(new Set(policies.map((p: any) => p.level))).to.deep.equal(new Set([messages.EnforcementLevel.MANDATORY]));
  });

  it("passes the real workspace task definition and RDS instance, and blocks broken ones", async () => {
    const g = await buildStack("prod");
    const workspace = g.ofType(aws.ecs.TaskDefinition).find((t) => t.inputs.family === "remote-claude-prod-workspace")!;
    expect(await analyze(workspace)).to.deep.equal([]);
    const withRole = await analyze({ ...workspace, inputs: { ...workspace.inputs, taskRoleArn: "arn:aws:iam::123456789012:role/x" } });
    expect(withRole.map((d) => d.policy)).to.deep.equal(["workspace-task-no-task-role"]);
    expect(withRole[0].enforcement).to.equal(messages.EnforcementLevel.MANDATORY);

    const db = g.one(aws.rds.Instance);
    expect(await analyze(db, true)).to.deep.equal([]);
    // The engine's protect flag reaches the policy: unprotected production data is refused.
    expect((await analyze(db, false)).map((d) => d.policy)).to.deep.equal(["prod-data-multi-az-protected"]);
  });

  it("blocks a launch template without IMDSv2 hop limit 1, the ECS agent's IMDS block or a task process budget", async () => {
    const diagnostics = await analyze({
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      name: "hosts",
      urn: "urn:pulumi:staging::remote-claude::aws:ec2/launchTemplate:LaunchTemplate::hosts",
      inputs: { metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 2 } },
    });
    expect(diagnostics.map((d) => d.policy)).to.deep.equal([
      "launch-template-imdsv2-hop-limit-1",
      "launch-template-imdsv2-hop-limit-1",
      "launch-template-ecs-agent-hardening",
      "launch-template-task-pids-limit",
    ]);
    expect(diagnostics.map((d) => d.message).join("\n")).to.include('httpTokens must be "required"').and.include("httpPutResponseHopLimit must be 1, not 2");
  });
});
