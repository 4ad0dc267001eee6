/**
 * Saying a store outage once per worker process. Every part that uses the store (the heartbeat,
 * the scheduler, each slot) reports its failures and its next success here; the log says when
 * the first part fails and when the last one is through, not at every retry of every slot.
 *
 * @module
 */

/** The logging calls an outage makes (a logtape `Logger` fits). */
export interface OutageLog {
  error(message: string): void;
  info(message: string): void;
}

/** Whether the store answers, as the parts of one worker process find it. */
export class StoreOutage {
  readonly #log: OutageLog;
  readonly #now: () => number;
  /** The parts whose last store call failed. */
  readonly #failing = new Set<string>();
  #since = 0;

  /** An outage tracker that logs to `log`; `now` dates its start (for the "after N s"). */
  constructor(log: OutageLog, now: () => number = Date.now) {
    this.#log = log;
    this.#now = now;
  }

  /** Whether some part's last store call failed. */
  get ongoing(): boolean {
    return this.#failing.size > 0;
  }

  /**
   * `source` (a name: "heartbeat", "worker 2") could not use the store: `message` says why.
   * Logged only when no other part was failing already.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { StoreOutage } from "./store_outage.ts";
   *
   * const lines: string[] = [];
   * const outage = new StoreOutage({ error: (m) => lines.push(m), info: (m) => lines.push(m) });
   * outage.failed("heartbeat", 'Cannot write to the database "q.db": the disk is full');
   * outage.failed("worker 1", 'Cannot write to the database "q.db": the disk is full');
   * outage.failed("heartbeat", 'Cannot write to the database "q.db": the disk is full');
   * outage.recovered("worker 1");
   * assert.equal(lines.length, 1);
   * outage.recovered("heartbeat");
   * assert.equal(lines.length, 2);
   * ```
   */
  failed(source: string, message: string): void {
    if (this.#failing.has(source)) return;
    this.#failing.add(source);
    if (this.#failing.size > 1) return;
    this.#since = this.#now();
    this.#log.error(
      `The store is unavailable, waiting for it (running jobs go on; what they end with is recorded once it answers): ${message}`,
    );
  }

  /** `source` no longer uses the store (a thread that ended): it ends no outage by stopping. */
  forget(source: string): void {
    this.#failing.delete(source);
  }

  /** `source` used the store again. The last part through ends the outage, which is logged. */
  recovered(source: string): void {
    if (!this.#failing.delete(source) || this.#failing.size > 0) return;
    const seconds = Math.round((this.#now() - this.#since) / 100) / 10;
    this.#log.info(`The store answers again, after ${seconds} s`);
  }
}
