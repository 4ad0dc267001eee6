/**
 * Store contract: jobClaim (order, due times, priority, queue filter, atomicity) and jobNextRunAt.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  claim,
  claimAll,
  type ContractTest,
  finishOf,
  LEASE_MS,
  newJob,
  snapshot,
  T0,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function claimsContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // jobClaim

  test("jobClaim() returns undefined when nothing is due", async ({ store }) => {
    assert.equal(await store.jobClaim({ workerId: "w1", leaseMs: LEASE_MS, now: T0 }), undefined);

    // Jobs that are processing, completed, dead or canceled are never due.
    await store.jobInsert({
      jobs: [
        newJob("x"),
        newJob("c", { maxRetries: 0 }),
        newJob("d", { maxRetries: 0 }),
        newJob("p"),
      ],
      now: T0,
    });
    assert.deepEqual((await store.jobCancel({ ids: ["x"], now: T0 })).canceled, ["x"]);
    const c = await claim(store, "w1", T0);
    const d = await claim(store, "w1", T0);
    await claim(store, "w1", T0);
    assert.equal(await store.jobFinish(finishOf(c, T0 + 1, "completed")), true);
    assert.equal(await store.jobFinish(finishOf(d, T0 + 1, "dead")), true);
    const before = await store.jobList({});
    assert.equal(
      await store.jobClaim({ workerId: "w2", leaseMs: LEASE_MS, now: T0 + 1e9 }),
      undefined,
    );
    assert.deepEqual(await store.jobList({}), before, "a claim that found nothing changed nothing");
  });

  test("jobClaim() does not take a job whose runAt is in the future, and takes it at runAt", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("later", { runAt: T0 + 5000 })], now: T0 });
    assert.equal(await store.jobClaim({ workerId: "w1", leaseMs: LEASE_MS, now: T0 }), undefined);
    assert.equal(
      await store.jobClaim({ workerId: "w1", leaseMs: LEASE_MS, now: T0 + 4999 }),
      undefined,
    );
    assert.equal((await store.jobGet({ id: "later" }))?.state, "pending");
    const job = await claim(store, "w1", T0 + 5000);
    assert.equal(job.id, "later");
    assert.equal(job.state, "processing");
  });

  test("jobClaim() takes the earliest runAt first, then enqueue order", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("late", { runAt: T0 + 300 }),
        newJob("mid-b", { runAt: T0 + 200 }),
        newJob("mid-a", { runAt: T0 + 200 }),
        newJob("not-yet", { runAt: T0 + 2000 }),
      ],
      now: T0,
    });
    await store.jobInsert({ jobs: [newJob("early", { runAt: T0 + 100 })], now: T0 + 1 });
    await store.jobInsert({ jobs: [newJob("mid-0", { runAt: T0 + 200 })], now: T0 + 2 });
    const order: string[] = [];
    for (;;) {
      const job = await store.jobClaim({ workerId: "w1", leaseMs: LEASE_MS, now: T0 + 1000 });
      if (!job) break;
      order.push(job.id);
    }
    assert.deepEqual(order, ["early", "mid-b", "mid-a", "mid-0", "late"]);
    assert.equal((await store.jobGet({ id: "not-yet" }))?.state, "pending");
  });

  test("jobClaim() takes the highest priority first, then the earliest runAt, then enqueue order", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("low", { priority: 0, runAt: T0 }),
        newJob("high-late", { priority: 5, runAt: T0 + 200 }),
        newJob("high-early", { priority: 5, runAt: T0 + 100 }),
        newJob("mid", { priority: 1, runAt: T0 + 900 }),
        newJob("negative", { priority: -3, runAt: T0 }),
        newJob("top-not-due", { priority: 100, runAt: T0 + 5000 }),
      ],
      now: T0,
    });
    await store.jobInsert({
      jobs: [newJob("high-early-2", { priority: 5, runAt: T0 + 100 })],
      now: T0 + 1,
    });
    assert.deepEqual(await claimAll(store, "w1", T0 + 1000), [
      "high-early",
      "high-early-2",
      "high-late",
      "mid",
      "low",
      "negative",
    ]);
    // A job that is not due yet does not hold back lower priorities, and is not taken early.
    assert.equal((await store.jobGet({ id: "top-not-due" }))?.state, "pending");
    assert.deepEqual(await claimAll(store, "w1", T0 + 5000), ["top-not-due"]);
  });

  test("jobClaim() orders by priority, runAt and enqueue order across different queues too", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("d2", { queue: "deploy", priority: 1, runAt: T0 }),
        newJob("m1", { queue: "mail", priority: 1, runAt: T0 }),
        newJob("x1", { priority: 5, runAt: T0 + 10 }),
        newJob("d1", { queue: "deploy", priority: 5, runAt: T0 + 50 }),
        newJob("r1", { queue: "reports", priority: 5, runAt: T0 + 10 }),
        newJob("m2", { queue: "mail", priority: 0, runAt: T0 }),
        newJob("r2", { queue: "reports", priority: 1, runAt: T0 + 5 }),
      ],
      now: T0,
    });
    assert.deepEqual(await claimAll(store, "w1", T0 + 100), [
      "x1",
      "r1",
      "d1",
      "d2",
      "m1",
      "r2",
      "m2",
    ]);
  });

  test("jobClaim() with queues takes only jobs of those queues and leaves the others", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("x1", { priority: 10 }),
        newJob("d1", { queue: "deploy" }),
        newJob("m1", { queue: "mail" }),
        newJob("d2", { queue: "deploy" }),
        newJob("m2", { queue: "mail", priority: 3 }),
        newJob("d-later", { queue: "deploy", runAt: T0 + 5000 }),
      ],
      now: T0,
    });
    const others = await Promise.all(["x1", "m1", "m2"].map((id) => snapshot(store, id)));
    assert.deepEqual(await claimAll(store, "w1", T0, ["deploy"]), ["d1", "d2"]);
    assert.deepEqual(
      await Promise.all(["x1", "m1", "m2"].map((id) => snapshot(store, id))),
      others,
      "jobs of other queues are left alone, however high their priority",
    );
    assert.equal((await store.jobGet({ id: "d-later" }))?.state, "pending");
    assert.equal(
      await store.jobClaim({ workerId: "w1", leaseMs: LEASE_MS, now: T0, queues: ["nowhere"] }),
      undefined,
    );
    assert.deepEqual(await claimAll(store, "w2", T0, ["mail", "nowhere"]), ["m2", "m1"]);
    for (const id of ["m1", "m2"]) {
      const job = await store.jobGet({ id });
      assert.equal(job?.state, "processing", id);
      assert.equal(job?.leaseOwner, "w2", id);
    }
    assert.equal((await store.jobGet({ id: "x1" }))?.state, "pending");
    // Without queues, every queue is served.
    assert.deepEqual(await claimAll(store, "w3", T0 + 5000), ["x1", "d-later"]);
  });

  // ---------------------------------------------------------------------------------------------
  // jobNextRunAt

  test("jobNextRunAt() returns the earliest runAt of a waiting job in the queues, undefined when none", async ({ store }) => {
    assert.equal(await store.jobNextRunAt({}), undefined);
    assert.equal(await store.jobNextRunAt({ queues: ["deploy"] }), undefined);
    await store.jobInsert({
      jobs: [
        newJob("a", { runAt: T0 + 500 }),
        newJob("b", { queue: "deploy", runAt: T0 + 300 }),
        newJob("c", { queue: "deploy", runAt: T0 + 900 }),
        newJob("d", { queue: "mail", runAt: T0 + 100 }),
      ],
      now: T0,
    });
    assert.equal(await store.jobNextRunAt({}), T0 + 100);
    assert.equal(await store.jobNextRunAt({ queues: ["deploy"] }), T0 + 300);
    assert.equal(await store.jobNextRunAt({ queues: ["default", "deploy"] }), T0 + 300);
    assert.equal(await store.jobNextRunAt({ queues: ["default"] }), T0 + 500);
    assert.equal(await store.jobNextRunAt({ queues: ["nowhere"] }), undefined);

    // A processing job is not waiting.
    const d = await claim(store, "w1", T0 + 100, ["mail"]);
    assert.equal(await store.jobNextRunAt({}), T0 + 300);
    assert.equal(await store.jobNextRunAt({ queues: ["mail"] }), undefined);
    // A failed job waits for its retry.
    assert.equal(
      await store.jobFinish(finishOf(d, T0 + 150, "failed", { runAt: T0 + 2000 })),
      true,
    );
    assert.equal(await store.jobNextRunAt({ queues: ["mail"] }), T0 + 2000);
    // Canceled and completed jobs are not waiting.
    await store.jobCancel({ ids: ["d", "b"], now: T0 + 160 });
    assert.equal(await store.jobNextRunAt({ queues: ["mail"] }), undefined);
    assert.equal(await store.jobNextRunAt({ queues: ["deploy"] }), T0 + 900);
    const c = await claim(store, "w1", T0 + 900, ["deploy"]);
    assert.equal(await store.jobFinish(finishOf(c, T0 + 901, "completed")), true);
    assert.equal(await store.jobNextRunAt({ queues: ["deploy"] }), undefined);
    assert.equal(await store.jobNextRunAt({}), T0 + 500);
  });

  test("jobClaim() moves the job to processing under a lease: attempts and leaseToken +1, leaseOwner, leaseExpiresAt = now + leaseMs", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 2 })], now: T0 });
    const claimed = await store.jobClaim({ workerId: "worker-7", leaseMs: 12_345, now: T0 + 10 });
    assert.ok(claimed);
    assert.equal(claimed.id, "a");
    assert.equal(claimed.state, "processing");
    assert.equal(claimed.attempts, 1);
    assert.equal(claimed.leaseToken, 1);
    assert.equal(claimed.leaseOwner, "worker-7");
    assert.equal(claimed.leaseExpiresAt, T0 + 10 + 12_345);
    assert.equal(claimed.command, "echo a");
    assert.equal(claimed.maxRetries, 2);
    assert.deepEqual(await store.jobGet({ id: "a" }), claimed);
    assert.equal(
      await store.jobClaim({ workerId: "worker-8", leaseMs: 12_345, now: T0 + 11 }),
      undefined,
      "a processing job is not claimed again",
    );
  });

  test("jobClaim() takes a failed job again once it is due", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 3 })], now: T0 });
    const first = await claim(store, "w1", T0);
    assert.equal(
      await store.jobFinish(
        finishOf(first, T0 + 100, "failed", { runAt: T0 + 5000, exitCode: 1, outcome: "failed" }),
      ),
      true,
    );
    assert.equal((await store.jobGet({ id: "a" }))?.state, "failed");
    assert.equal(
      await store.jobClaim({ workerId: "w2", leaseMs: LEASE_MS, now: T0 + 4999 }),
      undefined,
    );
    const second = await claim(store, "w2", T0 + 5000);
    assert.equal(second.id, "a");
    assert.equal(second.state, "processing");
    assert.equal(second.attempts, 2);
    assert.equal(second.leaseToken, 2);
    assert.equal(second.leaseOwner, "w2");
    assert.equal(second.leaseExpiresAt, T0 + 5000 + LEASE_MS);
  });

  test("jobClaim() never hands one job to two workers", async ({ store, openAnother }) => {
    const connections = [store, await openAnother(), await openAnother(), await openAnother()];
    const all = Array.from({ length: 200 }, (_, i) => `job-${String(i).padStart(3, "0")}`);
    await store.jobInsert({ jobs: all.map((id) => newJob(id)), now: T0 });
    const claimedBy = await Promise.all(connections.map(async (connection, i) => {
      const workerId = `w${i}`;
      const claimed: string[] = [];
      for (;;) {
        const job = await connection.jobClaim({ workerId, leaseMs: LEASE_MS, now: T0 + 1 });
        if (!job) return claimed;
        claimed.push(job.id);
        assert.equal(job.leaseOwner, workerId);
        assert.equal(
          await connection.jobFinish(finishOf(job, T0 + 2, "completed")),
          true,
          `${workerId} finishes ${job.id}`,
        );
      }
    }));
    const flat = claimedBy.flat();
    assert.equal(flat.length, all.length, "every job claimed once in total");
    assert.deepEqual([...flat].sort(), all);
    assert.deepEqual(await store.jobCountByState(), {
      blocked: 0,
      pending: 0,
      processing: 0,
      completed: all.length,
      failed: 0,
      dead: 0,
      canceled: 0,
    });
    for (const [i, claimed] of claimedBy.entries()) {
      for (const id of claimed) {
        const runs = await store.jobRuns({ id });
        assert.equal(runs.length, 1, id);
        assert.equal(runs[0].workerId, `w${i}`, id);
        assert.equal((await store.jobGet({ id }))?.attempts, 1, id);
      }
    }
  });
}
