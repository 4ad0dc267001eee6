/**
 * Store contract: the read side for dashboards and metrics: `jobList`'s search, offset and
 * `newest` order, `jobCount`, and the run-history aggregates `runStats` and `runTotals`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Job } from "../../../src/job.ts";
import type {
  JobFilter,
  JobFinish,
  JobListParams,
  RunBucket,
  Store,
} from "../../../src/store/mod.ts";
import {
  claim,
  type ContractTest,
  finishOf,
  ids,
  LEASE_MS,
  newJob,
  rescueOf,
  seedEveryState,
  T0,
} from "./harness.ts";

/** The queue of its own each job of the run-history tests lives in, so claims pick only it. */
function queueOf(id: string): string {
  return `q-${id}`;
}

/** Enqueues `id` at T0 in a queue of its own, due at `runAt`. */
async function enqueueAlone(store: Store, id: string, runAt: number): Promise<void> {
  await store.jobInsert({ jobs: [newJob(id, { runAt, queue: queueOf(id) })], now: T0 });
}

/** Claims `id` (enqueued by `enqueueAlone`) at `now`, failing the test if it is not due. */
function claimAlone(store: Store, id: string, now: number): Promise<Job> {
  return claim(store, `worker-${id}`, now, [queueOf(id)]);
}

/** Ends a run, failing the test unless it was recorded. */
async function finish(store: Store, params: JobFinish): Promise<void> {
  assert.equal(await store.jobFinish(params), true, `finish of ${params.id}`);
}

/**
 * One run of a new job `id`, due at T0, started at `start` and ended at `end` with `outcome`
 * (`completed`, `failed`, `timeout` or `rescued`).
 */
async function oneRun(
  store: Store,
  id: string,
  start: number,
  end: number,
  outcome: "completed" | "failed" | "timeout" | "rescued",
): Promise<void> {
  await enqueueAlone(store, id, T0);
  const job = await claimAlone(store, id, start);
  if (outcome === "rescued") return finish(store, rescueOf(job, end, end + 1000));
  if (outcome === "completed") return finish(store, finishOf(job, end, "completed"));
  await finish(store, finishOf(job, end, "failed", { outcome, runAt: end + 1000 }));
}

/**
 * `runStats`' answer checked against `expected`: starts never go back (oldest first), no bucket
 * is empty, and the buckets are those expected (outcomes within one bucket in any order).
 */
function assertBuckets(actual: RunBucket[], expected: RunBucket[], message?: string): void {
  for (let i = 1; i < actual.length; i++) {
    assert.ok(
      actual[i - 1].start <= actual[i].start,
      `oldest first: ${JSON.stringify(actual)}${message ? ` (${message})` : ""}`,
    );
  }
  for (const bucket of actual) assert.ok(bucket.count > 0, `no empty bucket: ${bucket.start}`);
  const sorted = (buckets: RunBucket[]) =>
    [...buckets].sort((a, b) =>
      a.start - b.start || (a.outcome < b.outcome ? -1 : a.outcome > b.outcome ? 1 : 0)
    );
  assert.deepEqual(sorted(actual), sorted(expected), message);
}

/** Asserts `jobCount(filter)` is `expected` and the length of the unpaged `jobList(filter)`. */
async function assertCount(store: Store, filter: JobFilter, expected: number): Promise<void> {
  const what = JSON.stringify(filter);
  assert.equal((await store.jobList(filter)).length, expected, `jobList ${what}`);
  assert.equal(await store.jobCount(filter), expected, `jobCount ${what}`);
}

