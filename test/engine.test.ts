import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { runOffline, urnToId } from "../offline/engine";
import { maskSecrets } from "../offline/plan";
import { buildStack, STACKS } from "./helpers/stacks";

const REGION = { "aws:region": "eu-west-1" };

describe("offline engine", () => {
  it("captures type, name, parent, inputs, secrets, options and outputs", async () => {
    const g = await runOffline({
      project: "remote-claude",
      stack: "engine-test",
      config: REGION,
      program: async () => {
        const component = new pulumi.ComponentResource("test:index:Box", "box");
        const key = new aws.kms.Key("key", { description: "k" }, { parent: component, protect: true });
        const secret = new aws.secretsmanager.Secret("secret", { kmsKeyId: key.arn }, { parent: component });
        new aws.secretsmanager.SecretVersion("value", { secretId: secret.id, secretString: pulumi.secret("hunter2") }, {
          parent: component,
          ignoreChanges: ["secretString"],
          retainOnDelete: true,
          dependsOn: [key],
        });
        return { keyArn: key.arn, secretArn: secret.arn };
      },
    });
    const key = g.one(aws.kms.Key);
    const secret = g.one(aws.secretsmanager.Secret);
    const value = g.one(aws.secretsmanager.SecretVersion);
    const box = g.one("test:index:Box");

    expect(box.custom).to.equal(false);
    expect(box.parent).to.equal("pulumi:pulumi:Stack::remote-claude-engine-test");
    expect(key.parent).to.equal("test:index:Box::box");
    expect(g.children(box).map((r) => r.name).sort()).to.deep.equal(["key", "secret", "value"]);
    expect(g.component(value)?.id).to.equal(box.id);

    expect(key.options.protect).to.equal(true);
    expect(secret.options.protect).to.equal(false);
    expect(value.options.ignoreChanges).to.deep.equal(["secretString"]);
    expect(value.options.retainOnDelete).to.equal(true);
    // Explicit dependsOn only; the implicit dependency through secretId is not listed.
    expect(value.options.dependsOn).to.deep.equal(["aws:kms/key:Key::key"]);

    expect(secret.inputs.kmsKeyId).to.equal(key.state.arn);
    expect(value.inputs.secretString).to.equal("hunter2");
    expect(value.secretPaths).to.deep.equal(["secretString"]);
    expect(maskSecrets(value).secretString).to.equal("[secret]");
    expect(maskSecrets(value).secretId).to.equal(secret.physicalId);

    expect(key.state.arn).to.match(/^arn:aws:kms:eu-west-1:123456789012:key\/[0-9a-f-]{36}$/);
    expect(secret.physicalId).to.match(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:secret-[0-9a-f]{7}-[0-9a-f]{6}$/);
    expect(g.outputs).to.deep.equal({ keyArn: key.state.arn, secretArn: secret.state.arn });
  });

  it("gives deterministic ids, so two runs of a stack agree", async () => {
    const program = async () => ({ vpc: new aws.ec2.Vpc("v", { cidrBlock: "10.0.0.0/16" }).id });
    const a = await runOffline({ project: "p", stack: "s", config: REGION, program });
    const b = await runOffline({ project: "p", stack: "s", config: REGION, program });
    expect(a.outputs.vpc).to.match(/^vpc-0[0-9a-f]{16}$/);
    expect(a.outputs.vpc).to.equal(b.outputs.vpc);
  });

  it("rejects two resources with one URN", async () => {
    const err = await runOffline({
      project: "p",
      stack: "s",
      config: REGION,
      program: async () => {
        new aws.sns.Topic("same");
        new aws.sns.Topic("same");
        return {};
      },
    }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/duplicate resource URN .*aws:sns\/topic:Topic::same/);
  });

  it("names an invoke it has no answer for", async () => {
    const err = await runOffline({
      project: "p",
      stack: "s",
      config: REGION,
      program: async () => {
        await aws.ec2.getVpc({ default: true });
        return {};
      },
    }).then(() => undefined, (e: Error) => e);
    expect(String(err)).to.match(/no mock for invoke aws:ec2\/getVpc:getVpc/);
  });

  it("turns URNs into type::name ids", () => {
    expect(urnToId("urn:pulumi:staging::remote-claude::remote-claude:network:Network$aws:ec2/vpc:Vpc::network-vpc"))
      .to.equal("aws:ec2/vpc:Vpc::network-vpc");
  });

  for (const stack of STACKS) {
    it(`builds ${stack} with unique URNs, every child under a registered parent`, async () => {
      const g = await buildStack(stack);
      expect(new Set(g.resources.map((r) => r.urn)).size).to.equal(g.resources.length);
      for (const r of g.resources) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        expect(g.get(r.parent ?? ""), `${r.id} has a parent`).to.not.equal(undefined);
      }
      expect(g.customResources.length).to.be.greaterThan(50);
    });
  }
});
