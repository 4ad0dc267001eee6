/**
 * When a queue's pause ends, from what a user gave (`--until TIME`, `--for DURATION`, or the
 * API's `until` / `for`): checked the same way for the CLI and the dashboard's API.
 *
 * @module
 */
import { parseDuration } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { parseRunAt } from "./job_spec.ts";
import type { QueueSettings } from "./store/mod.ts";

/**
 * The end of a pause as epoch ms, or null (until resumed) when neither is given. `until` is an
 * ISO 8601 time with a zone, in the future; `duration` a duration (`30m`, `2h`) from `now`.
 *
 * @example
 * ```ts
 * import { pauseEnd } from "./queue_pause.ts";
 * console.assert(pauseEnd({ duration: "2m" }, 1000) === 121_000);
 * console.assert(pauseEnd({}, 1000) === null);
 * ```
 */
export function pauseEnd(
  given: { until?: unknown; duration?: unknown },
  now: number,
  [untilName, forName] = ["--until", "--for"],
): number | null {
  const { until, duration } = given;
  if (until !== undefined && duration !== undefined) {
    throw new UsageError(`Give ${untilName} or ${forName}, not both`);
  }
  if (duration !== undefined) {
    if (typeof duration !== "string") {
      throw new UsageError(
        `Invalid ${forName}: expected a duration like "30m", got ${
          JSON.stringify(duration) ?? String(duration)
        }`,
      );
    }
    const ms = parseDuration(duration, forName);
    if (ms <= 0) throw new UsageError(`Invalid ${forName} ${JSON.stringify(duration)}: it is zero`);
    return now + ms;
  }
  if (until === undefined) return null;
  const end = parseRunAt(until, untilName);
  if (end <= now) {
    throw new UsageError(`Invalid ${untilName} ${JSON.stringify(until)}: it is not in the future`);
  }
  return end;
}

/**
 * True while a queue is paused: `pausedAt` is set, and `pausedUntil` is null (until resumed) or
 * still ahead of `now`. The claim queries apply the same rule in SQL.
 *
 * @example
 * ```ts
 * import { isQueuePaused } from "./queue_pause.ts";
 * console.assert(isQueuePaused({ pausedAt: 1, pausedUntil: 10 }, 5));
 * console.assert(!isQueuePaused({ pausedAt: 1, pausedUntil: 10 }, 10));
 * ```
 */
export function isQueuePaused(
  queue: Pick<QueueSettings, "pausedAt" | "pausedUntil">,
  now: number,
): boolean {
  if (queue.pausedAt === null) return false;
  // A NaN end (a row edited by hand) compares false, as SQL's comparison with it would not
  // match: the claim treats such a queue as paused, and so does this.
  return queue.pausedUntil === null || !(queue.pausedUntil <= now);
}
