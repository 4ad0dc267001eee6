import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import {
  formatRate,
  parseGroupLimit,
  parseRate,
  queueNextStart,
  rateLimitedUntil,
  storedRate,
} from "./queue_limits.ts";

Deno.test("parseRate() reads N/PERIOD with any duration, and off as no limit", () => {
  assert.deepEqual(parseRate("10/1s"), { limit: 10, periodMs: 1000 });
  assert.deepEqual(parseRate("1000/1h"), { limit: 1000, periodMs: 3_600_000 });
  assert.deepEqual(parseRate(" 5 / 1m30s "), { limit: 5, periodMs: 90_000 });
  assert.equal(parseRate("off"), null);
  assert.equal(parseRate("none"), null);
});

Deno.test("parseRate() refuses what is not a rate, quoting it", () => {
  const bad: [intent: string, value: unknown][] = [
    ["zero starts", "0/1s"],
    ["negative starts", "-1/1s"],
    ["a zero period", "10/0s"],
    ["no period", "10"],
    ["words", "abc"],
    ["a fraction of a start", "1.5/1s"],
    ["too many starts", "100001/1s"],
    ["a period over a week", "10/8d"],
    ["a bad unit", "10/1y"],
    ["empty", ""],
    ["a number", 10],
  ];
  for (const [intent, value] of bad) {
    assert.throws(() => parseRate(value), UsageError, intent);
  }
  assert.throws(() => parseRate("abc"), /Invalid rate "abc"/);
});

Deno.test("parseGroupLimit() takes 1 to 100000, or none", () => {
  assert.equal(parseGroupLimit("3"), 3);
  assert.equal(parseGroupLimit(3), 3);
  assert.equal(parseGroupLimit("none"), null);
  for (const value of ["0", "-1", "1.5", "abc", "", "100001", 0, 2.5, true]) {
    assert.throws(() => parseGroupLimit(value), UsageError, JSON.stringify(value));
  }
});

Deno.test("formatRate() shows the period in its largest whole unit", () => {
  assert.equal(formatRate({ limit: 10, periodMs: 1000 }), "10/1s");
  assert.equal(formatRate({ limit: 1000, periodMs: 3_600_000 }), "1000/1h");
  assert.equal(formatRate({ limit: 5, periodMs: 90_000 }), "5/90s");
  assert.equal(formatRate({ limit: 3, periodMs: 1500 }), "3/1500ms");
  assert.equal(formatRate({ limit: 1, periodMs: 86_400_000 }), "1/1d");
});

Deno.test("storedRate() reads a hand-edited rate as invalid, never throws", () => {
  assert.equal(storedRate(null, null), null);
  assert.deepEqual(storedRate(2, 1000), { limit: 2, periodMs: 1000 });
  assert.equal(storedRate(0, 1000), "invalid");
  assert.equal(storedRate(2, null), "invalid");
  assert.equal(storedRate(NaN, 1000), "invalid");
  assert.equal(storedRate(2, -5), "invalid");
});

Deno.test("rateLimitedUntil() is when the window holds limit - 1 starts again", () => {
  const rate = { limit: 2, periodMs: 1000 };
  // Intent: below the limit, nothing waits.
  assert.equal(rateLimitedUntil([100], rate, 500), null);
  // Intent: at the limit, the oldest start leaving the window frees a place.
  assert.equal(rateLimitedUntil([300, 100], rate, 500), 1100);
  // Intent: a start at t no longer counts at t + period (the claim's started_at > now - period).
  assert.equal(rateLimitedUntil([100, 300], rate, 1100), null);
  // Intent: starts older than the window are ignored.
  assert.equal(rateLimitedUntil([-5000, 100], rate, 500), null);
  // Intent: over the limit (a lowered rate), wait until enough have left.
  assert.equal(rateLimitedUntil([100, 200, 300, 400], rate, 500), 1300);
});

Deno.test("queueNextStart() is the later of the first due job and the window's end", () => {
  const rate = { limit: 1, periodMs: 1000 };
  assert.equal(queueNextStart({ nextRunAt: null, starts: [100], rate, now: 200 }), undefined);
  assert.equal(queueNextStart({ nextRunAt: 50, starts: [100], rate, now: 200 }), 1100);
  assert.equal(queueNextStart({ nextRunAt: 5000, starts: [100], rate, now: 200 }), 5000);
  assert.equal(queueNextStart({ nextRunAt: 50, starts: [], rate, now: 200 }), 50);
});
