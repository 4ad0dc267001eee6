/**
 * Waiting for a condition by looking again and again: the one polling loop behind `cancel`,
 * `worker stop` and `waitForJobs`, driven by an injected clock so tests never sleep.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/** How long and how often `waitUntil` looks. */
export interface WaitUntilOptions {
  clock: Clock;
  /** Gives up (resolving false) after this long; default: never. */
  timeoutMs?: number;
  /** How long between looks. */
  intervalMs: number;
  /** Stops waiting, rejecting with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Resolves true as soon as `condition` holds, or false once `timeoutMs` passed without. It looks
 * at once, then every `intervalMs`, and once more when the timeout is reached (so a zero timeout
 * looks once). Rejects with `signal.reason` when `signal` aborts, and with what `condition`
 * throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "./clock.ts";
 * import { waitUntil } from "./wait_until.ts";
 *
 * const clock = new ManualClock(0);
 * assert.equal(await waitUntil(() => clock.now() >= 300, { clock, intervalMs: 100 }), true);
 * assert.equal(clock.now(), 300);
 * assert.equal(await waitUntil(() => false, { clock, intervalMs: 100, timeoutMs: 250 }), false);
 * assert.equal(clock.now(), 550);
 * ```
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  options: WaitUntilOptions,
): Promise<boolean> {
  const { clock, timeoutMs = Infinity, intervalMs, signal } = options;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (await condition()) return true;
    const left = deadline - clock.now();
    if (left <= 0) return false;
    await clock.sleep(Math.min(intervalMs, left), signal);
  }
}
