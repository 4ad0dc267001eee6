import assert from "node:assert/strict";
import { ThreadLock } from "./thread_lock.ts";

Deno.test("ThreadLock keeps threads from interleaving inside hold()", async () => {
  const lock = ThreadLock.newBuffer();
  const counter = new SharedArrayBuffer(12);
  new Int32Array(counter)[2] = 3; // threads
  const times = 200_000;
  const workers = [0, 1, 2].map(() =>
    new Worker(new URL("./testdata/thread_lock_worker.ts", import.meta.url).href, {
      type: "module",
    })
  );
  try {
    await Promise.all(workers.map((worker) =>
      new Promise<void>((resolve, reject) => {
        worker.onmessage = () => resolve();
        worker.onerror = (event) => reject(new Error(event.message));
        worker.postMessage({ lock, counter, times });
      })
    ));
  } finally {
    workers.forEach((worker) => worker.terminate());
  }
  assert.equal(new Int32Array(counter)[0], 3 * times);
});

Deno.test("ThreadLock.hold() releases the lock when its body throws", () => {
  const lock = new ThreadLock(ThreadLock.newBuffer());
  assert.throws(() =>
    lock.hold(() => {
      throw new Error("boom");
    }), /boom/);
  // Taken again at once: a lock left held would make this wait for its patience first.
  const start = performance.now();
  assert.equal(lock.hold(() => 42), 42);
  assert.ok(performance.now() - start < 500);
});
