/**
 * Spare threads: a worker process always runs its first thread, and the others only while there
 * is work for them. Each Web Worker costs ~12 MiB (its isolate and the code it loads), so an idle
 * `worker start --count 8` holds one instead of one per core; a burst still gets every slot.
 *
 * A spare starts when work finds no idle slot in the process: a thread starting a job with none
 * of its slots idle and none idle elsewhere, a wake-up (a job enqueued) that finds none, a
 * thread's "wake-others" that finds none, or a thread that failed (a spare stands in until it is
 * back). None starts once the process is stopping (see `superviseThread`). It stops again once
 * all its slots were idle at `SPARE_IDLE_HEARTBEATS` heartbeats in a row: it drains (takes no new
 * job, as at a process's drain) and is parked.
 *
 * A thread's state is its cell in the process's idle counts (see `IdleCounter`): `PARKED` while
 * it is not running, else how many of its slots are idle. Whoever starts a parked thread first
 * takes its cell from `PARKED` to 0 with a compare-exchange (a slot in any thread, or the
 * supervisor), so a burst seen by several threads at once starts each spare once.
 *
 * @module
 */

/** The idle count of a thread that is not running: started when work finds no idle slot. */
export const PARKED = -1;

/** Heartbeats in a row at which a spare's slots were all idle before it stops (30 s by default). */
export const SPARE_IDLE_HEARTBEATS = 6;

/**
 * Takes a parked thread for starting: its cell goes from `PARKED` to 0, so nobody else takes it.
 * Returns its index, or -1 when none is parked. The first thread is never parked.
 */
export function takeParkedThread(counts: Int32Array): number {
  for (let index = 1; index < counts.length; index++) {
    if (Atomics.compareExchange(counts, index, PARKED, 0) === PARKED) return index;
  }
  return -1;
}

/** The supervisor's side: which spare waits to start, and which has been idle long enough. */
export class SpareThreads {
  readonly #counts: Int32Array;
  readonly #waiting = new Map<number, (start: boolean) => void>();
  readonly #idleBeats: number[];
  #stopped = false;

  /** `counts`: the process's idle counts, one cell per thread. */
  constructor(counts: Int32Array) {
    this.#counts = counts;
    this.#idleBeats = Array.from({ length: counts.length }, () => 0);
  }

  /**
   * Parks thread `index` (not started yet, or ended by its drain): resolves true when it is to
   * start, false when the process stops first.
   */
  parked(index: number): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    this.#idleBeats[index] = 0;
    Atomics.store(this.#counts, index, PARKED);
    return new Promise((resolve) => this.#waiting.set(index, resolve));
  }

  /** Starts parked thread `index`, whose cell `takeParkedThread` took; false if it waits no more. */
  start(index: number): boolean {
    const resolve = this.#waiting.get(index);
    if (!resolve) return false;
    this.#waiting.delete(index);
    resolve(true);
    return true;
  }

  /** Starts a parked thread if there is one (a wake-up found no idle slot). */
  startOne(): boolean {
    const index = takeParkedThread(this.#counts);
    return index !== -1 && this.start(index);
  }

  /**
   * At a heartbeat: the running spares to stop, those idle (`isIdle`: every slot waiting, no run,
   * no claim pending) at this beat and the `SPARE_IDLE_HEARTBEATS - 1` before it.
   */
  idleAtBeat(isIdle: (index: number) => boolean): number[] {
    const due: number[] = [];
    for (let index = 1; index < this.#counts.length; index++) {
      if (this.#waiting.has(index) || !isIdle(index)) {
        this.#idleBeats[index] = 0;
      } else if (++this.#idleBeats[index] >= SPARE_IDLE_HEARTBEATS) {
        this.#idleBeats[index] = 0;
        due.push(index);
      }
    }
    return due;
  }

  /** The process stops: a parked thread starts no more. */
  stop(): void {
    this.#stopped = true;
    for (const resolve of this.#waiting.values()) resolve(false);
    this.#waiting.clear();
  }
}
