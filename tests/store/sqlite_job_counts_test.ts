/**
 * The SQLite store keeps job counts per state in a table maintained by triggers (migration 3):
 * after every kind of state change they must equal a count of the rows.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { JobState } from "../../src/job.ts";
import { type NewJob, openStore } from "../../src/store/mod.ts";

function newJob(id: string, after: string[] = []): NewJob {
  return {
    id,
    command: "true",
    maxRetries: 0,
    timeoutSeconds: null,
    runAt: 0,
    priority: 0,
    queue: "default",
    backoffBase: null,
    cwd: null,
    env: null,
    after,
    uniqueKey: null,
    shell: null,
  };
}

function countedRows(path: string): Record<string, number> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare("SELECT state, count(*) AS n FROM jobs GROUP BY state").all();
    return Object.fromEntries(rows.map((row) => [String(row.state), Number(row.n)]));
  } finally {
    db.close();
  }
}

function nonZero(counts: Record<JobState, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

Deno.test("kept job counts equal the rows after inserts, claims, finishes, cancels, retries and purges", async () => {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-counts-" });
  const path = join(dir, "queue.db");
  const store = await openStore({ kind: "sqlite", path });
  try {
    const check = async (when: string) =>
      assert.deepEqual(nonZero(await store.jobCountByState()), countedRows(path), when);
    const now = Date.now();
    const ids = Array.from({ length: 12 }, (_, i) => `j${i}`);
    await store.jobInsert({ jobs: [...ids.map((id) => newJob(id)), newJob("child", ["j0"])], now });
    await check("after the insert (one blocked)");
    const finishes = ["completed", "completed", "dead", "failed", "completed"] as const;
    for (const state of finishes) {
      const job = await store.jobClaim({ workerId: "w", leaseMs: 60_000, now });
      assert.ok(job);
      await check(`after claiming ${job.id}`);
      await store.jobFinish({
        id: job.id,
        leaseToken: job.leaseToken,
        now,
        state,
        runAt: state === "failed" ? now : undefined,
        exitCode: state === "completed" ? 0 : 1,
        error: state === "completed" ? null : "boom",
        outcome: state === "completed" ? "completed" : "failed",
        stdout: new Uint8Array(),
        stderr: new Uint8Array(),
        stdoutBytes: 0,
        stderrBytes: 0,
      });
      await check(`after finishing ${job.id} as ${state}`);
    }
    await store.jobCancel({ ids: ["j10", "j11"], now });
    await check("after canceling two");
    await store.jobRetryDead({ ids: "all", now });
    await check("after retrying the dead");
    await store.jobPurge({ states: ["completed", "canceled"], finishedBefore: now + 1 });
    await check("after purging");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
