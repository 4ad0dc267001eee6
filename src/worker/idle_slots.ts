/**
 * The idle slots of one worker thread, and their wake-ups. A wake-up goes to one idle slot, not
 * all: a single new job then costs one claim per thread instead of one per slot, and a slot that
 * does find work passes the wake-up on (see web_worker.ts), so a burst still fans out (to a
 * parked spare thread when no slot of the process is idle: spare_threads.ts). For the
 * same reason only the longest-waiting slot polls: the others wait for it to pass work on. Across
 * the threads of a process the same holds: a thread skips its poll while a thread before it has
 * an idle slot, which polls (and wakes the others when it finds work).
 *
 * @module
 */
import { takeParkedThread } from "./spare_threads.ts";

interface Waiter {
  ms: number;
  finish: (why: WaitEnd) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** Why a wait ended: a wake-up (work announced, drain, stop) or its timeout (time to poll). */
export type WaitEnd = "woken" | "timeout";

/**
 * Where a thread publishes how many of its slots are idle, for its supervisor and its sibling
 * threads to read (Atomics on memory every thread of the process shares): one cell per thread,
 * `PARKED` (-1) while that thread is not running (see spare_threads.ts).
 */
export interface IdleCounter {
  counts: Int32Array;
  index: number;
}

/** Idle slots waiting for a wake-up, the first of them also for its timeout. */
export class IdleSlots {
  readonly #waiting: Waiter[] = [];
  #pending = false;
  /** Set by `wakeAll`: no wait waits any more. */
  #ending = false;
  #counter?: IdleCounter;

  constructor(counter?: IdleCounter) {
    this.#counter = counter;
  }

  /**
   * Waits for a wake-up, or up to `ms` once this slot is the longest waiting; returns at once if
   * a wake-up arrived while no slot was idle.
   */
  wait(ms: number): Promise<WaitEnd> {
    if (this.#ending) return Promise.resolve("woken");
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve("woken");
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        ms,
        finish: (why) => {
          clearTimeout(waiter.timer);
          const index = this.#waiting.indexOf(waiter);
          if (index !== -1) this.#waiting.splice(index, 1);
          this.#publish();
          if (index === 0) this.#startHeadTimer();
          resolve(why);
        },
      };
      this.#waiting.push(waiter);
      this.#publish();
      if (this.#waiting.length === 1) this.#startHeadTimer();
    });
  }

  /** Ends the longest wait, or the next one if no slot is idle now. */
  wakeOne(): void {
    const first = this.#waiting[0];
    if (first) first.finish("woken");
    else this.#pending = true;
  }

  /**
   * Ends every wait, and every later one at once (drain, stop: the slots are ending), the thread
   * retired first (`retire`). Not only the next: several slots may be on their way to a wait
   * (looking up when the next job is due), and each would otherwise wait out a poll interval, one
   * after the other.
   */
  wakeAll(): void {
    this.retire();
    this.#ending = true;
    for (const waiter of [...this.#waiting]) waiter.finish("woken");
  }

  /** How many slots wait now. */
  get idleCount(): number {
    return this.#waiting.length;
  }

  /** Whether a slot of another thread of the process is idle now. */
  othersIdle(): boolean {
    const counter = this.#counter;
    if (!counter) return false;
    for (let index = 0; index < counter.counts.length; index++) {
      if (index !== counter.index && Atomics.load(counter.counts, index) > 0) return true;
    }
    return false;
  }

  /**
   * Whether a thread before this one in the process has an idle slot, and so polls: this one
   * need not. A thread caught between its claim and its wait shows none, so at worst two poll.
   */
  earlierThreadIdle(): boolean {
    const counter = this.#counter;
    if (!counter) return false;
    for (let index = 0; index < counter.index; index++) {
      if (Atomics.load(counter.counts, index) > 0) return true;
    }
    return false;
  }

  /**
   * Takes a parked thread of the process for starting (see spare_threads.ts): its index, or -1
   * when none is parked. The caller has the supervisor start it.
   */
  takeParked(): number {
    return this.#counter ? takeParkedThread(this.#counter.counts) : -1;
  }

  /**
   * The thread drains: it takes no more work, so it shows no idle slot to the process from now
   * on (a wake-up sent to it would be lost while another thread's slot could take the job).
   */
  retire(): void {
    if (this.#counter) Atomics.store(this.#counter.counts, this.#counter.index, 0);
    this.#counter = undefined;
  }

  #publish(): void {
    if (this.#counter) {
      Atomics.store(this.#counter.counts, this.#counter.index, this.#waiting.length);
    }
  }

  #startHeadTimer(): void {
    const head = this.#waiting[0];
    if (head && head.timer === undefined) {
      head.timer = setTimeout(() => head.finish("timeout"), head.ms);
    }
  }
}
