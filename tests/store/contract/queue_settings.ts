/**
 * Store contract: pausing queues (`queueSetPaused` and how `jobClaim` honours it), their retry
 * lists (`queueSetRetry`), `queueSettings`, and a job's own retry lists kept by `jobInsert`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { QueueSettings, Store } from "../../../src/store/mod.ts";
import { claim, type ContractTest, finishOf, LEASE_MS, newJob, T0 } from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function queueSettingsContract(test: ContractTest): void {
  test("jobClaim() takes no job of a paused queue, takes other queues' jobs, and takes it again once resumed", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("p1", { queue: "paused", priority: 9 }), newJob("o1", { queue: "open" })],
      now: T0,
    });
    await store.queueSetPaused({ name: "paused", pausedAt: T0, pausedUntil: null });
    assert.equal((await claim(store, "w1", T0 + 1)).id, "o1", "the paused queue is skipped");
    assert.equal(await nextClaim(store, "w1", T0 + 1e9), undefined, "paused until resumed");
    assert.equal(await nextClaim(store, "w1", T0 + 1, ["paused"]), undefined);
    assert.equal((await store.jobGet({ id: "p1" }))?.state, "pending");
    await store.queueSetPaused({ name: "paused", pausedAt: null, pausedUntil: null });
    assert.equal((await claim(store, "w1", T0 + 2)).id, "p1");
  });

  test("jobClaim() treats a pause whose pausedUntil has come as over, with nothing clearing it", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("t1", { queue: "timed" })], now: T0 });
    await store.queueSetPaused({ name: "timed", pausedAt: T0, pausedUntil: T0 + 1000 });
    assert.equal(await nextClaim(store, "w1", T0 + 999), undefined);
    assert.equal((await claim(store, "w1", T0 + 1000)).id, "t1");
    // The row still holds the ended pause: readers decide by the time (isQueuePaused).
    const [timed] = await store.queueSettings();
    assert.deepEqual([timed.pausedAt, timed.pausedUntil], [T0, T0 + 1000]);
  });

  test("jobClaim() honours a pause of a limited queue, and its limit again once resumed", async ({ store }) => {
    await store.queueSetConcurrency({ name: "deploy", concurrency: 1 });
    await store.jobInsert({
      jobs: [newJob("d1", { queue: "deploy" }), newJob("d2", { queue: "deploy" })],
      now: T0,
    });
    await store.queueSetPaused({ name: "deploy", pausedAt: T0, pausedUntil: null });
    assert.equal(await nextClaim(store, "w1", T0), undefined);
    await store.queueSetPaused({ name: "deploy", pausedAt: null, pausedUntil: null });
    assert.equal((await claim(store, "w1", T0 + 1)).id, "d1");
    assert.equal(await nextClaim(store, "w1", T0 + 1), undefined, "the limit still holds");
    const [deploy] = await store.queueSettings();
    assert.equal(deploy.concurrency, 1, "a pause and a resume leave the limit alone");
  });

  test("a pause leaves running jobs alone: their finish is recorded", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("r1", { queue: "q" })], now: T0 });
    const running = await claim(store, "w1", T0);
    await store.queueSetPaused({ name: "q", pausedAt: T0 + 1, pausedUntil: null });
    assert.equal(await store.jobFinish(finishOf(running, T0 + 2, "completed")), true);
    assert.equal((await store.jobGet({ id: "r1" }))?.state, "completed");
  });

  test("queueSetPaused() creates an unknown queue's row; a resume of an unknown queue creates none; another connection sees the pause", async ({ store, openAnother }) => {
    await store.queueSetPaused({ name: "ghost", pausedAt: null, pausedUntil: null });
    assert.deepEqual(await store.queueSettings(), []);
    await store.queueSetPaused({ name: "later", pausedAt: T0, pausedUntil: T0 + 5000 });
    assert.deepEqual(await store.queueSettings(), [
      settings("later", { pausedAt: T0, pausedUntil: T0 + 5000 }),
    ]);
    // A second pause replaces the first's end.
    await store.queueSetPaused({ name: "later", pausedAt: T0 + 1, pausedUntil: null });
    const other = await openAnother();
    assert.deepEqual(await other.queueSettings(), [settings("later", { pausedAt: T0 + 1 })]);
    const [listed] = await other.queueList();
    assert.deepEqual({ ...listed, counts: undefined }, {
      ...settings("later", { pausedAt: T0 + 1 }),
      counts: undefined,
    });
    await store.jobInsert({ jobs: [newJob("l1", { queue: "later" })], now: T0 });
    assert.equal(await nextClaim(other, "w2", T0 + 10), undefined);
  });

  test("queueSetRetry() keeps one list per queue, replaces it, and clears it; it creates the row", async ({ store }) => {
    await store.queueSetRetry({ name: "sync", retryOn: [75, 111], noRetryOn: null });
    assert.deepEqual(await store.queueSettings(), [settings("sync", { retryOn: [75, 111] })]);
    await store.queueSetRetry({ name: "sync", retryOn: null, noRetryOn: [2] });
    assert.deepEqual(await store.queueSettings(), [settings("sync", { noRetryOn: [2] })]);
    await store.queueSetConcurrency({ name: "sync", concurrency: 3 });
    await store.queueSetRetry({ name: "sync", retryOn: null, noRetryOn: null });
    assert.deepEqual(await store.queueSettings(), [settings("sync", { concurrency: 3 })]);
    const [listed] = await store.queueList();
    assert.deepEqual([listed.retryOn, listed.noRetryOn, listed.concurrency], [null, null, 3]);
  });

  test("jobInsert() keeps a job's own retry_on / no_retry_on, and every read returns them", async ({ store }) => {
    const [a, b, c] = await store.jobInsert({
      jobs: [
        newJob("a", { retryOn: [75, 111] }),
        newJob("b", { noRetryOn: [2] }),
        newJob("c"),
      ],
      now: T0,
    });
    assert.deepEqual([a.job.retryOn, a.job.noRetryOn], [[75, 111], null]);
    assert.deepEqual([b.job.retryOn, b.job.noRetryOn], [null, [2]]);
    assert.deepEqual([c.job.retryOn, c.job.noRetryOn], [null, null]);
    const stored = await store.jobGet({ id: "a" });
    assert.deepEqual(stored?.retryOn, [75, 111]);
    const claimed = await claim(store, "w1", T0);
    assert.deepEqual([claimed.id, claimed.retryOn], ["a", [75, 111]]);
    const listed = await store.jobList({});
    assert.deepEqual(listed.map((job) => job.noRetryOn), [null, [2], null]);
  });
}

/** A queue's settings: nothing set but what `fields` give. */
export function settings(name: string, fields: Partial<QueueSettings> = {}): QueueSettings {
  return {
    name,
    concurrency: null,
    pausedAt: null,
    pausedUntil: null,
    retryOn: null,
    noRetryOn: null,
    rateLimit: null,
    ratePeriodMs: null,
    groupConcurrency: null,
    recentStarts: [],
    ...fields,
  };
}

/** The next claim at `now` (of `queues`), or undefined. */
export function nextClaim(store: Store, workerId: string, now: number, queues?: string[]) {
  return store.jobClaim({ workerId, leaseMs: LEASE_MS, now, queues });
}
