/**
 * Batches end to end through the real CLI, on SQLite and PostgreSQL (`onEveryStore`): two worker
 * processes finish a batch's jobs at the same moment and its on-complete job runs exactly once;
 * a dead job and a canceled one settle a batch failed (on-failure runs with the counts, wait
 * --batch exits 1); `batch list`, `batch info`, `list --batch` and `info` show it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, readOrEmpty, type Sandbox, waitFor } from "../helpers/cli.ts";
import { assertExit, configure, type Json, q, startWorker, stopWorker } from "../helpers/jobs.ts";

async function batchJson(sandbox: Sandbox, name: string): Promise<Json> {
  return JSON.parse(await sandbox.ok(["batch", "info", name, "--json"]));
}

/** Waits until the batch's `which` callback job is in `state`. */
function waitForCallback(sandbox: Sandbox, name: string, which: string, state: string) {
  return waitFor(`the ${which} of batch ${name} to be ${state}`, async () => {
    const batch = await batchJson(sandbox, name);
    return (batch[which] as Json | null)?.state === state ? batch : undefined;
  }, 30_000);
}

onEveryStore.test("two workers finishing a batch's jobs at once run its on-complete job exactly once", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2" });
  const release = join(sandbox.dir, "release");
  const calls = join(sandbox.dir, "calls");
  const lines = Array.from({ length: 8 }, (_, n) =>
    JSON.stringify({
      id: `shard-${n}`,
      command: `while [ ! -f ${q(release)} ]; do sleep 0.02; done`,
    }));
  const path = join(sandbox.dir, "shards.jsonl");
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  const onComplete = `echo "$QUEUECTL_BATCH $QUEUECTL_BATCH_OUTCOME $QUEUECTL_BATCH_COMPLETED" >> ${
    q(calls)
  }`;
  await sandbox.ok([
    "enqueue",
    "--file",
    path,
    "--batch",
    "shards",
    "--on-complete",
    onComplete,
    "--on-failure",
    `echo failure >> ${q(calls)}`,
  ]);
  const open = await batchJson(sandbox, "shards");
  assert.equal(open.status, "open");
  assert.equal(open.total, 8);
  assert.equal((open.on_complete as Json).state, "blocked");

  const workers = [
    await startWorker(sandbox, ["--count", "4"]),
    await startWorker(sandbox, ["--count", "4"]),
  ];
  // All eight running at once (four on each worker), then released together: the last
  // finishes of the two processes race for the settle.
  await waitFor("all eight shards to run", async () => {
    const batch = await batchJson(sandbox, "shards");
    return (batch.jobs as Json).processing === 8 ? batch : undefined;
  });
  await Deno.writeTextFile(release, "");
  const waited = await sandbox.run(["wait", "--batch", "shards", "--timeout", "30s"]);
  assertExit(waited, 0, "wait --batch");
  const settled = await waitForCallback(sandbox, "shards", "on_complete", "completed");
  assert.equal(settled.status, "completed");
  assert.deepEqual(settled.jobs, {
    pending: 0,
    processing: 0,
    completed: 8,
    failed: 0,
    dead: 0,
    canceled: 0,
    blocked: 0,
  });
  assert.equal((settled.on_failure as Json).state, "canceled");
  // Give a second, wrong release the time to show: the workers poll every 200 ms.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(await readOrEmpty(calls), "shards completed 8\n", "one call, with the counts");
  const jobs = JSON.parse(await sandbox.ok(["list", "--limit", "0", "--json"])) as Json[];
  assert.equal(jobs.length, 10, "8 jobs and 2 callbacks, no more");
  for (const worker of workers) await stopWorker(worker);

  assert.match(await sandbox.ok(["batch", "list"]), /\nshards +completed +8 +8 +0 +0 /);
  assert.match(await sandbox.ok(["info", "shard-3"]), /\nbatch +shards\n/);
  const listed = JSON.parse(await sandbox.ok(["list", "--batch", "shards", "--json"])) as Json[];
  assert.deepEqual(listed.map((job) => job.id), lines.map((_, n) => `shard-${n}`));
  // A settled batch takes no more jobs (exit 5), and nothing is added.
  const late = await sandbox.run(["enqueue", "--batch", "shards", "--", "true"]);
  assertExit(late, 5, "enqueue into a settled batch");
  assert.equal(
    (JSON.parse(await sandbox.ok(["list", "--limit", "0", "--json"])) as Json[]).length,
    10,
  );
});

