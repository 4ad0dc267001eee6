/**
 * Retry policy, as pure functions: how long a failed job waits, and whether it is dead.
 *
 * @module
 */
import type { JobState } from "../job.ts";

/** What the retry policy needs to know. */
export interface BackoffOptions {
  backoffBase: number;
  maxBackoff: number;
  /** Fraction of the delay added at random (0 = none, the default), to spread thundering herds. */
  jitter?: number;
  random?: () => number;
}

/**
 * Seconds to wait after the `attempts`-th failed run: `min(max_backoff, backoff_base ^ attempts)`.
 *
 * @example
 * ```ts
 * import { retryDelaySeconds } from "./backoff.ts";
 * console.assert(retryDelaySeconds(3, { backoffBase: 2, maxBackoff: 3600 }) === 8);
 * ```
 */
export function retryDelaySeconds(attempts: number, options: BackoffOptions): number {
  const delay = Math.min(options.maxBackoff, Math.pow(options.backoffBase, attempts));
  const jitter = options.jitter ?? 0;
  if (jitter <= 0) return delay;
  return Math.min(options.maxBackoff, delay * (1 + jitter * (options.random ?? Math.random)()));
}

/**
 * Where a job goes after a failed run: `failed` (to run again at `runAt`) while
 * `attempts <= maxRetries`, else `dead`. The one place that decides "out of retries".
 */
export function afterFailure(
  job: { attempts: number; maxRetries: number },
  now: number,
  options: BackoffOptions & { immediate?: boolean },
): { state: Extract<JobState, "failed" | "dead">; runAt: number } {
  if (job.attempts > job.maxRetries) return { state: "dead", runAt: now };
  const delayMs = options.immediate ? 0 : retryDelaySeconds(job.attempts, options) * 1000;
  return { state: "failed", runAt: now + Math.round(delayMs) };
}
