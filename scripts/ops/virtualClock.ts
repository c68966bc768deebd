// A clock whose time only moves when every pending promise has settled: each sleep is queued and
// the earliest one is woken from setImmediate, after the microtask queue is empty. Code that waits
// minutes on a real stack runs in milliseconds and in a deterministic order.
import type { Clock } from "./clock";

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

export class VirtualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;
  private scheduled = false;

  constructor(start = Date.UTC(2026, 10, 23, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        sleeper.wake();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
      this.schedule();
    });
  }

  /** Moves time forward by hand (tests that want to place an event between two sleeps). */
  advance(ms: number): void {
    this.current += ms;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.wakeEarliest();
    });
  }

  private wakeEarliest(): void {
    if (this.sleepers.length === 0) return;
    let index = 0;
    for (let i = 1; i < this.sleepers.length; i++) {
      const s = this.sleepers[i];
      const best = this.sleepers[index];
      if (s.at < best.at || (s.at === best.at && s.seq < best.seq)) index = i;
    }
    const [next] = this.sleepers.splice(index, 1);
    this.current = Math.max(this.current, next.at);
    next.wake();
    if (this.sleepers.length > 0) this.schedule();
  }
}
