import assert from "node:assert/strict";
import { IdleSlots } from "./idle_slots.ts";
import { PARKED } from "./spare_threads.ts";

/** The waits a wake-up must end: far longer than any test, so only a wake-up ends them. */
const LONG_MS = 60_000;
/** How long a wake-up may take to end a wait before the test fails. */
const FAST_MS = 1_000;

/**
 * `promise`, failing with `what` if it has not settled within `FAST_MS`: a missing wake-up fails
 * the test at once instead of when the 60 s timer ends the wait.
 */
async function soon<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not happen within ${FAST_MS} ms`)),
      FAST_MS,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `body` with fresh slots; ends every wait afterwards so no 60 s timer outlives a failure. */
async function withSlots(body: (idle: IdleSlots) => Promise<void>): Promise<void> {
  const idle = new IdleSlots();
  try {
    await body(idle);
  } finally {
    idle.wakeAll();
  }
}

Deno.test("wakeOne ends exactly one wait, the longest", () =>
  withSlots(async (idle) => {
    const ended: string[] = [];
    const first = idle.wait(LONG_MS).then(() => ended.push("first"));
    const second = idle.wait(LONG_MS).then(() => ended.push("second"));
    assert.equal(idle.idleCount, 2);
    idle.wakeOne();
    await soon(first, "the first wait ending on wakeOne");
    assert.deepEqual(ended, ["first"]);
    assert.equal(idle.idleCount, 1, "the second slot still waits");
    idle.wakeOne();
    await soon(second, "the second wait ending on the next wakeOne");
    assert.deepEqual(ended, ["first", "second"]);
    assert.equal(idle.idleCount, 0);
  }));

Deno.test("a wake-up while no slot waits is kept for the next wait, and only that one", () =>
  withSlots(async (idle) => {
    idle.wakeOne();
    await soon(idle.wait(LONG_MS), "the wait after a kept wake-up ending");
    // Used up: the next wait waits.
    let ended = false;
    const next = idle.wait(LONG_MS).then(() => ended = true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(ended, false, "a kept wake-up ended two waits");
    assert.equal(idle.idleCount, 1);
    idle.wakeOne();
    await soon(next, "the wait ending on wakeOne");
  }));

Deno.test("wakeAll ends every wait, and the next one at once (drain, stop)", () =>
  withSlots(async (idle) => {
    const waits = [idle.wait(LONG_MS), idle.wait(LONG_MS), idle.wait(LONG_MS)];
    assert.equal(idle.idleCount, 3);
    idle.wakeAll();
    await soon(Promise.all(waits), "every wait ending on wakeAll");
    assert.equal(idle.idleCount, 0);
    await soon(idle.wait(LONG_MS), "a wait after wakeAll ending");
    // Every later one too: slots on their way to a wait when the drain came (looking up when the
    // next job is due) each waited out a poll interval, one after the other.
    await soon(idle.wait(LONG_MS), "a second wait after wakeAll ending");
    await soon(idle.wait(LONG_MS), "a third wait after wakeAll ending");
  }));

Deno.test("a wait ends by itself after its time, and a later wake-up is kept", () =>
  withSlots(async (idle) => {
    const started = performance.now();
    await soon(idle.wait(50), "the 50 ms wait ending");
    assert.ok(performance.now() - started >= 45, "the wait ended before its time");
    assert.equal(idle.idleCount, 0);
    idle.wakeOne(); // Nobody waits: kept for later, and no timer is left behind.
    await soon(idle.wait(LONG_MS), "the wait after a kept wake-up ending");
  }));

Deno.test("only the longest-waiting slot times out; the next one takes over its polling", () =>
  withSlots(async (idle) => {
    const ended: string[] = [];
    const first = idle.wait(50).then(() => ended.push("first"));
    const second = idle.wait(50).then(() => ended.push("second"));
    await soon(first, "the first wait timing out");
    const firstEnded = performance.now();
    assert.deepEqual(ended, ["first"]);
    assert.equal(idle.idleCount, 1);
    await soon(second, "the second wait timing out"); // Its own timer started once it was first.
    assert.ok(performance.now() - firstEnded >= 40, "the second slot's timer ran alongside");
    assert.deepEqual(ended, ["first", "second"]);
    assert.equal(idle.idleCount, 0);
  }));

Deno.test("the idle count is published for the other threads, which see it with othersIdle", () => {
  const counts = new Int32Array(new SharedArrayBuffer(4 * 3));
  const mine = new IdleSlots({ counts, index: 1 });
  const other = new IdleSlots({ counts, index: 2 });
  return withSlots(async () => {
    assert.equal(mine.othersIdle(), false);
    const waits = [mine.wait(LONG_MS), mine.wait(LONG_MS)];
    assert.deepEqual([...counts], [0, 2, 0]);
    assert.equal(other.othersIdle(), true, "another thread sees the idle slots");
    assert.equal(mine.othersIdle(), false, "a thread does not count its own");
    mine.wakeOne();
    await soon(waits[0], "the first wait ending");
    assert.deepEqual([...counts], [0, 1, 0]);
    mine.wakeAll();
    await soon(waits[1], "the second wait ending");
    assert.deepEqual([...counts], [0, 0, 0]);
    assert.equal(other.othersIdle(), false);
  });
});

Deno.test("a wait says whether a wake-up or its timeout ended it", () =>
  withSlots(async (idle) => {
    assert.equal(await soon(idle.wait(10), "the 10 ms wait ending"), "timeout");
    const woken = idle.wait(LONG_MS);
    idle.wakeOne();
    assert.equal(await soon(woken, "the woken wait ending"), "woken");
    idle.wakeOne(); // kept for the next wait
    assert.equal(await soon(idle.wait(LONG_MS), "the wait after a kept wake-up"), "woken");
  }));

Deno.test("earlierThreadIdle: a thread leaves the poll to an earlier thread with an idle slot", () => {
  const counts = new Int32Array(new SharedArrayBuffer(4 * 3));
  const first = new IdleSlots({ counts, index: 0 });
  const second = new IdleSlots({ counts, index: 1 });
  const third = new IdleSlots({ counts, index: 2 });
  return withSlots(async () => {
    const thirdWait = third.wait(LONG_MS);
    assert.equal(first.earlierThreadIdle(), false, "the first thread always polls");
    assert.equal(second.earlierThreadIdle(), false, "a later idle thread does not count");
    const secondWait = second.wait(LONG_MS);
    assert.equal(third.earlierThreadIdle(), true);
    assert.equal(second.earlierThreadIdle(), false);
    second.wakeAll();
    await soon(secondWait, "the second thread's wait ending");
    assert.equal(third.earlierThreadIdle(), false, "busy again, the second thread polls no more");
    third.wakeAll();
    await soon(thirdWait, "the third thread's wait ending");
    assert.equal(new IdleSlots().earlierThreadIdle(), false, "a lone thread polls");
  });
});

Deno.test("a parked thread has no idle slot; takeParked starts it once; a retired thread shows none", async () => {
  const counts = new Int32Array(new SharedArrayBuffer(4 * 3));
  Atomics.store(counts, 0, PARKED);
  Atomics.store(counts, 2, PARKED);
  const idle = new IdleSlots({ counts, index: 1 });
  assert.equal(idle.othersIdle(), false, "parked is not idle");
  assert.equal(idle.earlierThreadIdle(), false);
  assert.equal(idle.takeParked(), 2, "thread 0 is never a spare");
  assert.equal(idle.takeParked(), -1, "taken once");
  const waiting = idle.wait(LONG_MS);
  assert.equal(Atomics.load(counts, 1), 1, "a waiting slot is published");
  idle.retire();
  assert.equal(Atomics.load(counts, 1), 0, "retired (draining): no idle slot shown");
  idle.wakeAll();
  assert.equal(await soon(waiting, "the drain's wake-up"), "woken");
  await idle.wait(LONG_MS); // ends at once: the drain's wake-up is kept
  assert.equal(Atomics.load(counts, 1), 0, "nothing published after retiring");
  assert.equal(idle.takeParked(), -1, "a retired thread starts no spare");
});
