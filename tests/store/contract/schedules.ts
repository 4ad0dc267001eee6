/**
 * Store contract: cron schedules (`scheduleAdd`, `scheduleList`, `scheduleRemove`,
 * `scheduleSetPaused`, `scheduleListDue`) and `scheduleFire`, the compare-and-set on a
 * schedule's next run time that fires each scheduled time once, inserting its job in the same
 * transaction. The store never reads the cron expression: next run times are given by the caller.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConflictError } from "../../../src/errors.ts";
import type { NewJob, Schedule, Store } from "../../../src/store/mod.ts";
import { newJobRow } from "../../../src/store/insert_plan.ts";
import { claim, type ContractTest, ids, newJob, stateCounts, T0, waitFor } from "./harness.ts";

/** Registers the tests of this part of the contract. */
export function schedulesContract(test: ContractTest): void {
  // ---------------------------------------------------------------------------------------------
  // scheduleAdd / scheduleList / scheduleRemove

  test("scheduleAdd() stores schedules that scheduleList() returns whole, by name", async ({ store }) => {
    assert.deepEqual(await store.scheduleList(), []);
    const nightly = schedule("nightly", {
      cron: "30 2 * * 1-5",
      timezone: "Europe/Paris",
      job: {
        command: "backup --all 'two words' && echo ✓",
        queue: "ops",
        priority: 5,
        timeoutSeconds: 600,
        maxRetries: 2,
        cwd: "/srv/app dir",
        env: { TARGET: "s3://bucket/a b", EMPTY: "" },
      },
      missed: "skip",
      nextRunAt: T0 + 3_600_000,
      lastRunAt: T0 - 1000,
      createdAt: T0 - 5000,
    });
    const backup = schedule("backup");
    const archive = schedule("archive", { paused: true, nextRunAt: null });
    for (const added of [nightly, backup, archive]) {
      assert.equal(await store.scheduleAdd({ schedule: added }), undefined);
    }
    assert.deepEqual(await store.scheduleList(), [archive, backup, nightly]);
    assert.deepEqual(await store.jobList({}), [], "adding a schedule enqueues nothing");
  });

  test("scheduleAdd() and a resume wake subscribers (idle workers sleep until a schedule is due)", async ({ store, openAnother }) => {
    const other = await openAnother();
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    // Counted, not compared before and after: a subscription may start with one call of its own
    // (PostgreSQL's LISTEN looks once), so three rounds prove the announcements.
    try {
      for (let n = 1; n <= 3; n++) {
        await other.scheduleAdd({ schedule: schedule(`added-${n}`) });
        await waitFor(`onWork after another connection's scheduleAdd ${n}`, () => calls >= n);
      }
      for (let n = 1; n <= 3; n++) {
        await other.scheduleSetPaused({ name: "added-1", paused: true, nextRunAt: null });
        await other.scheduleSetPaused({ name: "added-1", paused: false, nextRunAt: T0 + n });
        await waitFor(`onWork after another connection's resume ${n}`, () => calls >= 3 + n);
      }
    } finally {
      unsubscribe();
    }
  });

  test("scheduleAdd() with a taken name throws ConflictError naming it and changes nothing", async ({ store }) => {
    const original = schedule("nightly", { nextRunAt: T0 + 100 });
    await store.scheduleAdd({ schedule: original });
    await assert.rejects(
      store.scheduleAdd({
        schedule: schedule("nightly", { cron: "*/5 * * * *", nextRunAt: T0 + 5 }),
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError, `expected ConflictError, got ${error}`);
        assert.match(error.message, /nightly/);
        return true;
      },
    );
    assert.deepEqual(await store.scheduleList(), [original]);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 99 }), []);
  });

  test("scheduleRemove() removes a schedule but not the jobs it fired; false when there is none", async ({ store }) => {
    const nightly = schedule("nightly", { nextRunAt: T0 + 100 });
    const hourly = schedule("hourly");
    await store.scheduleAdd({ schedule: nightly });
    await store.scheduleAdd({ schedule: hourly });
    const job = newJob("nightly-1");
    assert.deepEqual(await fire(store, "nightly", T0 + 100, T0 + 200, job), { jobId: "nightly-1" });

    assert.equal(await store.scheduleRemove({ name: "nightly" }), true);
    assert.deepEqual(await store.scheduleList(), [hourly]);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 1e9 }), [hourly]);
    assert.deepEqual(ids(await store.jobList({})), ["nightly-1"], "its job stays");
    assert.equal(await store.scheduleRemove({ name: "nightly" }), false);
    assert.equal(await store.scheduleRemove({ name: "ghost" }), false);
    assert.equal(
      await fire(store, "nightly", T0 + 200, T0 + 300, newJob("nightly-2")),
      undefined,
      "a removed schedule does not fire",
    );
    assert.equal(await store.jobGet({ id: "nightly-2" }), undefined);
    // Its name is free again.
    await store.scheduleAdd({ schedule: nightly });
    assert.deepEqual(await store.scheduleList(), [hourly, nightly]);
  });

  // ---------------------------------------------------------------------------------------------
  // scheduleSetPaused / scheduleListDue

  test("scheduleSetPaused() pauses and resumes a schedule with the next run time given; false for an unknown name", async ({ store }) => {
    const a = schedule("a", { nextRunAt: T0 + 100 });
    const b = schedule("b", { nextRunAt: T0 + 300 });
    await store.scheduleAdd({ schedule: a });
    await store.scheduleAdd({ schedule: b });

    assert.equal(await store.scheduleSetPaused({ name: "a", paused: true, nextRunAt: null }), true);
    assert.deepEqual(await store.scheduleList(), [{ ...a, paused: true, nextRunAt: null }, b]);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 1e9 }), [b]);

    assert.equal(
      await store.scheduleSetPaused({ name: "a", paused: false, nextRunAt: T0 + 500 }),
      true,
    );
    const resumed = { ...a, paused: false, nextRunAt: T0 + 500 };
    assert.deepEqual(await store.scheduleList(), [resumed, b]);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 499 }), [b]);
    assert.deepEqual(byName(await store.scheduleListDue({ now: T0 + 500 })), [resumed, b]);

    assert.equal(
      await store.scheduleSetPaused({ name: "ghost", paused: true, nextRunAt: null }),
      false,
    );
    assert.equal(
      await store.scheduleSetPaused({ name: "ghost", paused: false, nextRunAt: T0 }),
      false,
    );
    assert.deepEqual(await store.scheduleList(), [resumed, b], "no schedule was created");
  });

  test("scheduleListDue() returns the schedules not paused whose nextRunAt is at or before now", async ({ store }) => {
    const early = schedule("early", { nextRunAt: T0 + 100 });
    const late = schedule("late", { nextRunAt: T0 + 200 });
    const pausedDue = schedule("paused-due", { paused: true, nextRunAt: T0 + 50 });
    const never = schedule("never", { nextRunAt: null });
    for (const added of [late, pausedDue, never, early]) {
      await store.scheduleAdd({ schedule: added });
    }
    assert.deepEqual(await store.scheduleListDue({ now: T0 }), []);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 99 }), []);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 100 }), [early]);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 199 }), [early]);
    assert.deepEqual(byName(await store.scheduleListDue({ now: T0 + 200 })), [early, late]);
    assert.deepEqual(byName(await store.scheduleListDue({ now: T0 + 1e12 })), [early, late]);
    // Listing changes nothing.
    assert.deepEqual(await store.scheduleList(), [early, late, never, pausedDue]);
  });

  // ---------------------------------------------------------------------------------------------
  // scheduleFire

  test("scheduleFire() at the expected time moves the schedule to its next time and inserts its job", async ({ store }) => {
    const nightly = schedule("nightly", { nextRunAt: T0 + 100 });
    const hourly = schedule("hourly", { nextRunAt: T0 + 100 });
    await store.scheduleAdd({ schedule: nightly });
    await store.scheduleAdd({ schedule: hourly });
    const job = newJob("nightly-20260101T0000Z", {
      command: "backup --all",
      queue: "ops",
      maxRetries: 2,
      priority: 5,
    });

    assert.deepEqual(
      await store.scheduleFire({
        name: "nightly",
        expectedNextRunAt: T0 + 100,
        nextRunAt: T0 + 200,
        job,
        now: T0 + 105,
      }),
      { jobId: "nightly-20260101T0000Z" },
    );
    assert.deepEqual(
      await store.jobGet({ id: "nightly-20260101T0000Z" }),
      newJobRow(job, T0 + 105, "pending"),
    );
    assert.deepEqual(ids(await store.jobList({})), ["nightly-20260101T0000Z"]);
    assert.deepEqual(ids(await store.jobList({ queues: ["ops"] })), ["nightly-20260101T0000Z"]);
    assert.deepEqual(await store.jobCountByState(), stateCounts({ pending: 1 }));
    assert.deepEqual((await store.queueList()).map((queue) => queue.name), ["ops"]);

    const [firstHourly, moved] = await store.scheduleList();
    assert.deepEqual(firstHourly, hourly, "the other schedule is untouched");
    assert.deepEqual(
      { ...moved, lastRunAt: null },
      { ...nightly, nextRunAt: T0 + 200 },
      "only nextRunAt (and lastRunAt) changed",
    );
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 199 }), [hourly]);
    assert.deepEqual(byName(await store.scheduleListDue({ now: T0 + 200 })), [hourly, moved]);
    assert.equal((await claim(store, "w1", T0 + 105, ["ops"])).id, "nightly-20260101T0000Z");
  });

  test("scheduleFire() a second time with the same expected time returns undefined and adds nothing", async ({ store }) => {
    await store.scheduleAdd({ schedule: schedule("nightly", { nextRunAt: T0 + 100 }) });
    assert.deepEqual(await fire(store, "nightly", T0 + 100, T0 + 200, newJob("nightly-1")), {
      jobId: "nightly-1",
    });
    const before = {
      jobs: await store.jobList({}),
      counts: await store.jobCountByState(),
      schedules: await store.scheduleList(),
    };
    const after = async () => ({
      jobs: await store.jobList({}),
      counts: await store.jobCountByState(),
      schedules: await store.scheduleList(),
    });

    // The loser of a race computed the same time; its job (even under a free id) is not added.
    assert.equal(
      await fire(store, "nightly", T0 + 100, T0 + 200, newJob("nightly-1-again")),
      undefined,
    );
    assert.equal(await store.jobGet({ id: "nightly-1-again" }), undefined);
    assert.deepEqual(await after(), before);
    // Nor does a fire for a time that is not the schedule's next one, before or after it.
    assert.equal(await fire(store, "nightly", T0 + 150, T0 + 250, newJob("early")), undefined);
    assert.equal(await fire(store, "nightly", T0 + 300, T0 + 400, newJob("late")), undefined);
    assert.equal(await fire(store, "nightly", T0 + 100, null, null), undefined);
    assert.deepEqual(await after(), before);

    // The next time fires once in its turn.
    assert.deepEqual(await fire(store, "nightly", T0 + 200, T0 + 300, newJob("nightly-2")), {
      jobId: "nightly-2",
    });
    assert.deepEqual(ids(await store.jobList({})), ["nightly-1", "nightly-2"]);
    assert.equal((await store.scheduleList())[0].nextRunAt, T0 + 300);
  });

  test("scheduleFire() with job null moves the schedule on and returns jobId null, adding no job", async ({ store }) => {
    const skipped = schedule("skipped", { missed: "skip", nextRunAt: T0 + 100 });
    await store.scheduleAdd({ schedule: skipped });
    assert.deepEqual(await fire(store, "skipped", T0 + 100, T0 + 200, null), { jobId: null });
    assert.deepEqual(await store.jobList({}), []);
    assert.deepEqual(await store.jobCountByState(), stateCounts({}));
    const [moved] = await store.scheduleList();
    assert.deepEqual({ ...moved, lastRunAt: null }, { ...skipped, nextRunAt: T0 + 200 });
    assert.equal(await fire(store, "skipped", T0 + 100, T0 + 200, null), undefined);
    // A schedule whose expression has no future time: null next run, never due again.
    assert.deepEqual(await fire(store, "skipped", T0 + 200, null, null), { jobId: null });
    assert.equal((await store.scheduleList())[0].nextRunAt, null);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 1e12 }), []);
    assert.deepEqual(await store.jobList({}), []);
  });

  test("scheduleFire() never fires a paused schedule", async ({ store }) => {
    // Paused when added, and paused later, each with a next run time the caller still expects.
    const added = schedule("added-paused", { paused: true, nextRunAt: T0 + 100 });
    await store.scheduleAdd({ schedule: added });
    await store.scheduleAdd({ schedule: schedule("paused-later", { nextRunAt: T0 + 100 }) });
    assert.equal(
      await store.scheduleSetPaused({ name: "paused-later", paused: true, nextRunAt: T0 + 100 }),
      true,
    );
    const before = await store.scheduleList();
    assert.equal(await fire(store, "added-paused", T0 + 100, T0 + 200, newJob("a-1")), undefined);
    assert.equal(await fire(store, "paused-later", T0 + 100, T0 + 200, newJob("p-1")), undefined);
    assert.equal(await fire(store, "paused-later", T0 + 100, T0 + 200, null), undefined);
    assert.deepEqual(await store.scheduleList(), before);
    assert.deepEqual(await store.jobList({}), []);

    // Resumed, it fires.
    assert.equal(
      await store.scheduleSetPaused({ name: "added-paused", paused: false, nextRunAt: T0 + 100 }),
      true,
    );
    assert.deepEqual(await fire(store, "added-paused", T0 + 100, T0 + 200, newJob("a-1")), {
      jobId: "a-1",
    });
    assert.deepEqual(ids(await store.jobList({})), ["a-1"]);
  });

  test("scheduleFire() of an unknown schedule returns undefined and adds no job", async ({ store }) => {
    assert.equal(await fire(store, "ghost", T0 + 100, T0 + 200, newJob("ghost-1")), undefined);
    assert.equal(await fire(store, "ghost", T0 + 100, T0 + 200, null), undefined);
    assert.deepEqual(await store.jobList({}), []);
    assert.deepEqual(await store.scheduleList(), []);
  });

  test("scheduleFire() whose job cannot be added throws and leaves the schedule unmoved", async ({ store }) => {
    const nightly = schedule("nightly", { nextRunAt: T0 + 100 });
    await store.scheduleAdd({ schedule: nightly });
    await store.jobInsert({ jobs: [newJob("taken")], now: T0 });
    const jobsBefore = await store.jobList({});
    await assert.rejects(
      fire(store, "nightly", T0 + 100, T0 + 200, newJob("taken", { command: "other" })),
      (error: unknown) => {
        assert.ok(error instanceof ConflictError, `expected ConflictError, got ${error}`);
        assert.match(error.message, /taken/);
        return true;
      },
    );
    // One transaction: the time was not taken, so the fire can be done again.
    assert.deepEqual(await store.scheduleList(), [nightly]);
    assert.deepEqual(await store.scheduleListDue({ now: T0 + 100 }), [nightly]);
    assert.deepEqual(await store.jobList({}), jobsBefore);
    assert.deepEqual(await fire(store, "nightly", T0 + 100, T0 + 200, newJob("nightly-1")), {
      jobId: "nightly-1",
    });
    assert.deepEqual(ids(await store.jobList({})), ["taken", "nightly-1"]);
  });

  test("scheduleFire() by five connections at once for the same time adds exactly one job", async ({ store, openAnother }) => {
    const connections = [store];
    for (let i = 0; i < 4; i++) connections.push(await openAnother());
    await store.scheduleAdd({ schedule: schedule("tick", { nextRunAt: T0 + 100 }) });
    const winners: string[] = [];
    for (let round = 1; round <= 5; round++) {
      const due = T0 + 100 * round;
      const results = await Promise.all(
        connections.map((connection, i) =>
          fire(connection, "tick", due, due + 100, newJob(`tick-${round}-by-${i}`))
        ),
      );
      const won = results.filter((result) => result !== undefined);
      assert.equal(won.length, 1, `round ${round}: ${JSON.stringify(results)}`);
      const jobId = won[0]?.jobId;
      assert.ok(jobId, `round ${round}`);
      winners.push(jobId);
      assert.deepEqual(ids(await store.jobList({})), winners, `round ${round}`);
    }
    assert.equal((await store.scheduleList())[0].nextRunAt, T0 + 600);
    assert.deepEqual(await store.jobCountByState(), stateCounts({ pending: 5 }));
  });

  // ---------------------------------------------------------------------------------------------
  // workSubscribe

  test("workSubscribe() calls onWork after another connection's scheduleFire adds a job", async ({ store, openAnother }) => {
    const other = await openAnother();
    await other.scheduleAdd({ schedule: schedule("nightly", { nextRunAt: T0 + 100 }) });
    let calls = 0;
    const unsubscribe = store.workSubscribe({ onWork: () => calls++ });
    try {
      assert.deepEqual(await fire(other, "nightly", T0 + 100, T0 + 200, newJob("nightly-1")), {
        jobId: "nightly-1",
      });
      await waitFor("onWork after a schedule fired a job", () => calls > 0);
    } finally {
      unsubscribe();
    }
    assert.equal((await claim(store, "w1", T0 + 100)).id, "nightly-1");
  });
}

/** `scheduleFire` of `name` for the time `expected`, moving it to `next`, at that very time. */
function fire(
  store: Store,
  name: string,
  expected: number,
  next: number | null,
  job: NewJob | null,
): Promise<{ jobId: string | null } | undefined> {
  return store.scheduleFire({
    name,
    expectedNextRunAt: expected,
    nextRunAt: next,
    job,
    now: expected,
  });
}

/** A schedule due at T0 + 1 min, with every field given. */
function schedule(name: string, overrides: Partial<Schedule> = {}): Schedule {
  return {
    name,
    cron: "0 * * * *",
    timezone: "UTC",
    job: { command: `echo ${name}` },
    missed: "run-once",
    paused: false,
    nextRunAt: T0 + 60_000,
    lastRunAt: null,
    createdAt: T0,
    ...overrides,
  };
}

function byName(schedules: Schedule[]): Schedule[] {
  return [...schedules].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
