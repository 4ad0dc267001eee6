/**
 * Store contract: canceling jobs (`jobCancel`, `jobListCancelRequested`), and how `jobFinish`
 * ends a run whose job a user asked to cancel.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  claim,
  claimAll,
  type ContractTest,
  finishOf,
  ids,
  LEASE_MS,
  newJob,
  rescueOf,
  seedEveryState,
  snapshot,
  sortById,
  T0,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function cancelContract(test: ContractTest): void {
  test("jobCancel() cancels pending and failed jobs at once, with finishedAt, and they are never claimed", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("f", { maxRetries: 3 }),
        newJob("p"),
        newJob("later", { queue: "deploy", runAt: T0 + 5000 }),
        newJob("other", { runAt: T0 + 1 }),
      ],
      now: T0,
    });
    const f = await claim(store, "w1", T0);
    assert.equal(f.id, "f");
    assert.equal(
      await store.jobFinish(finishOf(f, T0 + 1, "failed", { runAt: T0 + 100 })),
      true,
    );
    assert.equal((await store.jobGet({ id: "f" }))?.state, "failed");
    assert.equal((await store.jobGet({ id: "p" }))?.state, "pending");
    const runsBefore = {
      p: await store.jobRuns({ id: "p" }),
      f: await store.jobRuns({ id: "f" }),
    };
    const other = await snapshot(store, "other");

    const result = await store.jobCancel({ ids: ["later", "f", "p"], now: T0 + 50 });
    assert.deepEqual([...result.canceled].sort(), ["f", "later", "p"]);
    assert.deepEqual(result.stopping, []);
    for (const id of ["p", "f", "later"]) {
      const job = await store.jobGet({ id });
      assert.equal(job?.state, "canceled", id);
      assert.equal(job?.finishedAt, T0 + 50, id);
      assert.equal(job?.leaseOwner, null, id);
      assert.equal(job?.leaseExpiresAt, null, id);
    }
    assert.deepEqual(await store.jobRuns({ id: "p" }), runsBefore.p, "no run is added");
    assert.deepEqual(await store.jobRuns({ id: "f" }), runsBefore.f, "no run is added");
    assert.deepEqual(await snapshot(store, "other"), other, "a job not named is untouched");

    // Never claimed, however late, in any queue.
    assert.deepEqual(await claimAll(store, "w2", T0 + 1e9), ["other"]);
    assert.equal(
      await store.jobClaim({
        workerId: "w2",
        leaseMs: LEASE_MS,
        now: T0 + 1e9,
        queues: ["deploy"],
      }),
      undefined,
    );
    assert.equal((await store.jobGet({ id: "later" }))?.state, "canceled");
  });

  test("jobCancel() of a processing job leaves it running under its lease, with cancelRequestedAt", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b")], now: T0 });
    const a = await claim(store, "w1", T0);
    const b = await claim(store, "w2", T0);
    assert.deepEqual(await store.jobCancel({ ids: ["a"], now: T0 + 10 }), {
      canceled: [],
      stopping: ["a"],
    });
    const after = await store.jobGet({ id: "a" });
    assert.ok(after);
    assert.equal(after.state, "processing");
    assert.equal(after.cancelRequestedAt, T0 + 10);
    assert.equal(after.leaseOwner, "w1");
    assert.equal(after.leaseToken, a.leaseToken);
    assert.equal(after.leaseExpiresAt, a.leaseExpiresAt);
    assert.equal(after.attempts, a.attempts);
    assert.equal(after.finishedAt, null);
    assert.deepEqual(await store.jobGet({ id: "b" }), b, "the other running job is untouched");
    // Its owner still holds it: the lease is renewed, and its run is still fenced by the token.
    assert.deepEqual(
      sortById(await store.leaseExtend({ workerId: "w1", leaseMs: LEASE_MS, now: T0 + 20 })),
      [{ id: "a", leaseToken: a.leaseToken }],
    );
    assert.equal(
      await store.jobFinish(finishOf({ ...a, leaseToken: a.leaseToken + 1 }, T0 + 21, "failed")),
      false,
    );
    assert.equal((await store.jobGet({ id: "a" }))?.state, "processing");
    // Asking again still reports it as stopping, and it keeps running until its finish.
    const again = await store.jobCancel({ ids: ["a", "b"], now: T0 + 30 });
    assert.deepEqual(again.canceled, []);
    assert.deepEqual([...again.stopping].sort(), ["a", "b"]);
    assert.equal((await store.jobGet({ id: "a" }))?.state, "processing");
    assert.notEqual((await store.jobGet({ id: "a" }))?.cancelRequestedAt, null);
  });

  test("jobCancel() leaves jobs in final states alone, ignores unknown ids and reports which way each went", async ({ store }) => {
    await seedEveryState(store);
    const finals = ["completed-1", "dead-1", "canceled-1"];
    const before = await Promise.all(finals.map((id) => snapshot(store, id)));
    const result = await store.jobCancel({
      ids: [
        "completed-1",
        "dead-1",
        "canceled-1",
        "ghost",
        "pending-1",
        "processing-1",
        "failed-1",
      ],
      now: T0 + 100,
    });
    assert.deepEqual([...result.canceled].sort(), ["failed-1", "pending-1"]);
    assert.deepEqual(result.stopping, ["processing-1"]);
    assert.deepEqual(await Promise.all(finals.map((id) => snapshot(store, id))), before);
    assert.equal(await store.jobGet({ id: "ghost" }), undefined);
    assert.equal((await store.jobGet({ id: "pending-2" }))?.state, "pending", "not named");
    assert.deepEqual(await store.jobCancel({ ids: [], now: T0 + 101 }), {
      canceled: [],
      stopping: [],
    });
    assert.deepEqual(await store.jobCancel({ ids: ["ghost"], now: T0 + 101 }), {
      canceled: [],
      stopping: [],
    });
  });

  test("jobListCancelRequested() lists only its owner's running jobs with a cancel request, with their lease tokens", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("a", { maxRetries: 3 }), newJob("b"), newJob("c"), newJob("d")],
      now: T0,
    });
    // "a" runs a second time: its lease token is 2.
    const first = await claim(store, "w1", T0);
    assert.equal(first.id, "a");
    assert.equal(await store.jobFinish(finishOf(first, T0 + 1, "failed", { runAt: T0 })), true);
    const a = await claim(store, "w1", T0 + 1);
    assert.equal(a.id, "a");
    assert.equal(a.leaseToken, 2);
    const b = await claim(store, "w1", T0 + 1);
    const c = await claim(store, "w2", T0 + 1);
    assert.deepEqual([b.id, c.id], ["b", "c"]);
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w1" }), []);

    const result = await store.jobCancel({ ids: ["a", "c", "d"], now: T0 + 2 });
    assert.deepEqual(result.canceled, ["d"]);
    assert.deepEqual([...result.stopping].sort(), ["a", "c"]);
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w1" }), [
      { id: "a", leaseToken: 2 },
    ]);
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w2" }), [
      { id: "c", leaseToken: c.leaseToken },
    ]);
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "nobody" }), []);

    // Once its run has ended, the request is no longer listed.
    assert.equal(await store.jobFinish(finishOf(a, T0 + 3, "failed", { runAt: T0 + 4 })), true);
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w1" }), []);
    assert.equal(await store.jobFinish(finishOf(c, T0 + 3, "completed")), true);
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w2" }), []);
    assert.equal((await store.jobGet({ id: "b" }))?.state, "processing");
  });

  test("jobFinish() of a job with a cancel request ends it canceled, as failed, pending, dead or rescued, with a 'canceled' run", async ({ store }) => {
    const names = ["as-failed", "as-pending", "as-dead", "as-rescued"];
    await store.jobInsert({ jobs: names.map((id) => newJob(id, { maxRetries: 3 })), now: T0 });
    const jobs = [];
    for (const _ of names) jobs.push(await claim(store, "w1", T0));
    assert.deepEqual(jobs.map((job) => job.id), names);
    const result = await store.jobCancel({ ids: names, now: T0 + 5 });
    assert.deepEqual([...result.stopping].sort(), [...names].sort());
    const [failed, pending, dead, rescued] = jobs;
    assert.equal(
      await store.jobFinish(
        finishOf(failed, T0 + 10, "failed", { runAt: T0 + 20, exitCode: 143 }),
      ),
      true,
    );
    assert.equal(
      await store.jobFinish(
        finishOf(pending, T0 + 11, "pending", {
          runAt: T0 + 20,
          exitCode: null,
          outcome: "released",
          refundAttempt: true,
        }),
      ),
      true,
    );
    assert.equal(await store.jobFinish(finishOf(dead, T0 + 12, "dead")), true);
    assert.equal(await store.jobFinish(rescueOf(rescued, T0 + 13, T0 + 20)), true);

    for (const [i, id] of names.entries()) {
      const job = await store.jobGet({ id });
      assert.ok(job, id);
      assert.equal(job.state, "canceled", id);
      assert.equal(job.finishedAt, T0 + 10 + i, id);
      assert.equal(job.leaseOwner, null, id);
      assert.equal(job.leaseExpiresAt, null, id);
      assert.equal(job.lastError, "Canceled by a user while running", id);
      assert.equal(job.attempts, 1, `${id}: a canceled run is not given back`);
      assert.equal(job.cancelRequestedAt, T0 + 5, `${id}: the request stays, saying when`);
      const runs = await store.jobRuns({ id });
      assert.deepEqual(
        runs.map((run) => [run.run, run.attempt, run.workerId, run.outcome, run.finishedAt]),
        [[1, 1, "w1", "canceled", T0 + 10 + i]],
        id,
      );
    }
    assert.deepEqual(
      (await Promise.all(names.map((id) => store.jobRuns({ id })))).map(([run]) => run.error),
      [
        "Exited with code 1",
        "Exited with code 1",
        "Exited with code 1",
        "Rescued from a lost worker",
      ],
      "each run's history keeps the run's own error",
    );
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w1" }), []);
    assert.equal(
      await store.jobClaim({ workerId: "w2", leaseMs: LEASE_MS, now: T0 + 1e9 }),
      undefined,
      "a canceled job is never claimed",
    );
    assert.deepEqual(await store.jobRetryDead({ ids: "all", now: T0 + 1e9 }), []);
  });

  test("jobFinish() of a job with a cancel request that completed leaves it completed", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a")], now: T0 });
    const a = await claim(store, "w1", T0);
    assert.deepEqual((await store.jobCancel({ ids: ["a"], now: T0 + 5 })).stopping, ["a"]);
    assert.equal(await store.jobFinish(finishOf(a, T0 + 10, "completed")), true);
    const after = await store.jobGet({ id: "a" });
    assert.equal(after?.state, "completed");
    assert.equal(after?.exitCode, 0);
    assert.equal(after?.finishedAt, T0 + 10);
    assert.equal(after?.leaseOwner, null);
    assert.equal(after?.lastError, null);
    assert.equal(after?.cancelRequestedAt, null, "the request that came too late is cleared");
    assert.deepEqual(
      (await store.jobRuns({ id: "a" })).map((run) => [run.outcome, run.exitCode]),
      [["completed", 0]],
    );
    assert.deepEqual(await store.jobListCancelRequested({ workerId: "w1" }), []);
    assert.deepEqual(ids(await store.jobList({ states: ["canceled"] })), []);
  });
}
