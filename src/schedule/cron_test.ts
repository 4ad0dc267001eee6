import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseCron } from "./cron.ts";

const at = (iso: string) => Date.parse(iso);

Deno.test("parseCron() gives the next run strictly after a time, in UTC by default", () => {
  const cron = parseCron("*/5 * * * *");
  assert.equal(cron.nextRunAfter(at("2026-01-01T00:01:00Z")), at("2026-01-01T00:05:00Z"));
  assert.equal(cron.nextRunAfter(at("2026-01-01T00:05:00Z")), at("2026-01-01T00:10:00Z"));
});

Deno.test("parseCron() honours the time zone", () => {
  const cron = parseCron("0 9 * * *", "Europe/Berlin");
  // 09:00 in Berlin in winter is 08:00 UTC.
  assert.equal(cron.nextRunAfter(at("2026-01-10T00:00:00Z")), at("2026-01-10T08:00:00Z"));
});

Deno.test("parseCron() accepts @daily and @hourly", () => {
  assert.equal(
    parseCron("@daily").nextRunAfter(at("2026-01-01T10:00:00Z")),
    at("2026-01-02T00:00:00Z"),
  );
  assert.equal(
    parseCron("@hourly").nextRunAfter(at("2026-01-01T10:30:00Z")),
    at("2026-01-01T11:00:00Z"),
  );
});

Deno.test("parseCron() rejects bad expressions, seconds fields and unknown zones", () => {
  const bad: [expression: string, timezone?: string][] = [
    ["61 * * * *"],
    ["* * * *"],
    ["*/5 * * * * *"],
    ["@sometimes"],
    ["* * * * *", "Mars/Olympus"],
  ];
  for (const [expression, timezone] of bad) {
    assert.throws(() => parseCron(expression, timezone, false), UsageError, expression);
  }
});

Deno.test("parseCron() accepts a seconds field only through the test hook", () => {
  const cron = parseCron("*/2 * * * * *", "UTC", true);
  assert.equal(cron.nextRunAfter(at("2026-01-01T00:00:01Z")), at("2026-01-01T00:00:02Z"));
});
