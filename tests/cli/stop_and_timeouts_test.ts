/**
 * Time limits and stops, end to end through the real CLI on both stores: a run over its timeout
 * is killed with its whole process group; job_timeout and a job's own timeout 0; `worker stop`
 * drains, `--now` and a second SIGTERM stop at once and put the job back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import {
  makeSandbox,
  onEveryStore,
  processExists,
  readOrEmpty,
  type Sandbox,
  TEST_STORE,
  waitFor,
} from "../helpers/cli.ts";
import { type HeldLock, holdTableLock, lockWaits, TEST_POSTGRES_URL } from "../helpers/postgres.ts";
import { configure, enqueue, q, runsOf } from "../helpers/jobs.ts";
import {
  exitOf,
  Leftovers,
  type LoggedWorker,
  outcomes,
  pidsIn,
  startWorker,
  waitForProcessGroup,
  waitForState,
  waitUntilGroupGone,
} from "../helpers/crash.ts";

onEveryStore.test("a run over its timeout is killed with its whole process group and, with no retries left, the job is dead", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    await configure(sandbox, { kill_grace: "1" });
    const childPid = join(sandbox.dir, "child.pid");
    const shellPid = join(sandbox.dir, "shell.pid");
    const id = await enqueue(sandbox, [
      JSON.stringify({
        id: "slow",
        command: `echo $$ > ${q(shellPid)}; sleep 300 & echo $! > ${q(childPid)}; sleep 300`,
        timeout: 1,
        max_retries: 0,
      }),
    ]);
    const startedAt = Date.now();
    startWorker(sandbox, leftovers);
    // The job's shell leads its process group. (Read from the files it writes, not the stored
    // job: that shows the group only for the second the run lasts.)
    const [pgid, child] = await waitFor("the job to write its pids", async () => {
      const [shell] = await pidsIn(shellPid);
      const [background] = await pidsIn(childPid);
      return shell > 0 && background > 0 ? [shell, background] : undefined;
    });
    leftovers.groups.add(pgid);
    // The job would run 5 minutes: only its timeout can end it within the deadline.
    const dead = await waitForState(sandbox, id, "dead");
    console.log(`timeout 1 s → job dead after ${Date.now() - startedAt} ms (incl. worker start)`);
    assert.match(String(dead.last_error), /Timed out/);
    assert.equal(dead.exit_code, 143);
    assert.equal(dead.attempts, 1);
    assert.deepEqual(outcomes(dead), ["timeout"]);
    const [run] = runsOf(dead);
    const ranFor = Date.parse(String(run.finished_at)) - Date.parse(String(run.started_at));
    assert.ok(ranFor >= 1000, `the run was stopped after ${ranFor} ms, before its timeout of 1 s`);
    await waitUntilGroupGone(pgid, "the job's process group, its background child too, to be gone");
    assert.equal(await processExists(child), false, "the background child should be killed");
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

onEveryStore.test("the job_timeout config limits jobs without a timeout, and a job's timeout 0 means no limit", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    await configure(sandbox, { job_timeout: "1", kill_grace: "1" });
    // "limited" would run 5 minutes: only the config's limit can end it within the deadline.
    const limitedPid = join(sandbox.dir, "limited.pid");
    const limited = await enqueue(sandbox, [
      JSON.stringify({
        id: "limited",
        command: `echo $$ > ${q(limitedPid)}; sleep 300`,
        max_retries: 0,
      }),
    ]);
    // Longer than the config's limit: with it, "unlimited" would be killed after 1 s.
    const unlimited = await enqueue(sandbox, [
      JSON.stringify({ id: "unlimited", command: "sleep 2", timeout: 0, max_retries: 0 }),
    ]);
    startWorker(sandbox, leftovers, ["--count", "2"]);
    // Its group, to kill if the test fails (from the shell's pid: the stored job shows it only
    // for the second the run lasts).
    leftovers.groups.add(
      (await waitFor("limited's pid", async () => (await pidsIn(limitedPid))[0]))!,
    );
    const dead = await waitForState(sandbox, limited, "dead");
    assert.match(String(dead.last_error), /Timed out after 1 s/);
    assert.equal(dead.exit_code, 143);
    const done = await waitForState(sandbox, unlimited, "completed");
    assert.equal(done.exit_code, 0);
    assert.deepEqual(outcomes(done), ["completed"]);
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

onEveryStore.test("worker stop lets the running job finish, starts no queued job, and both exit 0", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    await configure(sandbox, { kill_grace: "1" });
    const out = join(sandbox.dir, "out");
    // The first job runs until the gate opens: it surely runs while the worker is told to stop.
    const gate = join(sandbox.dir, "gate");
    const wait = `until [ -e ${q(gate)} ]; do sleep 0.05; done`;
    const running = await enqueue(sandbox, [
      "--id",
      "running",
      "--",
      `echo start >> ${q(out)}; ${wait}; echo end >> ${q(out)}`,
    ]);
    const queued = await enqueue(sandbox, ["--id", "queued", "--", `echo queued >> ${q(out)}`]);
    const worker = startWorker(sandbox, leftovers, ["--count", "1"]);
    await waitFor("the first job to start", async () => (await readOrEmpty(out)).includes("start"));

    const stopping = sandbox.run(["worker", "stop"]);
    await waitFor("the worker to start draining", () => worker.log().includes("Stopping:"));
    await Deno.writeTextFile(gate, "");
    const stop = await stopping;
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /Stopped 1 worker process/);
    assert.equal(await exitOf(worker), 0, worker.log());

    const done = await sandbox.info(running);
    assert.equal(done.state, "completed");
    assert.equal(done.attempts, 1);
    assert.equal(await readOrEmpty(out), "start\nend\n");
    const waiting = await sandbox.info(queued);
    assert.equal(waiting.state, "pending");
    assert.equal(waiting.attempts, 0);
    assert.deepEqual(runsOf(waiting), []);
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

/**
 * Starts a worker running a `sleep 300` job (only a kill ends it within a test); returns the
 * worker and the job's process group.
 */
