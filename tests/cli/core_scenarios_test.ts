/**
 * End-to-end scenarios of the seed brief, run through the real CLI against a real SQLite file or
 * PostgreSQL schema (`makeSandbox`): a job completes, a failing job backs off into the DLQ,
 * concurrent workers run each job once, a missing program fails gracefully, state survives a
 * restart, detached workers, the JSON shapes, the `--` form and generated ids, and a graceful stop
 * on SIGTERM.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  makeSandbox,
  onEveryStore,
  processExists,
  readOrEmpty,
  type Sandbox,
  waitFor,
  type WorkerHandle,
} from "../helpers/cli.ts";
import { enqueue, enqueueAll, type Json, q, startWorker } from "../helpers/jobs.ts";

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Waits until the job is in `state` and returns its `info --json` object. */
function waitForState(sandbox: Sandbox, id: string, state: string, timeoutMs = 20_000) {
  return waitFor(`job "${id}" to be ${state}`, async () => {
    const job = await sandbox.info(id);
    return job.state === state ? job : undefined;
  }, timeoutMs);
}

/** SIGTERMs a worker process and checks that it exits 0. */
async function stopWorker(worker: WorkerHandle): Promise<void> {
  worker.kill("SIGTERM");
  const result = await worker.finished();
  assert.equal(result.code, 0, `worker exited ${result.code}:\n${result.stderr}`);
}

function runs(job: Json): Json[] {
  assert.ok(
    Array.isArray(job.runs),
    `info --json should have a runs array: ${JSON.stringify(job)}`,
  );
  return job.runs as Json[];
}

function assertJobObject(job: Json): void {
  for (const field of ["id", "command", "state"]) {
    assert.equal(typeof job[field], "string", `${field} of ${JSON.stringify(job)}`);
  }
  for (const field of ["attempts", "max_retries"]) {
    assert.ok(Number.isInteger(job[field]), `${field} of ${JSON.stringify(job)}`);
  }
  for (const field of ["created_at", "updated_at"]) {
    assert.match(String(job[field]), ISO_UTC, `${field} of ${JSON.stringify(job)}`);
  }
}

onEveryStore.test("a job completes and its output is recorded", async () => {
  await using sandbox = await makeSandbox();
  const id = await enqueue(sandbox, ['{"id":"job1","command":"echo hello"}']);
  assert.equal(id, "job1");
  const worker = sandbox.spawnWorker();
  const job = await waitForState(sandbox, "job1", "completed");
  assert.equal(job.exit_code, 0);
  assert.equal(job.attempts, 1);
  assert.equal(runs(job).length, 1);
  assert.match(String(runs(job)[0].stdout), /hello/);
  assert.equal(runs(job)[0].exit_code, 0);
  await stopWorker(worker);
});

