import assert from "node:assert/strict";
import { TEST_NOW, testJob } from "./_test_job.ts";
import { isoTime } from "./clock.ts";
import type { Job, JobRun } from "./job.ts";
import { jobToJson, runToJson, stateCounts } from "./json_contract.ts";

Deno.test('jobToJson() shows a bad stored value as "invalid" in its field only', () => {
  const cases: [Partial<Job>, string, unknown][] = [
    [{ runAt: 1e303 }, "run_at", "invalid"],
    [{ runAt: NaN }, "next_run_at", "invalid"],
    [{ createdAt: -9e15 }, "created_at", "invalid"],
    [{ startedAt: Infinity }, "started_at", "invalid"],
    [{ attempts: -3 }, "attempts", "invalid"],
    [{ attempts: 1.5 }, "attempts", "invalid"],
    [{ maxRetries: NaN }, "max_retries", "invalid"],
    [{ priority: 1e300 }, "priority", "invalid"],
    [{ priority: -5 }, "priority", -5],
    [{ timeoutSeconds: -1 }, "timeout", "invalid"],
    [{ timeoutSeconds: NaN }, "timeout", "invalid"],
    [{ timeoutSeconds: 0 }, "timeout", 0],
    [{ backoffBase: Infinity }, "backoff_base", "invalid"],
    [{ exitCode: NaN }, "exit_code", "invalid"],
    [{ exitCode: -1 }, "exit_code", -1],
    [{ state: "exploded" as Job["state"] }, "state", "invalid"],
    [{ env: null, unreadable: ["env"] }, "env", "invalid"],
  ];
  const good = jobToJson(testJob()) as unknown as Record<string, unknown>;
  for (const [fields, name, expected] of cases) {
    const shown = jobToJson(testJob(fields)) as unknown as Record<string, unknown>;
    assert.equal(shown[name], expected, `${name} of ${JSON.stringify(fields)}`);
    for (const other of Object.keys(good).filter((key) => !/run_at$/.test(key) && key !== name)) {
      assert.deepEqual(shown[other], good[other], `${other} beside ${name}`);
    }
  }
});

Deno.test('runToJson() shows bad stored values as "invalid" without throwing', () => {
  const run: JobRun = {
    jobId: "j1",
    run: 1,
    attempt: 0,
    workerId: null,
    startedAt: TEST_NOW,
    finishedAt: 9e15,
    outcome: "completed",
    exitCode: 0,
    error: null,
    stdout: new Uint8Array(),
    stderr: new Uint8Array(),
    stdoutBytes: -1,
    stderrBytes: 0,
  };
  const shown = runToJson(run);
  assert.deepEqual(
    [shown.attempt, shown.finished_at, shown.stdout_bytes, shown.started_at],
    ["invalid", "invalid", "invalid", isoTime(TEST_NOW)],
  );
});

Deno.test("stateCounts() keeps every known state and sums unknown ones under invalid", () => {
  const known = { pending: 2, processing: 0, completed: 1, failed: 0, dead: 0, canceled: 0 };
  assert.deepEqual(stateCounts(known), { ...known, blocked: 0 });
  assert.deepEqual(stateCounts({ ...known, blocked: 1, exploded: 3, constructor: 1 }), {
    ...known,
    blocked: 1,
    invalid: 4,
  });
});
