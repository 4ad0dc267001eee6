/**
 * Retrying only on chosen exit codes, end to end through the real CLI and a worker process: a
 * job's own `no_retry_on` / `retry_on` (flags, JSON, --file lines), a queue's
 * (`queue set-retry`), the job's list winning over its queue's, and a timeout (no exit code)
 * retried whatever the list. On SQLite and PostgreSQL (`onEveryStore`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, type Sandbox } from "../helpers/cli.ts";
import {
  configure,
  enqueue,
  type Json,
  runsOf,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

/** Retries due at once (backoff_base 1: a 1 s wait), workers that poll every 200 ms. */
async function quickRetries(sandbox: Sandbox): Promise<void> {
  await configure(sandbox, { poll_interval: "0.2", backoff_base: "1" });
}

function exitCodes(job: Json): unknown[] {
  return runsOf(job).map((run) => run.exit_code);
}

onEveryStore.test("a job's no_retry_on sends a failure with that exit code to the DLQ at once, and retries others", async () => {
  await using sandbox = await makeSandbox();
  await quickRetries(sandbox);
  const excluded = await enqueue(sandbox, [
    "--no-retry-on",
    "2,3",
    "--max-retries",
    "3",
    "--",
    "exit 2",
  ]);
  const other = await enqueue(sandbox, [
    "--no-retry-on",
    "2",
    "--max-retries",
    "1",
    "--",
    "exit 1",
  ]);
  const json = JSON.parse(await sandbox.ok(["info", excluded, "--json"]));
  assert.deepEqual([json.retry_on, json.no_retry_on], [null, [2, 3]]);
  const worker = await startWorker(sandbox);
  const dead = await waitForState(sandbox, excluded, "dead");
  assert.equal(dead.attempts, 1, "not retried: max_retries 3 left unused");
  assert.match(String(dead.last_error), /^Exit code 2 is not retried \(no_retry_on\)/);
  assert.deepEqual(exitCodes(dead), [2]);
  const retried = await waitForState(sandbox, other, "dead");
  assert.deepEqual(exitCodes(retried), [1, 1], "exit code 1 is not excluded: retried once");
  assert.match(String(retried.last_error), /^Exited with code 1/);
  assert.match(await sandbox.ok(["dlq", "list"]), new RegExp(excluded));
  await stopWorker(worker);
});

onEveryStore.test("a queue's retry_on (queue set-retry) applies to its jobs, and a job's own list wins", async () => {
  await using sandbox = await makeSandbox();
  await quickRetries(sandbox);
  assert.equal(
    await sandbox.ok(["queue", "set-retry", "sync", "--retry-on", "111,75"]),
    "sync: only exit code(s) 75, 111 retried\n",
  );
  const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Json[];
  assert.deepEqual(queues.map((queue) => [queue.name, queue.retry_on, queue.no_retry_on]), [
    ["sync", [75, 111], null],
  ]);
  const notListed = await enqueue(sandbox, [
    "--queue",
    "sync",
    "--max-retries",
    "3",
    "--",
    "exit 1",
  ]);
  const listed = await enqueue(sandbox, ["--queue", "sync", "--max-retries", "1", "--", "exit 75"]);
  const own = await enqueue(sandbox, [
    "--queue",
    "sync",
    "--retry-on",
    "1",
    "--max-retries",
    "1",
    "--",
    "exit 1",
  ]);
  const worker = await startWorker(sandbox);
  const deadAtOnce = await waitForState(sandbox, notListed, "dead");
  assert.deepEqual(exitCodes(deadAtOnce), [1]);
  assert.match(String(deadAtOnce.last_error), /^Exit code 1 is not retried \(retry_on: 75, 111\)/);
  assert.deepEqual(exitCodes(await waitForState(sandbox, listed, "dead")), [75, 75]);
  assert.deepEqual(
    exitCodes(await waitForState(sandbox, own, "dead")),
    [1, 1],
    "the job's own retry_on [1] wins over the queue's [75, 111]",
  );
  // --clear: every failure retried again.
  await sandbox.ok(["queue", "set-retry", "sync", "--clear"]);
  const cleared = await enqueue(sandbox, ["--queue", "sync", "--max-retries", "1", "--", "exit 1"]);
  assert.deepEqual(exitCodes(await waitForState(sandbox, cleared, "dead")), [1, 1]);
  await stopWorker(worker);
});

onEveryStore.test("retry_on and no_retry_on in JSON and --file lines are kept; a timeout is retried whatever the list", async () => {
  await using sandbox = await makeSandbox();
  await quickRetries(sandbox);
  const file = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(
    file,
    [
      '{"id":"from-file","command":"exit 4","no_retry_on":[4],"max_retries":2}',
      '{"id":"timed-out","command":"sleep 5","retry_on":[75],"timeout":0.5,"max_retries":1}',
    ].join("\n") + "\n",
  );
  await sandbox.ok(["enqueue", "--file", file]);
  const worker = await startWorker(sandbox);
  const fromFile = await waitForState(sandbox, "from-file", "dead");
  assert.deepEqual([fromFile.no_retry_on, exitCodes(fromFile)], [[4], [4]]);
  const timedOut = await waitForState(sandbox, "timed-out", "dead");
  assert.deepEqual(
    runsOf(timedOut).map((run) => run.outcome),
    ["timeout", "timeout"],
    "a timeout has no exit code: retried though retry_on is [75]",
  );
  await stopWorker(worker);
});
