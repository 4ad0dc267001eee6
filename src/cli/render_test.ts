import assert from "node:assert/strict";
import { isoTime, MAX_TIME_MS } from "../clock.ts";
import type { Job, JobRun } from "../job.ts";
import { jobTable, jobToJson, relativeTime, runToJson, stateCounts } from "./render.ts";

const NOW = Date.UTC(2026, 0, 1);

function job(fields: Partial<Job> = {}): Job {
  return {
    id: "j1",
    command: "true",
    state: "pending",
    attempts: 0,
    maxRetries: 3,
    priority: 0,
    queue: "default",
    timeoutSeconds: null,
    backoffBase: null,
    shell: null,
    cwd: "/tmp",
    env: null,
    cancelRequestedAt: null,
    uniqueKey: null,
    runAt: NOW,
    createdAt: NOW,
    updatedAt: NOW,
    startedAt: null,
    finishedAt: null,
    exitCode: null,
    lastError: null,
    leaseOwner: null,
    leaseToken: 0,
    leaseExpiresAt: null,
    pgid: null,
    pgidStartTime: null,
    ...fields,
  };
}

Deno.test("isoTime() and relativeTime() show times from 1970 to 9999, else invalid", () => {
  assert.equal(isoTime(0), "1970-01-01T00:00:00.000Z");
  assert.equal(isoTime(MAX_TIME_MS), "9999-12-31T23:59:59.999Z");
  assert.equal(isoTime(null), null);
  for (const ms of [MAX_TIME_MS + 1, -1, 1e303, Infinity, -Infinity, NaN, 9e15]) {
    assert.equal(isoTime(ms), "invalid", String(ms));
    assert.equal(relativeTime(ms, NOW), "invalid", String(ms));
  }
});

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
  const good = jobToJson(job()) as unknown as Record<string, unknown>;
  for (const [fields, name, expected] of cases) {
    const shown = jobToJson(job(fields)) as unknown as Record<string, unknown>;
    assert.equal(shown[name], expected, `${name} of ${JSON.stringify(fields)}`);
    for (const other of Object.keys(good).filter((key) => !/run_at$/.test(key) && key !== name)) {
      assert.deepEqual(shown[other], good[other], `${other} beside ${name}`);
    }
  }
});

Deno.test('runToJson() and jobTable() show bad stored values as "invalid" without throwing', () => {
  const run: JobRun = {
    jobId: "j1",
    run: 1,
    attempt: 0,
    workerId: null,
    startedAt: NOW,
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
    ["invalid", "invalid", "invalid", isoTime(NOW)],
  );
  const table = jobTable([job({ runAt: Infinity, attempts: -1, maxRetries: NaN })], NOW);
  assert.match(table, /^j1\s+pending\s+default\s+0\s+invalid\/invalid\s+invalid\s+now\s+true$/m);
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
