// Token buckets that keep the tool inside ECS's API limits. The limits are account-wide and the
// backend draws on the same buckets to launch real workspaces, so the drill's defaults use a
// fraction of them and refuse settings above them.
import type { Clock } from "./clock";

/** ECS API throttling: one table for the tool, the benchmark and the plan (lib/awsLimits.ts). */
export { ECS_API_LIMITS } from "../../lib/awsLimits";

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    if (!(capacity >= 1) || !(perSecond > 0)) throw new RangeError(`token bucket needs capacity >= 1 and a positive rate, got ${capacity} / ${perSecond}`);
    this.tokens = capacity;
    this.last = clock.now();
  }

  /** Waits for `n` tokens; false when `signal` aborted first (no token taken). */
  async take(n = 1, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      this.refill();
      if (this.tokens >= n) {
        this.tokens -= n;
        return true;
      }
      await this.clock.sleep(Math.ceil(((n - this.tokens) / this.perSecond) * 1000), signal);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}

/**
 * EC2 API throttling (EC2 API reference, "Request throttling"): mutating actions (DeleteVolume,
 * CreateSnapshot, DeleteSnapshot, …) share an account-wide bucket of 200 refilled at 5 per
 * second. The volume commands and drills take a fraction, as the backend and ECS draw on it too.
 */
export const EC2_MUTATING_SHARE = { burst: 40, perSecond: 4 } as const;
