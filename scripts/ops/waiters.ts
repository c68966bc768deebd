// How long the SDK's waiters wait and how often they poll (the probe task stopping, volumes
// detaching, snapshots completing), in one place so every wait the user asks for is one the SDK
// accepts: its waiters refuse a maxWaitTime that is not above their minDelay.

/** The longest default minDelay of the waiters the tool uses: EC2 volume available and snapshot completed (ECS tasks stopped: 6 s). */
const LONGEST_DEFAULT_MIN_DELAY_SECONDS = 15;

export interface WaiterTiming {
  readonly maxWaitTime: number;
  readonly minDelay?: number;
  readonly maxDelay?: number;
}

/** Test settings: shorter polls, and a cap on every wait so a broken test fails fast. */
export interface WaiterDelays {
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly maxWaitCap?: number;
}

/**
 * maxWaitTime in seconds with the SDK's own poll delays; a wait no longer than a default minDelay
 * polls after a quarter of it, then at most every half (`--probe-timeout 5` waits 5 s, not an error).
 */
export function waiterTiming(maxWaitSeconds: number, delays?: WaiterDelays): WaiterTiming {
  if (delays) return { maxWaitTime: Math.min(maxWaitSeconds, delays.maxWaitCap ?? Infinity), minDelay: delays.minDelay, maxDelay: delays.maxDelay };
  if (maxWaitSeconds > LONGEST_DEFAULT_MIN_DELAY_SECONDS) return { maxWaitTime: maxWaitSeconds };
  return { maxWaitTime: maxWaitSeconds, minDelay: maxWaitSeconds / 4, maxDelay: maxWaitSeconds / 2 };
}
