/**
 * Store contract: workSubscribe: best-effort wake-ups across connections.
 *
 * @module
 */
import assert from "node:assert/strict";
import { claim, type ContractTest, finishOf, ids, newJob, T0, waitFor } from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function subscribeContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // workSubscribe

  test("workSubscribe() calls onWork after another connection enqueues, and not after unsubscribe", async ({ store, openAnother }) => {
    const other = await openAnother();
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      await other.jobInsert({ jobs: [newJob("a")], now: T0 });
      await waitFor("onWork after another connection's jobInsert", () => calls > 0);
    } finally {
      unsubscribe();
    }
    const callsAtUnsubscribe = calls;

    // A second subscriber proves later announcements do go out; the first must not hear them.
    let sentinel = 0;
    const stopSentinel = store.workSubscribe({ onWork: () => sentinel++ });
    try {
      await other.jobInsert({ jobs: [newJob("b")], now: T0 + 1 });
      await waitFor("the sentinel's onWork after a jobInsert", () => sentinel > 0);
      const seen = sentinel;
      await other.jobInsert({ jobs: [newJob("c")], now: T0 + 2 });
      await waitFor("the sentinel's onWork after a second jobInsert", () => sentinel > seen);
    } finally {
      stopSentinel();
    }
    assert.equal(calls, callsAtUnsubscribe, "onWork was called after unsubscribing");
    assert.deepEqual(ids(await store.jobList({})), ["a", "b", "c"]);
  });

  test("workSubscribe() calls onWork once per announcement", async ({ store, openAnother }) => {
    const other = await openAnother();
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    const inserts = 5;
    try {
      for (let n = 1; n <= inserts; n++) {
        await other.jobInsert({ jobs: [newJob(`job-${n}`)], now: T0 + n });
        await waitFor(`onWork after insert ${n}`, () => calls >= n);
      }
    } finally {
      unsubscribe();
    }
    // One call per insert, and one more allowed when the subscription starts (PostgreSQL's
    // LISTEN looks once for work that came before it): not one per event of the file's write.
    assert.ok(calls <= inserts + 1, `${inserts} inserts woke the subscriber ${calls} times`);
  });

  test("workSubscribe() calls onWork after another connection retries a dead job", async ({ store, openAnother }) => {
    const other = await openAnother();
    await other.jobInsert({ jobs: [newJob("a", { maxRetries: 0 })], now: T0 });
    const job = await claim(other, "w1", T0);
    assert.equal(await other.jobFinish(finishOf(job, T0 + 1, "dead", { exitCode: 1 })), true);
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      assert.deepEqual(await other.jobRetryDead({ ids: ["a"], now: T0 + 2 }), ["a"]);
      await waitFor("onWork after another connection's jobRetryDead", () => calls > 0);
    } finally {
      unsubscribe();
    }
    assert.equal((await store.jobGet({ id: "a" }))?.state, "pending");
  });

  test("workSubscribe() calls onWork after another connection asks to cancel a running job", async ({ store, openAnother }) => {
    const other = await openAnother();
    await other.jobInsert({ jobs: [newJob("a")], now: T0 });
    await claim(other, "w1", T0);
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      assert.deepEqual(await other.jobCancel({ ids: ["a"], now: T0 + 1 }), {
        canceled: [],
        stopping: ["a"],
      });
      await waitFor(
        "onWork after another connection's jobCancel of a running job",
        () => calls > 0,
      );
    } finally {
      unsubscribe();
    }
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w1" }), [
      { id: "a", leaseToken: 1 },
    ]);
  });

  test("workSubscribe() calls onWork after another connection changes a queue's concurrency limit", async ({ store, openAnother }) => {
    const other = await openAnother();
    await other.jobInsert({ jobs: [newJob("a", { queue: "deploy" })], now: T0 });
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      await other.queueSetConcurrency({ name: "deploy", concurrency: 2 });
      await waitFor("onWork after another connection's queueSetConcurrency", () => calls > 0);
      const seen = calls;
      await other.queueSetConcurrency({ name: "deploy", concurrency: null });
      await waitFor("onWork after a limit was removed", () => calls > seen);
    } finally {
      unsubscribe();
    }
    assert.deepEqual(
      (await store.queueList()).map((queue) => [queue.name, queue.concurrency]),
      [["deploy", null]],
    );
  });

  test("workSubscribe() calls onWork after another connection finishes a job of a limited queue", async ({ store, openAnother }) => {
    const other = await openAnother();
    await other.queueSetConcurrency({ name: "deploy", concurrency: 1 });
    await other.jobInsert({
      jobs: [newJob("d1", { queue: "deploy" }), newJob("d2", { queue: "deploy" })],
      now: T0,
    });
    const d1 = await claim(other, "w1", T0);
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      assert.equal(await other.jobFinish(finishOf(d1, T0 + 1, "completed")), true);
      await waitFor("onWork after a place in a limited queue came free", () => calls > 0);
    } finally {
      unsubscribe();
    }
    assert.equal((await claim(store, "w2", T0 + 1)).id, "d2");
  });
}
