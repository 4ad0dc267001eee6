/**
 * Keeping the database small, through the real CLI on both stores: `purge` and the workers'
 * `retention`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, snapshotDatabase, waitFor } from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  type Json,
  ms,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

onEveryStore.test("purge deletes finished jobs of the given states older than the given age, and never unfinished ones", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  await enqueue(sandbox, ["--id", "done", "--", "echo done"]);
  await enqueue(sandbox, ["--id", "dead", "--max-retries", "0", "--", "exit 1"]);
  const worker = await startWorker(sandbox);
  await waitForState(sandbox, "done", "completed");
  await waitForState(sandbox, "dead", "dead");
  await stopWorker(worker);
  await enqueue(sandbox, ["--id", "dropped", "--", "true"]);
  await sandbox.ok(["cancel", "dropped"]);
  await enqueue(sandbox, ["--id", "waiting", "--", "true"]);
  await enqueue(sandbox, ["--id", "later", "--", "true"]);

  const ids = async () =>
    (JSON.parse(await sandbox.ok(["list", "--json"])) as Json[]).map((job) => job.id);
  const purge = async (args: string[], deleted: number) => {
    assert.equal(
      await sandbox.ok(["purge", ...args]),
      `Deleted ${deleted} job(s)\n`,
      `purge ${args.join(" ")}`,
    );
  };

  await purge(["--older-than", "1h"], 0);
  await purge(["--older-than", "1h", "--state", "completed,dead,canceled"], 0);
  assert.deepEqual(await ids(), ["done", "dead", "dropped", "waiting", "later"]);

  const before = await snapshotDatabase(sandbox);
  const refused = await sandbox.run(["purge", "--state", "pending", "--older-than", "0s"]);
  assertExit(refused, 2, "purge --state pending");
  assert.equal(refused.stdout, "");
  assert.match(refused.stderr, /^queuectl: .*pending/);
  const mixed = await sandbox.run(["purge", "--state", "completed,failed", "--older-than", "0s"]);
  assertExit(mixed, 2, "purge --state completed,failed");
  assert.equal(await snapshotDatabase(sandbox), before, "a refused purge deletes nothing");

  await waitFor("the clock to move past the last finish", async () => {
    const dropped = await sandbox.info("dropped");
    return Date.now() > ms(dropped.finished_at) + 5;
  });
  await purge(["--older-than", "0s"], 1);
  assert.deepEqual(await ids(), ["dead", "dropped", "waiting", "later"]);
  assert.equal((await sandbox.run(["info", "done"])).code, 3);
  await purge(["--older-than", "0s", "--state", "dead"], 1);
  assert.deepEqual(await ids(), ["dropped", "waiting", "later"]);
  await purge(["--older-than", "0s", "--state", "canceled,completed,dead"], 1);
  assert.deepEqual(await ids(), ["waiting", "later"]);

  const dump = JSON.parse((await snapshotDatabase(sandbox))!);
  assert.deepEqual(dump.job_runs, [], "the runs of purged jobs went with them");
  assert.deepEqual(dump.job_output, []);
});

onEveryStore.test("with retention set, a worker deletes old completed and canceled jobs by itself and keeps dead ones", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { heartbeat_interval: "0.2", poll_interval: "0.1" });
  await enqueue(sandbox, ["--id", "done", "--", "true"]);
  await enqueue(sandbox, ["--id", "dead", "--max-retries", "0", "--", "exit 1"]);
  await enqueue(sandbox, ["--id", "dropped", "--delay", "1h", "--", "true"]);
  await enqueue(sandbox, ["--id", "parked", "--delay", "1h", "--", "true"]);
  await sandbox.ok(["cancel", "dropped"]);
  const worker = await startWorker(sandbox);
  const done = await waitForState(sandbox, "done", "completed");
  await waitForState(sandbox, "dead", "dead");
  // The worker has heartbeated with retention 0 (keep): nothing went.
  assert.equal((await sandbox.status()).jobs.completed, 1);

  // Set it once the jobs are older than it: the worker's next heartbeat (its first pass with
  // retention set) deletes them.
  await waitFor(
    "the jobs to be more than 1 s old",
    () => Date.now() > ms(done.finished_at) + 1200,
  );
  await sandbox.ok(["config", "set", "retention", "1"]);
  await waitFor("the completed job to be deleted", async () => {
    return (await sandbox.run(["info", "done"])).code === 3;
  }, 20_000);
  await waitFor("the canceled job to be deleted", async () => {
    return (await sandbox.run(["info", "dropped"])).code === 3;
  }, 20_000);
  assert.equal((await sandbox.info("dead")).state, "dead", "dead jobs stay for the DLQ");
  assert.equal((await sandbox.info("parked")).state, "pending");
  await stopWorker(worker);
});

// --- JSON views --------------------------------------------------------------------------------
