import assert from "node:assert/strict";
import type { Logger } from "../log.ts";
import { IdleThreadWakes, slotsOfThreads, superviseThread, threadCount } from "./supervisor.ts";
import { PARKED, SpareThreads } from "./spare_threads.ts";
import { StoreOutage } from "./store_outage.ts";

Deno.test("one thread per core, never more than the slots nor 4", () => {
  assert.equal(threadCount(1, 8), 1);
  assert.equal(threadCount(8, 2), 2);
  assert.equal(threadCount(8, 16), 4);
  assert.equal(threadCount(3, 0), 1); // An unknown core count still gets a thread.
});

Deno.test("slots are dealt round-robin, each once", () => {
  assert.deepEqual(slotsOfThreads(5, 2), [[1, 3, 5], [2, 4]]);
  assert.deepEqual(slotsOfThreads(1, 1), [[1]]);
  const dealt = slotsOfThreads(8, 3).flat().sort((a, b) => a - b);
  assert.deepEqual(dealt, [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("runSupervisor() stops once its stop signal is aborted: drained, deregistered, returned", async () => {
  const { join } = await import("node:path");
  const { openStore } = await import("../store/mod.ts");
  const { setupLogging } = await import("../log.ts");
  const { runSupervisor } = await import("./supervisor.ts");
  const dir = await Deno.makeTempDir({ prefix: "queuectl-supervisor-" });
  const location = { kind: "sqlite" as const, path: join(dir, "queue.db") };
  const store = await openStore(location);
  try {
    for (const reason of ["drain", "now"]) {
      const stop = new AbortController();
      let registered: string[] = [];
      await runSupervisor({
        location,
        count: 2,
        host: "test-host",
        logLevel: "error",
        logger: await setupLogging({ level: "error" }),
        stop: stop.signal,
        onReady: async () => {
          registered = (await store.workerList()).map((worker) => worker.id);
          stop.abort(reason);
        },
      });
      assert.equal(registered.length, 1, `registered before the ${reason} stop`);
      assert.deepEqual(await store.workerList(), [], `deregistered after the ${reason} stop`);
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IdleThreadWakes wakes one thread that has an idle slot, in turn, never the one asking", () => {
  const counts = new Int32Array(new SharedArrayBuffer(4 * 3));
  const told: number[] = [];
  const threads = [0, 1, 2].map((index) => ({
    worker: { postMessage: () => told.push(index) } as unknown as Worker,
  }));
  const wakes = new IdleThreadWakes(threads, counts);
  assert.equal(wakes.wakeOne(), false, "no slot idle: nobody is told");
  assert.deepEqual(told, []);
  Atomics.store(counts, 0, 1);
  Atomics.store(counts, 2, 3);
  assert.equal(wakes.wakeOne(), true);
  assert.equal(wakes.wakeOne(), true);
  assert.equal(wakes.wakeOne(), true);
  assert.deepEqual(told, [0, 2, 0], "threads with idle slots, in turn");
  told.length = 0;
  assert.equal(wakes.wakeOne(0), true);
  assert.equal(wakes.wakeOne(2), true);
  assert.deepEqual(told, [2, 0], "never the thread that asked");
  wakes.forget(2);
  assert.equal(wakes.wakeOne(0), false, "a thread that ended has no idle slot");
  Atomics.store(counts, 1, PARKED);
  assert.equal(wakes.wakeOne(0), false, "a parked spare is not woken: it is not running");
  assert.deepEqual(told, [2, 0]);
  Atomics.store(counts, 1, 2);
  wakes.draining(1);
  assert.equal(wakes.isDraining(1), true);
  assert.equal(wakes.wakeOne(0), false, "a spare told to drain is not woken, idle slots or not");
  wakes.forget(1);
  assert.equal(wakes.isDraining(1), false, "ended: a new start of it is woken again");
  Atomics.store(counts, 1, 1);
  assert.equal(wakes.wakeOne(0), true);
  assert.deepEqual(told, [2, 0, 1]);
});

Deno.test("superviseThread() starts no spare once the process is stopping, however the stop and the start interleave", async () => {
  // The stop is broadcast to the threads running then: a thread started after it is never told
  // to drain, and the process waits for it forever. The stop comes from a signal's handler,
  // after an await of its own, so it may land between any two steps of the spare's start.
  const log = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
  for (let ticks = 0; ticks <= 12; ticks++) {
    const counts = new Int32Array(new SharedArrayBuffer(4 * 2));
    const threads: Parameters<typeof superviseThread>[1] = [];
    const spares = new SpareThreads(counts);
    let stopping = false;
    const startedWhileStopping: boolean[] = [];
    const endThreads: (() => void)[] = [];
    const ended = superviseThread(1, threads, () => {
      startedWhileStopping.push(stopping);
      let end = () => {};
      // One started late is ended here so the test can report it (the process hangs on it).
      const exited = stopping
        ? Promise.resolve(false)
        : new Promise<boolean>((resolve) => end = () => resolve(false));
      endThreads.push(end);
      return { worker: {} as Worker, slots: [2], running: new Map(), exited };
    }, {
      isStopping: () => stopping,
      stopping: new Promise(() => {}),
      log,
      outage: new StoreOutage(log),
      idle: new IdleThreadWakes(threads, counts),
      claimCounts: new Int32Array(new SharedArrayBuffer(4 * 2)),
      spares,
    });
    assert.equal(Atomics.load(counts, 1), PARKED, "the spare waits parked");
    assert.equal(spares.startOne(), true, "work found no idle slot: the spare is to start");
    for (let tick = 0; tick < ticks; tick++) await Promise.resolve();
    stopping = true;
    spares.stop();
    // What the broadcast reaches: a thread started by now is in `threads` and drains.
    endThreads.forEach((end) => end());
    assert.equal(await ended, false);
    assert.deepEqual(
      startedWhileStopping.filter(Boolean),
      [],
      `stop after ${ticks} microtask(s): a thread was started after the stop`,
    );
    // And a stop that comes late enough finds the spare started (the guard stops no more).
    if (ticks === 12) assert.deepEqual(startedWhileStopping, [false], "the spare started");
  }
});

Deno.test("superviseThread(): a stop ends the pause before a failed thread starts again", async () => {
  let paused = () => {};
  const isPaused = new Promise<void>((resolve) => paused = resolve);
  // "… starts again in 1 s": the pause has begun.
  const log = { debug() {}, info() {}, warn: () => paused(), error() {} } as unknown as Logger;
  const counts = new Int32Array(new SharedArrayBuffer(4));
  const threads: Parameters<typeof superviseThread>[1] = [];
  let stopping = false;
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => stop = resolve);
  let starts = 0;
  const ended = superviseThread(0, threads, () => {
    starts++;
    // A thread that fails at once (its store unreachable, say): paused 1 s before the next.
    return { worker: {} as Worker, slots: [1], running: new Map(), exited: Promise.resolve(true) };
  }, {
    isStopping: () => stopping,
    stopping: stopped,
    log,
    outage: new StoreOutage(log),
    idle: new IdleThreadWakes(threads, counts),
    claimCounts: new Int32Array(new SharedArrayBuffer(4)),
    spares: new SpareThreads(counts),
  });
  await isPaused;
  const stoppedAt = performance.now();
  stopping = true;
  stop();
  assert.equal(await ended, false);
  const tookMs = performance.now() - stoppedAt;
  assert.ok(tookMs < 500, `ended ${tookMs.toFixed(0)} ms after the stop, not at once`);
  assert.equal(starts, 1, "not started again once stopping");
});
