/**
 * Store contract: jobSetProcess and jobFinish: recording a run, and fencing by lease token.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type JobRun } from "../../../src/job.ts";
import type { JobFinish } from "../../../src/store/mod.ts";
import {
  bytes,
  claim,
  type ContractTest,
  finishOf,
  ids,
  LEASE_MS,
  newJob,
  output,
  run,
  snapshot,
  T0,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function finishContract(test: ContractTest): void {
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
          ...output("line 1\nline 2 ✓\n", "a warning\n"),
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
        run: job.leaseToken,
        attempt: 1,
        workerId: "w1",
        startedAt: T0 + 10,
        finishedAt: T0 + 500,
        outcome: "completed",
        exitCode: 0,
        error: null,
        stdout: bytes("line 1\nline 2 ✓\n"),
        stderr: bytes("a warning\n"),
        stdoutBytes: 18,
        stderrBytes: 10,
      } satisfies JobRun,
    ]);
  });

  test("jobFinish() keeps each stream's tail as exact bytes and the stream's whole length", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b")], now: T0 });
    const a = await claim(store, "w1", T0);
    // Not UTF-8, with a NUL: the store keeps bytes, not text.
    const stdout = new Uint8Array([0x00, 0xff, 0xfe, 0x41, 0x0a, 0xc3]);
    const stderr = bytes("…the last line ✗\n");
    assert.equal(
      await store.jobFinish(
        finishOf(a, T0 + 1, "completed", {
          stdout,
          stderr,
          stdoutBytes: 1_048_582,
          stderrBytes: 70_000,
        }),
      ),
      true,
    );
    const [runA] = await store.jobRuns({ id: "a" });
    assert.deepEqual(runA.stdout, stdout);
    assert.deepEqual(runA.stderr, stderr);
    assert.equal(runA.stdoutBytes, 1_048_582);
    assert.equal(runA.stderrBytes, 70_000);

    // Empty streams stay empty, with a length of zero.
    const b = await claim(store, "w1", T0);
    assert.equal(await store.jobFinish(finishOf(b, T0 + 1, "completed")), true);
    const [runB] = await store.jobRuns({ id: "b" });
    assert.deepEqual(runB.stdout, new Uint8Array());
    assert.deepEqual(runB.stderr, new Uint8Array());
    assert.equal(runB.stdoutBytes, 0);
    assert.equal(runB.stderrBytes, 0);
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
          ...output("", "boom\n"),
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
    assert.deepEqual(runs[0].stderr, bytes("boom\n"));
    assert.equal(runs[0].stderrBytes, 5);
    assert.deepEqual(runs[0].stdout, new Uint8Array());
    assert.equal(runs[0].stdoutBytes, 0);
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
          ...output("out1", "err1"),
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
          ...output("out2", "err2"),
        }),
      ),
      true,
    );
    const three = await claim(store, "w3", T0 + 300);
    assert.equal(
      await store.jobFinish(
        finishOf(three, T0 + 310, "completed", output("out3", "")),
      ),
      true,
    );
    assert.deepEqual(await store.jobRuns({ id: "a" }), [
      run("a", 1, 1, "w1", T0 + 100, T0 + 110, "failed", 1, "e1", "out1", "err1"),
      run("a", 2, 2, "w2", T0 + 200, T0 + 210, "failed", 2, "e2", "out2", "err2"),
      run("a", 3, 3, "w3", T0 + 300, T0 + 310, "completed", 0, null, "out3", ""),
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
        ...output("", ""),
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
      finishOf(stale, expiredAt + 5, "completed", output("late output", "")),
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
      ...output("", ""),
    };
    assert.equal(await store.jobFinish(unclaimed), false);
    assert.equal(await store.jobFinish({ ...unclaimed, leaseToken: 1 }), false);
    assert.deepEqual(await snapshot(store, "a"), pending);
    assert.equal(await store.jobFinish({ ...unclaimed, id: "nope", leaseToken: 1 }), false);
    assert.equal(await store.jobGet({ id: "nope" }), undefined);
    assert.deepEqual(await store.jobRuns({ id: "nope" }), []);
  });
}
