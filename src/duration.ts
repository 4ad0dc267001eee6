/**
 * Durations as people type them: `90`, `90s`, `1.5s`, `500ms`, `5m`, `2h`, `7d`, `1h30m`.
 * A bare number is seconds. None is longer than 100 years (`MAX_DURATION_MS`).
 *
 * @module
 */
import { UsageError } from "./errors.ts";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * The longest duration taken anywhere (a delay, a wait, an age): 100 years (36525 days). A
 * delay that long still ends long before 9999, the last year queuectl stores; anything longer
 * is a typo, and a huge one would overflow timers and database columns.
 */
export const MAX_DURATION_MS = 36_525 * 86_400_000;

/** How `MAX_DURATION_MS` reads in messages. */
export const MAX_DURATION_TEXT = "100 years (36525d)";

/**
 * Milliseconds in `text`; a usage error naming `what` when it is not a duration, or one longer
 * than `MAX_DURATION_MS`.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * console.assert(parseDuration("1h30m", "--delay") === 5_400_000);
 * console.assert(parseDuration("30", "--delay") === 30_000);
 * ```
 */
export function parseDuration(text: string, what: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return checkDuration(Math.round(Number(trimmed) * 1000), text, what);
  }
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (trimmed === "" || parts.map((part) => part[0]).join("") !== trimmed) {
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(text)}: expected a duration like 30s, 5m, 2h, 7d or 1h30m`,
    );
  }
  return checkDuration(
    Math.round(parts.reduce((total, [, value, unit]) => total + Number(value) * UNIT_MS[unit], 0)),
    text,
    what,
  );
}

function checkDuration(ms: number, text: string, what: string): number {
  if (!(ms <= MAX_DURATION_MS)) {
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(text)}: longer than ${MAX_DURATION_TEXT}`,
    );
  }
  return ms;
}
