/**
 * Store contract: unique-key policies. With `uniquePolicy: "replace"`, `jobInsert` cancels a
 * waiting holder (blocked, pending, failed: "Replaced by job ID"), adds the new job and moves
 * the holder's children onto it; with `"debounce"` a waiting holder keeps its id, takes the new
 * job's command, env, cwd and shell, and its run_at moves later (capped at its creation +
 * `debounceMaxMs`). A running holder is never touched; a finished one holds no key.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Job } from "../../../src/job.ts";
import type { NewJob, Store } from "../../../src/store/mod.ts";
import {
  added,
  claimId,
  type ContractTest,
  finishOf,
  newJob,
  snapshot,
  stateCounts,
  T0,
} from "./harness.ts";

/** Makes `id` hold `key` in `state` (a gate job keeps a blocked one waiting). */
async function holderIn(
  store: Store,
  id: string,
  key: string,
  state: "pending" | "failed" | "blocked" | "processing",
): Promise<Job> {
  const extra: NewJob[] = state === "blocked" ? [newJob(`gate-${id}`, { runAt: T0 + 1e6 })] : [];
  await store.jobInsert({
    jobs: [
      ...extra,
      newJob(id, {
        uniqueKey: key,
        runAt: state === "pending" ? T0 + 100 : T0,
        after: state === "blocked" ? [`gate-${id}`] : [],
      }),
    ],
    now: T0,
  });
  if (state === "failed" || state === "processing") {
    const running = await claimId(store, id, T0);
    if (state === "failed") {
      assert.equal(
        await store.jobFinish(finishOf(running, T0 + 1, "failed", { runAt: T0 + 100 })),
        true,
      );
    }
  }
  const job = (await store.jobGet({ id }))!;
  assert.equal(job.state, state);
  return job;
}

