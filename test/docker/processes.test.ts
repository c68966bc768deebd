// One workspace must not starve the others of processes, in a real engine. First the problem, as
// the kernel has it: RLIMIT_NPROC counts a uid's processes across the whole host, so a container
// at its nproc limit leaves every other container of the same uid unable to fork. Then the
// project's answer, with workspaces created from the task definition's settings as the local
// target creates them: a per-task budget (the engine's pids limit, as ECS_TASK_PIDS_LIMIT puts
// pids.max on each task's cgroup) with nproc where it never binds; one workspace exhausts its
// budget, a second one still forks. The judge is the kernel (its nproc and pids accounting).
//
// Every container here runs as a uid of its own, not the workspaces' 1000: a container holding
// thousands of threads as uid 1000 would count against the nproc limit of every other uid-1000
// container on this machine (other test runs included) — the very coupling this file shows.
import { expect } from "chai";
import type { DockerApi } from "../../scripts/ops/docker/runtime/api";
import type { DockerEngine } from "../../scripts/ops/docker/runtime/engine";
import { LocalWorkspace, localWorkspaceTask } from "../../scripts/ops/docker/runtime/localWorkspace";
import { ulimitCeilings } from "../../scripts/ops/docker/runtime/ulimits";
import { CONTAINERS } from "../../lib/names";
import { TASK_PIDS_LIMIT } from "../../lib/taskLimits";
import { engine, image, PROJECT_PROFILE, profileText, runInWorkspace } from "../helpers/docker";

/** uids no other process on the machine uses: one for the nproc demonstration, one for the per-task budget. */
const NPROC_UID = "61230:61230";
const BUDGET_UID = "61231:61231";
/** Any per-uid limit shows the coupling; a small one keeps the demonstration quick. */
const DEMO_NPROC = 64;
const HOLDING = /^HOLDING (\d+) (.*)$/m;

/** Starts threads until the kernel refuses one (at most `cap`), reports how many and its pids budget, then holds them. */
const holdThreads = (cap: number) => `
import threading, time
threading.stack_size(256 * 1024)
hold = threading.Event()
n, why = 0, "cap reached"
while n < ${cap}:
    try:
        threading.Thread(target=hold.wait, daemon=True).start(); n += 1
    except RuntimeError as e:
        why = str(e); break
limit = "none"
for f in ("/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max"):
    try:
        limit = open(f).read().strip(); break
    except OSError:
        pass
print("HOLDING %d %s (pids.max %s)" % (n, why, limit), flush=True)
time.sleep(600)
`;

/** A shell that forks one child and says whether it could. */
const FORK_ONCE = "sh -c 'true & wait $! && echo forked'";

