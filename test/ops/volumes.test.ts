// `ops volumes list | snapshot | prune` against a simulated EC2 (volumes and snapshots).
import { CreateSnapshotCommand, DeleteVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { EventEmitter } from "node:events";
import { Ec2Sim } from "../../scripts/ops/sim/ec2Sim";
import { VirtualClock } from "../../scripts/ops/virtualClock";
import { parseAge } from "../../scripts/ops/volumes/command";
import { simulatedEc2 } from "./helpers/ecsMock";
import { mockIdentity, runCli, sentCommands } from "./helpers/harness";
import { stackOutputs } from "./helpers/outputs";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const ago = (days: number) => NOW - days * DAY;
const iso = (t: number) => new Date(t).toISOString();

/** A stack's volumes: two old detached ones, a young one, an attached one, and another stack's. */
function fleet(stack = "staging", options: ConstructorParameters<typeof Ec2Sim>[0] extends infer O ? Partial<O> : never = {}) {
  const ec2Sim = new Ec2Sim({ clock: new VirtualClock(NOW), ...options });
  const tags = (workspace: string, extra: Record<string, string> = {}) => ({ "remote-claude:stack": stack, "remote-claude:workspace-id": workspace, "remote-claude:filesystem": "xfs", AmazonECSManaged: "true", AmazonECSCreated: `arn:aws:ecs:ap-northeast-1:123456789012:task/remote-claude-${stack}/${workspace}`, ...extra });
  const old = ec2Sim.createVolume({ sizeGiB: 20, createdAt: ago(30), tags: tags("conv-old", { "remote-claude:retained-since": iso(ago(20)) }) });
  const young = ec2Sim.createVolume({ sizeGiB: 20, createdAt: ago(30), tags: tags("conv-young", { "remote-claude:retained-since": iso(ago(3)) }) });
  const unstamped = ec2Sim.createVolume({ sizeGiB: 50, createdAt: ago(40), tags: tags("conv-unstamped") });
  const attached = ec2Sim.createVolume({ sizeGiB: 20, createdAt: ago(60), tags: tags("conv-live"), fixed: { state: "in-use", instanceId: "i-0abc", attachTime: ago(60) } });
  const foreign = ec2Sim.createVolume({ sizeGiB: 20, createdAt: ago(90), tags: { ...tags("conv-x"), "remote-claude:stack": stack === "staging" ? "prod" : "staging", "remote-claude:retained-since": iso(ago(80)) } });
  return { ec2Sim, old, young, unstamped, attached, foreign };
}

describe("ops volumes", () => {
  let sts: ReturnType<typeof mockIdentity>;
  let ec2: ReturnType<typeof simulatedEc2>;
  beforeEach(() => {
    sts = mockIdentity();
  });
  afterEach(() => {
    sts.restore();
    ec2?.restore();
  });
  const clock = () => new VirtualClock(NOW);

  it("parses ages in days or hours", () => {
    expect(parseAge("7")).to.equal(7 * DAY);
    expect(parseAge("1.5d")).to.equal(1.5 * DAY);
    expect(parseAge("36h")).to.equal(36 * 3_600_000);
    expect(() => parseAge("a week")).to.throw("--older-than must be a number of days");
  });

  it("list: this stack's volumes by tag, with state, size, age and how long each has been kept", async () => {
    const f = fleet();
    ec2 = simulatedEc2(f.ec2Sim);
    const run = await runCli(["volumes", "list", "--json"], { clock: clock() });
    expect(run.code, run.stderr).to.equal(0);
    const rows = run.report.tables[0].rows;
    expect(rows.map((r: any) => r[0])).to.deep.equal([f.attached.id, f.unstamped.id, f.old.id, f.young.id]);
    expect(rows.find((r: any) => r[0] === f.old.id)).to.deep.equal([f.old.id, "conv-old", "available", 20, "30.0", "20.0", "-", "-", "conv-old"]);
    // Kept since creation when the monitor has not stamped it yet; attached ones are not "kept".
    expect(rows.find((r: any) => r[0] === f.unstamped.id)[5]).to.equal("40.0");
    expect(rows.find((r: any) => r[0] === f.attached.id).slice(2, 7)).to.deep.equal(["in-use", 20, "60.0", "-", "i-0abc"]);
    expect(run.report.summary).to.deep.equal([
      "4 workspace volumes of stack staging: 3 available (90 GiB), 1 in-use (20 GiB).",
      "Retained (detached): 3 volumes, 90 GiB.",
    ]);
    const older = await runCli(["volumes", "list", "--older-than", "10", "--json"], { clock: clock() });
    expect(older.report.tables[0].rows.map((r: any) => r[0])).to.deep.equal([f.unstamped.id, f.old.id]);
  });

  it("snapshot: tags each snapshot with the workspace, its filesystem and its source, waits until completed", async () => {
    const f = fleet("staging", { snapshotPendingReads: 2 });
    ec2 = simulatedEc2(f.ec2Sim);
    const run = await runCli(["volumes", "snapshot", "--workspace-id", "conv-old", "--json"], { clock: clock() });
    expect(run.code, run.stderr).to.equal(0);
    const [snap] = [...f.ec2Sim.snapshots.values()];
    expect(f.ec2Sim.snapshots.size).to.equal(1);
    expect(snap.volumeId).to.equal(f.old.id);
    expect(snap.tags).to.deep.equal({ "remote-claude:stack": "staging", "remote-claude:workspace-id": "conv-old", "remote-claude:filesystem": "xfs", "remote-claude:source-volume": f.old.id });
    expect(run.report.tables[0].rows).to.deep.equal([[f.old.id, "conv-old", 20, snap.id, "completed", "xfs"]]);
    // Attached volumes only with --include-attached; nothing of another stack, ever.
    const attached = await runCli(["volumes", "snapshot", "--volume-id", f.attached.id, "--volume-id", f.foreign.id, "--json"], { clock: clock() });
    expect(attached.report.notes.join(" ")).to.include(`${f.attached.id}, ${f.foreign.id}`);
    const crash = await runCli(["volumes", "snapshot", "--volume-id", f.attached.id, "--volume-id", f.foreign.id, "--include-attached", "--json"], { clock: clock() });
    expect(crash.code).to.equal(0);
    expect([...f.ec2Sim.snapshots.values()].map((s) => s.volumeId)).to.deep.equal([f.old.id, f.attached.id]);
  });

  it("snapshot needs a selection and --confirm-prod on prod", async () => {
    const none = await runCli(["volumes", "snapshot"], { clock: clock() });
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include("volumes snapshot needs --volume-id, --workspace-id or --older-than");
    const prod = await runCli(["volumes", "snapshot", "--older-than", "1"], { clock: clock(), outputs: stackOutputs("prod") });
    expect(prod.code).to.equal(2);
    expect(prod.stderr).to.include("volumes snapshot creates EBS snapshots; rerun with --confirm-prod");
  });

  it("prune: snapshots every detached volume kept too long, deletes it after the snapshot completed, never an attached one", async () => {
    const f = fleet("staging", { snapshotPendingReads: 1 });
    ec2 = simulatedEc2(f.ec2Sim);
    const run = await runCli(["volumes", "prune", "--older-than", "7", "--json"], { clock: clock() });
    expect(run.code, run.stderr).to.equal(0);
    expect(f.ec2Sim.leftovers().sort()).to.deep.equal([f.young.id, f.attached.id, f.foreign.id].sort());
    const rows = run.report.tables.find((t: any) => t.title === "Pruned").rows;
    expect(rows.map((r: any) => [r[0], r[5], r[6]])).to.deep.equal([[f.unstamped.id, "completed", "deleted"], [f.old.id, "completed", "deleted"]]);
    // Each deletion after its own snapshot: the snapshots exist and name their source volumes.
    const sources = [...f.ec2Sim.snapshots.values()].map((s) => s.tags["remote-claude:source-volume"]).sort();
    expect(sources).to.deep.equal([f.old.id, f.unstamped.id].sort());
    const ops = sentCommands(ec2);
    expect(ops.lastIndexOf("CreateSnapshot")).to.be.lessThan(ops.indexOf("DeleteVolume"));
    expect(run.report.summary.join("\n")).to.include("Deleted 2 volumes (70 GiB), each after its snapshot completed; kept 0.");
    expect(run.report.checks.every((c: any) => c.result === "pass")).to.equal(true);
  });

  it("prune keeps every volume whose snapshot failed, and fails", async () => {
    const f = fleet("staging", { snapshotsFail: true, snapshotPendingReads: 0 });
    ec2 = simulatedEc2(f.ec2Sim);
    const run = await runCli(["volumes", "prune", "--older-than", "7", "--json"], { clock: clock() });
    expect(run.code).to.equal(1);
    expect(f.ec2Sim.calls.DeleteVolume ?? 0).to.equal(0);
    expect(f.ec2Sim.leftovers()).to.have.length(5);
    const rows = run.report.tables.find((t: any) => t.title === "Pruned").rows;
    expect(rows.map((r: any) => r[6])).to.deep.equal(rows.map((r: any) => `kept: snapshot ${r[4]} error`));
    expect(run.report.checks.find((c: any) => c.name === "volumes kept (snapshot or deletion failed)")).to.include({ observed: "2", result: "fail" });
  });

  it("prune leaves a volume attached while its snapshot ran", async () => {
    const f = fleet();
    ec2 = simulatedEc2(f.ec2Sim);
    ec2.on(CreateSnapshotCommand).callsFake((input) => {
      const out = f.ec2Sim.createSnapshot(input);
      if (input.VolumeId === f.old.id) f.old.fixed = { state: "in-use", instanceId: "i-0new", attachTime: NOW };
      return out;
    });
    const run = await runCli(["volumes", "prune", "--older-than", "7", "--json"], { clock: clock() });
    expect(f.ec2Sim.leftovers()).to.include(f.old.id);
    expect(ec2.commandCalls(DeleteVolumeCommand).map((c) => c.args[0].input.VolumeId)).to.deep.equal([f.unstamped.id]);
    expect(run.report.tables.find((t: any) => t.title === "Pruned").rows.find((r: any) => r[0] === f.old.id)[6]).to.equal("kept: now in-use");
    expect(run.code).to.equal(1);
  });

  it("prune is a dry run on prod without --confirm-prod, and acts with it", async () => {
    const f = fleet("prod");
    ec2 = simulatedEc2(f.ec2Sim);
    const dry = await runCli(["volumes", "prune", "--older-than", "7", "--json"], { clock: clock(), outputs: stackOutputs("prod") });
    expect(dry.code).to.equal(0);
    expect(dry.report.outcome).to.equal("dry-run");
    expect(dry.report.summary.join(" ")).to.include("production: rerun with --confirm-prod to act");
    expect(dry.report.tables[0].rows.map((r: any) => r[0])).to.deep.equal([f.unstamped.id, f.old.id]);
    expect(sentCommands(ec2).filter((c) => c !== "DescribeVolumes")).to.deep.equal([]);
    const confirmed = await runCli(["volumes", "prune", "--older-than", "7", "--confirm-prod", "--json"], { clock: clock(), outputs: stackOutputs("prod") });
    expect(confirmed.code, confirmed.stderr).to.equal(0);
    expect(f.ec2Sim.leftovers().sort()).to.deep.equal([f.young.id, f.attached.id, f.foreign.id].sort());
  });

  it("prune stops on Ctrl-C: starts no more snapshots and deletes nothing", async () => {
    const f = fleet();
    ec2 = simulatedEc2(f.ec2Sim);
    const signals = new EventEmitter();
    ec2.on(CreateSnapshotCommand).callsFake((input) => {
      signals.emit("SIGINT");
      return f.ec2Sim.createSnapshot(input);
    });
    const run = await runCli(["volumes", "prune", "--older-than", "7", "--json"], { clock: clock(), signals });
    expect(run.code).to.equal(130);
    expect(f.ec2Sim.snapshots.size).to.equal(1);
    expect(f.ec2Sim.calls.DeleteVolume ?? 0).to.equal(0);
    expect(run.report.data.prune).to.deep.include({ deleted: 0, notReached: 0 });
    expect(run.report.tables.find((t: any) => t.title === "Pruned").rows.map((r: any) => r[6])).to.deep.equal(["kept: interrupted (nothing is deleted after Ctrl-C)", "kept: interrupted before its snapshot"]);
  });
});

describe("ops volumes (no AWS)", () => {
  it("rejects a bad --older-than with one line, exit 2", async () => {
    const sts = mockIdentity();
    const ec2 = mockClient(EC2Client);
    const run = await runCli(["volumes", "prune", "--older-than", "soon"]);
    sts.restore();
    ec2.restore();
    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal("ops: volumes prune: --older-than must be a number of days, or days/hours like 7d or 36h, got soon\n");
    expect(ec2.calls()).to.have.length(0);
  });
});
