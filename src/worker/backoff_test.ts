import assert from "node:assert/strict";
import type { ExitCodeLists } from "../exit_codes.ts";
import {
  afterFailure,
  type ExitCodePolicy,
  exitCodePolicy,
  notRetriedReason,
  retryDelaySeconds,
} from "./backoff.ts";

const policy = { backoffBase: 2, maxBackoff: 3600 };

Deno.test("retryDelaySeconds() is backoff_base ^ attempts", () => {
  const cases: [attempts: number, seconds: number][] = [[1, 2], [2, 4], [3, 8], [10, 1024]];
  for (const [attempts, seconds] of cases) {
    assert.equal(retryDelaySeconds(attempts, policy), seconds, `attempt ${attempts}`);
  }
});

Deno.test("retryDelaySeconds() never exceeds max_backoff", () => {
  assert.equal(retryDelaySeconds(40, policy), 3600);
  assert.equal(retryDelaySeconds(3, { backoffBase: 10, maxBackoff: 60 }), 60);
});

Deno.test("retryDelaySeconds() with base 1 waits one second every time", () => {
  assert.equal(retryDelaySeconds(7, { backoffBase: 1, maxBackoff: 3600 }), 1);
});

Deno.test("retryDelaySeconds() adds at most the jitter fraction", () => {
  const delay = retryDelaySeconds(3, { ...policy, jitter: 0.5, random: () => 1 });
  assert.equal(delay, 12);
  assert.equal(retryDelaySeconds(3, { ...policy, jitter: 0.5, random: () => 0 }), 8);
});

Deno.test("afterFailure() gives max_retries 2 three runs in all", () => {
  const now = 1_000_000;
  assert.deepEqual(afterFailure({ attempts: 1, maxRetries: 2 }, now, policy), {
    state: "failed",
    runAt: now + 2000,
  });
  assert.deepEqual(afterFailure({ attempts: 2, maxRetries: 2 }, now, policy), {
    state: "failed",
    runAt: now + 4000,
  });
  assert.equal(afterFailure({ attempts: 3, maxRetries: 2 }, now, policy).state, "dead");
});

Deno.test("afterFailure() with max_retries 0 is dead after the first failure", () => {
  assert.equal(afterFailure({ attempts: 1, maxRetries: 0 }, 0, policy).state, "dead");
});

Deno.test("afterFailure() immediate retries are due at once", () => {
  assert.deepEqual(
    afterFailure({ attempts: 1, maxRetries: 3 }, 5, { ...policy, immediate: true }),
    {
      state: "failed",
      runAt: 5,
    },
  );
});

// Exit-code lists (issue #20): a table of cases, each with its intent.
Deno.test("notRetriedReason() judges only exit codes, by no_retry_on then retry_on", () => {
  const cases: [
    intent: string,
    exitCode: number | null,
    policy: ExitCodePolicy,
    reason: string | null,
  ][] = [
    ["no lists: every failure retried", 1, { retryOn: null, noRetryOn: null }, null],
    [
      "a code in no_retry_on is not retried",
      2,
      { retryOn: null, noRetryOn: [2] },
      "Exit code 2 is not retried (no_retry_on)",
    ],
    ["a code not in no_retry_on is retried", 1, { retryOn: null, noRetryOn: [2] }, null],
    ["a code in retry_on is retried", 75, { retryOn: [75, 111], noRetryOn: null }, null],
    [
      "a code not in retry_on is not retried",
      1,
      { retryOn: [75, 111], noRetryOn: null },
      "Exit code 1 is not retried (retry_on: 75, 111)",
    ],
    [
      "no exit code (timeout, spawn error) is retried",
      null,
      { retryOn: [75], noRetryOn: null },
      null,
    ],
    ["no exit code is retried with no_retry_on too", null, { retryOn: null, noRetryOn: [0] }, null],
  ];
  for (const [intent, exitCode, policy, reason] of cases) {
    assert.equal(notRetriedReason(exitCode, policy), reason, intent);
  }
});

Deno.test("afterFailure() sends an excluded exit code to dead at once, retries left or not", () => {
  const exit = { exitCode: 2, policy: { retryOn: null, noRetryOn: [2] } };
  assert.deepEqual(afterFailure({ attempts: 1, maxRetries: 5 }, 7, { ...policy, exit }), {
    state: "dead",
    runAt: 7,
    notRetried: "Exit code 2 is not retried (no_retry_on)",
  });
  const allowed = { exitCode: 1, policy: { retryOn: null, noRetryOn: [2] } };
  assert.deepEqual(afterFailure({ attempts: 1, maxRetries: 5 }, 0, { ...policy, exit: allowed }), {
    state: "failed",
    runAt: 2000,
  });
  // Out of retries stays dead without a reason of its own.
  assert.deepEqual(afterFailure({ attempts: 6, maxRetries: 5 }, 0, { ...policy, exit: allowed }), {
    state: "dead",
    runAt: 0,
  });
});

Deno.test("exitCodePolicy() takes the job's own lists over the queue's, and ignores unreadable ones", () => {
  const queue: ExitCodeLists = { retryOn: [75], noRetryOn: null };
  const none: ExitCodeLists = { retryOn: null, noRetryOn: null };
  assert.deepEqual(exitCodePolicy(none, queue), { retryOn: [75], noRetryOn: null });
  assert.deepEqual(exitCodePolicy({ retryOn: null, noRetryOn: [2] }, queue), {
    retryOn: null,
    noRetryOn: [2],
  });
  assert.deepEqual(exitCodePolicy(none, undefined), { retryOn: null, noRetryOn: null });
  assert.deepEqual(exitCodePolicy({ retryOn: "invalid", noRetryOn: null }, queue), {
    retryOn: [75],
    noRetryOn: null,
  });
  assert.deepEqual(exitCodePolicy(none, { retryOn: "invalid", noRetryOn: "invalid" }), {
    retryOn: null,
    noRetryOn: null,
  });
});
