// Every AWS call the tool makes goes through ApiCaller: it takes a token from the right bucket,
// counts the call, and when a throttle still gets through the SDK's own adaptive retry, backs off
// and tries again instead of failing a drill half-way. The counts feed the reports and the bench.
import type { Clock } from "./clock";
import { AbortedError, errorName } from "./errors";
import type { TokenBucket } from "./rateLimiter";

const THROTTLING_ERRORS = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ProvisionedThroughputExceededException",
  "PriorRequestNotComplete",
  "BandwidthLimitExceeded",
]);

export function isThrottling(err: unknown): boolean {
  if (THROTTLING_ERRORS.has(errorName(err))) return true;
  const e = err as { $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } } | undefined;
  return e?.$retryable?.throttling === true || e?.$metadata?.httpStatusCode === 429;
}

export class ApiStats {
  /** Calls the tool made, per operation (each retry after a throttle counts again). */
  readonly calls: Record<string, number> = {};
  /** Throttles that got through the SDK's retries to the tool, per operation. */
  readonly throttled: Record<string, number> = {};
  /** Attempts the SDK made and how many of them were throttled (counted by middleware, real clients only). */
  readonly sdkAttempts: Record<string, number> = {};
  readonly sdkThrottled: Record<string, number> = {};

  count(table: Record<string, number>, op: string, n = 1): void {
    table[op] = (table[op] ?? 0) + n;
  }

  total(table: Record<string, number>): number {
    return Object.values(table).reduce((a, b) => a + b, 0);
  }
}

interface CallOptions {
  /** Bucket to take one token from before each attempt. */
  readonly bucket?: TokenBucket;
  /** Abort waiting (for a token or a backoff): the call is then not made and AbortedError is thrown. */
  readonly signal?: AbortSignal;
}

interface ApiCallerOptions {
  /** Tool-level retries after the SDK gave up on a throttle. */
  readonly maxThrottleRetries?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

export class ApiCaller {
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    readonly clock: Clock,
    readonly stats: ApiStats = new ApiStats(),
    options: ApiCallerOptions = {},
  ) {
    this.maxRetries = options.maxThrottleRetries ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
  }

  /** Every page of an SDK paginator, each counted as a call and paced by the bucket. */
  async *pages<T>(op: string, pages: AsyncGenerator<T>, options: Omit<CallOptions, "retry"> = {}): AsyncGenerator<T> {
    for (;;) {
      if (options.bucket && !(await options.bucket.take(1, options.signal))) throw new AbortedError(`${op} not sent: aborted`);
      let page: IteratorResult<T>;
      try {
        page = await pages.next();
      } catch (err) {
        // A generator that threw cannot be resumed: only the SDK's own retries apply here.
        this.stats.count(this.stats.calls, op);
        if (isThrottling(err)) this.stats.count(this.stats.throttled, op);
        throw err;
      }
      if (page.done) return;
      this.stats.count(this.stats.calls, op);
      yield page.value;
    }
  }

  async call<T>(op: string, send: () => Promise<T>, options: CallOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (options.bucket && !(await options.bucket.take(1, options.signal))) throw new AbortedError(`${op} not sent: aborted`);
      this.stats.count(this.stats.calls, op);
      try {
        return await send();
      } catch (err) {
        if (!isThrottling(err)) throw err;
        this.stats.count(this.stats.throttled, op);
        if (attempt >= this.maxRetries) throw err;
        // Full jitter would make tests nondeterministic; a fixed exponential step is enough here
        // because the SDK's adaptive mode already spread the earlier attempts.
        await this.clock.sleep(Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt), options.signal);
        if (options.signal?.aborted) throw new AbortedError(`${op} not retried: aborted`);
      }
    }
  }
}