/** Registers the tests of this part of the contract. */
export function statsContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // jobList search / offset / newest, jobCount

  test("jobList() with search matches the id or the command, ignoring case", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("Deploy-API", { command: "bash deploy.sh api", queue: "deploy" }),
        newJob("mail-1", { command: "send-MAIL --to ops", queue: "mail" }),
        newJob("build-7", { command: "make DEPLOY=1" }),
        newJob("report", { command: "echo weekly report", queue: "reports" }),
        newJob("pct", { command: "echo 50%_done" }),
        newJob("plain", { command: "echo 500 done" }),
      ],
      now: T0,
    });
    const search = async (text: string) => ids(await store.jobList({ search: text }));
    // In the id, the command, or both; in either case, whichever case the text is in.
    assert.deepEqual(await search("deploy"), ["Deploy-API", "build-7"]);
    assert.deepEqual(await search("DEPLOY"), ["Deploy-API", "build-7"]);
    assert.deepEqual(await search("dEpLoY-aPi"), ["Deploy-API"], "id only");
    assert.deepEqual(await search("build-"), ["build-7"], "id only");
    assert.deepEqual(await search("BUILD-7"), ["build-7"], "the whole id");
    assert.deepEqual(await search("EKLY REP"), ["report"], "command only");
    assert.deepEqual(await search("mail"), ["mail-1"]);
    assert.deepEqual(await search("send-mail --to ops"), ["mail-1"], "the whole command");
    assert.deepEqual(await search("api"), ["Deploy-API"]);
    assert.deepEqual(await search("nowhere"), []);
    assert.deepEqual(await search("deploy.sh api --more"), [], "longer than the command");
    // The queue is not searched: only "report"'s command holds "report", none holds "reports".
    assert.deepEqual(await search("reports"), []);
    // The text is taken literally, not as a pattern.
    assert.deepEqual(await search("50%"), ["pct"]);
    assert.deepEqual(await search("%"), ["pct"]);
    assert.deepEqual(await search("_"), ["pct"]);
    assert.deepEqual(await search("0%_d"), ["pct"]);
    assert.deepEqual(await search("50"), ["pct", "plain"]);
    // An empty text is contained in every job.
    assert.deepEqual(await search(""), [
      "Deploy-API",
      "mail-1",
      "build-7",
      "report",
      "pct",
      "plain",
    ]);
  });

  test("jobList() with search combines with states, queues, createdSince, order and limit", async ({ store }) => {
    await store.jobInsert({
      jobs: [
        newJob("Deploy-API", { command: "bash deploy.sh api", queue: "deploy" }),
        newJob("build-7", { command: "make DEPLOY=1" }),
        newJob("mail-1", { command: "send-mail", queue: "mail" }),
        newJob("deploy-db", { command: "psql -f migrate.sql", queue: "deploy" }),
      ],
      now: T0,
    });
    await store.jobInsert({
      jobs: [newJob("web", { command: "./Deploy web", queue: "mail" })],
      now: T0 + 1000,
    });
    const first = await claim(store, "w1", T0, ["deploy"]);
    assert.equal(first.id, "Deploy-API");
    await finish(store, finishOf(first, T0 + 10, "completed"));
    const second = await claim(store, "w1", T0, ["deploy"]);
    assert.equal(second.id, "deploy-db");

    const list = async (params: JobListParams) => ids(await store.jobList(params));
    assert.deepEqual(await list({ search: "deploy" }), [
      "Deploy-API",
      "build-7",
      "deploy-db",
      "web",
    ]);
    assert.deepEqual(await list({ search: "DEPLOY", states: ["pending"] }), ["build-7", "web"]);
    assert.deepEqual(await list({ search: "deploy", states: ["completed"] }), ["Deploy-API"]);
    assert.deepEqual(await list({ search: "deploy", states: ["processing", "completed"] }), [
      "Deploy-API",
      "deploy-db",
    ]);
    assert.deepEqual(await list({ search: "deploy", states: ["dead"] }), []);
    assert.deepEqual(await list({ search: "Deploy", queues: ["deploy"] }), [
      "Deploy-API",
      "deploy-db",
    ]);
    assert.deepEqual(await list({ search: "deploy", queues: ["default", "mail"] }), [
      "build-7",
      "web",
    ]);
    assert.deepEqual(await list({ search: "mail", queues: ["deploy"] }), []);
    assert.deepEqual(await list({ search: "deploy", queues: [] }), [], "no queue matches none");
    assert.deepEqual(
      await list({ search: "deploy", queues: ["mail", "deploy"], states: ["pending"] }),
      ["web"],
    );
    assert.deepEqual(await list({ search: "deploy", createdSince: T0 + 1 }), ["web"]);
    assert.deepEqual(await list({ search: "api", createdSince: T0 + 1 }), []);
    assert.deepEqual(await list({ search: "deploy", order: "newest" }), [
      "web",
      "deploy-db",
      "build-7",
      "Deploy-API",
    ]);
    assert.deepEqual(await list({ search: "deploy", order: "newest", limit: 2, offset: 1 }), [
      "deploy-db",
      "build-7",
    ]);
    assert.deepEqual(await list({ search: "deploy", limit: 2 }), ["Deploy-API", "build-7"]);
  });

  test("jobList() pages with offset and limit in every order, newest included", async ({ store }) => {
    // Enqueue order c, a, e, b, d; by runAt e, a, b (a was enqueued first), d, c.
    await store.jobInsert({
      jobs: [newJob("c", { runAt: T0 + 300 }), newJob("a", { runAt: T0 + 100 })],
      now: T0,
    });
    await store.jobInsert({
      jobs: [newJob("e", { runAt: T0 + 50 }), newJob("b", { runAt: T0 + 100 })],
      now: T0 + 1,
    });
    await store.jobInsert({ jobs: [newJob("d", { runAt: T0 + 200 })], now: T0 + 2 });
    const orders = {
      enqueue: ["c", "a", "e", "b", "d"],
      run_at: ["e", "a", "b", "d", "c"],
      newest: ["d", "b", "e", "a", "c"],
    } as const;
    assert.deepEqual(ids(await store.jobList({})), orders.enqueue, "enqueue is the default");
    for (const order of ["enqueue", "run_at", "newest"] as const) {
      const all = [...orders[order]];
      assert.deepEqual(ids(await store.jobList({ order })), all, order);
      for (const limit of [1, 2, 3, 5, 9]) {
        for (let offset = 0; offset <= 6; offset++) {
          assert.deepEqual(
            ids(await store.jobList({ order, limit, offset })),
            all.slice(offset, offset + limit),
            `${order} limit ${limit} offset ${offset}`,
          );
        }
      }
      // An offset without a limit (or with limit 0) skips and returns the rest.
      for (let offset = 0; offset <= 6; offset++) {
        assert.deepEqual(ids(await store.jobList({ order, offset })), all.slice(offset), order);
        assert.deepEqual(
          ids(await store.jobList({ order, offset, limit: 0 })),
          all.slice(offset),
          order,
        );
      }
      // Pages of two, one after another, are the whole list once.
      const paged: string[] = [];
      for (let offset = 0;; offset += 2) {
        const page = ids(await store.jobList({ order, limit: 2, offset }));
        if (page.length === 0) break;
        paged.push(...page);
      }
      assert.deepEqual(paged, all, `${order}, paged`);
    }

    // The offset counts matching jobs only.
    const e = await claim(store, "w1", T0 + 1000);
    assert.equal(e.id, "e");
    assert.deepEqual(ids(await store.jobList({ states: ["pending"], offset: 1, limit: 2 })), [
      "a",
      "b",
    ]);
    assert.deepEqual(
      ids(await store.jobList({ states: ["pending"], order: "newest", offset: 1, limit: 2 })),
      ["b", "a"],
    );
    assert.deepEqual(
      ids(await store.jobList({ states: ["pending"], order: "run_at", offset: 3 })),
      ["c"],
    );
    assert.deepEqual(ids(await store.jobList({ states: ["processing"], offset: 1 })), []);
  });

  test("jobList() with order 'newest' puts the latest enqueued first, whatever the ids, times or states", async ({ store }) => {
    assert.deepEqual(await store.jobList({ order: "newest" }), []);
    await store.jobInsert({ jobs: [newJob("z", { runAt: T0 + 5 })], now: T0 });
    await store.jobInsert({
      jobs: [newJob("m", { runAt: T0 }), newJob("a", { runAt: T0 + 9, priority: 5 })],
      now: T0 + 1,
    });
    await store.jobInsert({ jobs: [newJob("q", { queue: "other" })], now: T0 + 2 });
    assert.deepEqual(ids(await store.jobList({ order: "newest" })), ["q", "a", "m", "z"]);
    // A claim and a finish (updating the job) do not move it.
    const a = await claim(store, "w1", T0 + 10, ["default"]);
    assert.equal(a.id, "a", "the highest priority");
    await finish(store, finishOf(a, T0 + 20, "failed", { runAt: T0 + 1e6 }));
    assert.deepEqual(ids(await store.jobList({ order: "newest" })), ["q", "a", "m", "z"]);
    assert.deepEqual(ids(await store.jobList({ order: "newest", limit: 1 })), ["q"]);
    assert.deepEqual(ids(await store.jobList({ order: "newest", queues: ["default"] })), [
      "a",
      "m",
      "z",
    ]);
    assert.deepEqual(ids(await store.jobList({ order: "newest", states: ["pending"] })), [
      "q",
      "m",
      "z",
    ]);
    assert.deepEqual(ids(await store.jobList({ order: "newest", createdSince: T0 + 1 })), [
      "q",
      "a",
      "m",
    ]);
  });

  test("jobCount() is the length of the unpaged jobList() for every filter", async ({ store }) => {
    await assertCount(store, {}, 0);
    await assertCount(store, { search: "x", states: ["pending"] }, 0);
    await seedEveryState(store); // Seven jobs at T0, all in "default".
    await store.jobInsert({
      jobs: [
        newJob("Deploy-1", { queue: "deploy", command: "ship it" }),
        newJob("deploy-2", { queue: "deploy", runAt: T0 + 1e6 }),
        newJob("mailer", { queue: "mail", command: "./deploy-mail" }),
      ],
      now: T0 + 1000,
    });
    await assertCount(store, {}, 10);
    await assertCount(store, { states: [] }, 10);
    await assertCount(store, { states: ["pending"] }, 5);
    await assertCount(store, { states: ["processing"] }, 1);
    await assertCount(store, { states: ["completed", "dead", "canceled"] }, 3);
    await assertCount(store, { states: ["blocked"] }, 0);
    await assertCount(store, { queues: ["deploy"] }, 2);
    await assertCount(store, { queues: ["deploy", "mail"] }, 3);
    await assertCount(store, { queues: ["default"] }, 7);
    await assertCount(store, { queues: [] }, 0);
    await assertCount(store, { queues: ["nowhere"] }, 0);
    await assertCount(store, { createdSince: T0 }, 10);
    await assertCount(store, { createdSince: T0 + 1 }, 3);
    await assertCount(store, { createdSince: T0 + 1001 }, 0);
    await assertCount(store, { search: "deploy" }, 3);
    await assertCount(store, { search: "DEPLOY-" }, 3);
    await assertCount(store, { search: "ship" }, 1);
    await assertCount(store, { search: "-1" }, 7); // Six seeded ids, and Deploy-1.
    await assertCount(store, { search: "" }, 10);
    await assertCount(store, { search: "deploy", queues: ["deploy"] }, 2);
    await assertCount(store, { search: "deploy", states: ["pending"], queues: ["mail"] }, 1);
    await assertCount(store, { search: "-1", createdSince: T0 + 1 }, 1);
    await assertCount(store, { search: "pending", states: ["pending"] }, 2);
    await assertCount(store, { search: "pending", states: ["failed"] }, 0);
    await assertCount(
      store,
      { states: ["pending", "processing"], queues: ["default", "deploy"], createdSince: T0 },
      5,
    );
  });

  // ---------------------------------------------------------------------------------------------
  // runStats

  test("runStats() counts runs per outcome in buckets from since, oldest first, leaving out empty buckets and earlier runs", async ({ store }) => {
    assert.deepEqual(await store.runStats({ since: T0, bucketMs: 1000 }), []);
    const S = T0 + 100_000;
    // Recorded out of time order, so the answer's order is not the order of recording.
    await oneRun(store, "late", S + 9000, S + 10_000, "completed");
    await oneRun(store, "b3-timeout", S + 500, S + 3500, "timeout");
    await oneRun(store, "before-1", S - 3000, S - 1, "completed"); // Ends 1 ms before since.
    await oneRun(store, "before-2", S - 9000, S - 5000, "failed");
    await oneRun(store, "at-since", S - 2000, S, "completed"); // Started before, ended at since.
    await oneRun(store, "b0-last-ms", S, S + 999, "failed");
    await oneRun(store, "b0-mid", S + 100, S + 500, "completed");
    await oneRun(store, "b1-start", S + 900, S + 1000, "completed"); // Exactly the bucket start.
    await oneRun(store, "b3-rescued", S, S + 3999, "rescued");
    await oneRun(store, "b3-failed", S + 2999, S + 3000, "failed");
    await oneRun(store, "b3-completed", S + 3000, S + 3001, "completed");
    // A run still going has not ended: it counts nowhere.
    await enqueueAlone(store, "running", T0);
    await claimAlone(store, "running", S + 100);

    assertBuckets(await store.runStats({ since: S, bucketMs: 1000 }), [
      { start: S, outcome: "completed", count: 2 },
      { start: S, outcome: "failed", count: 1 },
      { start: S + 1000, outcome: "completed", count: 1 },
      // S + 2000 had no run: left out.
      { start: S + 3000, outcome: "completed", count: 1 },
      { start: S + 3000, outcome: "failed", count: 1 },
      { start: S + 3000, outcome: "rescued", count: 1 },
      { start: S + 3000, outcome: "timeout", count: 1 },
      { start: S + 10_000, outcome: "completed", count: 1 },
    ]);

    // Buckets start at since, whatever since is: 2.5 s buckets from S + 1000.
    assertBuckets(await store.runStats({ since: S + 1000, bucketMs: 2500 }), [
      { start: S + 1000, outcome: "completed", count: 2 }, // S+1000, S+3001
      { start: S + 1000, outcome: "failed", count: 1 }, // S+3000
      { start: S + 3500, outcome: "rescued", count: 1 }, // S+3999
      { start: S + 3500, outcome: "timeout", count: 1 }, // S+3500: the second bucket's start
      { start: S + 8500, outcome: "completed", count: 1 }, // S+10000
    ]);

    // since one millisecond earlier takes in the run that ended then, and shifts every bucket.
    assertBuckets(await store.runStats({ since: S - 1, bucketMs: 1000 }), [
      { start: S - 1, outcome: "completed", count: 3 }, // S-1, S, S+500
      { start: S + 999, outcome: "completed", count: 1 }, // S+1000
      { start: S + 999, outcome: "failed", count: 1 }, // S+999: now a bucket's first ms
      { start: S + 2999, outcome: "completed", count: 1 }, // S+3001
      { start: S + 2999, outcome: "failed", count: 1 }, // S+3000
      { start: S + 2999, outcome: "timeout", count: 1 }, // S+3500
      { start: S + 3999, outcome: "rescued", count: 1 }, // S+3999
      { start: S + 9999, outcome: "completed", count: 1 }, // S+10000
    ]);

    // One bucket wide enough for everything: the totals per outcome of the runs since.
    assertBuckets(await store.runStats({ since: S, bucketMs: 3_600_000 }), [
      { start: S, outcome: "completed", count: 5 },
      { start: S, outcome: "failed", count: 2 },
      { start: S, outcome: "rescued", count: 1 },
      { start: S, outcome: "timeout", count: 1 },
    ]);
    assertBuckets(await store.runStats({ since: T0, bucketMs: 3_600_000 }), [
      { start: T0, outcome: "completed", count: 6 },
      { start: T0, outcome: "failed", count: 3 },
      { start: T0, outcome: "rescued", count: 1 },
      { start: T0, outcome: "timeout", count: 1 },
    ]);

    // Since the last run's end: only it; since after it: nothing.
    assertBuckets(await store.runStats({ since: S + 10_000, bucketMs: 1000 }), [
      { start: S + 10_000, outcome: "completed", count: 1 },
    ]);
    assert.deepEqual(await store.runStats({ since: S + 10_001, bucketMs: 1000 }), []);
  });

  test("runStats() counts every run of a job, each in the bucket it ended in", async ({ store }) => {
    const S = T0 + 10_000;
    await enqueueAlone(store, "flaky", T0);
    const run1 = await claimAlone(store, "flaky", S + 10);
    await finish(store, finishOf(run1, S + 20, "failed", { runAt: S + 30 }));
    const run2 = await claimAlone(store, "flaky", S + 30);
    await finish(store, finishOf(run2, S + 40, "failed", { runAt: S + 1500 }));
    const run3 = await claimAlone(store, "flaky", S + 1500);
    await finish(store, rescueOf(run3, S + 1500 + LEASE_MS + 1, S + 40_000));
    const run4 = await claimAlone(store, "flaky", S + 40_000);
    await finish(store, finishOf(run4, S + 40_100, "completed"));
    assert.equal((await store.jobRuns({ id: "flaky" })).length, 4);

    assertBuckets(await store.runStats({ since: S, bucketMs: 1000 }), [
      { start: S, outcome: "failed", count: 2 },
      { start: S + 31_000, outcome: "rescued", count: 1 }, // S + 31_501
      { start: S + 40_000, outcome: "completed", count: 1 },
    ]);
    assertBuckets(await store.runStats({ since: S + 21, bucketMs: 60_000 }), [
      { start: S + 21, outcome: "failed", count: 1 },
      { start: S + 21, outcome: "rescued", count: 1 },
      { start: S + 21, outcome: "completed", count: 1 },
    ]);
  });

  // ---------------------------------------------------------------------------------------------
  // runTotals

  test("runTotals() of an empty store is all zeros, with one bucket per bound", async ({ store }) => {
    const empty = {
      byOutcome: {},
      duration: { buckets: [0, 0, 0], count: 0, sumMs: 0 },
      wait: { buckets: [0, 0], count: 0, sumMs: 0 },
    };
    const bounds = { durationBoundsMs: [100, 1000, 10_000], waitBoundsMs: [0, 5000] };
    assert.deepEqual(await store.runTotals(bounds), empty);
    assert.deepEqual(await store.runTotals({ durationBoundsMs: [], waitBoundsMs: [] }), {
      byOutcome: {},
      duration: { buckets: [], count: 0, sumMs: 0 },
      wait: { buckets: [], count: 0, sumMs: 0 },
    });
    // Jobs that never ran, and a run still going, are no recorded runs.
    await store.jobInsert({ jobs: [newJob("a"), newJob("b", { runAt: T0 + 1e6 })], now: T0 });
    await claim(store, "w1", T0 + 500);
    assert.deepEqual(await store.runTotals(bounds), empty);
  });

  test("runTotals() sums durations and waits of every run, from when each run was due", async ({ store }) => {
    // Due at T0, started 500 ms later: waited 500; ran 1000.
    await enqueueAlone(store, "a", T0);
    const a = await claimAlone(store, "a", T0 + 500);
    await finish(store, finishOf(a, T0 + 1500, "completed"));

    // Delayed: its runAt was in the future when enqueued; claimed exactly when due: waited 0.
    await enqueueAlone(store, "delayed", T0 + 60_000);
    const delayed = await claimAlone(store, "delayed", T0 + 60_000);
    await finish(store, finishOf(delayed, T0 + 60_250, "completed"));

    // Retried: the first run waited 100 and failed after 2000, due again at its backoff time
    // T0+10000; the second run, started at T0+12000, waited 2000 (not 12000) and ran 3000.
    await enqueueAlone(store, "retried", T0);
    const retried1 = await claimAlone(store, "retried", T0 + 100);
    await finish(store, finishOf(retried1, T0 + 2100, "failed", { runAt: T0 + 10_000 }));
    const retried2 = await claimAlone(store, "retried", T0 + 12_000);
    await finish(store, finishOf(retried2, T0 + 15_000, "completed"));

    // Lost: rescued once its lease expired (ran 30001, waited 0), due again at T0+40000, run at
    // T0+40050 (waited 50) and failed for good after 10; retried from the dead-letter queue at
    // T0+50000 and run at T0+50300 (waited 300) for 100.
    await enqueueAlone(store, "lost", T0);
    const lost1 = await claimAlone(store, "lost", T0);
    await finish(store, rescueOf(lost1, T0 + LEASE_MS + 1, T0 + 40_000));
    const lost2 = await claimAlone(store, "lost", T0 + 40_050);
    await finish(store, finishOf(lost2, T0 + 40_060, "dead"));
    assert.deepEqual(await store.jobRetryDead({ ids: ["lost"], now: T0 + 50_000 }), ["lost"]);
    const lost3 = await claimAlone(store, "lost", T0 + 50_300);
    await finish(store, finishOf(lost3, T0 + 50_400, "completed"));

    // Canceled while running: started 20000 after it was due, stopped after 600.
    await enqueueAlone(store, "stopped", T0);
    const stopped = await claimAlone(store, "stopped", T0 + 20_000);
    assert.deepEqual(await store.jobCancel({ ids: ["stopped"], now: T0 + 20_100 }), {
      canceled: [],
      stopping: ["stopped"],
    });
    await finish(store, finishOf(stopped, T0 + 20_600, "failed", { runAt: T0 + 30_000 }));

    // Started when due and ended at once: waited 0, ran 0.
    await enqueueAlone(store, "instant", T0 + 5000);
    const instant = await claimAlone(store, "instant", T0 + 5000);
    await finish(store, finishOf(instant, T0 + 5000, "completed"));

    // Still running: not a recorded run.
    await enqueueAlone(store, "running", T0);
    await claimAlone(store, "running", T0 + 99_000);

    //              a     delayed retried×2    lost×3             stopped instant
    // durations: 1000,   250,    2000, 3000,  30001, 10, 100,    600,    0      = 36961
    // waits:      500,     0,     100, 2000,      0, 50, 300,  20000,    0      = 22950
    const totals = await store.runTotals({
      durationBoundsMs: [0, 250, 1000, 5000, 60_000],
      waitBoundsMs: [0, 100, 500, 1000, 10_000],
    });
    assert.deepEqual(totals, {
      byOutcome: { completed: 5, failed: 2, rescued: 1, canceled: 1 },
      duration: { buckets: [1, 4, 6, 8, 9], count: 9, sumMs: 36_961 },
      // 20000 is above every bound: counted, in no bucket.
      wait: { buckets: [3, 5, 7, 7, 8], count: 9, sumMs: 22_950 },
    });

    // Other bounds over the same runs: one bucket per bound, each counting runs at most it.
    assert.deepEqual(
      await store.runTotals({
        durationBoundsMs: [9, 10, 11, 30_000, 30_001],
        waitBoundsMs: [49, 50, 1999, 2000, 19_999, 20_000, 1e9],
      }),
      {
        byOutcome: { completed: 5, failed: 2, rescued: 1, canceled: 1 },
        duration: { buckets: [1, 2, 2, 8, 9], count: 9, sumMs: 36_961 },
        wait: { buckets: [3, 4, 7, 8, 8, 9, 9], count: 9, sumMs: 22_950 },
      },
    );
    const lopsided = await store.runTotals({ durationBoundsMs: [], waitBoundsMs: [1e12] });
    assert.deepEqual(lopsided.duration, { buckets: [], count: 9, sumMs: 36_961 });
    assert.deepEqual(lopsided.wait, { buckets: [9], count: 9, sumMs: 22_950 });
  });

  test("runTotals() histograms are cumulative, in the order of the bounds", async ({ store }) => {
    // Ten runs lasting 100, 200, …, 1000 ms, each started 10 × its number ms after it was due.
    for (let i = 1; i <= 10; i++) {
      const id = `r${i}`;
      await enqueueAlone(store, id, T0 + i * 1000);
      const job = await claimAlone(store, id, T0 + i * 1000 + i * 10);
      await finish(store, finishOf(job, T0 + i * 1000 + i * 10 + i * 100, "completed"));
    }
    const bounds = [50, 100, 150, 250, 500, 999, 1000, 5000];
    const totals = await store.runTotals({ durationBoundsMs: bounds, waitBoundsMs: bounds });
    const durations = Array.from({ length: 10 }, (_, i) => (i + 1) * 100);
    const waits = Array.from({ length: 10 }, (_, i) => (i + 1) * 10);
    const cumulative = (values: number[]) =>
      bounds.map((bound) => values.filter((value) => value <= bound).length);
    assert.deepEqual(totals.duration, {
      buckets: cumulative(durations), // [0, 1, 1, 2, 5, 9, 10, 10]
      count: 10,
      sumMs: 5500,
    });
    assert.deepEqual(totals.wait, {
      buckets: cumulative(waits), // [5, 10, 10, 10, 10, 10, 10, 10]
      count: 10,
      sumMs: 550,
    });
    assert.deepEqual(totals.duration.buckets, [0, 1, 1, 2, 5, 9, 10, 10]);
    assert.deepEqual(totals.wait.buckets, [5, 10, 10, 10, 10, 10, 10, 10]);
    assert.deepEqual(totals.byOutcome, { completed: 10 });
  });

  test("runTotals() counts runs by outcome, each run once, whatever state its job is in now", async ({ store }) => {
    await oneRun(store, "c1", T0, T0 + 10, "completed");
    await oneRun(store, "c2", T0, T0 + 10, "completed");
    await oneRun(store, "f1", T0, T0 + 10, "failed");
    await oneRun(store, "t1", T0, T0 + 10, "timeout");
    await oneRun(store, "r1", T0, T0 + LEASE_MS + 1, "rescued");
    // A job rescued, then failing, then dead: three runs, three outcomes.
    await enqueueAlone(store, "x", T0);
    const x1 = await claimAlone(store, "x", T0);
    await finish(store, rescueOf(x1, T0 + LEASE_MS + 1, T0 + LEASE_MS + 2));
    const x2 = await claimAlone(store, "x", T0 + LEASE_MS + 2);
    await finish(store, finishOf(x2, T0 + LEASE_MS + 3, "failed", { runAt: T0 + LEASE_MS + 4 }));
    const x3 = await claimAlone(store, "x", T0 + LEASE_MS + 4);
    await finish(store, finishOf(x3, T0 + LEASE_MS + 5, "dead"));
    // Released by a stop --now: the run is recorded though it does not count as an attempt.
    await enqueueAlone(store, "rel", T0);
    const rel = await claimAlone(store, "rel", T0);
    await finish(
      store,
      finishOf(rel, T0 + 7, "pending", { outcome: "released", refundAttempt: true }),
    );
    assert.equal((await store.jobGet({ id: "rel" }))?.attempts, 0);

    const totals = await store.runTotals({ durationBoundsMs: [10], waitBoundsMs: [0] });
    assert.deepEqual(totals.byOutcome, {
      completed: 2,
      failed: 3,
      timeout: 1,
      rescued: 2,
      released: 1,
    });
    assert.equal(totals.duration.count, 9);
    assert.equal(totals.wait.count, 9);
    assert.equal(
      Object.values(totals.byOutcome).reduce((sum, n) => sum + n, 0),
      totals.duration.count,
    );
  });

  test("runTotals() and runStats() forget the runs of purged jobs", async ({ store }) => {
    await oneRun(store, "old", T0, T0 + 100, "completed");
    await oneRun(store, "kept", T0 + 500, T0 + 2500, "completed");
    await oneRun(store, "flaky", T0 + 10, T0 + 20, "failed");
    const bounds = { durationBoundsMs: [100, 1000], waitBoundsMs: [10, 1000] };
    assert.deepEqual(await store.runTotals(bounds), {
      byOutcome: { completed: 2, failed: 1 },
      duration: { buckets: [2, 2], count: 3, sumMs: 2110 },
      wait: { buckets: [2, 3], count: 3, sumMs: 510 },
    });
    assert.equal(
      await store.jobPurge({ states: ["completed"], finishedBefore: T0 + 1000 }),
      1,
    );
    assert.deepEqual(await store.runTotals(bounds), {
      byOutcome: { completed: 1, failed: 1 },
      duration: { buckets: [1, 1], count: 2, sumMs: 2010 },
      wait: { buckets: [1, 2], count: 2, sumMs: 510 },
    });
    assertBuckets(await store.runStats({ since: T0, bucketMs: 1000 }), [
      { start: T0, outcome: "failed", count: 1 },
      { start: T0 + 2000, outcome: "completed", count: 1 },
    ]);
  });
}
