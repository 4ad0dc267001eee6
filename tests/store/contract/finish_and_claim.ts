/**
 * Store contract: jobFinishAndClaim, a worker slot's finish that also takes its next job in the
 * same transaction.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Job } from "../../../src/job.ts";
import type { JobClaimParams } from "../../../src/store/mod.ts";
import { claim, type ContractTest, finishOf, LEASE_MS, newJob, snapshot, T0 } from "./harness.ts";

/** The claim a slot of worker `workerId` makes with its finish at `now`. */
function nextClaim(workerId: string, now: number, queues?: string[]): JobClaimParams {
  return { workerId, leaseMs: LEASE_MS, now, queues };
}

/** Registers the tests of this part of the contract. */
export function finishAndClaimContract(test: ContractTest): void {
  test("jobFinishAndClaim() records the finish as jobFinish does and claims the next due job", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b")], now: T0 });
    const a = await claim(store, "w1", T0);
    assert.equal(a.id, "a");

    const result = await store.jobFinishAndClaim({
      finish: finishOf(a, T0 + 10, "completed"),
      claim: nextClaim("w1", T0 + 10),
    });

    assert.equal(result.recorded, true);
    assert.equal(result.next?.id, "b");
    assert.equal(result.next?.state, "processing");
    assert.equal(result.next?.leaseOwner, "w1");
    assert.equal(result.next?.attempts, 1);
    assert.equal(result.next?.leaseExpiresAt, T0 + 10 + LEASE_MS);
    assert.deepEqual(result.next, await store.jobGet({ id: "b" }), "the claim is stored");
    const finished = await store.jobGet({ id: "a" });
    assert.equal(finished?.state, "completed");
    assert.equal(finished?.leaseOwner, null);
    assert.equal((await store.jobRuns({ id: "a" })).length, 1);

    // Nothing left: the finish is recorded and nothing claimed.
    const last = await store.jobFinishAndClaim({
      finish: finishOf(result.next!, T0 + 20, "completed"),
      claim: nextClaim("w1", T0 + 20),
    });
    assert.deepEqual(last, { recorded: true, next: undefined });
    assert.equal((await store.jobGet({ id: "b" }))?.state, "completed");
  });

  test("jobFinishAndClaim() fenced off by a stale lease token claims nothing and changes nothing", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b")], now: T0 });
    const a = await claim(store, "w1", T0);
    const before = { a: await snapshot(store, "a"), b: await snapshot(store, "b") };

    const result = await store.jobFinishAndClaim({
      finish: finishOf({ ...a, leaseToken: a.leaseToken + 1 }, T0 + 10, "completed"),
      claim: nextClaim("w1", T0 + 10),
    });

    assert.deepEqual(result, { recorded: false });
    assert.deepEqual({ a: await snapshot(store, "a"), b: await snapshot(store, "b") }, before);
  });

  test("jobFinishAndClaim() sent again after its answer was lost claims no second job", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b"), newJob("c")], now: T0 });
    const a = await claim(store, "w1", T0);
    const call = {
      finish: finishOf(a, T0 + 10, "completed"),
      claim: nextClaim("w1", T0 + 10),
    };
    const first = await store.jobFinishAndClaim(call);
    assert.equal(first.next?.id, "b");

    // The same call again (a retry): the finish is fenced off, so nothing is claimed; "b" stays
    // held under w1's lease, where the worker gives back a lease none of its slots runs.
    assert.deepEqual(await store.jobFinishAndClaim(call), { recorded: false });
    assert.equal((await store.jobGet({ id: "c" }))?.state, "pending");
    assert.equal((await store.jobGet({ id: "b" }))?.leaseToken, first.next?.leaseToken);
    assert.equal((await store.jobRuns({ id: "a" })).length, 1);
  });

  test("jobFinishAndClaim() claims in the place its finish freed in a limited queue", async ({ store }) => {
    await store.queueSetConcurrency({ name: "deploy", concurrency: 1 });
    await store.jobInsert({
      jobs: [newJob("d1", { queue: "deploy" }), newJob("d2", { queue: "deploy" })],
      now: T0,
    });
    const d1 = await claim(store, "w1", T0);
    assert.equal(await store.jobClaim(nextClaim("w2", T0)), undefined, "the queue is full");

    const result = await store.jobFinishAndClaim({
      finish: finishOf(d1, T0 + 10, "completed"),
      claim: nextClaim("w1", T0 + 10),
    });
    assert.equal(result.next?.id, "d2");
    assert.equal(await store.jobClaim(nextClaim("w2", T0 + 10)), undefined, "still one at a time");
  });

  test("jobFinishAndClaim() on several connections at once gives each a next job of a limited queue with room for all", async ({ store, openAnother }) => {
    const connections = [store];
    while (connections.length < 6) connections.push(await openAnother());
    await store.queueSetRate({ name: "api", rate: { limit: 12, periodMs: 60_000 } });
    await store.jobInsert({
      jobs: Array.from({ length: 12 }, (_, i) => newJob(`a${i}`, { queue: "api" })),
      now: T0,
    });
    const first: Job[] = [];
    for (const i of connections.keys()) first.push(await claim(store, `w${i}`, T0));
    const results = await Promise.all(
      connections.map((connection, i) =>
        connection.jobFinishAndClaim({
          finish: finishOf(first[i], T0 + 10, "completed"),
          claim: nextClaim(`w${i}`, T0 + 10, ["api"]),
        })
      ),
    );
    assert.ok(results.every((result) => result.recorded));
    assert.deepEqual(
      results.map((result) => result.next?.id).sort(),
      ["a10", "a11", "a6", "a7", "a8", "a9"],
      "every finish claims one of the six jobs left",
    );
  });

  test("jobFinishAndClaim() claims the child its finish released, and honours the claim's queues", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("parent"),
        newJob("child", { after: ["parent"] }),
        newJob("other", { queue: "other", runAt: T0 - 1 }),
      ],
      now: T0,
    });
    const parent = await claim(store, "w1", T0, ["default"]);
    assert.equal(parent.id, "parent");

    const result = await store.jobFinishAndClaim({
      finish: finishOf(parent, T0 + 10, "completed"),
      claim: nextClaim("w1", T0 + 10, ["default"]),
    });
    assert.equal(result.next?.id, "child");
    assert.equal((await store.jobGet({ id: "other" }))?.state, "pending");
  });
}
