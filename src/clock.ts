/**
 * Time, injected. Production code asks a `Clock`; tests pass a `ManualClock` and never sleep.
 * SQL never reads the clock itself: every store method that needs "now" takes it as a parameter.
 *
 * @module
 */

/** A source of the current time and of cancellable waits. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest delay one timer takes: a longer one overflows and fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms, signal) {
    // In steps a timer can take, so a long sleep never turns into a busy loop.
    let left = ms;
    for (; left > MAX_TIMER_MS && !signal?.aborted; left -= MAX_TIMER_MS) {
      await sleepOnce(MAX_TIMER_MS, signal);
    }
    await sleepOnce(left, signal);
  },
};

function sleepOnce(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * A clock that moves only when told to, for tests.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * const clock = new ManualClock(1000);
 * clock.advance(500);
 * console.assert(clock.now() === 1500);
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  sleep(ms: number): Promise<void> {
    this.#now += ms;
    return Promise.resolve();
  }
}

/**
 * The earliest time queuectl takes or shows: 1970-01-01T00:00:00.000Z (epoch 0). Nothing it
 * stores is older, and a run time in the past means "now" anyway.
 */
export const MIN_TIME_MS = 0;

/**
 * The latest time queuectl takes or shows: 9999-12-31T23:59:59.999Z, the last one ISO 8601 writes
 * with four year digits (a `Date` goes on to +275760, which no database column or reader expects).
 */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether `ms` is a time queuectl can store and show: a number from 1970 to the end of 9999. */
export function isTimeInRange(ms: number): boolean {
  return typeof ms === "number" && ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
}

/**
 * What a time that cannot be shown reads as: a stored value out of range (put there by hand, by
 * an older version or by a bug), so that one bad field never breaks a whole listing.
 */
export const INVALID_TIME = "invalid";

/**
 * Renders epoch milliseconds as ISO 8601 UTC, or null; `"invalid"` for a value that is no time
 * in range (`isTimeInRange`): NaN, infinite, before 1970 or after 9999.
 *
 * @example
 * ```ts
 * import { isoTime } from "./clock.ts";
 * console.assert(isoTime(0) === "1970-01-01T00:00:00.000Z");
 * console.assert(isoTime(1e303) === "invalid");
 * ```
 */
export function isoTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return isTimeInRange(ms) ? new Date(ms).toISOString() : INVALID_TIME;
}