/** Registers the tests of this part of the contract. */
export function uniquePolicyContract(test: ContractTest): void {
  test("jobInsert() with replace cancels a pending, failed or blocked holder and adds the new job in its place", async ({ store }) => {
    for (const state of ["pending", "failed", "blocked"] as const) {
      const key = `key:${state}`;
      await holderIn(store, `old-${state}`, key, state);
      const fresh = newJob(`new-${state}`, {
        uniqueKey: key,
        uniquePolicy: "replace",
        command: "echo latest",
        runAt: T0 + 1e6, // not due: the next state's holder is claimed below
      });
      const [result] = await store.jobInsert({ jobs: [fresh], now: T0 + 10 });
      assert.deepEqual(
        { ...result, job: result.job },
        { ...added(fresh, T0 + 10), uniqueOutcome: "replaced", replacedId: `old-${state}` },
        state,
      );
      const old = await store.jobGet({ id: `old-${state}` });
      assert.equal(old?.state, "canceled", state);
      assert.equal(old?.lastError, `Replaced by job "new-${state}"`, state);
      assert.equal(old?.finishedAt, T0 + 10, state);
      assert.equal(old?.command, `echo old-${state}`, "the old job's history stays as it was");
      assert.deepEqual(await store.jobGet({ id: `new-${state}` }), newJobRow(fresh));
      // The new job holds the key now.
      const again = await store.jobInsert({
        jobs: [newJob(`third-${state}`, { uniqueKey: key })],
        now: T0 + 11,
      });
      assert.deepEqual([again[0].id, again[0].existing], [`new-${state}`, true], state);
    }
  });

  test("jobInsert() with replace moves the replaced holder's children onto the new job", async ({ store }) => {
    await holderIn(store, "old", "build", "pending");
    await store.jobInsert({ jobs: [newJob("child", { after: ["old"] })], now: T0 + 1 });
    await store.jobInsert({
      jobs: [
        newJob("new", { uniqueKey: "build", uniquePolicy: "replace", runAt: T0 + 5 }),
        newJob("new-child", { after: ["old"] }),
      ],
      now: T0 + 2,
    });
    assert.equal((await store.jobGet({ id: "old" }))?.state, "canceled");
    assert.deepEqual(await store.jobDependencies({ id: "child" }), {
      parents: [{ id: "new", state: "pending" }],
      children: [],
    });
    assert.deepEqual(await store.jobDependencies({ id: "new-child" }), {
      parents: [{ id: "new", state: "pending" }],
      children: [],
    });
    assert.equal((await store.jobGet({ id: "child" }))?.state, "blocked");
    // When the new job completes, the children are released.
    const running = await claimId(store, "new", T0 + 5);
    assert.equal(await store.jobFinish(finishOf(running, T0 + 6, "completed")), true);
    assert.equal((await store.jobGet({ id: "child" }))?.state, "pending");
    assert.equal((await store.jobGet({ id: "new-child" }))?.state, "pending");
  });

  test("jobInsert() with replace refuses a job that waits on the holder it would replace, and changes nothing", async ({ store }) => {
    await holderIn(store, "old", "build", "pending");
    const before = await snapshot(store, "old");
    await assert.rejects(
      () =>
        store.jobInsert({
          jobs: [newJob("new", { uniqueKey: "build", uniquePolicy: "replace", after: ["old"] })],
          now: T0 + 1,
        }),
      (error: Error) =>
        error.name === "ConflictError" &&
        error.message ===
          'Cannot enqueue job "new": it waits on job "old", which it would replace',
    );
    assert.deepEqual(await snapshot(store, "old"), before);
    assert.equal(await store.jobGet({ id: "new" }), undefined);
  });

  test("jobInsert() with replace or debounce never touches a running holder: nothing is added", async ({ store }) => {
    const running = await holderIn(store, "running", "sync", "processing");
    const before = await snapshot(store, "running");
    for (const policy of ["replace", "debounce"] as const) {
      const results = await store.jobInsert({
        jobs: [
          newJob(`new-${policy}`, { uniqueKey: "sync", uniquePolicy: policy, runAt: T0 + 50 }),
        ],
        now: T0 + 5,
      });
      assert.deepEqual(results, [{ id: "running", job: running, existing: true }], policy);
      assert.equal(await store.jobGet({ id: `new-${policy}` }), undefined, policy);
    }
    assert.deepEqual(await snapshot(store, "running"), before);
    assert.deepEqual(await store.jobCountByState(), stateCounts({ processing: 1 }));
  });

  test("jobInsert() with replace or debounce adds the job when the key's last holder finished", async ({ store }) => {
    await holderIn(store, "done", "report", "processing");
    const done = (await store.jobGet({ id: "done" }))!;
    assert.equal(await store.jobFinish(finishOf(done, T0 + 1, "completed")), true);
    const before = await snapshot(store, "done");
    const replace = newJob("r", { uniqueKey: "report", uniquePolicy: "replace" });
    assert.deepEqual(await store.jobInsert({ jobs: [replace], now: T0 + 2 }), [
      added(replace, T0 + 2),
    ]);
    assert.equal((await store.jobCancel({ ids: ["r"], now: T0 + 3 })).canceled.length, 1);
    const debounce = newJob("d", { uniqueKey: "report", uniquePolicy: "debounce" });
    assert.deepEqual(await store.jobInsert({ jobs: [debounce], now: T0 + 4 }), [
      added(debounce, T0 + 4),
    ]);
    assert.deepEqual(await snapshot(store, "done"), before);
  });

  test("jobInsert() with debounce keeps a pending, failed or blocked holder, pushes its run_at and gives it the latest command", async ({ store }) => {
    for (const state of ["pending", "failed", "blocked"] as const) {
      const key = `key:${state}`;
      const holder = await holderIn(store, `old-${state}`, key, state);
      const latest = newJob(`new-${state}`, {
        uniqueKey: key,
        uniquePolicy: "debounce",
        command: "echo latest",
        env: { CHANGED: "1" },
        cwd: "/tmp",
        shell: "bash",
        runAt: T0 + 500,
        priority: 7,
      });
      const [result] = await store.jobInsert({ jobs: [latest], now: T0 + 10 });
      const pushed: Job = {
        ...holder,
        command: "echo latest",
        env: { CHANGED: "1" },
        cwd: "/tmp",
        shell: "bash",
        runAt: T0 + 500,
        updatedAt: T0 + 10,
      };
      assert.deepEqual({ ...result, job: result.job }, {
        id: holder.id,
        job: pushed,
        existing: true,
        uniqueOutcome: "debounced",
      });
      assert.deepEqual(await store.jobGet({ id: holder.id }), pushed, state);
      assert.equal(await store.jobGet({ id: `new-${state}` }), undefined, state);
    }
  });

  test("jobInsert() with debounce never moves run_at earlier, nor past created_at + debounceMaxMs", async ({ store }) => {
    await store.jobInsert({
      jobs: [newJob("watch", { uniqueKey: "w", runAt: T0 + 100 })],
      now: T0,
    });
    const debounce = async (now: number, runAt: number) => {
      const job = newJob(`at-${now - T0}`, {
        uniqueKey: "w",
        uniquePolicy: "debounce",
        debounceMaxMs: 1000,
        runAt,
      });
      const [result] = await store.jobInsert({ jobs: [job], now });
      assert.equal(result.id, "watch");
      return (await store.jobGet({ id: "watch" }))!.runAt;
    };
    assert.equal(await debounce(T0 + 10, T0 + 60), T0 + 100, "not earlier");
    assert.equal(await debounce(T0 + 200, T0 + 700), T0 + 700, "pushed");
    assert.equal(await debounce(T0 + 600, T0 + 1100), T0 + 1000, "capped");
    assert.equal(await debounce(T0 + 900, T0 + 1400), T0 + 1000, "still capped");
    const claimed = await store.jobClaim({ workerId: "w1", leaseMs: 1000, now: T0 + 999 });
    assert.equal(claimed, undefined, "not due before the cap");
    assert.equal((await claimId(store, "watch", T0 + 1000)).command, "echo at-900");
  });

  test("jobInsert() of a batch applies the policies to an earlier job of the batch too", async ({ store }) => {
    const results = await store.jobInsert({
      jobs: [
        newJob("d1", { uniqueKey: "d", uniquePolicy: "debounce", runAt: T0 + 10 }),
        newJob("d2", { uniqueKey: "d", uniquePolicy: "debounce", runAt: T0 + 30 }),
        newJob("r1", { uniqueKey: "r" }),
        newJob("r1-child", { after: ["r1"] }),
        newJob("r2", { uniqueKey: "r", uniquePolicy: "replace" }),
      ],
      now: T0,
    });
    assert.deepEqual(
      results.map((result) => [result.id, result.existing, result.job.runAt, result.job.command]),
      [
        ["d1", false, T0 + 30, "echo d2"],
        ["d1", true, T0 + 30, "echo d2"],
        ["r2", true, T0, "echo r2"],
        ["r1-child", false, T0, "echo r1-child"],
        ["r2", false, T0, "echo r2"],
      ],
    );
    assert.equal((await store.jobGet({ id: "d1" }))?.runAt, T0 + 30);
    assert.equal(await store.jobGet({ id: "d2" }), undefined);
    assert.equal(await store.jobGet({ id: "r1" }), undefined);
    assert.deepEqual((await store.jobDependencies({ id: "r1-child" })).parents, [
      { id: "r2", state: "pending" },
    ]);
  });

  test("jobInsert() stores the policy and debounce cap a job was enqueued with", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("a", { uniqueKey: "a", uniquePolicy: "debounce", debounceMaxMs: 300_000 }),
        newJob("b", { uniqueKey: "b", uniquePolicy: "keep" }),
        newJob("c", { uniqueKey: "c" }),
        newJob("d", { uniquePolicy: "replace" }),
      ],
      now: T0,
    });
    const stored = await Promise.all(["a", "b", "c", "d"].map((id) => store.jobGet({ id })));
    assert.deepEqual(stored.map((job) => [job?.uniquePolicy, job?.debounceMaxMs]), [
      ["debounce", 300_000],
      ["keep", null],
      [null, null],
      [null, null],
    ]);
  });

  test("jobInsert() from several connections at once, with replace and debounce, leaves one waiting holder and loses no enqueue", async ({ store, openAnother }) => {
    await store.jobInsert({
      jobs: [newJob("seed", { uniqueKey: "race", runAt: T0 + 1e6 })],
      now: T0,
    });
    const stores = [store, await openAnother(), await openAnother(), await openAnother()];
    const ROUNDS = 12;
    const outcomes = await Promise.all(stores.map(async (connection, c) => {
      const results = [];
      for (let i = 0; i < ROUNDS; i++) {
        const policy = (i + c) % 2 === 0 ? "replace" : "debounce";
        const [result] = await connection.jobInsert({
          jobs: [
            newJob(`c${c}-${i}`, { uniqueKey: "race", uniquePolicy: policy, runAt: T0 + 1e6 + i }),
          ],
          now: T0 + 1 + i,
        });
        results.push({ policy, result });
      }
      return results;
    }));
    const all = outcomes.flat();
    const rows = (await store.jobList({})).filter((job) => job.uniqueKey === "race");
    const unfinished = rows.filter((job) => job.state === "pending");
    assert.equal(
      unfinished.length,
      1,
      `one waiting holder: ${JSON.stringify(rows.map((job) => [job.id, job.state]))}`,
    );
    assert.equal(
      rows.length - unfinished.length,
      rows.filter((job) => job.state === "canceled").length,
    );
    const byId = new Map(rows.map((job) => [job.id, job]));
    const replaces = all.filter(({ policy }) => policy === "replace");
    for (const { result } of replaces) {
      assert.deepEqual([result.existing, result.uniqueOutcome], [false, "replaced"], result.id);
      assert.ok(byId.has(result.id), `${result.id} is stored`);
    }
    for (const { result } of all.filter(({ policy }) => policy === "debounce")) {
      assert.deepEqual([result.existing, result.uniqueOutcome], [true, "debounced"], result.id);
      assert.ok(byId.has(result.id), `the debounced ${result.id} is stored`);
    }
    // Each replace canceled a different job, and every canceled job was replaced by one.
    const replacedIds = replaces.map(({ result }) => result.replacedId!);
    assert.equal(new Set(replacedIds).size, replacedIds.length, `replaced ${replacedIds}`);
    assert.deepEqual(
      [...replacedIds].sort(),
      rows.filter((job) => job.state === "canceled").map((job) => job.id).sort(),
    );
    assert.equal(rows.length, 1 + replaces.length, "the seed and one job per replace");
    for (const job of rows.filter((row) => row.state === "canceled")) {
      assert.match(job.lastError ?? "", /^Replaced by job "c\d-\d+"$/);
    }
  });
}

/** A job's row as inserted at T0 + 10 (the tests' insert time). */
function newJobRow(job: NewJob): Job {
  return added(job, T0 + 10).job;
}
