import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { parseRetryFilterText, retryFilter, type RetryFilterInput } from "./retry_finished.ts";

const NOW = Date.parse("2026-12-04T12:00:00Z");

Deno.test("retryFilter() reads states, queues and since as the CLI's --filter does", () => {
  const cases: [string, RetryFilterInput, object][] = [
    ["one state, as a string", { state: "dead" }, { states: ["dead"] }],
    ["a list, duplicates once", { state: ["dead", "Canceled", "dead"] }, {
      states: ["dead", "canceled"],
    }],
    ["a comma-separated string", { state: "dead,canceled" }, { states: ["dead", "canceled"] }],
    ["no state: every finished one", { queue: "images" }, {
      states: ["completed", "dead", "canceled"],
      queues: ["images"],
    }],
    ["since as a duration ago", { since: "1h" }, { createdSince: NOW - 3_600_000 }],
    ["since as an ISO time", { since: "2026-12-04T00:00:00Z" }, {
      createdSince: Date.parse("2026-12-04T00:00:00Z"),
    }],
  ];
  for (const [intent, input, expected] of cases) {
    const filter = retryFilter(input, NOW, "filter");
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual((filter as Record<string, unknown>)[key], value, intent);
    }
  }
});

Deno.test("retryFilter() refuses what the CLI refuses, and an empty filter, with a usage error", () => {
  const cases: [string, unknown, RegExp][] = [
    ["an unknown state", { state: "zombie" }, /Unknown state "zombie"/],
    ["a state that is not finished", { state: ["dead", "pending"] }, /Cannot retry pending/],
    ["a bad queue name", { queue: "a b" }, /Invalid filter queue/],
    ["a since that is no time", { since: "yesterday" }, /Invalid filter since/],
    ["a since that is no string", { since: 3600 }, /Invalid filter since/],
    ["a state that is no string", { state: 1 }, /Invalid filter state/],
    ["an empty list", { state: [] }, /Invalid filter state/],
    ["an empty name", { queue: "images," }, /Invalid filter queue/],
    ["nothing at all: not every finished job", {}, /Empty filter/],
  ];
  for (const [intent, input, message] of cases) {
    assert.throws(
      () => retryFilter(input as RetryFilterInput, NOW, "filter"),
      (error: unknown) => error instanceof UsageError && message.test(error.message),
      intent,
    );
  }
});

Deno.test("parseRetryFilterText() adds repeated state and queue keys, and takes since once", () => {
  const filter = parseRetryFilterText("state=dead,queue=a,state=canceled,queue=b,since=2h", NOW);
  assert.deepEqual(filter, {
    states: ["dead", "canceled"],
    queues: ["a", "b"],
    createdSince: NOW - 7_200_000,
  });
  for (const text of ["", "state", "queue=", "color=red", "since=1h,since=2h", "state=pending"]) {
    assert.throws(() => parseRetryFilterText(text, NOW), UsageError, text);
  }
});