onEveryStore.test("a dead job and a canceled one settle a batch failed: on-failure runs once with the counts, wait --batch exits 1", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.2" });
  const calls = join(sandbox.dir, "calls");
  const callback = (what: string) =>
    `echo "${what} $QUEUECTL_BATCH_COMPLETED/$QUEUECTL_BATCH_DEAD/$QUEUECTL_BATCH_CANCELED" >> ${
      q(calls)
    }`;
  const batch = [
    "--batch",
    "nightly",
    "--on-complete",
    callback("complete"),
    "--on-failure",
    callback("failure"),
  ];
  await sandbox.ok(["enqueue", ...batch, "--id", "ok", "--", "true"]);
  await sandbox.ok([
    "enqueue",
    "--batch",
    "nightly",
    "--id",
    "bad",
    "--max-retries",
    "0",
    "--",
    "exit 3",
  ]);
  // Later jobs join without repeating the callbacks; this one waits on "bad", whose death
  // cancels it (a cascade); "later" is canceled by hand.
  await sandbox.ok([
    "enqueue",
    "--batch",
    "nightly",
    "--id",
    "child",
    "--after",
    "bad",
    "--",
    "true",
  ]);
  await sandbox.ok([
    "enqueue",
    "--batch",
    "nightly",
    "--id",
    "later",
    "--delay",
    "1h",
    "--",
    "true",
  ]);
  assert.match(await sandbox.ok(["cancel", "later"]), /later/);
  assert.equal((await batchJson(sandbox, "nightly")).status, "open");

  const worker = await startWorker(sandbox);
  const waited = await sandbox.run(["wait", "--batch", "nightly", "--timeout", "30s"]);
  assertExit(waited, 1, "wait --batch of a failed batch");
  assert.match(waited.stderr, /Job "bad" ended dead/);
  const settled = await waitForCallback(sandbox, "nightly", "on_failure", "completed");
  await stopWorker(worker);
  assert.equal(settled.status, "failed");
  assert.equal((settled.on_complete as Json).state, "canceled");
  assert.equal(await readOrEmpty(calls), "failure 1/1/2\n");
  const info = await sandbox.ok(["batch", "info", "nightly"]);
  assert.match(info, /\nstatus +failed\n/);
  assert.match(info, /\njobs +4: 1 completed, 1 dead, 2 canceled\n/);
});

onEveryStore.test("a batch settled by a cancel wakes an idle worker for its on-failure job", async () => {
  await using sandbox = await makeSandbox();
  // Idle workers look by themselves only once a minute: a run within the wait proves the wake.
  await configure(sandbox, { poll_interval: "60" });
  const calls = join(sandbox.dir, "calls");
  await sandbox.ok([
    "enqueue",
    "--batch",
    "later",
    "--on-failure",
    `echo "$QUEUECTL_BATCH_CANCELED canceled" >> ${q(calls)}`,
    "--id",
    "someday",
    "--delay",
    "1h",
    "--",
    "true",
  ]);
  const worker = await startWorker(sandbox);
  // Once the worker's first look (at its start) is over, it idles for a minute.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await sandbox.ok(["cancel", "someday"]);
  await waitForCallback(sandbox, "later", "on_failure", "completed");
  await stopWorker(worker);
  assert.equal(await readOrEmpty(calls), "1 canceled\n");
});
