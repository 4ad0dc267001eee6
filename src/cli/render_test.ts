import assert from "node:assert/strict";
import { TEST_NOW, testJob } from "../_test_job.ts";
import { isoTime, MAX_TIME_MS } from "../clock.ts";
import { jobTable, relativeTime } from "./render.ts";

Deno.test("isoTime() and relativeTime() show times from 1970 to 9999, else invalid", () => {
  assert.equal(isoTime(0), "1970-01-01T00:00:00.000Z");
  assert.equal(isoTime(MAX_TIME_MS), "9999-12-31T23:59:59.999Z");
  assert.equal(isoTime(null), null);
  for (const ms of [MAX_TIME_MS + 1, -1, 1e303, Infinity, -Infinity, NaN, 9e15]) {
    assert.equal(isoTime(ms), "invalid", String(ms));
    assert.equal(relativeTime(ms, TEST_NOW), "invalid", String(ms));
  }
});

Deno.test('jobTable() shows bad stored values as "invalid" without throwing', () => {
  const table = jobTable([testJob({ runAt: Infinity, attempts: -1, maxRetries: NaN })], TEST_NOW);
  assert.match(table, /^j1\s+pending\s+default\s+0\s+invalid\/invalid\s+invalid\s+now\s+true$/m);
});