onEveryStore.test("a failing job retries with backoff and lands in the DLQ, and dlq retry brings it back", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["config", "set", "backoff_base", "2"]);
  // Idle workers look again every 0.1 s, so the gaps measure the backoff, not the polling.
  await sandbox.ok(["config", "set", "poll_interval", "0.1"]);
  await enqueue(sandbox, ['{"id":"flaky","command":"exit 3","max_retries":2}']);
  await enqueue(sandbox, ['{"id":"doomed","command":"exit 1","max_retries":0}']);
  const worker = sandbox.spawnWorker();
  const flaky = await waitForState(sandbox, "flaky", "dead", 30_000);
  const doomed = await waitForState(sandbox, "doomed", "dead");
  await stopWorker(worker);

  assert.equal(flaky.attempts, 3);
  assert.equal(flaky.exit_code, 3);
  assert.match(String(flaky.last_error), /\b3\b/, "last_error should mention the exit code");
  const flakyRuns = runs(flaky);
  assert.equal(flakyRuns.length, 3);
  for (const run of flakyRuns) {
    assert.match(String(run.started_at), ISO_UTC);
    assert.match(String(run.finished_at), ISO_UTC);
    assert.equal(run.exit_code, 3);
  }
  const starts = flakyRuns.map((run) => Date.parse(String(run.started_at)) / 1000);
  const [firstGap, secondGap] = [starts[1] - starts[0], starts[2] - starts[1]];
  // backoff_base ^ attempts: 2 s after the first failure, 4 s after the second.
  assert.ok(firstGap >= 1.8 && firstGap < 3.9, `first retry gap ${firstGap} s, expected ~2 s`);
  assert.ok(
    secondGap >= 3.8 && secondGap < 7.9,
    `second retry gap ${secondGap} s, expected ~4 s`,
  );
  assert.equal(doomed.attempts, 1);

  const dlq = JSON.parse(await sandbox.ok(["dlq", "list", "--json"])) as Json[];
  assert.deepEqual(dlq.map((job) => job.id).sort(), ["doomed", "flaky"]);
  dlq.forEach(assertJobObject);
  assert.ok(dlq.every((job) => job.state === "dead"));

  assert.equal((await sandbox.ok(["dlq", "retry", "flaky"])).trim(), "flaky");
  const retried = await sandbox.info("flaky");
  assert.equal(retried.state, "pending");
  assert.equal(retried.attempts, 0);

  const again = await sandbox.run(["dlq", "retry", "flaky"]);
  assert.equal(again.code, 5, "retrying a job that is not dead is a conflict");
  assert.equal(again.stdout, "");
  assert.match(again.stderr, /^queuectl: .*pending/);

  assert.equal((await sandbox.ok(["dlq", "retry", "--all"])).trim(), "doomed");
  const doomedAfter = await sandbox.info("doomed");
  assert.equal(doomedAfter.state, "pending");
  assert.equal(doomedAfter.attempts, 0);
  assert.deepEqual(JSON.parse(await sandbox.ok(["dlq", "list", "--json"])), []);
  const counts = (await sandbox.status()).jobs;
  assert.equal(counts.pending, 2);
  assert.equal(counts.dead, 0);
});

/**
 * Enqueues `count` jobs that each append their id to `file`, with one `enqueue --file` before any
 * worker starts (CLI calls racing the workers are crash_safety_test's stress test).
 */
async function enqueueAppenders(sandbox: Sandbox, file: string, count: number) {
  const ids = Array.from({ length: count }, (_, index) => `job-${String(index).padStart(3, "0")}`);
  const added = await enqueueAll(
    sandbox,
    ids.map((id) => ({ id, command: `echo ${id} >> '${file}'` })),
  );
  assert.deepEqual(added, ids);
  return ids;
}

async function assertEachRanOnce(sandbox: Sandbox, file: string, ids: string[]) {
  await waitFor(
    `${ids.length} completed jobs`,
    async () => (await sandbox.status()).jobs.completed === ids.length,
    40_000,
  );
  const lines = (await Deno.readTextFile(file)).trim().split("\n");
  assert.deepEqual([...lines].sort(), [...ids].sort(), "every id exactly once in the file");
  const status = await sandbox.status();
  assert.deepEqual(status.jobs, {
    pending: 0,
    processing: 0,
    completed: ids.length,
    failed: 0,
    dead: 0,
    canceled: 0,
    blocked: 0,
  });
  const jobs = JSON.parse(await sandbox.ok(["list", "--json", "--limit", "0"])) as Json[];
  assert.equal(jobs.length, ids.length);
  assert.ok(jobs.every((job) => job.attempts === 1), "no job ran twice");
}

onEveryStore.test("one worker process with --count 4 runs each of 60 jobs exactly once", async () => {
  await using sandbox = await makeSandbox();
  const file = join(sandbox.dir, "ran.txt");
  const ids = await enqueueAppenders(sandbox, file, 60);
  const worker = sandbox.spawnWorker(["--count", "4"]);
  await assertEachRanOnce(sandbox, file, ids);
  const [registered] = (await sandbox.status()).workers;
  assert.equal(registered?.concurrency, 4);
  await stopWorker(worker);
});

