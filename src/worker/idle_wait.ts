/** A wait that ends after a timeout or as soon as `wake()` is called, whichever comes first. */
export class IdleWait {
  #wakeUp: (() => void) | null = null;
  #pending = false;

  /** Waits up to `ms`; returns at once if a wake-up arrived since the last wait. */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#wakeUp = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#wakeUp = finish;
    });
  }

  /** Ends the current wait, or the next one if nobody waits now. */
  wake(): void {
    if (this.#wakeUp) this.#wakeUp();
    else this.#pending = true;
  }
}
