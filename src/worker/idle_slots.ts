/**
 * The idle slots of one worker thread, and their wake-ups. A wake-up goes to one idle slot, not
 * all: a single new job then costs one claim per thread instead of one per slot, and a slot that
 * does find work passes the wake-up on (see web_worker.ts), so a burst still fans out.
 *
 * @module
 */

/** Idle slots waiting for a timeout or a wake-up, whichever comes first. */
export class IdleSlots {
  readonly #waiting: (() => void)[] = [];
  #pending = false;

  /** Waits up to `ms`; returns at once if a wake-up arrived while no slot was idle. */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        const index = this.#waiting.indexOf(finish);
        if (index !== -1) this.#waiting.splice(index, 1);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#waiting.push(finish);
    });
  }

  /** Ends the longest wait, or the next one if no slot is idle now. */
  wakeOne(): void {
    const first = this.#waiting[0];
    if (first) first();
    else this.#pending = true;
  }

  /** Ends every wait (drain, stop). */
  wakeAll(): void {
    for (const finish of [...this.#waiting]) finish();
    this.#pending = true;
  }
}
