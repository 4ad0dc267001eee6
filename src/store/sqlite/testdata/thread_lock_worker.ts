/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
// Test helper of thread_lock_test.ts: adds 1 to a shared counter `times` times, under the lock,
// once every thread is ready (cell 2 holds how many there are).
import { ThreadLock } from "../thread_lock.ts";

self.onmessage = (
  event: MessageEvent<{ lock: SharedArrayBuffer; counter: SharedArrayBuffer; times: number }>,
) => {
  const { lock, counter, times } = event.data;
  const threadLock = new ThreadLock(lock);
  const cell = new Int32Array(counter);
  // Start together: cell 1 counts the threads ready, and each waits for all of them.
  Atomics.add(cell, 1, 1);
  while (Atomics.load(cell, 1) < Atomics.load(cell, 2)) { /* spin */ }
  for (let i = 0; i < times; i++) {
    threadLock.hold(() => {
      // A plain read and write, not Atomics.add: only the lock keeps the threads from racing.
      const value = cell[0];
      cell[0] = value + 1;
    });
  }
  self.postMessage("done");
};
