/**
 * The store contract: one suite, run against every `Store` implementation. Each test checks what
 * `src/store/store.ts` documents, through the `Store` interface only (no SQL, no file paths), so a
 * PostgreSQL store can call `storeContract` with its own factory.
 *
 * Times are fixed numbers (a `ManualClock`'s start); nothing sleeps. The only waiting is in the
 * `workSubscribe` tests, which poll with a deadline for a best-effort callback.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/clock.ts";
import { ConflictError } from "../../src/errors.ts";
import { type Job, JOB_STATES, type JobRun, type JobState } from "../../src/job.ts";
import type { JobFinish, NewJob, Store, WorkerProcess } from "../../src/store/mod.ts";

/** What a backend's test file hands to `storeContract`: a fresh, empty store per test. */
export interface StoreFixture {
  store: Store;
  /** Opens another connection (another `Store` instance) on the same database. */
  openAnother: () => Promise<Store>;
  /** Closes every connection the fixture opened and removes the database. */
  cleanup: () => Promise<void>;
}

/** The start of every test's timeline. */
const T0 = new ManualClock().now();
const LEASE_MS = 30_000;

/** Registers the whole contract suite with `Deno.test`, each test named `"<name>: …"`. */
export function storeContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  function test(title: string, body: (fixture: StoreFixture) => Promise<void>): void {
    Deno.test(`${name}: ${title}`, async () => {
      const fixture = await makeStore();
      try {
        await body(fixture);
      } finally {
        await fixture.cleanup();
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // jobInsert / jobGet

  test("jobInsert() returns the new jobs with their defaults, as jobGet() reads them", async ({ store }) => {
    const inserted = await store.jobInsert({
      jobs: [
        newJob("a", { maxRetries: 5, timeoutSeconds: 2.5, runAt: T0 + 500 }),
        newJob("b", { command: "echo 'two words' && exit 3" }),
      ],
      now: T0,
    });
    assert.deepEqual(inserted.map((job) => job.id), ["a", "b"]);
    const [a, b] = inserted;
    assert.equal(a.command, "echo a");
    assert.equal(a.state, "pending");
    assert.equal(a.attempts, 0);
    assert.equal(a.leaseToken, 0);
    assert.equal(a.maxRetries, 5);
    assert.equal(a.timeoutSeconds, 2.5);
    assert.equal(a.runAt, T0 + 500);
    assert.equal(a.createdAt, T0);
    assert.equal(typeof a.priority, "number");
    assert.equal(a.leaseOwner, null);
    assert.equal(a.leaseExpiresAt, null);
    assert.equal(a.startedAt, null);
    assert.equal(a.finishedAt, null);
    assert.equal(a.exitCode, null);
    assert.equal(a.lastError, null);
    assert.equal(a.pgid, null);
    assert.equal(a.pgidStartTime, null);
    assert.equal(b.command, "echo 'two words' && exit 3");
    assert.equal(b.timeoutSeconds, null);
    assert.equal(b.maxRetries, 3);
    assert.equal(b.runAt, T0);
    assert.equal(b.state, "pending");
    assert.deepEqual(await store.jobGet({ id: "a" }), a);
    assert.deepEqual(await store.jobGet({ id: "b" }), b);
  });

  test("jobInsert() of a batch with an existing id throws ConflictError naming it and adds none", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("taken-1"), newJob("taken-2")], now: T0 });
    await assert.rejects(
      store.jobInsert({
        jobs: [newJob("fresh-1"), newJob("taken-1"), newJob("fresh-2"), newJob("taken-2")],
        now: T0 + 1,
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError, `expected ConflictError, got ${error}`);
        assert.match(error.message, /taken-1/);
        assert.doesNotMatch(error.message, /taken-2/);
        return true;
      },
    );
    assert.equal(await store.jobGet({ id: "fresh-1" }), undefined);
    assert.equal(await store.jobGet({ id: "fresh-2" }), undefined);
    assert.deepEqual(ids(await store.jobList({})), ["taken-1", "taken-2"]);
    assert.equal((await store.jobCountByState()).pending, 2);
    // Nothing of the failed batch lingers: its new ids can be enqueued afterwards.
    const retried = await store.jobInsert({
      jobs: [newJob("fresh-1"), newJob("fresh-2")],
      now: T0 + 2,
    });
    assert.deepEqual(ids(retried), ["fresh-1", "fresh-2"]);
    assert.deepEqual(ids(await store.jobList({})), ["taken-1", "taken-2", "fresh-1", "fresh-2"]);
  });

  test("jobInsert() of a batch repeating an id throws ConflictError and adds none", async ({ store }) => {
    await assert.rejects(
      store.jobInsert({ jobs: [newJob("twice"), newJob("once"), newJob("twice")], now: T0 }),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError, `expected ConflictError, got ${error}`);
        assert.match(error.message, /twice/);
        return true;
      },
    );
    assert.deepEqual(await store.jobList({}), []);
    assert.equal(await store.jobGet({ id: "twice" }), undefined);
    assert.equal(await store.jobGet({ id: "once" }), undefined);
    assert.equal((await store.jobCountByState()).pending, 0);
  });

  test("jobGet() returns undefined for an unknown id", async ({ store }) => {
    assert.equal(await store.jobGet({ id: "nope" }), undefined);
    await store.jobInsert({ jobs: [newJob("a")], now: T0 });
    assert.equal(await store.jobGet({ id: "nope" }), undefined);
    assert.equal(await store.jobGet({ id: "A" }), undefined);
  });

  // ---------------------------------------------------------------------------------------------
  // jobList / jobCountByState

  test("jobList() returns jobs in enqueue order, not by id or runAt", async ({ store }) => {
    assert.deepEqual(await store.jobList({}), []);
    await store.jobInsert({ jobs: [newJob("m", { runAt: T0 + 300 })], now: T0 });
    await store.jobInsert({
      jobs: [newJob("z", { runAt: T0 + 100 }), newJob("a", { runAt: T0 + 200 })],
      now: T0 + 1,
    });
    await store.jobInsert({ jobs: [newJob("b", { runAt: T0 })], now: T0 + 2 });
    assert.deepEqual(ids(await store.jobList({})), ["m", "z", "a", "b"]);
    // Claiming and finishing does not reorder the list.
    const claimed = await claim(store, "w1", T0 + 1000);
    assert.equal(claimed.id, "b");
    assert.equal(await store.jobFinish(finishOf(claimed, T0 + 1001, "completed")), true);
    assert.deepEqual(ids(await store.jobList({})), ["m", "z", "a", "b"]);
  });

  test("jobList() filters by states", async ({ store }) => {
    await seedEveryState(store);
    assert.deepEqual(ids(await store.jobList({ states: ["pending"] })), ["pending-1", "pending-2"]);
    assert.deepEqual(ids(await store.jobList({ states: ["processing"] })), ["processing-1"]);
    assert.deepEqual(ids(await store.jobList({ states: ["completed"] })), ["completed-1"]);
    assert.deepEqual(ids(await store.jobList({ states: ["failed"] })), ["failed-1"]);
    assert.deepEqual(ids(await store.jobList({ states: ["dead"] })), ["dead-1"]);
    assert.deepEqual(
      ids(await store.jobList({ states: ["dead", "pending", "failed"] })),
      ["pending-1", "failed-1", "dead-1", "pending-2"],
    );
    for (const job of await store.jobList({ states: ["failed", "dead"] })) {
      assert.ok(job.state === "failed" || job.state === "dead");
    }
    assert.equal((await store.jobList({})).length, 6);
  });

  test("jobList() returns at most limit jobs, the first in enqueue order; 0 means all", async ({ store }) => {
    await store.jobInsert({
      jobs: ["j1", "j2", "j3", "j4", "j5"].map((id) => newJob(id)),
      now: T0,
    });
    assert.deepEqual(ids(await store.jobList({ limit: 2 })), ["j1", "j2"]);
    assert.deepEqual(ids(await store.jobList({ limit: 5 })), ["j1", "j2", "j3", "j4", "j5"]);
    assert.deepEqual(ids(await store.jobList({ limit: 50 })), ["j1", "j2", "j3", "j4", "j5"]);
    assert.deepEqual(ids(await store.jobList({ limit: 0 })), ["j1", "j2", "j3", "j4", "j5"]);
    // With a filter, the limit applies to the matching jobs.
    const first = await claim(store, "w1", T0);
    assert.equal(first.id, "j1");
    assert.deepEqual(ids(await store.jobList({ states: ["pending"], limit: 2 })), ["j2", "j3"]);
    assert.deepEqual(
      ids(await store.jobList({ states: ["pending"], limit: 0 })),
      ["j2", "j3", "j4", "j5"],
    );
  });

  test("jobCountByState() reports every state, zero when none", async ({ store }) => {
    const empty = await store.jobCountByState();
    assert.deepEqual(Object.keys(empty).sort(), [...JOB_STATES].sort());
    for (const state of JOB_STATES) assert.equal(empty[state], 0, state);

    const later = { runAt: T0 + 1e6 };
    await store.jobInsert({
      jobs: [newJob("p1", later), newJob("p2", later), newJob("p3", later)],
      now: T0,
    });
    assert.deepEqual(await store.jobCountByState(), {
      pending: 3,
      processing: 0,
      completed: 0,
      failed: 0,
      dead: 0,
    });

    await seedEveryState(store);
    assert.deepEqual(await store.jobCountByState(), {
      pending: 5,
      processing: 1,
      completed: 1,
      failed: 1,
      dead: 1,
    });
  });

  // ---------------------------------------------------------------------------------------------
  // jobClaim

  test("jobClaim() returns undefined when nothing is due", async ({ store }) => {
    assert.equal(await store.jobClaim({ workerId: "w1", leaseMs: LEASE_MS, now: T0 }), undefined);

    // Jobs that are processing, completed or dead are never due.
    await store.jobInsert({
      jobs: [newJob("c", { maxRetries: 0 }), newJob("d", { maxRetries: 0 }), newJob("p")],
      now: T0,
    });
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
      pending: 0,
      processing: 0,
      completed: all.length,
      failed: 0,
      dead: 0,
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

  // ---------------------------------------------------------------------------------------------
  // jobSetProcess

  test("jobSetProcess() records the process group under the current lease token", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a")], now: T0 });
    const job = await claim(store, "w1", T0);
    assert.equal(
      await store.jobSetProcess({
        id: "a",
        leaseToken: job.leaseToken,
        pgid: 4242,
        pgidStartTime: "123456",
      }),
      true,
    );
    const after = await store.jobGet({ id: "a" });
    assert.equal(after?.pgid, 4242);
    assert.equal(after?.pgidStartTime, "123456");
    assert.equal(after?.state, "processing");
    assert.equal(after?.leaseToken, job.leaseToken);
    // A null start time is accepted too.
    assert.equal(
      await store.jobSetProcess({
        id: "a",
        leaseToken: job.leaseToken,
        pgid: 4343,
        pgidStartTime: null,
      }),
      true,
    );
    assert.equal((await store.jobGet({ id: "a" }))?.pgid, 4343);
    assert.equal((await store.jobGet({ id: "a" }))?.pgidStartTime, null);
  });

  test("jobSetProcess() is fenced: false and no change with a wrong token or once the job left processing", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b")], now: T0 });
    const a = await claim(store, "w1", T0);
    const held = await store.jobGet({ id: "a" });
    for (const leaseToken of [0, a.leaseToken + 1]) {
      assert.equal(
        await store.jobSetProcess({ id: "a", leaseToken, pgid: 1, pgidStartTime: "x" }),
        false,
        `token ${leaseToken}`,
      );
    }
    assert.deepEqual(await store.jobGet({ id: "a" }), held);

    // A pending job (never claimed) cannot take a process group either.
    const pending = await store.jobGet({ id: "b" });
    assert.equal(
      await store.jobSetProcess({ id: "b", leaseToken: 0, pgid: 1, pgidStartTime: "x" }),
      false,
    );
    assert.deepEqual(await store.jobGet({ id: "b" }), pending);

    // Unknown job.
    assert.equal(
      await store.jobSetProcess({ id: "nope", leaseToken: 1, pgid: 1, pgidStartTime: "x" }),
      false,
    );

    // Once finished, its own (former) token no longer works.
    assert.equal(await store.jobFinish(finishOf(a, T0 + 1, "completed")), true);
    const finished = await store.jobGet({ id: "a" });
    assert.equal(
      await store.jobSetProcess({
        id: "a",
        leaseToken: a.leaseToken,
        pgid: 99,
        pgidStartTime: "y",
      }),
      false,
    );
    assert.deepEqual(await store.jobGet({ id: "a" }), finished);
  });

  // ---------------------------------------------------------------------------------------------
  // jobFinish

  test("jobFinish() to completed ends the run, clears the lease and records the run", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a")], now: T0 });
    const job = await claim(store, "w1", T0 + 10);
    assert.equal(
      await store.jobFinish(
        finishOf(job, T0 + 500, "completed", {
          exitCode: 0,
          stdout: "line 1\nline 2 ✓\n",
          stderr: "a warning\n",
        }),
      ),
      true,
    );
    const after = await store.jobGet({ id: "a" });
    assert.ok(after);
    assert.equal(after.state, "completed");
    assert.equal(after.attempts, 1);
    assert.equal(after.exitCode, 0);
    assert.equal(after.lastError, null);
    assert.equal(after.leaseOwner, null);
    assert.equal(after.leaseExpiresAt, null);
    assert.deepEqual(await store.jobRuns({ id: "a" }), [
      {
        jobId: "a",
        attempt: 1,
        workerId: "w1",
        startedAt: T0 + 10,
        finishedAt: T0 + 500,
        outcome: "completed",
        exitCode: 0,
        error: null,
        stdout: "line 1\nline 2 ✓\n",
        stderr: "a warning\n",
      } satisfies JobRun,
    ]);
  });

  test("jobFinish() to failed applies runAt and records the error", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 2 })], now: T0 });
    const job = await claim(store, "w1", T0);
    assert.equal(
      await store.jobFinish(
        finishOf(job, T0 + 100, "failed", {
          runAt: T0 + 2100,
          exitCode: 7,
          error: "Exited with code 7: boom",
          outcome: "failed",
          stderr: "boom\n",
        }),
      ),
      true,
    );
    const after = await store.jobGet({ id: "a" });
    assert.ok(after);
    assert.equal(after.state, "failed");
    assert.equal(after.runAt, T0 + 2100);
    assert.equal(after.attempts, 1);
    assert.equal(after.exitCode, 7);
    assert.equal(after.lastError, "Exited with code 7: boom");
    assert.equal(after.leaseOwner, null);
    assert.equal(after.leaseExpiresAt, null);
    const runs = await store.jobRuns({ id: "a" });
    assert.equal(runs.length, 1);
    assert.equal(runs[0].outcome, "failed");
    assert.equal(runs[0].exitCode, 7);
    assert.equal(runs[0].error, "Exited with code 7: boom");
    assert.equal(runs[0].stderr, "boom\n");
    assert.equal(runs[0].attempt, 1);
  });

  test("jobFinish() to dead moves the job to the dead-letter queue", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 0 })], now: T0 });
    const job = await claim(store, "w1", T0);
    assert.equal(
      await store.jobFinish(
        finishOf(job, T0 + 100, "dead", {
          runAt: T0 + 100,
          exitCode: null,
          error: "Timed out after 1 s; its process group was killed",
          outcome: "timeout",
        }),
      ),
      true,
    );
    const after = await store.jobGet({ id: "a" });
    assert.equal(after?.state, "dead");
    assert.equal(after?.attempts, 1);
    assert.equal(after?.exitCode, null);
    assert.equal(after?.lastError, "Timed out after 1 s; its process group was killed");
    assert.equal(after?.leaseOwner, null);
    assert.deepEqual(ids(await store.jobList({ states: ["dead"] })), ["a"]);
    const runs = await store.jobRuns({ id: "a" });
    assert.deepEqual(runs.map((run) => [run.attempt, run.outcome, run.exitCode]), [
      [1, "timeout", null],
    ]);
    assert.equal(
      await store.jobClaim({ workerId: "w2", leaseMs: LEASE_MS, now: T0 + 1e9 }),
      undefined,
    );
  });

  test("jobFinish() to pending with refundAttempt gives the attempt back", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 1 })], now: T0 });
    const job = await claim(store, "w1", T0);
    assert.equal(job.attempts, 1);
    assert.equal(
      await store.jobFinish(
        finishOf(job, T0 + 50, "pending", {
          runAt: T0 + 60,
          exitCode: null,
          error: "Stopped by a worker shutdown before it finished; it will run again",
          outcome: "released",
          refundAttempt: true,
        }),
      ),
      true,
    );
    const after = await store.jobGet({ id: "a" });
    assert.ok(after);
    assert.equal(after.state, "pending");
    assert.equal(after.attempts, 0);
    assert.equal(after.runAt, T0 + 60);
    assert.equal(after.leaseOwner, null);
    assert.equal(after.leaseExpiresAt, null);
    const runs = await store.jobRuns({ id: "a" });
    assert.equal(runs.length, 1);
    assert.equal(runs[0].outcome, "released");
    assert.equal(runs[0].workerId, "w1");

    assert.equal(
      await store.jobClaim({ workerId: "w2", leaseMs: LEASE_MS, now: T0 + 59 }),
      undefined,
    );
    const again = await claim(store, "w2", T0 + 60);
    assert.equal(again.attempts, 1, "the released run did not count");
    assert.equal(again.leaseToken, 2, "the lease token still grows");
  });

  test("jobFinish() with refundAttempt of a retried job goes back to failed with the attempt refunded", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 3 })], now: T0 });
    const first = await claim(store, "w1", T0);
    assert.equal(
      await store.jobFinish(
        finishOf(first, T0 + 1, "failed", { runAt: T0 + 2, outcome: "failed" }),
      ),
      true,
    );
    const second = await claim(store, "w1", T0 + 2);
    assert.equal(second.attempts, 2);
    assert.equal(
      await store.jobFinish(
        finishOf(second, T0 + 3, "failed", {
          runAt: T0 + 3,
          outcome: "released",
          refundAttempt: true,
        }),
      ),
      true,
    );
    const after = await store.jobGet({ id: "a" });
    assert.equal(after?.state, "failed");
    assert.equal(after?.attempts, 1);
    assert.equal(after?.runAt, T0 + 3);
  });

  test("jobFinish() appends one run per finish, oldest first, with its attempt number and worker", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 2 })], now: T0 });
    const one = await claim(store, "w1", T0 + 100);
    assert.equal(
      await store.jobFinish(
        finishOf(one, T0 + 110, "failed", {
          runAt: T0 + 200,
          exitCode: 1,
          error: "e1",
          outcome: "failed",
          stdout: "out1",
          stderr: "err1",
        }),
      ),
      true,
    );
    const two = await claim(store, "w2", T0 + 200);
    assert.equal(
      await store.jobFinish(
        finishOf(two, T0 + 210, "failed", {
          runAt: T0 + 300,
          exitCode: 2,
          error: "e2",
          outcome: "failed",
          stdout: "out2",
          stderr: "err2",
        }),
      ),
      true,
    );
    const three = await claim(store, "w3", T0 + 300);
    assert.equal(
      await store.jobFinish(
        finishOf(three, T0 + 310, "completed", { stdout: "out3", stderr: "" }),
      ),
      true,
    );
    assert.deepEqual(await store.jobRuns({ id: "a" }), [
      run("a", 1, "w1", T0 + 100, T0 + 110, "failed", 1, "e1", "out1", "err1"),
      run("a", 2, "w2", T0 + 200, T0 + 210, "failed", 2, "e2", "out2", "err2"),
      run("a", 3, "w3", T0 + 300, T0 + 310, "completed", 0, null, "out3", ""),
    ]);
    assert.equal((await store.jobGet({ id: "a" }))?.attempts, 3);
  });

  test("jobFinish() with a stale lease token (rescued, then reclaimed) returns false and changes nothing", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 3 })], now: T0 });
    const stale = await claim(store, "worker-a", T0);

    // worker-a stops renewing; its lease runs out and the rescuer takes the job back.
    const expiredAt = T0 + LEASE_MS + 1;
    const rescuable = await store.jobListRescuable({ now: expiredAt, owners: [] });
    assert.deepEqual(ids(rescuable), ["a"]);
    assert.equal(rescuable[0].leaseToken, stale.leaseToken);
    assert.equal(
      await store.jobFinish({
        id: "a",
        leaseToken: rescuable[0].leaseToken,
        now: expiredAt,
        state: "failed",
        runAt: expiredAt,
        exitCode: null,
        error: "Rescued from a lost worker: its lease expired",
        outcome: "rescued",
        stdout: "",
        stderr: "",
      }),
      true,
    );

    // Between the rescue and the next claim, the stale token is refused already.
    const rescued = await snapshot(store, "a");
    assert.equal(await store.jobFinish(finishOf(stale, expiredAt, "completed")), false);
    assert.deepEqual(await snapshot(store, "a"), rescued);

    // worker-b claims it again: a new lease token.
    const fresh = await claim(store, "worker-b", expiredAt + 1);
    assert.equal(fresh.id, "a");
    assert.equal(fresh.leaseToken, stale.leaseToken + 1);
    assert.equal(fresh.attempts, 2);
    assert.equal(
      await store.jobSetProcess({
        id: "a",
        leaseToken: fresh.leaseToken,
        pgid: 777,
        pgidStartTime: "777-start",
      }),
      true,
    );
    const before = await snapshot(store, "a");

    // worker-a comes back and reports its run, whatever the outcome: fenced off.
    const staleReports: JobFinish[] = [
      finishOf(stale, expiredAt + 5, "completed", { stdout: "late output" }),
      finishOf(stale, expiredAt + 5, "failed", {
        runAt: expiredAt + 10,
        exitCode: 1,
        error: "x",
        outcome: "failed",
      }),
      finishOf(stale, expiredAt + 5, "dead", { exitCode: 1, error: "x", outcome: "failed" }),
      finishOf(stale, expiredAt + 5, "pending", {
        runAt: expiredAt + 5,
        outcome: "released",
        refundAttempt: true,
      }),
    ];
    for (const report of staleReports) {
      assert.equal(await store.jobFinish(report), false, `stale ${report.state} finish`);
      assert.deepEqual(await snapshot(store, "a"), before, `stale ${report.state} finish`);
    }
    assert.equal(
      await store.jobSetProcess({
        id: "a",
        leaseToken: stale.leaseToken,
        pgid: 1,
        pgidStartTime: "1",
      }),
      false,
    );
    assert.deepEqual(await snapshot(store, "a"), before);
    assert.deepEqual(
      await store.leaseExtend({ workerId: "worker-a", leaseMs: LEASE_MS, now: expiredAt + 6 }),
      [],
    );
    assert.deepEqual(await snapshot(store, "a"), before);

    // worker-b still holds the lease and records its run.
    assert.equal(await store.jobFinish(finishOf(fresh, expiredAt + 20, "completed")), true);
    const runs = await store.jobRuns({ id: "a" });
    assert.deepEqual(runs.map((r) => [r.attempt, r.workerId, r.outcome]), [
      [1, "worker-a", "rescued"],
      [2, "worker-b", "completed"],
    ]);
    assert.equal((await store.jobGet({ id: "a" }))?.state, "completed");
  });

  test("jobFinish() a second time with the same token returns false and changes nothing", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 3 })], now: T0 });
    const job = await claim(store, "w1", T0);
    assert.equal(
      await store.jobFinish(
        finishOf(job, T0 + 1, "failed", { runAt: T0 + 1000, exitCode: 1, outcome: "failed" }),
      ),
      true,
    );
    const before = await snapshot(store, "a");
    assert.equal(await store.jobFinish(finishOf(job, T0 + 2, "completed")), false);
    assert.equal(
      await store.jobFinish(
        finishOf(job, T0 + 2, "failed", { runAt: T0 + 5, exitCode: 1, outcome: "failed" }),
      ),
      false,
    );
    assert.deepEqual(await snapshot(store, "a"), before);
    assert.equal((await store.jobRuns({ id: "a" })).length, 1);
  });

  test("jobFinish() of an unknown job or a job that is not processing returns false", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a")], now: T0 });
    const pending = await snapshot(store, "a");
    const unclaimed: JobFinish = {
      id: "a",
      leaseToken: 0,
      now: T0 + 1,
      state: "completed",
      exitCode: 0,
      error: null,
      outcome: "completed",
      stdout: "",
      stderr: "",
    };
    assert.equal(await store.jobFinish(unclaimed), false);
    assert.equal(await store.jobFinish({ ...unclaimed, leaseToken: 1 }), false);
    assert.deepEqual(await snapshot(store, "a"), pending);
    assert.equal(await store.jobFinish({ ...unclaimed, id: "nope", leaseToken: 1 }), false);
    assert.equal(await store.jobGet({ id: "nope" }), undefined);
    assert.deepEqual(await store.jobRuns({ id: "nope" }), []);
  });

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

    const untouched = ["pending-1", "processing-1", "completed-1", "failed-1", "dead-2"];
    const before = await Promise.all(untouched.map((id) => snapshot(store, id)));
    const retried = await store.jobRetryDead({
      ids: ["dead-1", "pending-1", "processing-1", "completed-1", "failed-1", "unknown"],
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
    const others = ["pending-1", "processing-1", "completed-1", "failed-1", "pending-2"];
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
      pending: 4,
      processing: 1,
      completed: 1,
      failed: 1,
      dead: 0,
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

  // ---------------------------------------------------------------------------------------------
  // Worker processes

  test("workerRegister() adds a worker that workerList() returns; registering again replaces it", async ({ store }) => {
    assert.deepEqual(await store.workerList(), []);
    const w1 = workerProcess("w1");
    await store.workerRegister(w1);
    assert.deepEqual(await store.workerList(), [{ ...w1, jobIds: [] }]);
    const w2 = workerProcess("w2", { host: "host-b", pid: 2002, pidStartTime: null });
    await store.workerRegister(w2);
    assert.deepEqual(sortById(await store.workerList()), [
      { ...w1, jobIds: [] },
      { ...w2, jobIds: [] },
    ]);
    const w1Again = workerProcess("w1", {
      pid: 3003,
      pidStartTime: "999",
      concurrency: 8,
      startedAt: T0 + 50,
      heartbeatAt: T0 + 50,
    });
    await store.workerRegister(w1Again);
    assert.deepEqual(sortById(await store.workerList()), [
      { ...w1Again, jobIds: [] },
      { ...w2, jobIds: [] },
    ]);
  });

  test("workerList() gives each worker the ids of the processing jobs it holds", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    await store.workerRegister(workerProcess("w2"));
    await store.workerRegister(workerProcess("w3"));
    await store.jobInsert({
      jobs: ["j1", "j2", "j3", "j4", "j5"].map((id) => newJob(id)),
      now: T0,
    });
    await claim(store, "w1", T0); // j1
    const j2 = await claim(store, "w2", T0);
    await claim(store, "w1", T0); // j3
    const j4 = await claim(store, "w2", T0);
    assert.equal(await store.jobFinish(finishOf(j2, T0 + 1, "completed")), true);
    assert.equal(await store.jobFinish(rescueOf(j4, T0 + 1, T0 + 1e6)), true);
    const jobIds = Object.fromEntries(
      (await store.workerList()).map((worker) => [worker.id, [...worker.jobIds].sort()]),
    );
    assert.deepEqual(jobIds, { w1: ["j1", "j3"], w2: [], w3: [] });
  });

  test("workerHeartbeat() records the beat and returns the stop request; undefined for an unknown id", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    assert.deepEqual(await store.workerHeartbeat({ id: "w1", now: T0 + 1000 }), {
      stopRequested: null,
    });
    const [listed] = await store.workerList();
    assert.equal(listed.heartbeatAt, T0 + 1000);
    assert.equal(listed.startedAt, T0);
    assert.equal(await store.workerHeartbeat({ id: "ghost", now: T0 + 1000 }), undefined);
    assert.deepEqual((await store.workerList()).map((worker) => worker.id), ["w1"]);
    await store.workerRequestStop({ ids: ["w1"], mode: "drain" });
    assert.deepEqual(await store.workerHeartbeat({ id: "w1", now: T0 + 2000 }), {
      stopRequested: "drain",
    });
    assert.equal((await store.workerList())[0].heartbeatAt, T0 + 2000);
  });

  test("workerRequestStop() asks the named workers and returns their ids", async ({ store }) => {
    for (const id of ["w1", "w2", "w3"]) await store.workerRegister(workerProcess(id));
    const asked = await store.workerRequestStop({ ids: ["w1", "w2", "ghost"], mode: "drain" });
    assert.deepEqual([...asked].sort(), ["w1", "w2"]);
    assert.deepEqual(
      (await store.workerHeartbeat({ id: "w1", now: T0 + 1 }))?.stopRequested,
      "drain",
    );
    assert.deepEqual(
      (await store.workerHeartbeat({ id: "w2", now: T0 + 1 }))?.stopRequested,
      "drain",
    );
    assert.deepEqual((await store.workerHeartbeat({ id: "w3", now: T0 + 1 }))?.stopRequested, null);
    const stops = Object.fromEntries(
      (await store.workerList()).map((worker) => [worker.id, worker.stopRequested]),
    );
    assert.deepEqual(stops, { w1: "drain", w2: "drain", w3: null });
    assert.deepEqual(await store.workerRequestStop({ ids: ["ghost"], mode: "now" }), []);
    assert.deepEqual(await store.workerRequestStop({ ids: [], mode: "now" }), []);
  });

  test("workerRequestStop() upgrades 'drain' to 'now' but never downgrades 'now' to 'drain'", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    await store.workerRegister(workerProcess("w2"));
    assert.deepEqual(await store.workerRequestStop({ ids: ["w1"], mode: "drain" }), ["w1"]);
    assert.deepEqual(await store.workerRequestStop({ ids: ["w1"], mode: "now" }), ["w1"]);
    assert.equal((await store.workerHeartbeat({ id: "w1", now: T0 + 1 }))?.stopRequested, "now");
    const asked = await store.workerRequestStop({ ids: ["w1", "w2"], mode: "drain" });
    assert.deepEqual([...asked].sort(), ["w1", "w2"]);
    assert.equal((await store.workerHeartbeat({ id: "w1", now: T0 + 2 }))?.stopRequested, "now");
    assert.equal((await store.workerHeartbeat({ id: "w2", now: T0 + 2 }))?.stopRequested, "drain");
    const stops = Object.fromEntries(
      (await store.workerList()).map((worker) => [worker.id, worker.stopRequested]),
    );
    assert.deepEqual(stops, { w1: "now", w2: "drain" });
  });

  test("workerDeregister() removes the worker; its heartbeat then returns undefined", async ({ store }) => {
    await store.workerRegister(workerProcess("w1"));
    await store.workerRegister(workerProcess("w2"));
    await store.workerDeregister({ id: "w1" });
    assert.deepEqual((await store.workerList()).map((worker) => worker.id), ["w2"]);
    assert.equal(await store.workerHeartbeat({ id: "w1", now: T0 + 1 }), undefined);
    assert.deepEqual(await store.workerHeartbeat({ id: "w2", now: T0 + 1 }), {
      stopRequested: null,
    });
    await store.workerDeregister({ id: "w1" }); // Already gone: no error.
    await store.workerDeregister({ id: "w2" });
    assert.deepEqual(await store.workerList(), []);
  });

  // ---------------------------------------------------------------------------------------------
  // Config overrides

  test("configSet() stores overrides that configOverrides() returns, replacing an old value", async ({ store, openAnother }) => {
    assert.deepEqual(await store.configOverrides(), {});
    await store.configSet({ key: "max_retries", value: "5" });
    await store.configSet({ key: "backoff_base", value: "2.5" });
    assert.deepEqual(await store.configOverrides(), { max_retries: "5", backoff_base: "2.5" });
    await store.configSet({ key: "max_retries", value: "7" });
    assert.deepEqual(await store.configOverrides(), { max_retries: "7", backoff_base: "2.5" });
    const other = await openAnother();
    assert.deepEqual(await other.configOverrides(), { max_retries: "7", backoff_base: "2.5" });
  });

  test("configUnset() removes an override and returns false when there is none", async ({ store }) => {
    await store.configSet({ key: "max_retries", value: "5" });
    await store.configSet({ key: "job_timeout", value: "60" });
    assert.equal(await store.configUnset({ key: "max_retries" }), true);
    assert.deepEqual(await store.configOverrides(), { job_timeout: "60" });
    assert.equal(await store.configUnset({ key: "max_retries" }), false);
    assert.equal(await store.configUnset({ key: "never_set" }), false);
    assert.deepEqual(await store.configOverrides(), { job_timeout: "60" });
    assert.equal(await store.configUnset({ key: "job_timeout" }), true);
    assert.deepEqual(await store.configOverrides(), {});
  });

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
}

