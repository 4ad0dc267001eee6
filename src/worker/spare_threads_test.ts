import assert from "node:assert/strict";
import { PARKED, SPARE_IDLE_HEARTBEATS, SpareThreads, takeParkedThread } from "./spare_threads.ts";

function cells(...values: number[]): Int32Array {
  const counts = new Int32Array(new SharedArrayBuffer(4 * values.length));
  values.forEach((value, index) => Atomics.store(counts, index, value));
  return counts;
}

/** Whether `promise` has settled after the pending microtasks ran, and with what. */
async function settled<T>(promise: Promise<T>): Promise<{ value: T } | "pending"> {
  return await Promise.race([
    promise.then((value) => ({ value })),
    new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), 0)),
  ]);
}

Deno.test("takeParkedThread takes each parked spare once, never the first thread", () => {
  const counts = cells(PARKED, 2, PARKED, PARKED);
  assert.equal(takeParkedThread(counts), 2, "the first parked spare; a running one is skipped");
  assert.equal(Atomics.load(counts, 2), 0, "taken: shows as running with no idle slot");
  assert.equal(takeParkedThread(counts), 3);
  assert.equal(takeParkedThread(counts), -1, "thread 0 is never taken, even marked parked");
  assert.deepEqual([...counts], [PARKED, 2, 0, 0]);
});

Deno.test("SpareThreads: a parked spare waits until started, or until the process stops", async () => {
  const counts = cells(1, 0, 0);
  const spares = new SpareThreads(counts);
  const first = spares.parked(1);
  const second = spares.parked(2);
  assert.deepEqual([...counts], [1, PARKED, PARKED], "parked shows in the shared counts");
  assert.equal(await settled(first), "pending");
  assert.equal(spares.startOne(), true);
  assert.deepEqual(await settled(first), { value: true }, "the lowest parked spare starts");
  assert.equal(Atomics.load(counts, 1), 0);
  assert.equal(await settled(second), "pending");
  assert.equal(spares.start(1), false, "a spare that waits no more is not started twice");
  spares.stop();
  assert.deepEqual(await settled(second), { value: false }, "a stop ends the wait: no start");
  assert.deepEqual(await settled(spares.parked(1)), { value: false }, "nothing parks after it");
  assert.equal(spares.startOne(), false);
});

Deno.test("SpareThreads.idleAtBeat: a spare idle at the last beats in a row, and only it", async () => {
  const counts = cells(2, 2, 2);
  const spares = new SpareThreads(counts);
  const idle = new Set([0, 1, 2]);
  const beat = () => spares.idleAtBeat((index) => idle.has(index));
  for (let beats = 1; beats < SPARE_IDLE_HEARTBEATS; beats++) assert.deepEqual(beat(), []);
  idle.delete(2);
  assert.deepEqual(beat(), [1], "idle at every beat: due; the first thread never is");
  assert.deepEqual(beat(), [], "counted again from its next beat");
  for (let beats = 1; beats < SPARE_IDLE_HEARTBEATS; beats++) beat();
  idle.add(2);
  const parked = spares.parked(1);
  for (let beats = 1; beats < SPARE_IDLE_HEARTBEATS; beats++) assert.deepEqual(beat(), []);
  assert.deepEqual(beat(), [2], "a busy beat starts the count again; a parked spare is not due");
  spares.stop();
  await parked;
});
