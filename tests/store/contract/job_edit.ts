/**
 * Store contract: jobRetryFinished (re-run finished jobs) and jobEdit (change waiting ones).
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConflictError, NotFoundError } from "../../../src/errors.ts";
import {
  claim,
  claimId,
  type ContractTest,
  finishOf,
  newJob,
  seedEveryState,
  snapshot,
  statesOf,
  T0,
  waitFor,
} from "./harness.ts";

const EVERY_SEEDED = [
  "pending-1",
  "processing-1",
  "completed-1",
  "failed-1",
  "dead-1",
  "canceled-1",
  "pending-2",
];

/** Registers the tests of this part of the contract. */
export function jobEditContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // jobRetryFinished

  test("jobRetryFinished() moves completed, dead and canceled jobs back to pending, history kept", async ({ store }) => {
    await seedEveryState(store);
    const runsBefore = await store.jobRuns({ id: "completed-1" });
    assert.equal(runsBefore.length, 1);
    const untouched = ["pending-1", "processing-1", "failed-1", "pending-2"];
    const before = await Promise.all(untouched.map((id) => snapshot(store, id)));

    const retried = await store.jobRetryFinished({
      ids: ["canceled-1", "completed-1", "dead-1"],
      now: T0 + 5000,
    });
    assert.deepEqual(retried, ["completed-1", "dead-1", "canceled-1"], "in enqueue order");
    for (const id of retried) {
      const job = await store.jobGet({ id });
      assert.equal(job?.state, "pending", id);
      assert.equal(job?.attempts, 0, id);
      assert.equal(job?.runAt, T0 + 5000, id);
      assert.equal(job?.finishedAt, null, id);
      assert.equal(job?.cancelRequestedAt, null, id);
    }
    assert.deepEqual(await store.jobRuns({ id: "completed-1" }), runsBefore, "history kept");
    assert.deepEqual(await Promise.all(untouched.map((id) => snapshot(store, id))), before);

    const again = await claimId(store, "completed-1", T0 + 5000);
    assert.equal(again.attempts, 1);
    assert.equal(await store.jobFinish(finishOf(again, T0 + 5001, "completed")), true);
    assert.equal((await store.jobRuns({ id: "completed-1" })).length, 2, "a second run added");
  });

  test("jobRetryFinished() of a job not finished or unknown throws and changes nothing", async ({ store }) => {
    await seedEveryState(store);
    const before = await Promise.all(EVERY_SEEDED.map((id) => snapshot(store, id)));
    for (const id of ["pending-1", "processing-1", "failed-1"]) {
      await assert.rejects(
        store.jobRetryFinished({ ids: ["dead-1", id, "completed-1"], now: T0 + 10 }),
        (error) => error instanceof ConflictError && error.message.includes(`"${id}"`),
        id,
      );
    }
    await assert.rejects(
      store.jobRetryFinished({ ids: ["dead-1", "nope"], now: T0 + 10 }),
      (error) => error instanceof NotFoundError && error.message.includes('"nope"'),
    );
    assert.deepEqual(await Promise.all(EVERY_SEEDED.map((id) => snapshot(store, id))), before);
  });

  test("jobRetryFinished() of a canceled job that waits on a parent retried with it blocks it until the parent completes", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("parent", { maxRetries: 0 }), newJob("child", { after: ["parent"] })],
      now: T0,
    });
    const parent = await claimId(store, "parent", T0);
    assert.equal(await store.jobFinish(finishOf(parent, T0 + 1, "dead")), true);
    assert.deepEqual(await statesOf(store, ["parent", "child"]), {
      parent: "dead",
      child: "canceled",
    });

    await assert.rejects(
      store.jobRetryFinished({ ids: ["child"], now: T0 + 2 }),
      (error) => error instanceof ConflictError && error.message.includes('"parent"'),
      "alone, the child could never run",
    );
    assert.equal((await store.jobGet({ id: "child" }))?.state, "canceled");

    assert.deepEqual(await store.jobRetryFinished({ ids: ["child", "parent"], now: T0 + 3 }), [
      "parent",
      "child",
    ]);
    assert.deepEqual(await statesOf(store, ["parent", "child"]), {
      parent: "pending",
      child: "blocked",
    });
    const again = await claimId(store, "parent", T0 + 3);
    assert.equal(await store.jobFinish(finishOf(again, T0 + 4, "completed")), true);
    assert.equal((await store.jobGet({ id: "child" }))?.state, "pending");
  });

  test("jobRetryFinished() leaves a job whose unique key an unfinished job holds as it is", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("old", { uniqueKey: "k" })], now: T0 });
    const old = await claimId(store, "old", T0);
    assert.equal(await store.jobFinish(finishOf(old, T0 + 1, "completed")), true);
    await store.jobInsert({
      jobs: [newJob("new", { uniqueKey: "k", runAt: T0 + 1e6 })],
      now: T0 + 2,
    });
    assert.deepEqual(await store.jobRetryFinished({ ids: ["old"], now: T0 + 3 }), []);
    assert.equal((await store.jobGet({ id: "old" }))?.state, "completed");
  });

  test("jobRetryFinished() wakes the workers of another connection", async ({ store, openAnother }) => {
    await seedEveryState(store);
    const other = await openAnother();
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const seen = calls;
      await other.jobRetryFinished({ ids: ["completed-1"], now: T0 + 2 });
      await waitFor("onWork after another connection's jobRetryFinished", () => calls > seen);
    } finally {
      unsubscribe();
    }
  });

  // ---------------------------------------------------------------------------------------------
  // jobEdit

  test("jobEdit() changes the fields given of a pending job, adds env variables, and keeps the rest", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("a", { env: { KEEP: "1", CHANGE: "old" }, runAt: T0 + 1e6, priority: 1 })],
      now: T0,
    });
    const before = await store.jobGet({ id: "a" });
    const edited = await store.jobEdit({
      id: "a",
      now: T0 + 10,
      command: "echo edited",
      env: { CHANGE: "new", ADD: "x" },
    });
    assert.deepEqual(edited, await store.jobGet({ id: "a" }), "returns the job as stored");
    assert.equal(edited.command, "echo edited");
    assert.deepEqual(edited.env, { KEEP: "1", CHANGE: "new", ADD: "x" });
    assert.equal(edited.priority, 1, "not given: unchanged");
    assert.equal(edited.runAt, T0 + 1e6, "not given: unchanged");
    assert.equal(edited.updatedAt, T0 + 10);
    assert.deepEqual({
      ...edited,
      command: before!.command,
      env: before!.env,
      updatedAt: before!.updatedAt,
    }, before);

    const moved = await store.jobEdit({ id: "a", now: T0 + 11, priority: -5, runAt: T0 + 20 });
    assert.equal(moved.priority, -5);
    assert.equal(moved.runAt, T0 + 20);
    assert.equal(moved.command, "echo edited");
    assert.equal(await store.jobClaim({ workerId: "w", leaseMs: 1000, now: T0 + 19 }), undefined);
    const claimed = await claim(store, "w", T0 + 20);
    assert.equal(claimed.command, "echo edited", "a worker runs the edited command");
    assert.deepEqual(claimed.env, { KEEP: "1", CHANGE: "new", ADD: "x" });
  });

  test("jobEdit() changes a failed job waiting for its retry and a blocked job", async ({ store }) => {
    await seedEveryState(store);
    const failed = await store.jobEdit({ id: "failed-1", now: T0 + 5, runAt: T0 + 6 });
    assert.equal(failed.state, "failed");
    assert.equal(failed.runAt, T0 + 6);
    assert.equal(failed.attempts, 1, "its attempts stay");
    assert.equal((await claim(store, "w", T0 + 6)).id, "failed-1");

    await store.jobInsert({ jobs: [newJob("child", { after: ["pending-1"] })], now: T0 + 7 });
    const child = await store.jobEdit({ id: "child", now: T0 + 8, command: "echo child2" });
    assert.equal(child.state, "blocked");
    assert.equal(child.command, "echo child2");
  });

  test("jobEdit() of a running, finished or unknown job throws and changes nothing", async ({ store }) => {
    await seedEveryState(store);
    const before = await Promise.all(EVERY_SEEDED.map((id) => snapshot(store, id)));
    for (const id of ["processing-1", "completed-1", "dead-1", "canceled-1"]) {
      await assert.rejects(
        store.jobEdit({ id, now: T0 + 10, command: "echo no", priority: 9 }),
        (error) => error instanceof ConflictError && error.message.includes(`"${id}"`),
        id,
      );
    }
    await assert.rejects(
      store.jobEdit({ id: "nope", now: T0 + 10, priority: 9 }),
      (error) => error instanceof NotFoundError,
    );
    assert.deepEqual(await Promise.all(EVERY_SEEDED.map((id) => snapshot(store, id))), before);
  });

  test("jobEdit() wakes the workers of another connection", async ({ store, openAnother }) => {
    await store.jobInsert({ jobs: [newJob("later", { runAt: T0 + 1e6 })], now: T0 });
    const other = await openAnother();
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const seen = calls;
      await other.jobEdit({ id: "later", now: T0 + 1, runAt: T0 + 1 });
      await waitFor("onWork after another connection's jobEdit", () => calls > seen);
    } finally {
      unsubscribe();
    }
  });
}
