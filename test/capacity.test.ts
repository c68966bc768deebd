import { expect } from "chai";
import { costPerWorkspaceHour, density, REGISTERED_MEMORY_RATIO, SEED_TASK_HOUR, workspaceCapacity } from "../offline/cost/capacity";
import { fargateHourly, fargateSizeFor } from "../offline/cost/fargate";
import { PRICES } from "../offline/cost/prices";
import { buildStack, STACKS } from "./helpers/stacks";

const VCPU = PRICES.fargateVcpuHour;
const GIB = PRICES.fargateGiBHour;

describe("capacity model", () => {
  it("takes the lowest of ENI trunking, memory after the agent's reserve, and CPU (an 8 vCPU / 16 GiB type, the workspace task)", () => {
    // 16384 MiB x 7985/8192 = 15970 MiB registered, minus 512 reserved = 15458; 15458 / 2176 = 7.1 → 7.
    // 8 vCPU = 8192 units; 8192 / 1152 = 7.1 → 7 (a tie goes to memory); 8192 / 512 = 16. ENI trunking allows 40.
    const d = density({ vcpu: 8, memoryMiB: 16384, eniTasks: 40 }, 512, { cpu: 1152, memoryMiB: 2176 });
    expect(d).to.include({ registeredMemoryMiB: 15970, availableMemoryMiB: 15458, byMemory: 7, byCpu: 7, byEni: 40, workspaces: 7, boundBy: "memory" });
    expect(density({ vcpu: 8, memoryMiB: 16384, eniTasks: 40 }, 512, { cpu: 512, memoryMiB: 2176 })).to.include({ byMemory: 7, byCpu: 16, workspaces: 7, boundBy: "memory" });
    expect(REGISTERED_MEMORY_RATIO).to.equal(7985 / 8192);
  });

  it("reports ENI trunking or CPU as the bound when they are the lowest", () => {
    // 131072 MiB → 127760 registered / 512 = 249; 16 vCPU / 256 units = 64; ENI 10.
    expect(density({ vcpu: 16, memoryMiB: 131072, eniTasks: 10 }, 0, { cpu: 256, memoryMiB: 512 })).to.include({ byMemory: 249, byCpu: 64, workspaces: 10, boundBy: "ENI trunking" });
    // 2 vCPU / 1024 units = 2; 16384 → 15970 / 1024 = 15; ENI 10.
    expect(density({ vcpu: 2, memoryMiB: 16384, eniTasks: 10 }, 0, { cpu: 1024, memoryMiB: 1024 })).to.include({ byCpu: 2, byMemory: 15, workspaces: 2, boundBy: "CPU" });
    // A reserve larger than the memory leaves no room at all.
    expect(density({ vcpu: 2, memoryMiB: 1024, eniTasks: 10 }, 2048, { cpu: 256, memoryMiB: 256 })).to.include({ availableMemoryMiB: 0, workspaces: 0 });
  });

  it("divides the instance price by the workspaces in use", () => {
    expect(costPerWorkspaceHour(0.428, 7, 1)).to.be.closeTo(0.061143, 1e-6); // 0.428 / 7
    expect(costPerWorkspaceHour(0.428, 7, 0.7)).to.be.closeTo(0.087347, 1e-6); // 0.428 / 4.9
    expect(costPerWorkspaceHour(0.428, 0, 0.7)).to.equal(Number.POSITIVE_INFINITY);
  });

  it("sizes the same task for Fargate at the smallest valid configuration and prices it", () => {
    // 1.125 vCPU / 2.125 GB does not exist on Fargate: 2 vCPU takes at least 4 GB.
    expect(fargateSizeFor(1152, 2176, VCPU, GIB)).to.deep.equal({ vcpu: 2, memoryGiB: 4 });
    // 0.5 vCPU / 2.125 GB: 0.5 vCPU with 3 GB is cheaper than 1 vCPU with 3 GB.
    expect(fargateSizeFor(512, 2176, VCPU, GIB)).to.deep.equal({ vcpu: 0.5, memoryGiB: 3 });
    expect(fargateHourly({ vcpu: 2, memoryGiB: 4 }, VCPU, GIB)).to.be.closeTo(0.12324, 1e-9); // 2 x 0.05056 + 4 x 0.00553
    expect(fargateSizeFor(256, 512, VCPU, GIB)).to.deep.equal({ vcpu: 0.25, memoryGiB: 0.5 });
    expect(fargateSizeFor(1024, 3000, VCPU, GIB)).to.deep.equal({ vcpu: 1, memoryGiB: 3 });
    expect(fargateSizeFor(20000, 1024, VCPU, GIB)).to.equal(undefined);
  });

  const POOLS = {
    // m6a.4xlarge: 65536 MiB x 7985/8192 = 63880 registered − 512 = 63368 / 2176 = 29.1 → 29; 16384 / 512 = 32; ENI 60.
    prod: { instanceType: "m6a.4xlarge", hourly: 0.8928, workspaces: 29, byCpu: 32, slots: { min: 58, max: 290 }, target: 90 },
    // m6a.xlarge: 15970 − 512 = 15458 / 2176 = 7.1 → 7; 4096 / 512 = 8; ENI 20.
    staging: { instanceType: "m6a.xlarge", hourly: 0.2232, workspaces: 7, byCpu: 8, slots: { min: 7, max: 21 }, target: 100 },
  } as const;

  for (const stack of STACKS) {
    it(`reads ${stack}'s workspace pool, task and agent reserve from the graph: the containers' CPU when the task sets none`, async () => {
      const c = workspaceCapacity(await buildStack(stack), 0.7);
      expect(c, "capacity model").to.not.equal(undefined);
      if (!c) return;
      const p = POOLS[stack];
      // No task-level cpu: the reservation is the containers' sum (agent 384 + credential proxy 128).
      expect(c.task).to.include({ cpu: 512, memoryMiB: 2176 });
      expect(c.task).to.not.have.property("cpuLimit");
      expect(c.task.containers.map((x) => [x.name, x.cpu]).sort()).to.deep.equal([["credential-proxy", 128], ["workspace-agent", 384]]);
      expect(c.byType).to.have.length(1);
      expect(c.byType[0]).to.deep.include({ instanceType: p.instanceType, reservedMemoryMiB: 512, instanceHourly: p.hourly });
      expect(c.byType[0].density).to.include({ workspaces: p.workspaces, byMemory: p.workspaces, byCpu: p.byCpu, boundBy: "memory" });
      expect(c.byType[0].slots).to.deep.equal(p.slots);
      expect(c.perWorkspaceHour?.atUtilization).to.be.closeTo(p.hourly / (p.workspaces * 0.7), 1e-9);
      expect(c.targetCapacityPercent).to.equal(p.target);
      // Fargate needs a task size: 0.5 vCPU holds 512 units, and with 0.5 vCPU the memory steps are 1-4 GB.
      expect(c.fargate?.size).to.deep.equal({ vcpu: 0.5, memoryGiB: 3 });
      expect(c.fargate?.hourly).to.be.closeTo(0.5 * 0.05056 + 3 * 0.00553, 1e-9);
      // m6a.large: 2 vCPU (2048 units ≥ 512), 7985 − 512 MiB ≥ 2176: the family's smallest.
      expect(c.onePerInstance).to.deep.include({ instanceType: "m6a.large", instanceHourly: 0.1116, atFull: 0.1116 });
      expect(c.onePerInstance?.atUtilization).to.be.closeTo(0.1116 / 0.7, 1e-9);
      expect(c.seed).to.deep.equal(SEED_TASK_HOUR);
    });
  }

  it("with workspaceCpuHardLimit reads the task-level cpu: the same reservation, now also a cap", async () => {
    const c = workspaceCapacity(await buildStack("prod", { workspaceCpuHardLimit: true }), 0.7);
    expect(c?.task).to.include({ cpu: 512, cpuLimit: 512, memoryMiB: 2176 });
    expect(c?.byType[0].density).to.include({ workspaces: 29, boundBy: "memory" });
  });

  it("follows the config: a bigger agent reserve or task changes the density", async () => {
    const c = workspaceCapacity(await buildStack("staging", { hostReservedMemoryMiB: 4096, workspaceAgentMemoryMiB: 1024 }), 0.7);
    // m6a.xlarge: 15970 − 4096 = 11874 MiB / (1024 + 128) = 10.3 → 10 by memory; CPU 4096 / 512 = 8, CPU-bound.
    expect(c?.byType[0].density).to.include({ availableMemoryMiB: 11874, byMemory: 10, byCpu: 8, workspaces: 8, boundBy: "CPU" });
    // A bigger CPU reservation binds sooner: 4096 / (1024 + 128) = 3.
    const big = workspaceCapacity(await buildStack("staging", { workspaceAgentCpu: 1024 }), 0.7);
    expect(big?.byType[0].density).to.include({ byMemory: 7, byCpu: 3, workspaces: 3, boundBy: "CPU" });
  });
});