// -----------------------------------------------------------------------------------------------
// Helpers

function newJob(id: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id,
    command: `echo ${id}`,
    maxRetries: 3,
    timeoutSeconds: null,
    runAt: T0,
    ...overrides,
  };
}

function workerProcess(id: string, overrides: Partial<WorkerProcess> = {}): WorkerProcess {
  return {
    id,
    host: "host-a",
    pid: 1001,
    pidStartTime: "4242",
    concurrency: 2,
    startedAt: T0,
    heartbeatAt: T0,
    stopRequested: null,
    ...overrides,
  };
}

/** Claims the next due job, failing the test when there is none. */
async function claim(store: Store, workerId: string, now: number): Promise<Job> {
  const job = await store.jobClaim({ workerId, leaseMs: LEASE_MS, now });
  assert.ok(job, `${workerId} expected to claim a job at T0+${now - T0}`);
  return job;
}

/** The `jobFinish` of the run `job` was claimed for. */
function finishOf(
  job: Job,
  now: number,
  state: Exclude<JobState, "processing">,
  overrides: Partial<JobFinish> = {},
): JobFinish {
  const completed = state === "completed";
  return {
    id: job.id,
    leaseToken: job.leaseToken,
    now,
    state,
    exitCode: completed ? 0 : 1,
    error: completed ? null : "Exited with code 1",
    outcome: completed ? "completed" : "failed",
    stdout: "",
    stderr: "",
    ...overrides,
  };
}

