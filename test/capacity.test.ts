import { expect } from "chai";
import { costPerWorkspaceHour, density, REGISTERED_MEMORY_RATIO, SEED_TASK_HOUR, workspaceCapacity } from "../offline/cost/capacity";
import { fargateHourly, fargateSizeFor } from "../offline/cost/fargate";
import { PRICES } from "../offline/cost/prices";
import { buildStack, STACKS } from "./helpers/stacks";

const VCPU = PRICES.fargateVcpuHour;
const GIB = PRICES.fargateGiBHour;

describe("capacity model", () => {
  it("takes the lowest of ENI trunking, memory after the agent's reserve, and CPU (c6i.2xlarge, the workspace task)", () => {
    // 16384 MiB x 7985/8192 = 15970 MiB registered, minus 512 reserved = 15458; 15458 / 2176 = 7.1 → 7.
    // 8 vCPU = 8192 units; 8192 / 1152 = 7.1 → 7. ENI trunking allows 40.
    const d = density({ vcpu: 8, memoryMiB: 16384, eniTasks: 40 }, 512, { cpu: 1152, memoryMiB: 2176 });
    expect(d).to.include({ registeredMemoryMiB: 15970, availableMemoryMiB: 15458, byMemory: 7, byCpu: 7, byEni: 40, workspaces: 7, boundBy: "memory" });
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
    expect(fargateHourly({ vcpu: 2, memoryGiB: 4 }, VCPU, GIB)).to.be.closeTo(0.12324, 1e-9); // 2 x 0.05056 + 4 x 0.00553
    expect(fargateSizeFor(256, 512, VCPU, GIB)).to.deep.equal({ vcpu: 0.25, memoryGiB: 0.5 });
    expect(fargateSizeFor(1024, 3000, VCPU, GIB)).to.deep.equal({ vcpu: 1, memoryGiB: 3 });
    expect(fargateSizeFor(20000, 1024, VCPU, GIB)).to.equal(undefined);
  });

  for (const stack of STACKS) {
    it(`reads ${stack}'s workspace pool, task and agent reserve from the graph`, async () => {
      const c = workspaceCapacity(await buildStack(stack), 0.7);
      expect(c, "capacity model").to.not.equal(undefined);
      if (!c) return;
      expect(c.task).to.include({ cpu: 1152, memoryMiB: 2176 });
      expect(c.task.containers.map((x) => x.name).sort()).to.deep.equal(["credential-proxy", "workspace-agent"]);
      expect(c.byType).to.have.length(1);
      expect(c.byType[0]).to.deep.include({ instanceType: "c6a.2xlarge", reservedMemoryMiB: 512, instanceHourly: 0.3852 });
      expect(c.byType[0].density.workspaces).to.equal(7);
      expect(c.byType[0].slots).to.deep.equal(stack === "prod" ? { min: 14, max: 70 } : { min: 7, max: 21 });
      expect(c.perWorkspaceHour?.atUtilization).to.be.closeTo(0.3852 / 4.9, 1e-9);
      expect(c.targetCapacityPercent).to.equal(stack === "prod" ? 90 : 100);
      expect(c.fargate?.hourly).to.be.closeTo(0.12324, 1e-9);
      // c6i.large: 2 vCPU (2048 units ≥ 1152; c6i.xlarge would hold 3), 3992 − 512 MiB ≥ 2176.
      expect(c.onePerInstance).to.deep.include({ instanceType: "c6i.large", instanceHourly: 0.107, atFull: 0.107 });
      expect(c.onePerInstance?.atUtilization).to.be.closeTo(0.107 / 0.7, 1e-9);
      expect(c.seed).to.deep.equal(SEED_TASK_HOUR);
    });
  }

  it("follows the config: a bigger agent reserve or task changes the density", async () => {
    const c = workspaceCapacity(await buildStack("staging", { hostReservedMemoryMiB: 4096, workspaceAgentMemoryMiB: 1024 }), 0.7);
    // 15970 − 4096 = 11874 MiB / (1024 + 128) = 10.3 → 10 by memory; CPU 8192 / 1152 = 7 → 7, CPU-bound.
    expect(c?.byType[0].density).to.include({ availableMemoryMiB: 11874, byMemory: 10, byCpu: 7, workspaces: 7, boundBy: "CPU" });
  });
});
