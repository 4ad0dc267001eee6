import assert from "node:assert/strict";
import { afterFailure, retryDelaySeconds } from "./backoff.ts";

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
