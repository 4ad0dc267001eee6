import assert from "node:assert/strict";
import type { JobState } from "./job.ts";
import { decideUniqueConflict, isUniquePolicy, type UniquePolicy } from "./unique_policy.ts";

const T0 = 1_000_000;

Deno.test("decideUniqueConflict() follows the policy for every holder state", () => {
  const cases: [string, JobState, UniquePolicy, ReturnType<typeof decideUniqueConflict>][] = [
    ["keep never touches the holder", "pending", "keep", { action: "keep", reason: "policy" }],
    ["keep, running holder", "processing", "keep", { action: "keep", reason: "policy" }],
    ["replace a pending holder", "pending", "replace", { action: "replace" }],
    ["replace a holder awaiting its retry", "failed", "replace", { action: "replace" }],
    ["replace a blocked holder", "blocked", "replace", { action: "replace" }],
    ["a running holder is never replaced", "processing", "replace", {
      action: "keep",
      reason: "running",
    }],
    ["debounce a pending holder", "pending", "debounce", { action: "debounce", runAt: T0 + 50 }],
    ["debounce a failed holder", "failed", "debounce", { action: "debounce", runAt: T0 + 50 }],
    ["debounce a blocked holder", "blocked", "debounce", { action: "debounce", runAt: T0 + 50 }],
    ["a running holder is never pushed", "processing", "debounce", {
      action: "keep",
      reason: "running",
    }],
  ];
  for (const [intent, state, policy, expected] of cases) {
    assert.deepEqual(
      decideUniqueConflict({ state, runAt: T0 + 10, createdAt: T0 }, {
        policy,
        runAt: T0 + 50,
        debounceMaxMs: null,
      }),
      expected,
      intent,
    );
  }
});

Deno.test("decideUniqueConflict() debounces run_at later only, capped at created_at + max", () => {
  const cases: [string, number, number, number | null, number][] = [
    // intent, holder run_at, new run_at, max, expected run_at
    ["pushed to the new run_at", T0 + 10, T0 + 50, null, T0 + 50],
    ["never pulled earlier", T0 + 90, T0 + 50, null, T0 + 90],
    ["pushed up to the cap", T0 + 10, T0 + 50, 30, T0 + 30],
    ["within the cap", T0 + 10, T0 + 50, 60, T0 + 50],
    ["cap exactly reached", T0 + 10, T0 + 50, 50, T0 + 50],
    ["a holder due past the cap keeps its time", T0 + 90, T0 + 120, 30, T0 + 90],
    ["max 0: never pushed", T0 + 10, T0 + 50, 0, T0 + 10],
    ["an unreadable stored run_at takes the new one", NaN, T0 + 50, null, T0 + 50],
  ];
  for (const [intent, holderRunAt, runAt, debounceMaxMs, expected] of cases) {
    assert.deepEqual(
      decideUniqueConflict({ state: "pending", runAt: holderRunAt, createdAt: T0 }, {
        policy: "debounce",
        runAt,
        debounceMaxMs,
      }),
      { action: "debounce", runAt: expected },
      intent,
    );
  }
});

Deno.test("isUniquePolicy() knows the three policies and nothing else", () => {
  assert.deepEqual(
    ["keep", "replace", "debounce", "Keep", "", null, 1].map(isUniquePolicy),
    [true, true, true, false, false, false, false],
  );
});
