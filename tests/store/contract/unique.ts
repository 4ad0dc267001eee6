/**
 * Store contract: unique keys. While an unfinished job (blocked, pending, processing, failed)
 * holds a key, `jobInsert` adds no other job with it and answers with the holder
 * (`existing: true`); a finished job holds no key; `jobRetryDead` keeps a dead job dead while a
 * newer job holds its key.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { NewJob } from "../../../src/store/mod.ts";
import { newJobRow } from "../../../src/store/insert_plan.ts";
import {
  added,
  claimId,
  type ContractTest,
  finishOf,
  ids,
  newJob,
  snapshot,
  stateCounts,
  statesOf,
  T0,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function uniqueContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // jobInsert with `uniqueKey`

  test("jobInsert() of a job whose key a blocked, pending, processing or failed job holds adds nothing and returns that job with existing: true", async ({ store }) => {
    const holders: NewJob[] = [
      newJob("h-processing", { uniqueKey: "sync:processing" }),
      newJob("h-failed", { uniqueKey: "sync:failed", maxRetries: 3 }),
      newJob("h-pending", { uniqueKey: "sync:pending", runAt: T0 + 1e6 }),
      newJob("gate", { runAt: T0 + 1e6 }),
      newJob("h-blocked", { uniqueKey: "sync:blocked", after: ["gate"] }),
    ];
    assert.deepEqual(await store.jobInsert({ jobs: holders, now: T0 }), [
      added(holders[0], T0),
      added(holders[1], T0),
      added(holders[2], T0),
      added(holders[3], T0),
      added(holders[4], T0, "blocked"),
    ]);
    await claimId(store, "h-processing", T0);
    const failed = await claimId(store, "h-failed", T0);
    assert.equal(
      await store.jobFinish(finishOf(failed, T0 + 1, "failed", { runAt: T0 + 1e6 })),
      true,
    );
    const holderIds = ["h-blocked", "h-pending", "h-processing", "h-failed"];
    const held = await Promise.all(holderIds.map((id) => store.jobGet({ id })));
    assert.deepEqual(held.map((job) => job?.state), ["blocked", "pending", "processing", "failed"]);
    const listed = ids(await store.jobList({}));

    const fresh = newJob("fresh", { uniqueKey: "sync:fresh" });
    const keyless = newJob("keyless");
    const results = await store.jobInsert({
      jobs: [
        newJob("dup-blocked", { uniqueKey: "sync:blocked", command: "something else" }),
        newJob("dup-pending", { uniqueKey: "sync:pending", priority: 9 }),
        newJob("dup-processing", { uniqueKey: "sync:processing" }),
        newJob("dup-failed", { uniqueKey: "sync:failed", queue: "elsewhere" }),
        fresh,
        keyless,
      ],
      now: T0 + 2,
    });
    assert.deepEqual(results, [
      { id: held[0]!.id, job: held[0], existing: true },
      { id: held[1]!.id, job: held[1], existing: true },
      { id: held[2]!.id, job: held[2], existing: true },
      { id: held[3]!.id, job: held[3], existing: true },
      added(fresh, T0 + 2),
      added(keyless, T0 + 2),
    ]);
    for (const id of ["dup-blocked", "dup-pending", "dup-processing", "dup-failed"]) {
      assert.equal(await store.jobGet({ id }), undefined, id);
    }
    assert.deepEqual(
      await Promise.all(holderIds.map((id) => store.jobGet({ id }))),
      held,
      "the holders are untouched",
    );
    assert.deepEqual(ids(await store.jobList({})), [...listed, "fresh", "keyless"]);
    assert.deepEqual(
      await store.jobCountByState(),
      stateCounts({ blocked: 1, pending: 4, processing: 1, failed: 1 }),
    );
    assert.deepEqual(
      (await store.queueList()).map((queue) => queue.name),
      ["default"],
      "a job not added brings no queue",
    );
  });

  test("jobInsert() adds a job with a key again once its holder completed, ended dead or was canceled", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("old-completed", { uniqueKey: "key:completed" }),
        newJob("old-dead", { uniqueKey: "key:dead", maxRetries: 0 }),
        newJob("old-canceled", { uniqueKey: "key:canceled", runAt: T0 + 1e6 }),
      ],
      now: T0,
    });
    const completed = await claimId(store, "old-completed", T0);
    assert.equal(await store.jobFinish(finishOf(completed, T0 + 1, "completed")), true);
    const dead = await claimId(store, "old-dead", T0);
    assert.equal(await store.jobFinish(finishOf(dead, T0 + 1, "dead")), true);
    assert.deepEqual((await store.jobCancel({ ids: ["old-canceled"], now: T0 + 1 })).canceled, [
      "old-canceled",
    ]);
    const finished = ["old-completed", "old-dead", "old-canceled"];
    const before = await Promise.all(finished.map((id) => snapshot(store, id)));

    const again: NewJob[] = [
      newJob("new-completed", { uniqueKey: "key:completed" }),
      newJob("new-dead", { uniqueKey: "key:dead" }),
      newJob("new-canceled", { uniqueKey: "key:canceled" }),
    ];
    const results = await store.jobInsert({ jobs: again, now: T0 + 10 });
    assert.deepEqual(results, again.map((job) => added(job, T0 + 10)));
    assert.deepEqual(results.map((result) => result.job.uniqueKey), [
      "key:completed",
      "key:dead",
      "key:canceled",
    ]);
    assert.deepEqual(await Promise.all(finished.map((id) => snapshot(store, id))), before);

    // The new jobs hold the keys now.
    const stored = await Promise.all(again.map((job) => store.jobGet({ id: job.id })));
    assert.deepEqual(
      await store.jobInsert({
        jobs: [
          newJob("third-completed", { uniqueKey: "key:completed" }),
          newJob("third-dead", { uniqueKey: "key:dead" }),
          newJob("third-canceled", { uniqueKey: "key:canceled" }),
        ],
        now: T0 + 20,
      }),
      stored.map((job) => ({ id: job!.id, job, existing: true })),
    );
    assert.deepEqual(ids(await store.jobList({})), [...finished, ...again.map((job) => job.id)]);
  });

  test("jobInsert() of a batch repeating a key adds the first job only and returns it for the later ones with existing: true", async ({ store }) => {
    const first = newJob("first", { uniqueKey: "k", after: ["parent"] }); // blocked
    const parent = newJob("parent");
    const otherKey = newJob("other-key", { uniqueKey: "k2" });
    const results = await store.jobInsert({
      jobs: [
        first,
        newJob("second", { uniqueKey: "k", priority: 5 }),
        parent,
        newJob("third", { uniqueKey: "k", after: [] }),
        otherKey,
      ],
      now: T0,
    });
    const firstRow = newJobRow(first, T0, "blocked");
    assert.deepEqual(results, [
      added(first, T0, "blocked"),
      { id: firstRow.id, job: firstRow, existing: true },
      added(parent, T0),
      { id: firstRow.id, job: firstRow, existing: true },
      added(otherKey, T0),
    ]);
    assert.deepEqual(await store.jobGet({ id: "first" }), firstRow);
    assert.equal(await store.jobGet({ id: "second" }), undefined);
    assert.equal(await store.jobGet({ id: "third" }), undefined);
    assert.deepEqual(ids(await store.jobList({})), ["first", "parent", "other-key"]);
    assert.deepEqual(await store.jobCountByState(), stateCounts({ blocked: 1, pending: 2 }));
  });

  // ---------------------------------------------------------------------------------------------
  // jobRetryDead with unique keys

  test("jobInsert() makes a child wait on the job holding the key of a parent that was not added", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("holder", { uniqueKey: "build" })], now: T0 });
    const results = await store.jobInsert({
      jobs: [
        newJob("build-again", { uniqueKey: "build" }),
        newJob("child", { after: ["build-again"] }),
      ],
      now: T0 + 1,
    });
    assert.deepEqual(results.map((result) => [result.job.id, result.existing]), [
      ["holder", true],
      ["child", false],
    ]);
    assert.equal(results[1].job.state, "blocked");
    assert.deepEqual(await store.jobDependencies({ id: "child" }), {
      parents: [{ id: "holder", state: "pending" }],
      children: [],
    });
    assert.equal(await store.jobGet({ id: "build-again" }), undefined);
  });

  test("jobRetryDead() leaves a dead job dead while a newer unfinished job holds its key", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("old", { uniqueKey: "nightly", maxRetries: 0 }),
        newJob("plain-dead", { maxRetries: 0 }),
      ],
      now: T0,
    });
    const old = await claimId(store, "old", T0);
    assert.equal(await store.jobFinish(finishOf(old, T0 + 1, "dead")), true);
    const plain = await claimId(store, "plain-dead", T0);
    assert.equal(await store.jobFinish(finishOf(plain, T0 + 1, "dead")), true);
    const newer = newJob("newer", { uniqueKey: "nightly" });
    assert.deepEqual(await store.jobInsert({ jobs: [newer], now: T0 + 2 }), [
      added(newer, T0 + 2),
    ]);
    const oldBefore = await snapshot(store, "old");

    assert.deepEqual(await store.jobRetryDead({ ids: ["old"], now: T0 + 3 }), []);
    assert.deepEqual(await snapshot(store, "old"), oldBefore);
    assert.deepEqual(await store.jobRetryDead({ ids: "all", now: T0 + 4 }), ["plain-dead"]);
    assert.deepEqual(await snapshot(store, "old"), oldBefore);

    // Still held while the newer job runs.
    const running = await claimId(store, "newer", T0 + 5);
    assert.deepEqual(await store.jobRetryDead({ ids: ["old"], now: T0 + 6 }), []);
    assert.deepEqual(await snapshot(store, "old"), oldBefore);

    // Once the newer job completed, the key is free: the old job goes back to pending and holds it.
    assert.equal(await store.jobFinish(finishOf(running, T0 + 7, "completed")), true);
    assert.deepEqual(await store.jobRetryDead({ ids: ["old"], now: T0 + 8 }), ["old"]);
    const retried = await store.jobGet({ id: "old" });
    assert.equal(retried?.state, "pending");
    assert.equal(retried?.attempts, 0);
    assert.deepEqual(
      await store.jobInsert({ jobs: [newJob("latest", { uniqueKey: "nightly" })], now: T0 + 9 }),
      [{ id: retried.id, job: retried, existing: true }],
    );
    assert.equal(await store.jobGet({ id: "latest" }), undefined);
  });

  test("jobRetryDead() of several dead jobs sharing a key moves one back to pending and leaves the others dead", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("first-try", { uniqueKey: "report", maxRetries: 0 }),
        newJob("plain-dead", { maxRetries: 0 }),
      ],
      now: T0,
    });
    const first = await claimId(store, "first-try", T0);
    assert.equal(await store.jobFinish(finishOf(first, T0 + 1, "dead")), true);
    const plain = await claimId(store, "plain-dead", T0);
    assert.equal(await store.jobFinish(finishOf(plain, T0 + 1, "dead")), true);
    const second = newJob("second-try", { uniqueKey: "report", maxRetries: 0 });
    assert.deepEqual(await store.jobInsert({ jobs: [second], now: T0 + 2 }), [
      added(second, T0 + 2),
    ]);
    const running = await claimId(store, "second-try", T0 + 2);
    assert.equal(await store.jobFinish(finishOf(running, T0 + 3, "dead")), true);

    const retried = await store.jobRetryDead({ ids: "all", now: T0 + 10 });
    assert.equal(retried.length, 2, `retried ${JSON.stringify(retried)}`);
    assert.ok(retried.includes("plain-dead"), `retried ${JSON.stringify(retried)}`);
    const states = await statesOf(store, ["first-try", "second-try"]);
    assert.deepEqual(
      Object.values(states).sort(),
      ["dead", "pending"],
      `one job holds the key, the other stays dead: ${JSON.stringify(states)}`,
    );
    const holder = retried.find((id) => id !== "plain-dead")!;
    assert.equal(states[holder], "pending");
  });
}
