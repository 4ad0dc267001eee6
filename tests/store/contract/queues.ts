/**
 * Store contract: per-queue concurrency limits (`queueSetConcurrency` and how `jobClaim` honours
 * them) and `queueList`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { JOB_STATES } from "../../../src/job.ts";
import type { Store } from "../../../src/store/mod.ts";
import {
  claim,
  claimAll,
  type ContractTest,
  finishOf,
  ids,
  LEASE_MS,
  newJob,
  rescueOf,
  stateCounts,
  T0,
  waitFor,
} from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function queuesContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // Concurrency limits

  test("jobClaim() does not take a second job of a queue at its concurrency limit, but takes another queue's job", async ({ store }) => {
    await store.queueSetConcurrency({ name: "deploy", concurrency: 1 });
    await store.jobInsert({
      jobs: [
        newJob("d1", { queue: "deploy" }),
        newJob("d2", { queue: "deploy", priority: 9 }),
        newJob("m1", { queue: "mail" }),
      ],
      now: T0,
    });
    const d2 = await claim(store, "w1", T0);
    assert.equal(d2.id, "d2");
    const m1 = await claim(store, "w2", T0);
    assert.equal(m1.id, "m1", "the full queue's waiting job is skipped, not waited for");
    assert.equal(await nextClaim(store, "w3", T0 + 1), undefined);
    assert.equal(await nextClaim(store, "w3", T0 + 1, ["deploy"]), undefined);
    assert.equal((await store.jobGet({ id: "d1" }))?.state, "pending");
    // Another queue finishing frees nothing in deploy.
    assert.equal(await store.jobFinish(finishOf(m1, T0 + 2, "completed")), true);
    assert.equal(await nextClaim(store, "w3", T0 + 2), undefined);
    // Once the running deploy job finishes, the next one can be taken.
    assert.equal(await store.jobFinish(finishOf(d2, T0 + 3, "completed")), true);
    const d1 = await claim(store, "w3", T0 + 3, ["deploy"]);
    assert.equal(d1.id, "d1");
    assert.equal(d1.leaseOwner, "w3");
  });

  test("jobClaim() frees a limited queue's place whichever way its job leaves processing", async ({ store }) => {
    await store.queueSetConcurrency({ name: "deploy", concurrency: 1 });
    await store.jobInsert({
      jobs: ["d1", "d2", "d3", "d4", "d5"].map((id) => newJob(id, { queue: "deploy" })),
      now: T0,
    });
    const later = T0 + 1e6;
    const d1 = await claim(store, "w1", T0);
    assert.equal(await nextClaim(store, "w1", T0), undefined);
    // Failed, to run again later.
    assert.equal(await store.jobFinish(finishOf(d1, T0 + 1, "failed", { runAt: later })), true);
    const d2 = await claim(store, "w1", T0 + 1);
    assert.equal(d2.id, "d2");
    assert.equal(await nextClaim(store, "w1", T0 + 1), undefined);
    // Rescued from a lost worker.
    assert.equal(await store.jobFinish(rescueOf(d2, T0 + 2, later)), true);
    const d3 = await claim(store, "w1", T0 + 2);
    assert.equal(d3.id, "d3");
    assert.equal(await nextClaim(store, "w1", T0 + 2), undefined);
    // Released back to pending.
    assert.equal(
      await store.jobFinish(
        finishOf(d3, T0 + 3, "pending", {
          runAt: later,
          outcome: "released",
          refundAttempt: true,
        }),
      ),
      true,
    );
    const d4 = await claim(store, "w1", T0 + 3);
    assert.equal(d4.id, "d4");
    assert.equal(await nextClaim(store, "w1", T0 + 3), undefined);
    // Canceled while running.
    assert.deepEqual(await store.jobCancel({ ids: ["d4"], now: T0 + 4 }), {
      canceled: [],
      stopping: ["d4"],
    });
    assert.equal(await nextClaim(store, "w1", T0 + 4), undefined, "a cancel request frees nothing");
    assert.equal(await store.jobFinish(finishOf(d4, T0 + 5, "failed", { runAt: later })), true);
    const d5 = await claim(store, "w1", T0 + 5);
    assert.equal(d5.id, "d5");
    // Dead: and then, at `later`, the three waiting jobs go one at a time.
    assert.equal(await store.jobFinish(finishOf(d5, T0 + 6, "dead")), true);
    const again = await claim(store, "w1", later);
    assert.equal(await nextClaim(store, "w1", later), undefined);
    assert.equal(again.id, "d1");
  });

  test("jobClaim() never runs more of a queue than its concurrency limit, even after the limit is lowered", async ({ store }) => {
    await store.queueSetConcurrency({ name: "deploy", concurrency: 3 });
    const deploy = Array.from({ length: 8 }, (_, i) => `d${i + 1}`);
    await store.jobInsert({
      jobs: [...deploy.map((id) => newJob(id, { queue: "deploy" })), newJob("x1")],
      now: T0,
    });
    assert.deepEqual(await claimAll(store, "w1", T0, ["deploy"]), ["d1", "d2", "d3"]);
    assert.equal(await runningIn(store, "deploy"), 3);

    await store.queueSetConcurrency({ name: "deploy", concurrency: 1 });
    assert.deepEqual(await claimAll(store, "w1", T0), ["x1"], "only the other queue's job");
    const running = await store.jobList({ states: ["processing"], queues: ["deploy"] });
    assert.equal(await store.jobFinish(finishOf(running[0], T0 + 1, "completed")), true);
    assert.equal(await nextClaim(store, "w1", T0 + 1), undefined, "2 still run, above 1");
    assert.equal(await store.jobFinish(finishOf(running[1], T0 + 2, "completed")), true);
    assert.equal(await nextClaim(store, "w1", T0 + 2), undefined, "1 still runs, at the limit");
    assert.equal(await store.jobFinish(finishOf(running[2], T0 + 3, "completed")), true);
    assert.deepEqual(await claimAll(store, "w1", T0 + 3), ["d4"]);
    assert.equal(await runningIn(store, "deploy"), 1);

    // Raising it lets more run at once, up to the new limit.
    await store.queueSetConcurrency({ name: "deploy", concurrency: 3 });
    assert.deepEqual(await claimAll(store, "w1", T0 + 4), ["d5", "d6"]);
    assert.equal(await runningIn(store, "deploy"), 3);
  });

  test("queueSetConcurrency() with null removes the limit", async ({ store }) => {
    await store.queueSetConcurrency({ name: "deploy", concurrency: 1 });
    await store.jobInsert({
      jobs: ["d1", "d2", "d3"].map((id) => newJob(id, { queue: "deploy" })),
      now: T0,
    });
    assert.deepEqual(await claimAll(store, "w1", T0), ["d1"]);
    await store.queueSetConcurrency({ name: "deploy", concurrency: null });
    assert.deepEqual(await claimAll(store, "w1", T0), ["d2", "d3"]);
    assert.equal(await runningIn(store, "deploy"), 3);
    assert.equal((await store.queueList()).find((q) => q.name === "deploy")?.concurrency, null);
  });

  test("jobClaim() keeps a queue's concurrency limit across several connections claiming at once", async ({ store, openAnother }) => {
    const LIMIT = 2;
    const connections = [store, await openAnother(), await openAnother(), await openAnother()];
    // Set on one connection, honoured by all.
    await connections[3].queueSetConcurrency({ name: "deploy", concurrency: LIMIT });
    const deploy = Array.from({ length: 30 }, (_, i) => `deploy-${String(i).padStart(2, "0")}`);
    const mail = Array.from({ length: 30 }, (_, i) => `mail-${String(i).padStart(2, "0")}`);
    await store.jobInsert({
      jobs: [
        ...deploy.map((id) => newJob(id, { queue: "deploy" })),
        ...mail.map((id) => newJob(id, { queue: "mail" })),
      ],
      now: T0,
    });
    const total = deploy.length + mail.length;
    let running = 0; // deploy jobs claimed and not yet handed to jobFinish
    let mostRunning = 0;
    let mostSeenInStore = 0;
    // The first deploy job is held until a second claimer takes another, so the claimers do
    // overlap at the limit on every run, not only when the scheduler happens to interleave them.
    // A store that let no second claim through while one job runs fails at the deadline.
    const claimedBy = await Promise.all(connections.map(async (connection, i) => {
      const workerId = `w${i}`;
      const claimed: string[] = [];
      for (let idle = 0;;) {
        const job = await connection.jobClaim({ workerId, leaseMs: LEASE_MS, now: T0 + 1 });
        if (!job) {
          if ((await connection.jobCountByState()).completed === total) return claimed;
          assert.ok(++idle < 10_000, `${workerId} found nothing to claim 10000 times`);
          continue;
        }
        claimed.push(job.id);
        if (job.queue === "deploy") {
          running++;
          mostRunning = Math.max(mostRunning, running);
          assert.ok(running <= LIMIT, `${running} deploy jobs running at once`);
          const inStore = await runningIn(connection, "deploy");
          mostSeenInStore = Math.max(mostSeenInStore, inStore);
          assert.ok(inStore <= LIMIT, `${inStore} deploy jobs processing at once`);
          await waitFor(
            "a second deploy job claimed beside the first",
            () => mostRunning >= LIMIT,
          );
          running--; // Before the finish: the job stays processing until it commits.
        } else {
          await connection.jobGet({ id: job.id }); // Give the others a turn meanwhile.
        }
        assert.equal(
          await connection.jobFinish(finishOf(job, T0 + 2, "completed")),
          true,
          `${workerId} finishes ${job.id}`,
        );
      }
    }));
    const flat = claimedBy.flat();
    assert.deepEqual([...flat].sort(), [...deploy, ...mail], "every job claimed once");
    assert.equal(mostRunning, LIMIT, "the claimers reached the limit (they did overlap)");
    assert.equal(mostSeenInStore, LIMIT);
    assert.deepEqual(await store.jobCountByState(), stateCounts({ completed: total }));
  });

  // ---------------------------------------------------------------------------------------------
  // queueList

  test("queueList() lists every queue that has had a job or a limit, by name, with its limit and counts per state", async ({ store }) => {
    assert.deepEqual(await store.queueList(), []);
    await store.queueSetConcurrency({ name: "reports", concurrency: 4 });
    await store.queueSetConcurrency({ name: "deploy", concurrency: 2 });
    await store.jobInsert({
      jobs: [
        newJob("d-run", { queue: "deploy" }),
        newJob("d-wait", { queue: "deploy", runAt: T0 + 1e6 }),
        newJob("m-done", { queue: "mail" }),
        newJob("m-cancel", { queue: "mail", runAt: T0 + 1e6 }),
        newJob("x-fail", { maxRetries: 3 }),
        newJob("x-dead", { maxRetries: 0 }),
        newJob("x-wait", { runAt: T0 + 1e6 }),
      ],
      now: T0,
    });
    assert.deepEqual(await claimAll(store, "w1", T0), ["d-run", "m-done", "x-fail", "x-dead"]);
    const byId = async (id: string) => {
      const job = await store.jobGet({ id });
      assert.ok(job, id);
      return job;
    };
    assert.equal(
      await store.jobFinish(finishOf(await byId("m-done"), T0 + 1, "completed")),
      true,
    );
    assert.equal(
      await store.jobFinish(finishOf(await byId("x-fail"), T0 + 1, "failed", { runAt: T0 + 1e6 })),
      true,
    );
    assert.equal(await store.jobFinish(finishOf(await byId("x-dead"), T0 + 1, "dead")), true);
    await store.jobCancel({ ids: ["m-cancel"], now: T0 + 1 });

    const queues = await store.queueList();
    assert.deepEqual(queues, [
      {
        ...UNSET,
        name: "default",
        concurrency: null,
        counts: stateCounts({ pending: 1, failed: 1, dead: 1 }),
      },
      {
        ...UNSET,
        name: "deploy",
        concurrency: 2,
        counts: stateCounts({ pending: 1, processing: 1 }),
      },
      {
        ...UNSET,
        name: "mail",
        concurrency: null,
        counts: stateCounts({ completed: 1, canceled: 1 }),
      },
      { ...UNSET, name: "reports", concurrency: 4, counts: stateCounts({}) },
    ]);
    for (const queue of queues) {
      assert.deepEqual(Object.keys(queue.counts).sort(), [...JOB_STATES].sort(), queue.name);
    }

    // A new limit replaces the old; null removes it, and the queue stays listed.
    await store.queueSetConcurrency({ name: "deploy", concurrency: 5 });
    await store.queueSetConcurrency({ name: "reports", concurrency: null });
    await store.queueSetConcurrency({ name: "mail", concurrency: 1 });
    assert.deepEqual(
      (await store.queueList()).map((queue) => [queue.name, queue.concurrency]),
      [["default", null], ["deploy", 5], ["mail", 1], ["reports", null]],
    );
    // A queue whose jobs were all purged has still had jobs.
    assert.equal(
      await store.jobPurge({ states: ["completed", "canceled"], finishedBefore: T0 + 1e9 }),
      2,
    );
    const mail = (await store.queueList()).find((queue) => queue.name === "mail");
    assert.deepEqual(mail, { ...UNSET, name: "mail", concurrency: 1, counts: stateCounts({}) });
    assert.deepEqual(ids(await store.jobList({ queues: ["mail"] })), []);
  });
}

/** A queue's settings when none but its limit was set. */
const UNSET = {
  pausedAt: null,
  pausedUntil: null,
  retryOn: null,
  noRetryOn: null,
  rateLimit: null,
  ratePeriodMs: null,
  groupConcurrency: null,
  recentStarts: [],
};

/** The next claim at `now` (of `queues`), or undefined. */
function nextClaim(store: Store, workerId: string, now: number, queues?: string[]) {
  return store.jobClaim({ workerId, leaseMs: LEASE_MS, now, queues });
}

/** How many jobs of `queue` are processing now. */
async function runningIn(store: Store, queue: string): Promise<number> {
  return (await store.jobList({ states: ["processing"], queues: [queue] })).length;
}
