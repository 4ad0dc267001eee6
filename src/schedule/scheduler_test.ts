import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultConfig } from "../config.ts";
import { openStore } from "../store/mod.ts";
import {
  MISSED_AFTER_MS,
  planFire,
  runSchedulerOnce,
  runSchedulerPass,
  SCHEDULER_LOOKAHEAD_MS,
} from "./scheduler.ts";

const at = (iso: string) => Date.parse(iso);
const everyFiveMinutes = { cron: "*/5 * * * *", timezone: "UTC", missed: "run-once" as const };

Deno.test("planFire() fires a due schedule for its time and moves to the next one", () => {
  const plan = planFire(
    { ...everyFiveMinutes, nextRunAt: at("2026-01-01T00:05:00Z") },
    at("2026-01-01T00:05:00.300Z"),
  );
  assert.deepEqual(plan, {
    firedFor: at("2026-01-01T00:05:00Z"),
    nextRunAt: at("2026-01-01T00:10:00Z"),
  });
});

Deno.test("planFire() of a slow pass still fires each scheduled time once, in turn", () => {
  const everySecond = { cron: "* * * * * *", timezone: "UTC", missed: "run-once" as const };
  const plan = planFire(
    { ...everySecond, nextRunAt: at("2026-01-01T00:00:01Z") },
    at("2026-01-01T00:00:03.5Z"),
  );
  assert.deepEqual(plan, {
    firedFor: at("2026-01-01T00:00:01Z"),
    nextRunAt: at("2026-01-01T00:00:02Z"),
  });
});

Deno.test("planFire() runs missed times once, for the latest, with missed = run-once", () => {
  const now = at("2026-01-01T01:02:00Z");
  assert.ok(now - at("2026-01-01T00:05:00Z") > MISSED_AFTER_MS);
  const plan = planFire({ ...everyFiveMinutes, nextRunAt: at("2026-01-01T00:05:00Z") }, now);
  assert.deepEqual(plan, {
    firedFor: at("2026-01-01T01:00:00Z"),
    nextRunAt: at("2026-01-01T01:05:00Z"),
  });
});

Deno.test("planFire() skips missed times with missed = skip", () => {
  const plan = planFire(
    { ...everyFiveMinutes, missed: "skip", nextRunAt: at("2026-01-01T00:05:00Z") },
    at("2026-01-01T01:02:00Z"),
  );
  assert.deepEqual(plan, { firedFor: null, nextRunAt: at("2026-01-01T01:05:00Z") });
});

Deno.test("runSchedulerOnce() gives each job it enqueues the schedule's shell", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ kind: "sqlite", path: join(dir, "queue.db") });
  try {
    const now = Date.UTC(2026, 0, 1, 3, 0, 0);
    for (const [name, shell] of [["with-shell", "bash"], ["without", undefined]] as const) {
      await store.scheduleAdd({
        schedule: {
          name,
          cron: "0 3 * * *",
          timezone: "UTC",
          job: { command: "true", cwd: dir, ...(shell ? { shell } : {}) },
          missed: "run-once",
          paused: false,
          nextRunAt: now,
          lastRunAt: null,
          createdAt: now - 1,
        },
      });
    }
    const fired = await runSchedulerOnce(store, now, defaultConfig());
    const shells = await Promise.all(
      fired.map(async (
        result,
      ) => [result.name, (await store.jobGet({ id: result.jobId! }))?.shell]),
    );
    assert.deepEqual(Object.fromEntries(shells), { "with-shell": "bash", without: null });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runSchedulerPass() says when to look again: the next due time, at most the look-ahead away", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ kind: "sqlite", path: join(dir, "queue.db") });
  const now = Date.UTC(2026, 0, 1, 3, 0, 0);
  const add = (name: string, nextRunAt: number, paused = false) =>
    store.scheduleAdd({
      schedule: {
        name,
        cron: "* * * * *",
        timezone: "UTC",
        job: { command: "true", cwd: dir },
        missed: "run-once",
        paused,
        nextRunAt,
        lastRunAt: null,
        createdAt: now - 1,
      },
    });
  try {
    const config = defaultConfig();
    assert.deepEqual(await runSchedulerPass(store, now, config), {
      fired: [],
      nextPassAt: now + SCHEDULER_LOOKAHEAD_MS,
    });
    await add("later", now + SCHEDULER_LOOKAHEAD_MS + 1);
    await add("paused", now + 1_000, true);
    assert.equal(
      (await runSchedulerPass(store, now, config)).nextPassAt,
      now + SCHEDULER_LOOKAHEAD_MS,
    );
    await add("soon", now + 4_000);
    assert.equal((await runSchedulerPass(store, now, config)).nextPassAt, now + 4_000);
    // A pass that fires looks again at once, for the time after (a slow pass catches up).
    const due = await runSchedulerPass(store, now + 4_000, config);
    assert.deepEqual(due.fired.map((fired) => fired.name), ["soon"]);
    assert.equal(due.nextPassAt, now + 4_000);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
