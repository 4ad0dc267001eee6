import assert from "node:assert/strict";
import { MISSED_AFTER_MS, planFire } from "./scheduler.ts";

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
