/**
 * Store contract: jobInsert, jobGet, jobList, jobCountByState and jobPurge.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConflictError } from "../../../src/errors.ts";
import { JOB_STATES } from "../../../src/job.ts";
import {
  claim,
  type ContractTest,
  finishOf,
  ids,
  newJob,
  seedEveryState,
  snapshot,
  stateCounts,
  T0,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function jobsContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // jobInsert / jobGet

  test("jobInsert() returns the new jobs with their defaults, as jobGet() reads them", async ({ store }) => {
    const results = await store.jobInsert({
      jobs: [
        newJob("a", { maxRetries: 5, timeoutSeconds: 2.5, runAt: T0 + 500 }),
        newJob("b", { command: "echo 'two words' && exit 3" }),
      ],
      now: T0,
    });
    assert.deepEqual(results.map((result) => result.existing), [false, false]);
    const inserted = results.map((result) => result.job);
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
    assert.equal(a.priority, 0);
    assert.equal(a.queue, "default");
    assert.equal(a.backoffBase, null);
    assert.equal(a.cwd, null);
    assert.equal(a.env, null);
    assert.equal(a.uniqueKey, null);
    assert.equal(a.shell, null);
    assert.equal(a.cancelRequestedAt, null);
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

  test("jobInsert() stores priority, queue, backoffBase, cwd and env, and jobGet() reads them back", async ({ store }) => {
    const env = { FOO: "bar", EMPTY: "", SPACED: 'two words; $(not run) "quoted" ✓' };
    const results = await store.jobInsert({
      jobs: [
        newJob("full", {
          priority: 10,
          queue: "deploy",
          backoffBase: 2.5,
          cwd: "/srv/app dir/ü",
          env,
        }),
        newJob("low", { priority: -5, queue: "mail.v2:eu-1", backoffBase: 3 }),
        newJob("empty-env", { env: {} }),
        newJob("plain"),
      ],
      now: T0,
    });
    assert.deepEqual(results.map((result) => result.existing), [false, false, false, false]);
    const inserted = results.map((result) => result.job);
    const [full, low, emptyEnv, plain] = inserted;
    assert.equal(full.priority, 10);
    assert.equal(full.queue, "deploy");
    assert.equal(full.backoffBase, 2.5);
    assert.equal(full.cwd, "/srv/app dir/ü");
    assert.deepEqual(full.env, env);
    assert.equal(full.cancelRequestedAt, null);
    assert.equal(low.priority, -5);
    assert.equal(low.queue, "mail.v2:eu-1");
    assert.equal(low.backoffBase, 3);
    assert.equal(low.cwd, null);
    assert.equal(low.env, null);
    assert.deepEqual(emptyEnv.env, {});
    assert.equal(plain.priority, 0);
    assert.equal(plain.queue, "default");
    assert.equal(plain.backoffBase, null);
    assert.equal(plain.cwd, null);
    assert.equal(plain.env, null);
    for (const job of inserted) {
      assert.deepEqual(await store.jobGet({ id: job.id }), job, job.id);
    }
    // The fields survive a claim and a finish unchanged.
    const claimed = await claim(store, "w1", T0);
    assert.equal(claimed.id, "full");
    assert.deepEqual(claimed.env, env);
    assert.equal(await store.jobFinish(finishOf(claimed, T0 + 1, "completed")), true);
    const finished = await store.jobGet({ id: "full" });
    assert.deepEqual(
      [finished?.priority, finished?.queue, finished?.backoffBase, finished?.cwd, finished?.env],
      [10, "deploy", 2.5, "/srv/app dir/ü", env],
    );
  });

  test("jobInsert() stores each job's shell (null: none of its own), and every read returns it", async ({ store }) => {
    const shells = [
      "bash",
      "cmd",
      "/usr/local/bin/fish",
      "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
      null,
    ];
    const jobs = shells.map((shell, index) => newJob(`shell-${index}`, { shell }));
    const results = await store.jobInsert({ jobs, now: T0 });
    assert.deepEqual(results.map((result) => result.job.shell), shells);
    for (const result of results) {
      assert.deepEqual(await store.jobGet({ id: result.id }), result.job, result.id);
    }
    const listed = await store.jobList({ states: ["pending"] });
    assert.deepEqual(listed.map((job) => job.shell), shells);
    // A claim and a finish keep it: a retry runs in the same shell.
    const claimed = await claim(store, "w1", T0);
    assert.equal(claimed.shell, "bash");
    assert.equal(await store.jobFinish(finishOf(claimed, T0 + 1, "failed", { runAt: T0 })), true);
    assert.equal((await store.jobGet({ id: "shell-0" }))?.shell, "bash");
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
    assert.deepEqual(ids(retried.map((result) => result.job)), ["fresh-1", "fresh-2"]);
    assert.deepEqual(retried.map((result) => result.existing), [false, false]);
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

  test("jobInsert() of a large batch adds every job in order, or none when an id late in it exists", async ({ store }) => {
    assert.deepEqual(await store.jobInsert({ jobs: [], now: T0 }), []);
    await store.jobInsert({ jobs: [newJob("taken-a"), newJob("taken-b")], now: T0 });
    const batch = Array.from({ length: 250 }, (_, i) => `bulk-${String(i).padStart(3, "0")}`);
    const withConflicts = [...batch];
    withConflicts[180] = "taken-b";
    withConflicts[220] = "taken-a";
    await assert.rejects(
      store.jobInsert({ jobs: withConflicts.map((id) => newJob(id)), now: T0 + 1 }),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError, `expected ConflictError, got ${error}`);
        assert.match(error.message, /taken-b/);
        assert.doesNotMatch(error.message, /taken-a/);
        return true;
      },
    );
    assert.deepEqual(ids(await store.jobList({})), ["taken-a", "taken-b"]);
    assert.equal(await store.jobGet({ id: "bulk-000" }), undefined);
    assert.equal(await store.jobGet({ id: "bulk-179" }), undefined);

    // A repeat far apart in one batch conflicts too.
    const repeating = [...batch];
    repeating[230] = "bulk-010";
    await assert.rejects(
      store.jobInsert({ jobs: repeating.map((id) => newJob(id)), now: T0 + 1 }),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError, `expected ConflictError, got ${error}`);
        assert.match(error.message, /bulk-010/);
        return true;
      },
    );
    assert.equal((await store.jobList({})).length, 2);

    const results = await store.jobInsert({
      jobs: batch.map((id, i) => newJob(id, { priority: i % 7, queue: `q${i % 3}` })),
      now: T0 + 2,
    });
    assert.ok(results.every((result) => !result.existing), "every job was added");
    const inserted = results.map((result) => result.job);
    assert.deepEqual(ids(inserted), batch);
    assert.deepEqual(ids(await store.jobList({})), ["taken-a", "taken-b", ...batch]);
    for (const i of [0, 99, 100, 101, 199, 200, 249]) {
      assert.deepEqual(await store.jobGet({ id: batch[i] }), inserted[i], batch[i]);
      assert.equal(inserted[i].priority, i % 7);
      assert.equal(inserted[i].queue, `q${i % 3}`);
    }
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
    assert.deepEqual(ids(await store.jobList({ states: ["canceled"] })), ["canceled-1"]);
    assert.deepEqual(
      ids(await store.jobList({ states: ["dead", "pending", "failed"] })),
      ["pending-1", "failed-1", "dead-1", "pending-2"],
    );
    assert.deepEqual(
      ids(await store.jobList({ states: ["canceled", "completed"] })),
      ["completed-1", "canceled-1"],
    );
    for (const job of await store.jobList({ states: ["failed", "dead"] })) {
      assert.ok(job.state === "failed" || job.state === "dead");
    }
    assert.equal((await store.jobList({})).length, 7);
  });

  test("jobList() filters by queues, alone and with states", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("d1", { queue: "deploy" }),
        newJob("m1", { queue: "mail" }),
        newJob("x1"),
        newJob("d2", { queue: "deploy" }),
        newJob("r1", { queue: "reports" }),
        newJob("m2", { queue: "mail" }),
      ],
      now: T0,
    });
    assert.deepEqual(ids(await store.jobList({ queues: ["deploy"] })), ["d1", "d2"]);
    assert.deepEqual(ids(await store.jobList({ queues: ["mail", "deploy"] })), [
      "d1",
      "m1",
      "d2",
      "m2",
    ]);
    assert.deepEqual(ids(await store.jobList({ queues: ["default"] })), ["x1"]);
    assert.deepEqual(ids(await store.jobList({ queues: ["nowhere"] })), []);
    assert.deepEqual(ids(await store.jobList({})), ["d1", "m1", "x1", "d2", "r1", "m2"]);

    const d1 = await claim(store, "w1", T0, ["deploy"]);
    assert.equal(d1.id, "d1");
    assert.deepEqual(ids(await store.jobList({ queues: ["deploy"], states: ["pending"] })), [
      "d2",
    ]);
    assert.deepEqual(
      ids(await store.jobList({ queues: ["deploy", "mail"], states: ["processing"] })),
      ["d1"],
    );
    assert.deepEqual(ids(await store.jobList({ queues: ["mail"], states: ["processing"] })), []);
    assert.deepEqual(ids(await store.jobList({ queues: ["deploy", "mail"], limit: 3 })), [
      "d1",
      "m1",
      "d2",
    ]);
  });

  test("jobList() with createdSince returns only jobs created at or after that time", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("old")], now: T0 });
    await store.jobInsert({ jobs: [newJob("mid-1"), newJob("mid-2")], now: T0 + 1000 });
    await store.jobInsert({ jobs: [newJob("new", { queue: "deploy" })], now: T0 + 2000 });
    assert.deepEqual(ids(await store.jobList({ createdSince: T0 })), [
      "old",
      "mid-1",
      "mid-2",
      "new",
    ]);
    assert.deepEqual(ids(await store.jobList({ createdSince: T0 + 1 })), ["mid-1", "mid-2", "new"]);
    assert.deepEqual(ids(await store.jobList({ createdSince: T0 + 1000 })), [
      "mid-1",
      "mid-2",
      "new",
    ]);
    assert.deepEqual(ids(await store.jobList({ createdSince: T0 + 1001 })), ["new"]);
    assert.deepEqual(ids(await store.jobList({ createdSince: T0 + 2001 })), []);
    // Updates (a claim, a finish) do not change when a job was created.
    const old = await claim(store, "w1", T0 + 3000);
    assert.equal(old.id, "old");
    assert.equal(await store.jobFinish(finishOf(old, T0 + 3001, "completed")), true);
    assert.deepEqual(ids(await store.jobList({ createdSince: T0 + 1 })), ["mid-1", "mid-2", "new"]);
    // Combined with the other filters.
    assert.deepEqual(
      ids(await store.jobList({ createdSince: T0 + 1000, queues: ["default"], limit: 1 })),
      ["mid-1"],
    );
    assert.deepEqual(
      ids(
        await store.jobList({ createdSince: T0 + 1000, states: ["pending"], queues: ["deploy"] }),
      ),
      ["new"],
    );
  });

  test("jobList() with order 'run_at' sorts by next run time, then enqueue order", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("c", { runAt: T0 + 300 }),
        newJob("a2", { runAt: T0 + 100 }),
        newJob("b", { runAt: T0 + 200 }),
      ],
      now: T0,
    });
    await store.jobInsert({
      jobs: [newJob("a1", { runAt: T0 + 100 }), newJob("z", { runAt: T0 + 50 })],
      now: T0 + 1,
    });
    await store.jobInsert({ jobs: [newJob("a3", { runAt: T0 + 100, priority: 9 })], now: T0 + 2 });
    assert.deepEqual(ids(await store.jobList({ order: "run_at" })), [
      "z",
      "a2",
      "a1",
      "a3",
      "b",
      "c",
    ]);
    assert.deepEqual(ids(await store.jobList({ order: "enqueue" })), [
      "c",
      "a2",
      "b",
      "a1",
      "z",
      "a3",
    ]);
    assert.deepEqual(ids(await store.jobList({})), ["c", "a2", "b", "a1", "z", "a3"]);
    assert.deepEqual(ids(await store.jobList({ order: "run_at", limit: 3 })), ["z", "a2", "a1"]);
    // A failed job's new runAt moves it in that order.
    const z = await claim(store, "w1", T0 + 50);
    assert.equal(z.id, "z");
    assert.equal(
      await store.jobFinish(finishOf(z, T0 + 60, "failed", { runAt: T0 + 250 })),
      true,
    );
    assert.deepEqual(ids(await store.jobList({ order: "run_at", states: ["pending", "failed"] })), [
      "a2",
      "a1",
      "a3",
      "b",
      "z",
      "c",
    ]);
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
      blocked: 0,
      pending: 3,
      processing: 0,
      completed: 0,
      failed: 0,
      dead: 0,
      canceled: 0,
    });

    await seedEveryState(store);
    assert.deepEqual(await store.jobCountByState(), {
      blocked: 0,
      pending: 5,
      processing: 1,
      completed: 1,
      failed: 1,
      dead: 1,
      canceled: 1,
    });
    await store.jobCancel({ ids: ["p1", "p2", "processing-1"], now: T0 + 10 });
    assert.deepEqual(await store.jobCountByState(), {
      blocked: 0,
      pending: 3,
      processing: 1,
      completed: 1,
      failed: 1,
      dead: 1,
      canceled: 3,
    });
  });

  // ---------------------------------------------------------------------------------------------
  // jobPurge

  test("jobPurge() deletes final-state jobs of the given states finished before the time, with their runs", async ({ store }) => {
    await seedEveryState(store); // completed-1 and dead-1 finished at T0+1, canceled-1 at T0.
    await store.jobInsert({
      jobs: [newJob("completed-2"), newJob("canceled-2", { queue: "deploy" })],
      now: T0 + 100,
    });
    const completed2 = await claim(store, "w1", T0 + 100);
    assert.equal(completed2.id, "completed-2");
    assert.equal(await store.jobFinish(finishOf(completed2, T0 + 500, "completed")), true);
    await store.jobCancel({ ids: ["canceled-2"], now: T0 + 500 });
    assert.equal((await store.jobRuns({ id: "completed-1" })).length, 1);
    const kept = [
      "pending-1",
      "processing-1",
      "failed-1",
      "pending-2",
      "completed-2",
      "canceled-2",
    ];
    const before = await Promise.all(kept.map((id) => snapshot(store, id)));

    assert.equal(
      await store.jobPurge({ states: ["completed", "canceled"], finishedBefore: T0 + 500 }),
      2,
    );
    assert.equal(await store.jobGet({ id: "completed-1" }), undefined);
    assert.equal(await store.jobGet({ id: "canceled-1" }), undefined);
    assert.deepEqual(await store.jobRuns({ id: "completed-1" }), [], "its runs went with it");
    assert.equal((await store.jobGet({ id: "dead-1" }))?.state, "dead", "dead was not asked for");
    assert.deepEqual(
      await Promise.all(kept.map((id) => snapshot(store, id))),
      before,
      "jobs finished at the time itself, and jobs in other states, are untouched",
    );
    assert.deepEqual(
      await store.jobCountByState(),
      stateCounts({
        pending: 2,
        processing: 1,
        completed: 1,
        failed: 1,
        dead: 1,
        canceled: 1,
      }),
    );

    assert.equal(await store.jobPurge({ states: ["dead"], finishedBefore: T0 + 1e9 }), 1);
    assert.equal(await store.jobGet({ id: "dead-1" }), undefined);
    assert.deepEqual(await store.jobRuns({ id: "dead-1" }), []);
    assert.equal(
      await store.jobPurge({ states: ["completed", "canceled"], finishedBefore: T0 + 501 }),
      2,
    );
    assert.deepEqual(ids(await store.jobList({})), [
      "pending-1",
      "processing-1",
      "failed-1",
      "pending-2",
    ]);
    assert.equal(
      await store.jobPurge({ states: ["completed", "dead", "canceled"], finishedBefore: T0 + 1e9 }),
      0,
    );
    // A purged id is free again.
    const [{ job: again, existing }] = await store.jobInsert({
      jobs: [newJob("completed-1")],
      now: T0 + 2000,
    });
    assert.equal(existing, false);
    assert.equal(again.state, "pending");
    assert.equal(again.attempts, 0);
    assert.deepEqual(await store.jobRuns({ id: "completed-1" }), []);
  });

  test("jobPurge() ignores non-final states passed in, however old the jobs", async ({ store }) => {
    await seedEveryState(store);
    const all = ids(await store.jobList({}));
    const before = await Promise.all(all.map((id) => snapshot(store, id)));
    assert.equal(
      await store.jobPurge({
        states: ["pending", "processing", "failed"],
        finishedBefore: T0 + 1e9,
      }),
      0,
    );
    assert.deepEqual(await Promise.all(all.map((id) => snapshot(store, id))), before);
    // Mixed with final states, only the final ones go.
    assert.equal(
      await store.jobPurge({
        states: ["pending", "processing", "failed", "completed"],
        finishedBefore: T0 + 1e9,
      }),
      1,
    );
    assert.deepEqual(ids(await store.jobList({})), all.filter((id) => id !== "completed-1"));
    assert.equal(await store.jobPurge({ states: [], finishedBefore: T0 + 1e9 }), 0);
    assert.equal((await store.jobList({})).length, all.length - 1);
  });
}