async function workerWithLongJob(
  sandbox: Sandbox,
  leftovers: Leftovers,
): Promise<{ worker: LoggedWorker; id: string; pgid: number }> {
  await configure(sandbox, { kill_grace: "1" });
  const id = await enqueue(sandbox, ["--id", "long", "--", "sleep 300"]);
  const worker = startWorker(sandbox, leftovers);
  const pgid = await waitForProcessGroup(sandbox, id);
  leftovers.groups.add(pgid);
  return { worker, id, pgid };
}

/** Checks the job went back to the queue as if never claimed, its process group killed. */
async function assertReleased(sandbox: Sandbox, id: string, pgid: number): Promise<void> {
  const job = await sandbox.info(id);
  assert.equal(job.state, "pending");
  assert.equal(job.attempts, 0);
  assert.equal(job.worker_id, null);
  // Interrupted: a run stopped by a shutdown, told apart from a failure and from a claim that
  // was given back without running (released).
  assert.deepEqual(outcomes(job), ["interrupted"]);
  await waitUntilGroupGone(pgid, "the job's process group to be gone");
}

onEveryStore.test("worker stop --now kills the running job's process group and puts it back without using an attempt", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    const { worker, id, pgid } = await workerWithLongJob(sandbox, leftovers);
    const stoppingAt = Date.now();
    // Exit 0 means the worker was gone within the 30 s given: far less than the 300 s its job
    // would have run if it were let finish, and far more than a loaded machine needs to start
    // the CLI, kill the job (kill_grace 1 s) and put it back.
    const stop = await sandbox.run(["worker", "stop", "--now", "--timeout", "30"]);
    assert.equal(stop.code, 0, `worker stop --now exited ${stop.code}: ${stop.stderr}`);
    assert.equal(await exitOf(worker), 0, worker.log());
    console.log(`worker stop --now → worker exited after ${Date.now() - stoppingAt} ms`);
    await assertReleased(sandbox, id, pgid);
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

onEveryStore.test("a second SIGTERM to a draining worker stops it at once and puts its job back", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    const { worker, id, pgid } = await workerWithLongJob(sandbox, leftovers);
    worker.handle.kill("SIGTERM");
    await waitFor("the worker to start draining", () => worker.log().includes("Stopping:"));
    worker.handle.kill("SIGTERM");
    // Its job would run 300 s: exiting within 30 s means the worker did not wait for it.
    assert.equal(await exitWithin(worker, 30_000), 0, worker.log());
    await assertReleased(sandbox, id, pgid);
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

Deno.test({
  name:
    "a second SIGTERM while the first still asks the store whether to stop at once stops at once",
  // PostgreSQL's LOCK TABLE holds the first signal's look at the store (the process's row) for
  // as long as the test likes.
  ignore: TEST_STORE !== "postgres",
  async fn() {
    const sandbox = await makeSandbox();
    const leftovers = new Leftovers();
    const sql = postgres(TEST_POSTGRES_URL, { max: 2, onnotice: () => {} });
    let lock: HeldLock | undefined;
    try {
      const { worker, id, pgid } = await workerWithLongJob(sandbox, leftovers);
      lock = await holdTableLock(sql, sandbox.schema!, "workers");
      const before = await lockWaits(sql, sandbox.schema!);
      worker.handle.kill("SIGTERM");
      await waitFor(
        "the first signal's look at the store to wait",
        async () => await lockWaits(sql, sandbox.schema!) > before,
      );
      worker.handle.kill("SIGTERM");
      // Before the fix the second signal also waited for the store, and then only drained.
      await waitFor(
        "the second signal to stop at once",
        () => worker.log().includes("Stopping now"),
      );
      await lock.release();
      assert.equal(await exitWithin(worker, 30_000), 0, worker.log());
      await assertReleased(sandbox, id, pgid);
    } finally {
      await lock?.release();
      await sql.end();
      await leftovers.cleanUp(sandbox);
    }
  },
});

/** The worker's exit code, failing unless it exits within `timeoutMs`. */
async function exitWithin(worker: LoggedWorker, timeoutMs: number): Promise<number> {
  let code: number | undefined;
  exitOf(worker).then((exit) => code = exit);
  await waitFor("the worker to exit", () => code !== undefined, timeoutMs);
  return code!;
}

/** 4 concurrent enqueuers × `perEnqueuer` jobs while 2 worker processes × 4 run them. */
