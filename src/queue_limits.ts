/**
 * A queue's rate limit (`N/PERIOD`: at most N starts in any sliding PERIOD, across every worker)
 * and its per-group concurrency (at most N running jobs per `group_key`): parsing what a user
 * gives, showing it, and when a rate-limited queue may start a job again. The stores apply the
 * same rules in their claim; these decide what the CLI, the API and the worker's sleep show or do.
 *
 * @module
 */
import { parseDuration } from "./duration.ts";
import { UsageError } from "./errors.ts";

/** A rate limit: at most `limit` starts in any `periodMs` milliseconds. */
export interface QueueRate {
  limit: number;
  periodMs: number;
}

/** The largest N of a rate or of a group limit (as for `queue set-concurrency`). */
export const MAX_LIMIT = 100_000;

/** The longest rate period: a window longer than a week is a typo more often than a plan. */
export const MAX_RATE_PERIOD_MS = 7 * 86_400_000;

/**
 * A rate as a user gives it: `N/PERIOD` (`10/1s`, `1000/1h`, `5/30s`), or `off` (null: no
 * limit). A usage error that quotes `text` otherwise. N is 1 to 100000, PERIOD 1ms to 7d.
 *
 * @example
 * ```ts
 * import { parseRate } from "./queue_limits.ts";
 * console.assert(parseRate("10/1s")?.periodMs === 1000);
 * console.assert(parseRate("off") === null);
 * ```
 */
export function parseRate(text: unknown, what = "rate"): QueueRate | null {
  if (text === "off" || text === "none") return null;
  const shape = `expected N/PERIOD like "10/1s" or "1000/1h", or off`;
  if (typeof text !== "string") {
    throw new UsageError(`Invalid ${what} ${JSON.stringify(text) ?? String(text)}: ${shape}`);
  }
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!match) throw new UsageError(`Invalid ${what} ${JSON.stringify(text)}: ${shape}`);
  const limit = Number(match[1]);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(text)}: N must be an integer from 1 to ${MAX_LIMIT}`,
    );
  }
  const periodMs = parseDuration(match[2], `${what} period`);
  if (periodMs < 1 || periodMs > MAX_RATE_PERIOD_MS) {
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(text)}: the period must be from 1ms to 7d`,
    );
  }
  return { limit, periodMs };
}

/**
 * A group limit as a user gives it: an integer from 1 to 100000, or `none`/`off` (null).
 *
 * @example
 * ```ts
 * import { parseGroupLimit } from "./queue_limits.ts";
 * console.assert(parseGroupLimit("2") === 2);
 * console.assert(parseGroupLimit("none") === null);
 * ```
 */
export function parseGroupLimit(text: unknown, what = "group limit"): number | null {
  if (text === "none" || text === "off" || text === null) return null;
  const value = typeof text === "number" ? text : typeof text === "string" ? Number(text) : NaN;
  if (
    (typeof text === "string" && !/^\s*\d+\s*$/.test(text)) || !Number.isInteger(value) ||
    value < 1 || value > MAX_LIMIT
  ) {
    throw new UsageError(
      `Invalid ${what} ${
        JSON.stringify(text) ?? String(text)
      }: expected an integer from 1 to ${MAX_LIMIT}, or none`,
    );
  }
  return value;
}

/**
 * A stored rate as `QueueRate`, null when none is set, `"invalid"` when the stored numbers are
 * out of range (a row edited by hand): readers show it so and never crash.
 */
export function storedRate(
  limit: number | null,
  periodMs: number | null,
): QueueRate | null | "invalid" {
  if (limit === null && periodMs === null) return null;
  const ok = limit !== null && periodMs !== null && Number.isSafeInteger(limit) && limit >= 1 &&
    Number.isSafeInteger(periodMs) && periodMs >= 1;
  return ok ? { limit, periodMs } : "invalid";
}

/**
 * A rate as `N/PERIOD` in the largest whole unit (`10/1s`, `1000/1h`, `3/1500ms`).
 *
 * @example
 * ```ts
 * import { formatRate } from "./queue_limits.ts";
 * console.assert(formatRate({ limit: 1000, periodMs: 3_600_000 }) === "1000/1h");
 * ```
 */
export function formatRate(rate: QueueRate): string {
  const units: [string, number][] = [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], [
    "s",
    1000,
  ]];
  for (const [unit, ms] of units) {
    if (rate.periodMs % ms === 0) return `${rate.limit}/${rate.periodMs / ms}${unit}`;
  }
  return `${rate.limit}/${rate.periodMs}ms`;
}

/**
 * When a queue with `rate` may start a job again, given the times of its recent starts (any
 * order; those older than the window are ignored), or null when it may start one now. A start
 * at `t` counts while `now < t + periodMs`, as in the claim (`started_at > now - period`).
 *
 * @example
 * ```ts
 * import { rateLimitedUntil } from "./queue_limits.ts";
 * const rate = { limit: 2, periodMs: 1000 };
 * console.assert(rateLimitedUntil([100, 300], rate, 500) === 1100);
 * console.assert(rateLimitedUntil([100, 300], rate, 1100) === null);
 * ```
 */
export function rateLimitedUntil(
  starts: readonly number[],
  rate: QueueRate,
  now: number,
): number | null {
  const inWindow = starts.filter((start) => start > now - rate.periodMs).sort((a, b) => a - b);
  if (inWindow.length < rate.limit) return null;
  // Below the limit again once all but limit - 1 of these have left the window.
  return inWindow[inWindow.length - rate.limit] + rate.periodMs;
}

/**
 * When a worker should look at a rate-limited queue again: when its first waiting job is due,
 * or when its window frees, whichever is later; undefined when it has no waiting job.
 *
 * @example
 * ```ts
 * import { queueNextStart } from "./queue_limits.ts";
 * const rate = { limit: 1, periodMs: 1000 };
 * console.assert(queueNextStart({ nextRunAt: 50, starts: [100], rate, now: 200 }) === 1100);
 * ```
 */
export function queueNextStart(
  queue: { nextRunAt: number | null; starts: readonly number[]; rate: QueueRate; now: number },
): number | undefined {
  if (queue.nextRunAt === null) return undefined;
  const until = rateLimitedUntil(queue.starts, queue.rate, queue.now);
  return until === null ? queue.nextRunAt : Math.max(queue.nextRunAt, until);
}

/**
 * A queue's rate as readers show it (null: none; `"invalid"`: stored out of range) and until
 * when it holds its jobs back as of `now` (null: it does not).
 *
 * @example
 * ```ts
 * import { queueRateState } from "./queue_limits.ts";
 * const queue = { rateLimit: 1, ratePeriodMs: 1000, recentStarts: [100] };
 * console.assert(queueRateState(queue, 500).limitedUntil === 1100);
 * ```
 */
export function queueRateState(
  queue: { rateLimit: number | null; ratePeriodMs: number | null; recentStarts: number[] },
  now: number,
): { rate: QueueRate | null | "invalid"; limitedUntil: number | null } {
  const rate = storedRate(queue.rateLimit, queue.ratePeriodMs);
  if (rate === null || rate === "invalid") return { rate, limitedUntil: null };
  return { rate, limitedUntil: rateLimitedUntil(queue.recentStarts, rate, now) };
}

/** A stored group limit as readers show it: null, a count, or `"invalid"` (out of range). */
export function storedGroupLimit(limit: number | null): number | null | "invalid" {
  return limit === null ? null : Number.isSafeInteger(limit) && limit >= 1 ? limit : "invalid";
}
