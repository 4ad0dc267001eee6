/**
 * A lock the worker slots of one process share (they are threads, each with its own SQLite
 * connection), taken around every write transaction. Without it, siblings meet at SQLite's write
 * lock, and the loser's busy handler sleeps in steps of 1, 2, 5, 10… ms: measured here, a
 * quarter of each slot's time went to BEGIN IMMEDIATE while 4 slots drained `true` jobs. With
 * it, a waiting sibling wakes the moment the holder commits.
 *
 * It only makes waiting cheaper: SQLite's own lock still keeps writers apart. So a holder that
 * does not let go within a second (a slot torn down mid-transaction) is simply overtaken.
 *
 * @module
 */

/** How long a waiter waits for the holder before it goes ahead anyway. */
const PATIENCE_MS = 1_000;

/** A mutual-exclusion lock over one `SharedArrayBuffer` cell. */
export class ThreadLock {
  readonly #cell: Int32Array;

  /** `buffer` comes from `ThreadLock.newBuffer()`, shared with every thread by postMessage. */
  constructor(buffer: SharedArrayBuffer) {
    this.#cell = new Int32Array(buffer, 0, 1);
  }

  /** The memory of a new, free lock. */
  static newBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(4);
  }

  /** Runs `body` holding the lock (blocking this thread while a sibling holds it). */
  hold<T>(body: () => T): T {
    this.#acquire();
    try {
      return body();
    } finally {
      Atomics.store(this.#cell, 0, 0);
      Atomics.notify(this.#cell, 0, 1);
    }
  }

  #acquire(): void {
    const deadline = performance.now() + PATIENCE_MS;
    while (Atomics.compareExchange(this.#cell, 0, 0, 1) !== 0) {
      const left = deadline - performance.now();
      if (left <= 0) {
        Atomics.store(this.#cell, 0, 1); // Overtake a holder that is gone.
        return;
      }
      Atomics.wait(this.#cell, 0, 1, left);
    }
  }
}
