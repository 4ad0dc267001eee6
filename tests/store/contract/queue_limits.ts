/**
 * Store contract: rate limits (`queueSetRate`, and how `jobClaim` and `jobNextRunAt` honour
 * them) and per-group limits (`queueSetGroupConcurrency`, `jobGroupRunning`, a job's
 * `groupKey`), across connections.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Job } from "../../../src/job.ts";
import { claim, type ContractTest, finishOf, LEASE_MS, newJob, T0, waitFor } from "./harness.ts";
import { nextClaim, settings } from "./queue_settings.ts";

/** Registers the tests of this part of the contract. */
export function queueLimitsContract(test: ContractTest): void {
  test("jobClaim() starts at most N jobs of a rate-limited queue in any sliding period, and more as the window moves", async ({ store }) => {
    await store.queueSetRate({ name: "api", rate: { limit: 2, periodMs: 1000 } });
    await store.jobInsert({
      jobs: [
        ...["a1", "a2", "a3", "a4", "a5"].map((id) => newJob(id, { queue: "api" })),
        newJob("other", { queue: "mail", priority: -1 }),
      ],
      now: T0,
    });
    assert.equal((await claim(store, "w1", T0)).id, "a1");
    assert.equal((await claim(store, "w1", T0 + 100)).id, "a2");
    // Finished or not, the two starts count until they leave the window.
    assert.equal((await claim(store, "w1", T0 + 200)).id, "other", "the limited queue is passed");
    assert.equal(await nextClaim(store, "w1", T0 + 999), undefined, "2 starts in (T0-1, T0+999]");
    assert.equal((await claim(store, "w1", T0 + 1000)).id, "a3", "the start at T0 left the window");
    assert.equal(await nextClaim(store, "w1", T0 + 1099), undefined, "T0+100 and T0+1000 count");
    assert.equal((await claim(store, "w1", T0 + 1100)).id, "a4");
    assert.equal(await nextClaim(store, "w1", T0 + 1200), undefined);
    const [api] = await store.queueSettings();
    assert.deepEqual([api.rateLimit, api.ratePeriodMs], [2, 1000]);
    assert.ok(api.recentStarts.includes(T0 + 1100), "readers get the recent starts");
  });

  test("jobClaim() counts every connection's starts against one rate", async ({ store, openAnother }) => {
    const connections = [store, await openAnother(), await openAnother()];
    await connections[2].queueSetRate({ name: "api", rate: { limit: 3, periodMs: 60_000 } });
    await store.jobInsert({
      jobs: Array.from({ length: 20 }, (_, i) => newJob(`a${i}`, { queue: "api" })),
      now: T0,
    });
    // Each connection claims until it finds nothing, all at once, at the same instant.
    const claimed = await Promise.all(connections.map(async (connection, i) => {
      const ids: string[] = [];
      for (;;) {
        const job = await connection.jobClaim({ workerId: `w${i}`, leaseMs: LEASE_MS, now: T0 });
        if (!job) return ids;
        ids.push(job.id);
      }
    }));
    assert.equal(claimed.flat().length, 3, `3 starts per minute, got ${JSON.stringify(claimed)}`);
    // Still three later in the window, from any connection; a fourth once the first has left.
    assert.equal(await nextClaim(connections[1], "w1", T0 + 59_999), undefined);
    assert.ok(await nextClaim(connections[1], "w1", T0 + 60_000));
  });

  test("jobClaim() on several connections at once gives each a job of a limited queue with room for all", async ({ store, openAnother }) => {
    // A claim that lost the race for a limited queue to another connection's claim used to find
    // nothing there (PostgreSQL skips a queue another transaction holds), and its worker then
    // slept until its next poll. The limits hold either way; here every claim must get a job.
    const connections = [store];
    while (connections.length < 6) connections.push(await openAnother());
    const limits = [
      () => store.queueSetRate({ name: "q0", rate: { limit: 6, periodMs: 60_000 } }),
      () => store.queueSetConcurrency({ name: "q1", concurrency: 6 }),
      () => store.queueSetGroupConcurrency({ name: "q2", groupConcurrency: 6 }),
      () => store.queueSetRate({ name: "q3", rate: { limit: 6, periodMs: 60_000 } }),
    ];
    for (const [round, limit] of limits.entries()) {
      const queue = `q${round}`;
      await limit();
      await store.jobInsert({
        jobs: connections.map((_, i) => newJob(`${queue}-${i}`, { queue, groupKey: "g" })),
        now: T0,
      });
      const claimed = await Promise.all(
        connections.map((connection, i) =>
          connection.jobClaim({ workerId: `w${i}`, leaseMs: LEASE_MS, now: T0, queues: [queue] })
        ),
      );
      assert.deepEqual(
        claimed.map((job) => job?.id).sort(),
        connections.map((_, i) => `${queue}-${i}`).sort(),
        `round ${round}: every connection claims one of ${queue}'s jobs`,
      );
    }
  });

  test("queueSetRate() with null removes the rate, and a new rate forgets the old one's starts", async ({ store }) => {
    await store.queueSetRate({ name: "api", rate: { limit: 1, periodMs: 60_000 } });
    await store.jobInsert({
      jobs: ["a1", "a2", "a3", "a4"].map((id) => newJob(id, { queue: "api" })),
      now: T0,
    });
    await claim(store, "w1", T0);
    assert.equal(await nextClaim(store, "w1", T0 + 1), undefined);
    await store.queueSetRate({ name: "api", rate: null });
    assert.deepEqual(await store.queueSettings(), [settings("api")]);
    await claim(store, "w1", T0 + 2);
    await store.queueSetRate({ name: "api", rate: { limit: 1, periodMs: 60_000 } });
    await claim(store, "w1", T0 + 3);
    assert.equal(await nextClaim(store, "w1", T0 + 4), undefined);
  });

  test("jobNextRunAt() given now is a rate-limited queue's window end when its jobs are due", async ({ store }) => {
    await store.queueSetRate({ name: "api", rate: { limit: 1, periodMs: 1000 } });
    await store.jobInsert({
      jobs: [
        newJob("a1", { queue: "api" }),
        newJob("a2", { queue: "api" }),
        newJob("later", { queue: "mail", runAt: T0 + 5000 }),
      ],
      now: T0,
    });
    assert.equal(await store.jobNextRunAt({ now: T0 }), T0, "nothing started yet");
    await claim(store, "w1", T0 + 10);
    assert.equal(await store.jobNextRunAt({ now: T0 + 20 }), T0 + 1010);
    assert.equal(await store.jobNextRunAt({ now: T0 + 20, queues: ["mail"] }), T0 + 5000);
    // Without now, the earliest runAt as before.
    assert.equal(await store.jobNextRunAt({}), T0);
  });

  test("jobClaim() runs at most N jobs per group key, passing over a full group's jobs to other groups' and ungrouped ones", async ({ store }) => {
    await store.queueSetGroupConcurrency({ name: "deploy", groupConcurrency: 1 });
    await store.jobInsert({
      jobs: [
        newJob("a1", { queue: "deploy", groupKey: "host-a" }),
        newJob("a2", { queue: "deploy", groupKey: "host-a" }),
        newJob("a3", { queue: "deploy", groupKey: "host-a" }),
        newJob("b1", { queue: "deploy", groupKey: "host-b" }),
        newJob("n1", { queue: "deploy" }),
        newJob("b2", { queue: "deploy", groupKey: "host-b" }),
      ],
      now: T0,
    });
    const a1 = await claim(store, "w1", T0);
    assert.equal(a1.id, "a1");
    assert.equal(a1.groupKey, "host-a");
    // a2 and a3 wait for host-a; the jobs behind them are not held up.
    assert.equal((await claim(store, "w1", T0)).id, "b1");
    assert.equal((await claim(store, "w1", T0)).id, "n1");
    assert.equal(await nextClaim(store, "w1", T0), undefined);
    assert.equal(await store.jobGroupRunning({ queue: "deploy", groupKey: "host-a" }), 1);
    assert.equal(await store.jobFinish(finishOf(a1, T0 + 1, "completed")), true);
    assert.equal(await store.jobGroupRunning({ queue: "deploy", groupKey: "host-a" }), 0);
    assert.equal((await claim(store, "w1", T0 + 2)).id, "a2");
    assert.equal(await nextClaim(store, "w1", T0 + 2), undefined);
  });

  test("jobClaim() keeps a group limit across several connections claiming at once; the same key in another queue is another group", async ({ store, openAnother }) => {
    const LIMIT = 2;
    const connections = [store, await openAnother(), await openAnother(), await openAnother()];
    await connections[3].queueSetGroupConcurrency({ name: "deploy", groupConcurrency: LIMIT });
    await store.jobInsert({
      jobs: [
        ...Array.from(
          { length: 12 },
          (_, i) => newJob(`a${i}`, { queue: "deploy", groupKey: "a" }),
        ),
        ...Array.from(
          { length: 12 },
          (_, i) => newJob(`b${i}`, { queue: "deploy", groupKey: "b" }),
        ),
        ...Array.from({ length: 4 }, (_, i) => newJob(`m${i}`, { queue: "mail", groupKey: "a" })),
      ],
      now: T0,
    });
    // Nobody finishes: exactly LIMIT per group of deploy are started, and every mail job.
    const claimed = await Promise.all(connections.map(async (connection, i) => {
      const jobs: Job[] = [];
      for (;;) {
        const job = await connection.jobClaim({ workerId: `w${i}`, leaseMs: LEASE_MS, now: T0 });
        if (!job) return jobs;
        jobs.push(job);
      }
    }));
    const byGroup: Record<string, number> = {};
    for (const job of claimed.flat()) {
      const group = `${job.queue}/${job.groupKey}`;
      byGroup[group] = (byGroup[group] ?? 0) + 1;
    }
    assert.deepEqual(byGroup, { "deploy/a": LIMIT, "deploy/b": LIMIT, "mail/a": 4 });
  });

  test("queueSetGroupConcurrency() with null removes the limit, and sets it alone among the queue's settings", async ({ store }) => {
    await store.queueSetConcurrency({ name: "deploy", concurrency: 5 });
    await store.queueSetGroupConcurrency({ name: "deploy", groupConcurrency: 1 });
    assert.deepEqual(await store.queueSettings(), [
      settings("deploy", { concurrency: 5, groupConcurrency: 1 }),
    ]);
    await store.jobInsert({
      jobs: ["a1", "a2"].map((id) => newJob(id, { queue: "deploy", groupKey: "a" })),
      now: T0,
    });
    await claim(store, "w1", T0);
    assert.equal(await nextClaim(store, "w1", T0), undefined);
    await store.queueSetGroupConcurrency({ name: "deploy", groupConcurrency: null });
    assert.equal((await claim(store, "w1", T0)).id, "a2");
    const [listed] = await store.queueList();
    assert.deepEqual([listed.concurrency, listed.groupConcurrency], [5, null]);
  });

  test("jobInsert() keeps a job's groupKey and every read returns it", async ({ store }) => {
    const [a, b] = await store.jobInsert({
      jobs: [newJob("a", { groupKey: "tenant-1" }), newJob("b")],
      now: T0,
    });
    assert.deepEqual([a.job.groupKey, b.job.groupKey], ["tenant-1", null]);
    assert.equal((await store.jobGet({ id: "a" }))?.groupKey, "tenant-1");
    assert.deepEqual((await store.jobList({})).map((job) => job.groupKey), ["tenant-1", null]);
  });

  // On PostgreSQL the wake-up after LISTEN (for work that came before it) can satisfy this test
  // too; tests/cli/queue_limits_test.ts ("a finish that frees a place in a group wakes another
  // worker process") fails without the trigger on both stores.
  test("workSubscribe() calls onWork after another connection finishes a grouped job of a group-limited queue", async ({ store, openAnother }) => {
    const other = await openAnother();
    await other.queueSetGroupConcurrency({ name: "deploy", groupConcurrency: 1 });
    await other.jobInsert({
      jobs: ["d1", "d2"].map((id) => newJob(id, { queue: "deploy", groupKey: "a" })),
      now: T0,
    });
    const d1 = await claim(other, "w1", T0);
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      assert.equal(await other.jobFinish(finishOf(d1, T0 + 1, "completed")), true);
      await waitFor("onWork after a place in a group came free", () => calls > 0);
    } finally {
      unsubscribe();
    }
    assert.equal((await claim(store, "w2", T0 + 1)).id, "d2");
  });
}