/** How the rescuer ends a lost run: back to `failed`, due at `runAt`. */
function rescueOf(job: Job, now: number, runAt: number): JobFinish {
  return {
    id: job.id,
    leaseToken: job.leaseToken,
    now,
    state: "failed",
    runAt,
    exitCode: null,
    error: "Rescued from a lost worker",
    outcome: "rescued",
    stdout: "",
    stderr: "",
  };
}

function run(
  jobId: string,
  attempt: number,
  workerId: string,
  startedAt: number,
  finishedAt: number,
  outcome: string,
  exitCode: number | null,
  error: string | null,
  stdout: string,
  stderr: string,
): JobRun {
  return {
    jobId,
    attempt,
    workerId,
    startedAt,
    finishedAt,
    outcome,
    exitCode,
    error,
    stdout,
    stderr,
  };
}

/**
 * Six jobs, one in each state and a second pending one, enqueued in this order: pending-1,
 * processing-1, completed-1, failed-1, dead-1, pending-2.
 */
async function seedEveryState(store: Store): Promise<void> {
  await store.jobInsert({
    jobs: [
      newJob("pending-1", { runAt: T0 + 1e6 }),
      newJob("processing-1"),
      newJob("completed-1"),
      newJob("failed-1", { maxRetries: 3 }),
      newJob("dead-1", { maxRetries: 0 }),
      newJob("pending-2", { runAt: T0 + 1e6 }),
    ],
    now: T0,
  });
  const processing = await claim(store, "seed", T0);
  const completed = await claim(store, "seed", T0);
  const failed = await claim(store, "seed", T0);
  const dead = await claim(store, "seed", T0);
  assert.deepEqual(
    [processing.id, completed.id, failed.id, dead.id],
    ["processing-1", "completed-1", "failed-1", "dead-1"],
  );
  assert.equal(await store.jobFinish(finishOf(completed, T0 + 1, "completed")), true);
  assert.equal(
    await store.jobFinish(finishOf(failed, T0 + 1, "failed", { runAt: T0 + 1e6 })),
    true,
  );
  assert.equal(await store.jobFinish(finishOf(dead, T0 + 1, "dead")), true);
}

/** A job and its run history, to compare before and after a call that must change nothing. */
async function snapshot(
  store: Store,
  id: string,
): Promise<{ job: Job | undefined; runs: JobRun[] }> {
  return { job: await store.jobGet({ id }), runs: await store.jobRuns({ id }) };
}

function ids(jobs: { id: string }[]): string[] {
  return jobs.map((job) => job.id);
}

function sortById<T extends { id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Polls `check` until it holds; fails the test with `what` once `timeoutMs` has passed. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