onEveryStore.test("two worker processes with --count 2 on one database run each of 60 jobs exactly once", async () => {
  await using sandbox = await makeSandbox();
  const file = join(sandbox.dir, "ran.txt");
  const ids = await enqueueAppenders(sandbox, file, 60);
  const workers = [
    sandbox.spawnWorker(["--count", "2"]),
    sandbox.spawnWorker(["--count", "2"]),
  ];
  await assertEachRanOnce(sandbox, file, ids);
  assert.equal((await sandbox.status()).workers.length, 2);
  await Promise.all(workers.map(stopWorker));
});

onEveryStore.test("a command that does not exist fails with exit code 127, ends dead, and the worker keeps working", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["config", "set", "backoff_base", "1"]);
  await sandbox.ok(["config", "set", "poll_interval", "0.1"]);
  await enqueue(sandbox, ['{"id":"bad","command":"nonexistent_cmd_xyz","max_retries":1}']);
  const worker = sandbox.spawnWorker();
  const bad = await waitForState(sandbox, "bad", "dead");
  assert.equal(bad.exit_code, 127);
  assert.equal(bad.attempts, 2, "it was retried once");
  assert.deepEqual(runs(bad).map((run) => run.exit_code), [127, 127]);
  assert.match(String(bad.last_error), /127/);

  assert.ok(await processExists(worker.pid), "the worker process is still running");
  const good = await enqueue(sandbox, ["--", "echo", "still alive"]);
  const done = await waitForState(sandbox, good, "completed");
  assert.match(String(runs(done)[0].stdout), /still alive/);
  assert.equal((await sandbox.status()).workers.length, 1);
  await stopWorker(worker);
});

onEveryStore.test("jobs and config survive a worker restart", async () => {
  await using sandbox = await makeSandbox();
  assert.equal(
    (await sandbox.ok(["config", "set", "max-retries", "5"])).trim(),
    "max_retries = 5",
  );
  // "slow" runs until the worker has taken the stop, however long a loaded machine takes to
  // deliver it: a job that merely slept could end first, and its slot would start next1.
  const release = join(sandbox.dir, "release");
  const slowCommand = `while [ ! -e ${q(release)} ]; do sleep 0.05; done; echo slow`;
  await enqueue(sandbox, [JSON.stringify({ id: "slow", command: slowCommand })]);
  await enqueue(sandbox, ['{"id":"next1","command":"echo next1"}']);
  await enqueue(sandbox, ['{"id":"next2","command":"echo next2"}']);
  const first = await startWorker(sandbox, ["--count", "1"]);
  await waitForState(sandbox, "slow", "processing");

  const stopping = sandbox.run(["worker", "stop", "--timeout", "20"]);
  await waitFor(
    "the worker to take the stop",
    () => first.log().includes("Stopping: taking no new jobs"),
    30_000,
  );
  await Deno.writeTextFile(release, "");
  const stop = await stopping;
  assert.equal(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, /stopped/i);
  assert.equal(await first.exited, 0, first.log());

  // The running job finished; the queued ones were not started and are still there.
  assert.equal((await sandbox.info("slow")).state, "completed");
  assert.equal((await sandbox.info("next1")).state, "pending");
  assert.equal((await sandbox.info("next2")).state, "pending");
  const between = await sandbox.status();
  assert.deepEqual(between.workers, []);
  assert.equal(between.jobs.completed, 1);
  assert.equal(between.jobs.pending, 2);
  const late = await enqueue(sandbox, ["--", "echo", "late"]);

  const second = sandbox.spawnWorker(["--count", "2"]);
  for (const id of ["next1", "next2", late]) await waitForState(sandbox, id, "completed");
  assert.equal((await sandbox.ok(["config", "get", "max_retries"])).trim(), "5");
  for (const id of ["next1", "next2", late]) {
    assert.equal(
      (await sandbox.info(id)).max_retries,
      5,
      "new jobs take max_retries from config",
    );
  }
  const slow = await sandbox.info("slow");
  assert.equal(slow.state, "completed");
  assert.equal(runs(slow).length, 1, "the completed job did not run again");
  assert.match(String(runs(slow)[0].stdout), /slow/);
  assert.equal((await sandbox.status()).jobs.completed, 4);
  await stopWorker(second);
});