/** Waits until a container's log shows the HOLDING line (or it exits), by reading its log as it grows. */
async function holding(api: DockerApi, id: string): Promise<RegExpExecArray> {
  for (;;) {
    const { stdout, stderr } = await api.logs(id);
    const m = HOLDING.exec(stdout);
    if (m) return m;
    const state = await api.inspectContainer(id);
    if (!state.State.Running) throw new Error(`the holding container exited before holding: ${stdout}${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("one workspace must not starve the others of processes, in a real engine", function () {
  this.timeout(240000);
  let e: DockerEngine;
  let tag: string;

  before(async function () {
    this.timeout(300000);
    e = await engine(this);
    tag = await image(e, "python");
  });

  it("the problem: a container at its nproc limit leaves another container of the same uid unable to fork", async () => {
    const run = (uid: string, detach: boolean, cmd: string[]) =>
      e.docker(["run", ...(detach ? ["-d"] : ["--rm"]), "--network", "none", "--cap-drop", "ALL", "--user", uid, "--ulimit", `nproc=${DEMO_NPROC}:${DEMO_NPROC}`, tag, ...cmd], { allowFail: !detach });
    const first = (await run(NPROC_UID, true, ["python3", "-c", holdThreads(10 * DEMO_NPROC)])).stdout.trim();
    try {
      const held = await holding(e.api, first);
      console.log(`    first container (uid ${NPROC_UID}, nproc ${DEMO_NPROC}): ${held[0]}`);
      expect(Number(held[1])).to.be.lessThan(DEMO_NPROC);
      const second = await run(NPROC_UID, false, ["sh", "-c", FORK_ONCE]);
      console.log(`    second container, same uid: exit ${second.code}, ${(second.stdout + second.stderr).trim()}`);
      expect(second.stdout).to.not.include("forked");
      expect(second.stdout + second.stderr).to.match(/Resource temporarily unavailable/);
      // Another uid is not affected: the count is per uid, not per container.
      const otherUid = await run(BUDGET_UID, false, ["sh", "-c", FORK_ONCE]);
      expect(otherUid.stdout.trim(), otherUid.stderr).to.equal("forked");
    } finally {
      await e.docker(["rm", "-f", first], { allowFail: true });
    }
  });

  it("the project's settings: a workspace that exhausts its per-task budget stops at it, and a second workspace of the same uid still forks", async () => {
    // The first workspace, created as the local target creates one (the task definition's
    // settings, the task's pids limit), left running while it holds every thread it could start.
    const base = localWorkspaceTask({ agent: tag });
    expect(base.pidsLimit).to.equal(TASK_PIDS_LIMIT);
    const task = { ...base, containers: base.containers.map((c) => ({ ...c, user: BUDGET_UID })) };
    const ceilings = await ulimitCeilings(e.api, tag, task.containers[0].ulimits ?? []);
    const first = new LocalWorkspace(`rc-pids-${process.pid}`, task, {
      api: e.api, network: "none", seccompProfile: profileText(PROJECT_PROFILE), labels: { "remote-claude.purpose": "pids-test" }, secretValues: {}, ulimitCeilings: ceilings,
    }, [{ name: CONTAINERS.workspaceAgent, command: ["python3", "-c", holdThreads(2 * TASK_PIDS_LIMIT)] }]);
    try {
      await first.create();
      const agent = first.containers.find((c) => c.name === CONTAINERS.workspaceAgent)!;
      expect(agent.settings?.body.HostConfig.PidsLimit).to.equal(TASK_PIDS_LIMIT);
      const nproc = agent.settings?.body.HostConfig.Ulimits?.find((u) => u.Name === "nproc");
      console.log(`    first workspace: pids limit ${TASK_PIDS_LIMIT}, nproc ${nproc?.Soft}:${nproc?.Hard} (engine ceiling ${ceilings.nproc ?? "none"})`);
      expect(nproc?.Hard).to.be.greaterThan(2 * TASK_PIDS_LIMIT);
      await first.start();
      const held = await holding(e.api, agent.id as string);
      console.log(`    first workspace (uid ${BUDGET_UID}): ${held[0]}`);
      // Stopped by its own budget: every task of the container counts (python, its threads, the init).
      expect(Number(held[1])).to.be.within(TASK_PIDS_LIMIT - 16, TASK_PIDS_LIMIT - 1);
      expect(held[2]).to.match(/can't start new thread.*\(pids\.max 4096\)/);

      const second = await runInWorkspace(e, { image: tag, seccompProfile: profileText(PROJECT_PROFILE), definition: { user: BUDGET_UID },
        command: ["sh", "-c", `${FORK_ONCE} && python3 -c "${holdThreads(100).split("\n").filter((l) => !l.includes("time.sleep")).join("\n").replace(/"/g, '\\"')}"`] });
      console.log(`    second workspace, same uid: ${second.stdout.trim().replace(/\n/g, " | ")}`);
      expect(second.exitCode, second.stderr).to.equal(0);
      expect(second.stdout).to.include("forked");
      expect(second.stdout).to.match(/HOLDING 100 cap reached/);
    } finally {
      await first.remove();
    }
  });
});
