/**
 * Store contract: leaseExtend, jobListRescuable, jobRetryDead and jobRuns.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  claim,
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
export function leasesContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // leaseExtend

  test("leaseExtend() extends only the caller's processing jobs and returns their ids and tokens", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("j1"), newJob("j2"), newJob("j3"), newJob("j4"), newJob("j5")],
      now: T0,
    });
    await claim(store, "w1", T0); // j1
    await claim(store, "w1", T0); // j2
    await claim(store, "w2", T0); // j3
    const j4 = await claim(store, "w1", T0); // j4, finished below
    assert.equal(await store.jobFinish(finishOf(j4, T0 + 1, "completed")), true);
    const others = {
      j3: await store.jobGet({ id: "j3" }),
      j4: await store.jobGet({ id: "j4" }),
      j5: await store.jobGet({ id: "j5" }),
    };

    const held = await store.leaseExtend({ workerId: "w1", leaseMs: 60_000, now: T0 + 1000 });
    assert.deepEqual(sortById(held), [{ id: "j1", leaseToken: 1 }, { id: "j2", leaseToken: 1 }]);
    for (const id of ["j1", "j2"]) {
      const job = await store.jobGet({ id });
      assert.equal(job?.leaseExpiresAt, T0 + 1000 + 60_000, id);
      assert.equal(job?.state, "processing", id);
      assert.equal(job?.leaseOwner, "w1", id);
      assert.equal(job?.leaseToken, 1, id);
      assert.equal(job?.attempts, 1, id);
    }
    assert.deepEqual(await store.jobGet({ id: "j3" }), others.j3, "w2's lease is untouched");
    assert.deepEqual(await store.jobGet({ id: "j4" }), others.j4, "a finished job is untouched");
    assert.deepEqual(await store.jobGet({ id: "j5" }), others.j5, "a pending job is untouched");

    assert.deepEqual(
      await store.leaseExtend({ workerId: "w2", leaseMs: 5_000, now: T0 + 2000 }),
      [{ id: "j3", leaseToken: 1 }],
    );
    assert.equal((await store.jobGet({ id: "j3" }))?.leaseExpiresAt, T0 + 7000);
    assert.deepEqual(
      await store.leaseExtend({ workerId: "nobody", leaseMs: 5_000, now: T0 + 2000 }),
      [],
    );
  });

  test("leaseExtend() leaves out jobs that were rescued, even once another worker reclaimed them", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("j1"), newJob("j2"), newJob("j3")], now: T0 });
    await claim(store, "w1", T0); // j1
    const j2 = await claim(store, "w1", T0);
    const j3 = await claim(store, "w1", T0);
    const later = T0 + 1000;
    // j2 and j3 are rescued (w1 looked lost); j2 is reclaimed by w2, j3 waits for its retry.
    assert.equal(await store.jobFinish(rescueOf(j2, later, later)), true);
    assert.equal(await store.jobFinish(rescueOf(j3, later, later + 1e6)), true);
    const reclaimed = await claim(store, "w2", later + 1);
    assert.equal(reclaimed.id, "j2");
    const j2Before = await store.jobGet({ id: "j2" });
    const j3Before = await store.jobGet({ id: "j3" });

    const held = await store.leaseExtend({ workerId: "w1", leaseMs: LEASE_MS, now: later + 2 });
    assert.deepEqual(held, [{ id: "j1", leaseToken: 1 }]);
    assert.equal((await store.jobGet({ id: "j1" }))?.leaseExpiresAt, later + 2 + LEASE_MS);
    assert.deepEqual(await store.jobGet({ id: "j2" }), j2Before, "w2's lease is untouched");
    assert.deepEqual(await store.jobGet({ id: "j3" }), j3Before, "a rescued job gets no lease");

    assert.deepEqual(
      await store.leaseExtend({ workerId: "w2", leaseMs: LEASE_MS, now: later + 3 }),
      [{ id: "j2", leaseToken: 2 }],
    );
  });

  // ---------------------------------------------------------------------------------------------
  // jobListRescuable

  test("jobListRescuable() lists processing jobs whose lease expired, or whose owner is listed, and no others", async ({ store }) => {
    await store.jobInsert({
      jobs: ["expired", "live", "orphan", "done", "waiting"].map((id) => newJob(id)),
      now: T0,
    });
    const expired = await store.jobClaim({ workerId: "w-slow", leaseMs: 1000, now: T0 });
    assert.equal(expired?.id, "expired");
    await store.jobClaim({ workerId: "w-live", leaseMs: 100_000, now: T0 }); // live
    await store.jobClaim({ workerId: "w-gone", leaseMs: 100_000, now: T0 }); // orphan
    const done = await store.jobClaim({ workerId: "w-gone", leaseMs: 1000, now: T0 });
    assert.equal(done?.id, "done");
    assert.equal(await store.jobFinish(finishOf(done!, T0 + 10, "completed")), true);
    // "waiting" stays pending.

    const listed = async (now: number, owners: string[]) =>
      ids(await store.jobListRescuable({ now, owners })).sort();
    assert.deepEqual(await listed(T0 + 999, []), []);
    assert.deepEqual(await listed(T0 + 1001, []), ["expired"]);
    assert.deepEqual(await listed(T0 + 999, ["w-gone"]), ["orphan"]);
    assert.deepEqual(await listed(T0 + 1001, ["w-gone"]), ["expired", "orphan"]);
    assert.deepEqual(await listed(T0 + 999, ["w-gone", "w-live"]), ["live", "orphan"]);
    assert.deepEqual(await listed(T0 + 999, ["nobody"]), []);
    assert.deepEqual(await listed(T0 + 100_001, []), ["expired", "live", "orphan"]);

    // The jobs come whole, with the lease token a rescue must present.
    const [job] = await store.jobListRescuable({ now: T0 + 1001, owners: [] });
    assert.deepEqual(job, await store.jobGet({ id: "expired" }));
    assert.equal(job.leaseToken, expired?.leaseToken);
    assert.equal(job.leaseOwner, "w-slow");

    // Listing changes nothing.
    assert.equal((await store.jobGet({ id: "expired" }))?.state, "processing");
  });

  test("jobFinish() with leaseExpiredBefore leaves a job whose owner renewed its lease", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("renewed")], now: T0 });
    const job = await store.jobClaim({ workerId: "w-slow", leaseMs: 1000, now: T0 });
    assert.ok(job);
    // The rescuer saw the lease expired at T0+1001, but the owner renewed it right after.
    assert.deepEqual(ids(await store.jobListRescuable({ now: T0 + 1001, owners: [] })), [
      "renewed",
    ]);
    await store.leaseExtend({ workerId: "w-slow", leaseMs: 1000, now: T0 + 1002 });
    const before = await snapshot(store, "renewed");
    const rescue = { ...rescueOf(job, T0 + 1003, T0 + 1003), leaseExpiredBefore: T0 + 1003 };
    assert.equal(await store.jobFinish(rescue), false);
    assert.deepEqual(await snapshot(store, "renewed"), before);
    // Once the renewed lease has run out too, the same rescue goes through.
    const late = { ...rescueOf(job, T0 + 2003, T0 + 2003), leaseExpiredBefore: T0 + 2003 };
    assert.equal(await store.jobFinish(late), true);
    assert.equal((await store.jobGet({ id: "renewed" }))?.state, "failed");
  });

  // ---------------------------------------------------------------------------------------------
  // jobRetryDead

  test("jobRetryDead() by ids moves only dead jobs back to pending with attempts 0", async ({ store }) => {
    await seedEveryState(store);
    await store.jobInsert({ jobs: [newJob("dead-2", { maxRetries: 0 })], now: T0 + 20 });
    const dead2 = await claim(store, "w1", T0 + 20);
    assert.equal(dead2.id, "dead-2");
    assert.equal(await store.jobFinish(finishOf(dead2, T0 + 21, "dead", { exitCode: 1 })), true);

    const untouched = [
      "pending-1",
      "processing-1",
      "completed-1",
      "failed-1",
      "canceled-1",
      "dead-2",
    ];
    const before = await Promise.all(untouched.map((id) => snapshot(store, id)));
    const retried = await store.jobRetryDead({
      ids: [
        "dead-1",
        "pending-1",
        "processing-1",
        "completed-1",
        "failed-1",
        "canceled-1",
        "unknown",
      ],
      now: T0 + 5000,
    });
    assert.deepEqual(retried, ["dead-1"]);
    const job = await store.jobGet({ id: "dead-1" });
    assert.equal(job?.state, "pending");
    assert.equal(job?.attempts, 0);
    assert.equal(job?.leaseOwner, null);
    assert.deepEqual(
      await Promise.all(untouched.map((id) => snapshot(store, id))),
      before,
      "non-dead jobs, and dead jobs not named, are untouched",
    );

    // It is due again, and only it: the other jobs are not due yet.
    const again = await claim(store, "w9", T0 + 5000);
    assert.equal(again.id, "dead-1");
    assert.equal(again.attempts, 1);
    assert.equal(
      await store.jobClaim({ workerId: "w9", leaseMs: LEASE_MS, now: T0 + 5000 }),
      undefined,
    );
  });

  test("jobRetryDead('all') moves every dead job back to pending and nothing else", async ({ store }) => {
    assert.deepEqual(await store.jobRetryDead({ ids: "all", now: T0 }), []);
    await seedEveryState(store);
    await store.jobInsert({ jobs: [newJob("dead-2", { maxRetries: 0 })], now: T0 + 20 });
    const dead2 = await claim(store, "w1", T0 + 20);
    assert.equal(await store.jobFinish(finishOf(dead2, T0 + 21, "dead", { exitCode: 1 })), true);
    const others = [
      "pending-1",
      "processing-1",
      "completed-1",
      "failed-1",
      "canceled-1",
      "pending-2",
    ];
    const before = await Promise.all(others.map((id) => snapshot(store, id)));

    const retried = await store.jobRetryDead({ ids: "all", now: T0 + 5000 });
    assert.deepEqual([...retried].sort(), ["dead-1", "dead-2"]);
    for (const id of ["dead-1", "dead-2"]) {
      const job = await store.jobGet({ id });
      assert.equal(job?.state, "pending", id);
      assert.equal(job?.attempts, 0, id);
    }
    assert.deepEqual(await Promise.all(others.map((id) => snapshot(store, id))), before);
    assert.deepEqual(await store.jobCountByState(), {
      blocked: 0,
      pending: 4,
      processing: 1,
      completed: 1,
      failed: 1,
      dead: 0,
      canceled: 1,
    });
    assert.deepEqual(await store.jobRetryDead({ ids: "all", now: T0 + 6000 }), []);
  });

  // ---------------------------------------------------------------------------------------------
  // jobRuns

  test("jobRuns() is empty for a job with no finished run and for an unknown id", async ({ store }) => {
    assert.deepEqual(await store.jobRuns({ id: "nope" }), []);
    await store.jobInsert({ jobs: [newJob("a"), newJob("b")], now: T0 });
    assert.deepEqual(await store.jobRuns({ id: "a" }), []);
    const a = await claim(store, "w1", T0);
    assert.equal(a.id, "a");
    assert.deepEqual(await store.jobRuns({ id: "a" }), [], "a running job has no run recorded yet");
    // Runs belong to their own job only.
    assert.equal(await store.jobFinish(finishOf(a, T0 + 1, "completed")), true);
    assert.equal((await store.jobRuns({ id: "a" })).length, 1);
    assert.deepEqual(await store.jobRuns({ id: "b" }), []);
  });

  test("jobRuns() keeps every run, oldest first, after a DLQ retry resets attempts", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 1 })], now: T0 });
    const r1 = await claim(store, "w1", T0);
    assert.equal(
      await store.jobFinish(
        finishOf(r1, T0 + 5, "failed", { runAt: T0 + 10, exitCode: 1, error: "e1" }),
      ),
      true,
    );
    const r2 = await claim(store, "w2", T0 + 10);
    assert.equal(r2.attempts, 2);
    assert.equal(
      await store.jobFinish(finishOf(r2, T0 + 15, "dead", { exitCode: 2, error: "e2" })),
      true,
    );
    assert.deepEqual(await store.jobRetryDead({ ids: ["a"], now: T0 + 100 }), ["a"]);
    const r3 = await claim(store, "w3", T0 + 100);
    assert.equal(r3.attempts, 1, "attempts restart after the DLQ retry");
    assert.equal(r3.leaseToken, 3, "the lease token keeps growing");
    assert.equal(
      await store.jobFinish(
        finishOf(r3, T0 + 105, "failed", { runAt: T0 + 110, exitCode: 3, error: "e3" }),
      ),
      true,
    );
    const r4 = await claim(store, "w4", T0 + 110);
    assert.equal(
      await store.jobFinish(finishOf(r4, T0 + 115, "dead", { exitCode: 4, error: "e4" })),
      true,
    );
    // And once more through the DLQ, to completion.
    assert.deepEqual(await store.jobRetryDead({ ids: "all", now: T0 + 200 }), ["a"]);
    const r5 = await claim(store, "w5", T0 + 200);
    assert.equal(r5.attempts, 1);
    assert.equal(await store.jobFinish(finishOf(r5, T0 + 205, "completed")), true);

    const runs = await store.jobRuns({ id: "a" });
    assert.deepEqual(
      runs.map((r) => [r.attempt, r.workerId, r.outcome, r.exitCode, r.error, r.startedAt]),
      [
        [1, "w1", "failed", 1, "e1", T0],
        [2, "w2", "failed", 2, "e2", T0 + 10],
        [1, "w3", "failed", 3, "e3", T0 + 100],
        [2, "w4", "failed", 4, "e4", T0 + 110],
        [1, "w5", "completed", 0, null, T0 + 200],
      ],
    );
    assert.equal((await store.jobGet({ id: "a" }))?.state, "completed");
  });
}
