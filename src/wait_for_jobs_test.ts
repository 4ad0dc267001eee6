import assert from "node:assert/strict";
import { ManualClock } from "./clock.ts";
import { enqueueJobs } from "./enqueue.ts";
import { NotFoundError, WaitTimeoutError } from "./errors.ts";
import { openStore, type Store } from "./store/mod.ts";
import { waitForJobs } from "./wait_for_jobs.ts";

/** A store in a temporary directory with the jobs `ids` in it, pending. */
async function withJobs(ids: string[], body: (store: Store) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-test-" });
  const store = await openStore({ kind: "sqlite", path: `${dir}/queue.db` });
  try {
    const specs = ids.map((id) => ({ id, command: "true" }));
    await enqueueJobs(store, new ManualClock(), specs, { cwd: dir });
    await body(store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("waitForJobs() looks every pollMs and once more at the deadline, then gives up", async () => {
  await withJobs(["a", "b"], async (store) => {
    const clock = new ManualClock();
    const looks: number[] = [];
    const waiting = waitForJobs(store, clock, ["a", "b"], {
      timeoutMs: 1000,
      pollMs: 300,
      onPoll: () => looks.push(clock.now()),
    });
    await assert.rejects(waiting, (error) => {
      assert.ok(error instanceof WaitTimeoutError);
      assert.deepEqual(error.unfinished.map((job) => job.id), ["a", "b"]);
      return true;
    });
    const start = looks[0];
    assert.deepEqual(looks.map((at) => at - start), [0, 300, 600, 900, 1000]);
  });
});

Deno.test("waitForJobs() resolves with the jobs in the order asked once all are final", async () => {
  await withJobs(["a", "b", "c"], async (store) => {
    const clock = new ManualClock();
    await store.jobCancel({ ids: ["a", "b"], now: clock.now() });
    const jobs = await waitForJobs(store, clock, ["b", "a"], { timeoutMs: 0 });
    assert.deepEqual(jobs.map((job) => [job.id, job.state]), [["b", "canceled"], [
      "a",
      "canceled",
    ]]);
  });
});

Deno.test("waitForJobs() refuses an unknown id and stops when its signal aborts", async () => {
  await withJobs(["a"], async (store) => {
    await assert.rejects(waitForJobs(store, new ManualClock(), ["a", "ghost"]), NotFoundError);
    const reason = new Error("stop");
    const signal = AbortSignal.abort(reason);
    await assert.rejects(waitForJobs(store, new ManualClock(), ["a"], { signal }), reason);
  });
});
