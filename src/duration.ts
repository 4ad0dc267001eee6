/**
 * Durations as people type them: `90`, `90s`, `1.5s`, `500ms`, `5m`, `2h`, `7d`, `1h30m`.
 * A bare number is seconds.
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
 * Milliseconds in `text`; a usage error naming `what` when it is not a duration.
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
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (trimmed === "" || parts.map((part) => part[0]).join("") !== trimmed) {
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(text)}: expected a duration like 30s, 5m, 2h, 7d or 1h30m`,
    );
  }
  return Math.round(
    parts.reduce((total, [, value, unit]) => total + Number(value) * UNIT_MS[unit], 0),
  );
}
