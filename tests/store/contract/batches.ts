/**
 * Store contract: batches (jobs with one status) and the callbacks run once when one settles.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConflictError } from "../../../src/errors.ts";
import type { NewBatch, NewJob, Store } from "../../../src/store/mod.ts";
import {
  claim,
  claimId,
  type ContractTest,
  finishOf,
  newJob,
  rescueOf,
  snapshot,
  stateCounts,
  statesOf,
  T0,
} from "./harness.ts";

/** A batch "b" of `ids`, with both callbacks ("done" and "oops"). */
async function enqueueBatch(store: Store, ids: string[], extra: Partial<NewJob> = {}) {
  const batch: NewBatch = {
    name: "b",
    onComplete: newJob("done", { command: "echo done" }),
    onFailure: newJob("oops", { command: "echo oops" }),
  };
  await store.jobInsert({
    jobs: ids.map((id) => newJob(id, { batch: "b", ...extra })),
    now: T0,
    batch,
  });
}

/** Claims and finishes `id` in `state` at `now`. */
async function finish(store: Store, id: string, state: "completed" | "dead", now: number) {
  const job = await claimId(store, id, now);
  assert.equal(await store.jobFinish(finishOf(job, now, state)), true);
}

/** Registers the tests of this part of the contract. */
export function batchesContract(test: ContractTest): void {
  test("jobInsert() with a batch creates it, its callbacks blocked; batchGet() counts its jobs", async ({ store }) => {
    await enqueueBatch(store, ["a1", "a2"]);
    assert.deepEqual(await statesOf(store, ["a1", "a2", "done", "oops"]), {
      a1: "pending",
      a2: "pending",
      done: "blocked",
      oops: "blocked",
    });
    assert.equal((await store.jobGet({ id: "a1" }))?.batch, "b");
    assert.equal((await store.jobGet({ id: "done" }))?.batch, null, "a callback is not a member");
    const info = await store.batchGet({ name: "b" });
    assert.deepEqual(info, {
      name: "b",
      createdAt: T0,
      settledAt: null,
      outcome: null,
      onComplete: { command: "echo done", jobId: "done", state: "blocked" },
      onFailure: { command: "echo oops", jobId: "oops", state: "blocked" },
      counts: stateCounts({ pending: 2 }),
      firstStartedAt: null,
      lastFinishedAt: null,
    });
    assert.equal(await store.batchGet({ name: "nope" }), undefined);
    assert.deepEqual((await store.batchList()).map((batch) => batch.name), ["b"]);
    assert.deepEqual(
      (await store.jobList({ batch: "b" })).map((job) => job.id),
      ["a1", "a2"],
      "jobList filters by batch",
    );
  });

  test("a batch whose jobs all complete settles once: on-complete pending with counts, on-failure canceled", async ({ store }) => {
    await enqueueBatch(store, ["a1", "a2"]);
    await finish(store, "a1", "completed", T0 + 10);
    assert.equal((await store.batchGet({ name: "b" }))?.settledAt, null, "one job still open");
    assert.equal((await store.jobGet({ id: "done" }))?.state, "blocked");
    await finish(store, "a2", "completed", T0 + 20);
    const info = await store.batchGet({ name: "b" });
    assert.equal(info?.settledAt, T0 + 20);
    assert.equal(info?.outcome, "completed");
    assert.equal(info?.firstStartedAt, T0 + 10);
    assert.equal(info?.lastFinishedAt, T0 + 20);
    const done = await store.jobGet({ id: "done" });
    assert.equal(done?.state, "pending");
    assert.equal(done?.runAt, T0 + 20);
    assert.deepEqual(done?.env, {
      QUEUECTL_BATCH: "b",
      QUEUECTL_BATCH_OUTCOME: "completed",
      QUEUECTL_BATCH_COMPLETED: "2",
      QUEUECTL_BATCH_DEAD: "0",
      QUEUECTL_BATCH_CANCELED: "0",
    });
    const oops = await store.jobGet({ id: "oops" });
    assert.equal(oops?.state, "canceled");
    assert.match(oops?.lastError ?? "", /batch "b" settled completed/);
    assert.equal((await claim(store, "w", T0 + 20)).id, "done", "the callback runs");
  });

  test("a dead job settles its batch failed: on-failure runs, on-complete is canceled", async ({ store }) => {
    await enqueueBatch(store, ["a1", "a2"], { maxRetries: 0 });
    await finish(store, "a1", "dead", T0 + 10);
    await finish(store, "a2", "completed", T0 + 20);
    const info = await store.batchGet({ name: "b" });
    assert.equal(info?.outcome, "failed");
    assert.deepEqual(info?.counts, stateCounts({ dead: 1, completed: 1 }));
    assert.equal(info?.onFailure?.state, "pending");
    assert.equal(info?.onComplete?.state, "canceled");
    const oops = await store.jobGet({ id: "oops" });
    assert.equal(oops?.env?.QUEUECTL_BATCH_DEAD, "1");
    assert.equal(oops?.env?.QUEUECTL_BATCH_OUTCOME, "failed");
  });

  test("a rescue that makes the last job dead settles the batch", async ({ store }) => {
    await enqueueBatch(store, ["a1"], { maxRetries: 0 });
    const job = await claimId(store, "a1", T0);
    const rescue = { ...rescueOf(job, T0 + 50, T0 + 50), state: "dead" as const };
    assert.equal(await store.jobFinish(rescue), true);
    assert.equal((await store.batchGet({ name: "b" }))?.outcome, "failed");
    assert.equal((await store.jobGet({ id: "oops" }))?.state, "pending");
  });

  test("canceling a batch's waiting jobs settles it failed, and the cascade to children counts", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("a1", { batch: "b" }),
        newJob("a2", { batch: "b", after: ["a1"] }),
        newJob("a3", { batch: "b", after: ["a2"] }),
      ],
      now: T0,
      batch: { name: "b", onComplete: null, onFailure: newJob("oops") },
    });
    assert.deepEqual(await store.jobCancel({ ids: ["a1"], now: T0 + 5 }), {
      canceled: ["a1"],
      stopping: [],
    });
    assert.deepEqual(await statesOf(store, ["a1", "a2", "a3", "oops"]), {
      a1: "canceled",
      a2: "canceled",
      a3: "canceled",
      oops: "pending",
    });
    const info = await store.batchGet({ name: "b" });
    assert.equal(info?.settledAt, T0 + 5);
    assert.equal(info?.outcome, "failed");
    assert.equal(info?.onComplete, null);
    assert.equal((await store.jobGet({ id: "oops" }))?.env?.QUEUECTL_BATCH_CANCELED, "3");
  });

  test("a running job of a batch canceled on request settles it when its finish ends canceled", async ({ store }) => {
    await enqueueBatch(store, ["a1"]);
    const job = await claimId(store, "a1", T0);
    assert.deepEqual(await store.jobCancel({ ids: ["a1"], now: T0 + 1 }), {
      canceled: [],
      stopping: ["a1"],
    });
    assert.equal((await store.batchGet({ name: "b" }))?.settledAt, null);
    assert.equal(await store.jobFinish(finishOf(job, T0 + 2, "failed", { runAt: T0 })), true);
    assert.equal((await store.jobGet({ id: "a1" }))?.state, "canceled");
    assert.equal((await store.batchGet({ name: "b" }))?.outcome, "failed");
    assert.equal((await store.jobGet({ id: "oops" }))?.state, "pending");
  });

  test("jobInsert() into a settled batch, or with other callbacks, throws ConflictError and adds nothing", async ({ store }) => {
    await enqueueBatch(store, ["a1"]);
    await assert.rejects(
      store.jobInsert({
        jobs: [newJob("a2", { batch: "b" })],
        now: T0 + 1,
        batch: {
          name: "b",
          onComplete: newJob("other", { command: "echo other" }),
          onFailure: null,
        },
      }),
      (error) => error instanceof ConflictError && /--on-complete "echo other"/.test(error.message),
    );
    assert.equal(await store.jobGet({ id: "a2" }), undefined);
    assert.equal(await store.jobGet({ id: "other" }), undefined);
    // Joining without naming callbacks, or naming the same ones, is fine.
    await store.jobInsert({ jobs: [newJob("a2", { batch: "b" })], now: T0 + 1 });
    await store.jobInsert({
      jobs: [newJob("a3", { batch: "b" })],
      now: T0 + 1,
      batch: { name: "b", onComplete: newJob("x", { command: "echo done" }), onFailure: null },
    });
    assert.equal(await store.jobGet({ id: "x" }), undefined, "no second callback job");
    for (const id of ["a1", "a2", "a3"]) await finish(store, id, "completed", T0 + 10);
    const settled = await store.batchGet({ name: "b" });
    assert.equal(settled?.outcome, "completed");
    assert.deepEqual(settled?.counts, stateCounts({ completed: 3 }));

    const before = await snapshot(store, "done");
    await assert.rejects(
      store.jobInsert({ jobs: [newJob("late", { batch: "b" })], now: T0 + 20 }),
      (error) => error instanceof ConflictError && /batch "b": it settled/.test(error.message),
    );
    assert.equal(await store.jobGet({ id: "late" }), undefined);
    assert.deepEqual(await snapshot(store, "done"), before);
    assert.deepEqual(await store.batchGet({ name: "b" }), settled);
  });

  test("a job of a settled batch run again leaves it settled: its callback is not released again", async ({ store }) => {
    await enqueueBatch(store, ["a1"], { maxRetries: 0 });
    await finish(store, "a1", "dead", T0 + 10);
    const oops = await claimId(store, "oops", T0 + 10);
    assert.equal(await store.jobFinish(finishOf(oops, T0 + 11, "completed")), true);
    assert.deepEqual(await store.jobRetryDead({ ids: ["a1"], now: T0 + 20 }), ["a1"]);
    await finish(store, "a1", "completed", T0 + 30);
    const info = await store.batchGet({ name: "b" });
    assert.equal(info?.settledAt, T0 + 10, "settled once");
    assert.equal(info?.outcome, "failed");
    assert.deepEqual(await statesOf(store, ["oops", "done"]), {
      oops: "completed",
      done: "canceled",
    });
  });

  test("two jobs of one batch finishing at once on two connections settle it exactly once", async ({ store, openAnother }) => {
    const other = await openAnother();
    for (let round = 0; round < 5; round++) {
      const name = `b${round}`;
      await store.jobInsert({
        jobs: [newJob(`${name}-1`, { batch: name }), newJob(`${name}-2`, { batch: name })],
        now: T0,
        batch: { name, onComplete: newJob(`${name}-done`), onFailure: null },
      });
      const first = await claim(store, "w1", T0);
      const second = await claim(other, "w2", T0);
      await Promise.all([
        store.jobFinish(finishOf(first, T0 + 1, "completed")),
        other.jobFinish(finishOf(second, T0 + 1, "completed")),
      ]);
      const info = await store.batchGet({ name });
      assert.equal(info?.outcome, "completed", name);
      assert.equal(info?.onComplete?.state, "pending", name);
      // The callback, claimed and completed, is not released again by anything.
      const done = await claimId(store, `${name}-done`, T0 + 2);
      assert.equal(await store.jobFinish(finishOf(done, T0 + 3, "completed")), true);
      assert.equal(await store.jobClaim({ workerId: "w", leaseMs: 1000, now: T0 + 4 }), undefined);
    }
  });
}