onEveryStore.test("a detached worker returns at once, shows in status, does the work and stops on worker stop", async () => {
  const sandbox = await makeSandbox();
  let pid: number | undefined;
  try {
    const started = Date.now();
    const detach = await sandbox.run(["worker", "start", "--count", "3", "--detach"]);
    assert.equal(detach.code, 0, detach.stderr);
    assert.ok(Date.now() - started < 10_000, "worker start --detach returns at once");
    const workerId = detach.stdout.trim();
    assert.match(workerId, /^\S+$/);

    const { workers } = await sandbox.status();
    assert.equal(workers.length, 1);
    const [worker] = workers;
    pid = Number(worker.pid);
    assert.equal(worker.id, workerId);
    assert.ok(Number.isInteger(worker.pid) && pid > 0);
    assert.equal(typeof worker.host, "string");
    assert.equal(worker.concurrency, 3);
    assert.match(String(worker.started_at), ISO_UTC);
    assert.match(String(worker.heartbeat_at), ISO_UTC);
    assert.ok(await processExists(pid));

    const ids = [];
    for (let index = 0; index < 5; index++) ids.push(await enqueue(sandbox, ["--", "echo", "x"]));
    for (const id of ids) await waitForState(sandbox, id, "completed");

    const stop = await sandbox.run(["worker", "stop", "--timeout", "20"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /stopped/i);
    assert.deepEqual((await sandbox.status()).workers, []);
    await waitFor("the detached process to exit", async () => !(await processExists(pid!)));
  } finally {
    if (pid !== undefined && await processExists(pid)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    await sandbox.cleanup();
  }
});

onEveryStore.test("status, list and dlq list print the documented JSON shapes, and list --state filters", async () => {
  await using sandbox = await makeSandbox();
  const empty = JSON.parse(await sandbox.ok(["status", "--json"]));
  assert.deepEqual(empty, {
    // The seed's five states, then "canceled" (job options) and "blocked" (workflows).
    jobs: {
      pending: 0,
      processing: 0,
      completed: 0,
      failed: 0,
      dead: 0,
      canceled: 0,
      blocked: 0,
    },
    workers: [],
    paused_queues: [],
    rate_limited_queues: [],
  });

  await enqueue(sandbox, ['{"id":"ok","command":"true"}']);
  await enqueue(sandbox, ['{"id":"dies","command":"exit 2","max_retries":0}']);
  const worker = sandbox.spawnWorker();
  await waitForState(sandbox, "ok", "completed");
  await waitForState(sandbox, "dies", "dead");
  await stopWorker(worker);
  await enqueue(sandbox, ['{"id":"waits","command":"true"}']);

  const status = JSON.parse(await sandbox.ok(["status", "--json"]));
  // paused_queues and rate_limited_queues were added (issue #20); jobs and workers are as they
  // were.
  assert.deepEqual(Object.keys(status).sort(), [
    "jobs",
    "paused_queues",
    "rate_limited_queues",
    "workers",
  ]);
  assert.deepEqual(status.paused_queues, []);
  assert.deepEqual(status.jobs, {
    pending: 1,
    processing: 0,
    completed: 1,
    failed: 0,
    dead: 1,
    canceled: 0,
    blocked: 0,
  });
  assert.deepEqual(Object.keys(status.jobs), [
    "pending",
    "processing",
    "completed",
    "failed",
    "dead",
    "canceled",
    "blocked",
  ]);
  assert.deepEqual(status.workers, []);

  const all = JSON.parse(await sandbox.ok(["list", "--json"])) as Json[];
  assert.ok(Array.isArray(all));
  assert.deepEqual(all.map((job) => job.id), ["ok", "dies", "waits"]);
  all.forEach(assertJobObject);
  assert.deepEqual(all.map((job) => job.state), ["completed", "dead", "pending"]);
  assert.equal(all[0].command, "true");

  const pending = JSON.parse(await sandbox.ok(["list", "--state", "pending", "--json"]));
  assert.deepEqual(pending.map((job: Json) => job.id), ["waits"]);
  const settled = JSON.parse(
    await sandbox.ok(["list", "--state", "completed,dead", "--json"]),
  );
  assert.deepEqual(settled.map((job: Json) => job.id), ["ok", "dies"]);

  const dlq = JSON.parse(await sandbox.ok(["dlq", "list", "--json"])) as Json[];
  assert.ok(Array.isArray(dlq));
  assert.deepEqual(dlq.map((job) => job.id), ["dies"]);
  dlq.forEach(assertJobObject);
  assert.equal(dlq[0].max_retries, 0);
  assert.equal(dlq[0].attempts, 1);
});

onEveryStore.test("enqueue -- COMMAND ARGS passes the arguments through, and generated ids sort by creation time", async () => {
  await using sandbox = await makeSandbox();
  const script = join(sandbox.dir, "script.sh");
  await Deno.writeTextFile(script, '#!/bin/sh\nfor arg in "$@"; do echo "arg=[$arg]"; done\n');
  await Deno.chmod(script, 0o755);
  const scripted = await enqueue(sandbox, ["--", script, "--flag", "two words", "it's"]);

  const ids = [];
  for (let index = 0; index < 3; index++) {
    ids.push(await enqueue(sandbox, ["--", "echo", String(index)]));
  }
  assert.deepEqual([...ids].sort(), ids, "generated ids sort in creation order");
  assert.equal(new Set(ids).size, 3);
  const listed = JSON.parse(await sandbox.ok(["list", "--json"])) as Json[];
  assert.deepEqual(listed.map((job) => job.id), [scripted, ...ids]);
  const created = listed.map((job) => Date.parse(String(job.created_at)));
  assert.deepEqual([...created].sort((a, b) => a - b), created);

  const worker = sandbox.spawnWorker();
  const job = await waitForState(sandbox, scripted, "completed");
  assert.equal(
    runs(job)[0].stdout,
    "arg=[--flag]\narg=[two words]\narg=[it's]\n",
    "each argument reaches the script exactly as given",
  );
  await stopWorker(worker);
});

onEveryStore.test("SIGTERM lets the running job finish, starts no new one, and the worker exits 0", async () => {
  await using sandbox = await makeSandbox();
  const file = join(sandbox.dir, "done.txt");
  // The job runs until the worker has taken the SIGTERM, however long a loaded machine takes to
  // get there: a job that merely slept 2 s ended first in CI's PostgreSQL pass, and its slot
  // rightly started "queued".
  const release = join(sandbox.dir, "release");
  await enqueue(sandbox, [
    JSON.stringify({
      id: "running",
      command: `while [ ! -e ${q(release)} ]; do sleep 0.05; done; echo done >> ${q(file)}`,
    }),
  ]);
  const worker = await startWorker(sandbox, ["--count", "1"]);
  await waitForState(sandbox, "running", "processing");
  await enqueue(sandbox, ['{"id":"queued","command":"echo queued"}']);
  worker.handle.kill("SIGTERM");
  await waitFor(
    "the worker to take the SIGTERM",
    () => worker.log().includes("Stopping: taking no new jobs"),
    30_000,
  );
  await Deno.writeTextFile(release, "");
  assert.equal(await worker.exited, 0, worker.log());

  const running = await sandbox.info("running");
  assert.equal(running.state, "completed");
  assert.equal(running.exit_code, 0);
  assert.equal(await readOrEmpty(file), "done\n");
  const queued = await sandbox.info("queued");
  assert.equal(queued.state, "pending", "no new job starts after SIGTERM");
  assert.equal(queued.attempts, 0);
  assert.deepEqual(runs(queued), []);
  assert.deepEqual((await sandbox.status()).workers, []);
});
