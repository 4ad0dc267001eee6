/**
 * Retry policy, as pure functions: how long a failed job waits, and whether it is dead.
 *
 * @module
 */
import type { ExitCodeLists } from "../exit_codes.ts";
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
 * The exit-code lists that apply to a job: its own when it has a readable one, else its queue's.
 * A list stored unreadable (`"invalid"`) counts as not set.
 */
export function exitCodePolicy(
  job: ExitCodeLists,
  queue: ExitCodeLists | undefined,
): ExitCodePolicy {
  const own = readable(job);
  if (own.retryOn !== null || own.noRetryOn !== null) return own;
  return queue ? readable(queue) : { retryOn: null, noRetryOn: null };
}

/** The lists the retry policy reads; null: not set. */
export interface ExitCodePolicy {
  retryOn: readonly number[] | null;
  noRetryOn: readonly number[] | null;
}

function readable(lists: ExitCodeLists): ExitCodePolicy {
  const list = (codes: ExitCodeLists["retryOn"]) => codes === "invalid" ? null : codes;
  return { retryOn: list(lists.retryOn), noRetryOn: list(lists.noRetryOn) };
}

/**
 * Why a failure with `exitCode` is not retried under `policy`, or null when it may be. Only an
 * exit code is judged: a run with none (a timeout, a command that could not start, a lost lease)
 * is retryable whatever the lists say.
 *
 * @example
 * ```ts
 * import { notRetriedReason } from "./backoff.ts";
 * const policy = { retryOn: null, noRetryOn: [2] };
 * console.assert(notRetriedReason(2, policy) === "Exit code 2 is not retried (no_retry_on)");
 * console.assert(notRetriedReason(1, policy) === null);
 * console.assert(notRetriedReason(null, policy) === null);
 * ```
 */
export function notRetriedReason(exitCode: number | null, policy: ExitCodePolicy): string | null {
  if (exitCode === null) return null;
  if (policy.noRetryOn !== null && policy.noRetryOn.includes(exitCode)) {
    return `Exit code ${exitCode} is not retried (no_retry_on)`;
  }
  if (policy.retryOn !== null && !policy.retryOn.includes(exitCode)) {
    return `Exit code ${exitCode} is not retried (retry_on: ${policy.retryOn.join(", ")})`;
  }
  return null;
}

/**
 * Where a job goes after a failed run: `failed` (to run again at `runAt`) while
 * `attempts <= maxRetries`, else `dead`; `dead` at once when the run's exit code is one the
 * exit-code policy does not retry (`notRetried` says why). The one place that decides "no more
 * retries".
 *
 * @example
 * ```ts
 * import { afterFailure } from "./backoff.ts";
 * const job = { attempts: 1, maxRetries: 3 };
 * const options = { backoffBase: 2, maxBackoff: 3600 };
 * console.assert(afterFailure(job, 0, options).state === "failed");
 * const exit = { exitCode: 2, policy: { retryOn: null, noRetryOn: [2] } };
 * console.assert(afterFailure(job, 0, { ...options, exit }).state === "dead");
 * ```
 */
export function afterFailure(
  job: { attempts: number; maxRetries: number },
  now: number,
  options: BackoffOptions & {
    immediate?: boolean;
    exit?: { exitCode: number | null; policy: ExitCodePolicy };
  },
): { state: Extract<JobState, "failed" | "dead">; runAt: number; notRetried?: string } {
  const notRetried = options.exit
    ? notRetriedReason(options.exit.exitCode, options.exit.policy)
    : null;
  if (notRetried !== null) return { state: "dead", runAt: now, notRetried };
  if (job.attempts > job.maxRetries) return { state: "dead", runAt: now };
  const delayMs = options.immediate ? 0 : retryDelaySeconds(job.attempts, options) * 1000;
  return { state: "failed", runAt: now + Math.round(delayMs) };
}
