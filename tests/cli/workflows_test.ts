/**
 * Workflows, end to end through the real CLI on a real SQLite file or PostgreSQL schema
 * (`makeSandbox`): jobs that wait on other jobs (`after`), and are canceled when one of those
 * fails for good; unique keys that keep a second copy of an unfinished job out, even under
 * concurrent enqueues.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CliResult,
  makeSandbox,
  onEveryStore,
  readOrEmpty,
  type Sandbox,
  snapshotDatabase,
  waitFor,
} from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  ISO_UTC,
  type Json,
  ms,
  q,
  type RunningWorker,
  startWorker,
  stopWorker,
  touchedAt,
  waitForState,
} from "../helpers/jobs.ts";

/** The environment that lets `schedule add` accept a seconds field (a test hook). */

/** Every job, in enqueue order. */

async function listJobs(sandbox: Sandbox, args: string[] = []): Promise<Json[]> {
  return JSON.parse(await sandbox.ok(["list", "--limit", "0", ...args, "--json"])) as Json[];
}

/** Asserts a refusal: the exit code, nothing on stdout, one "queuectl: …" line on stderr. */

function assertRefused(result: CliResult, code: number, message: RegExp, what: string): void {
  assertExit(result, code, what);
  assert.equal(result.stdout, "", `stdout of ${what}`);
  assert.match(result.stderr, /^queuectl: [^\n]*\n$/, `stderr of ${what} is one line`);
  assert.match(result.stderr, message, `stderr of ${what}`);
}

/** How many times `needle` occurs in `text`. */

/** The scheduled time in a schedule's job id `NAME-YYYYMMDDTHHMMSSZ`, in epoch ms. */

/** The time in `NAME: next run at ISO` that `schedule add` and `schedule resume` print. */

/**
 * Lets the job `id`'s first attempt, which waits for the file `gate`, end while `worker` drains:
 * the worker records the attempt's end and exits without taking another job, so a failed job
 * stays failed (waiting to retry) for as long as the test looks, whatever its backoff.
 */

async function endFirstAttemptAndDrain(
  sandbox: Sandbox,
  worker: RunningWorker,
  id: string,
  gate: string,
): Promise<void> {
  await waitForState(sandbox, id, "processing");
  worker.handle.kill("SIGTERM");
  await waitFor("the worker to drain", () => worker.log().includes("Stopping:"));
  await Deno.writeTextFile(gate, "");
  assert.equal(await worker.exited, 0, `the draining worker's exit: ${worker.log()}`);
}

/** A command whose first attempt waits for the file `gate`, then runs `first`; later ones `later`. */

function gatedFirstAttempt(gate: string, first: string, later: string): string {
  const wait = `until [ -e ${q(gate)} ]; do sleep 0.05; done`;
  return `if [ "$QUEUECTL_ATTEMPT" = 1 ]; then ${wait}; ${first}; else ${later}; fi`;
}

onEveryStore.test("a job with --after p1,p2 stays blocked while a parent runs and starts only after both parents completed", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const file = (name: string) => join(sandbox.dir, name);
  // p1 also waits for a gate file before its second of sleep, so the test can look at c while
  // p1 surely runs, however slow this machine is today.
  const gate = file("gate");
  await enqueue(sandbox, [
    "--id",
    "p1",
    "--",
    `until [ -e ${q(gate)} ]; do sleep 0.05; done; sleep 1; : > ${q(file("p1"))}`,
  ]);
  // Each job writes its file last (the parents) or first (the child): the files' times say
  // when the parents ended and the child started.
  await enqueue(sandbox, ["--id", "p2", "--", `sleep 0.3; : > ${q(file("p2"))}`]);
  await enqueue(sandbox, ["--id", "c", "--after", "p1,p2", "--", `: > ${q(file("c"))}`]);
  assert.equal((await sandbox.info("c")).state, "blocked");

  // Throughout, in every snapshot of the jobs: c is blocked unless both parents completed.
  let watch = true;
  let watchError: unknown;
  const watching = (async () => {
    let samples = 0;
    while (watch) {
      const states = Object.fromEntries(
        (await listJobs(sandbox)).map((job) => [job.id, job.state]),
      );
      if (states.p1 !== "completed" || states.p2 !== "completed") {
        assert.equal(states.c, "blocked", `c was ${states.c} while ${JSON.stringify(states)}`);
      }
      samples++;
    }
    return samples;
  })().catch((error) => {
    watchError = error;
    return 0;
  });
  let samples = 0;
  try {
    const worker = await startWorker(sandbox, ["--count", "3"]);
    await waitForState(sandbox, "p2", "completed");
    await waitForState(sandbox, "p1", "processing");
    // Read c after p1: p1 was processing at that earlier read and is still running now (it
    // waits for the gate), so it was processing at c's read too.
    const child = await sandbox.info("c");
    assert.equal(child.state, "blocked", "c waits while p1 runs, though p2 completed");
    assert.deepEqual(child.parents, [
      { id: "p1", state: "processing" },
      { id: "p2", state: "completed" },
    ]);
    assert.match(await sandbox.ok(["list", "--state", "blocked"]), /^c\s+blocked\s.*after p1 /m);
    await Deno.writeTextFile(gate, "");

    const done = await waitForState(sandbox, "c", "completed");
    const [p1End, p2End, cStart] = await Promise.all(["p1", "p2", "c"].map(file).map(touchedAt));
    assert.ok(cStart >= p1End, `c started at ${cStart}, before p1 ended at ${p1End}`);
    assert.ok(cStart >= p2End, `c started at ${cStart}, before p2 ended at ${p2End}`);
    for (const id of ["p1", "p2"]) {
      const parent = await sandbox.info(id);
      assert.ok(
        ms(done.started_at) >= ms(parent.finished_at),
        `c started (${done.started_at}) before ${id} finished (${parent.finished_at})`,
      );
    }
    assert.deepEqual(done.parents, [
      { id: "p1", state: "completed" },
      { id: "p2", state: "completed" },
    ]);
    assert.equal(done.attempts, 1);
    await stopWorker(worker);
  } finally {
    watch = false;
    samples = await watching;
  }
  if (watchError) throw watchError;
  assert.ok(samples > 0, "the job states were sampled while the jobs ran");
});

onEveryStore.test("a parent that ends dead cancels its child and grandchild, which never run, and last_error names the parent", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const ran = join(sandbox.dir, "ran");
  await enqueue(sandbox, ["--id", "parent", "--max-retries", "0", "--", "exit 1"]);
  await enqueue(sandbox, ["--id", "child", "--after", "parent", "--", `echo child >> ${q(ran)}`]);
  await enqueue(sandbox, [
    JSON.stringify({ id: "grandchild", command: `echo grandchild >> ${q(ran)}`, after: "child" }),
  ]);
  // A job that does not depend on the parent is left alone.
  await enqueue(sandbox, ["--id", "bystander", "--", "true"]);
  assert.equal((await sandbox.status()).jobs.blocked, 2);

  const worker = await startWorker(sandbox);
  await waitForState(sandbox, "parent", "dead");
  for (const id of ["child", "grandchild"]) {
    const job = await waitForState(sandbox, id, "canceled", 10_000);
    assert.match(String(job.last_error), /job "parent"/, `${id}'s last_error names the parent`);
    assert.match(String(job.last_error), /dead/, `${id}'s last_error says how the parent ended`);
    assert.deepEqual(job.runs, [], `${id} never ran`);
    assert.equal(job.attempts, 0);
    assert.equal(job.started_at, null);
    assert.match(String(job.finished_at), ISO_UTC);
  }
  await waitForState(sandbox, "bystander", "completed");
  assert.equal(await readOrEmpty(ran), "", "neither the child nor the grandchild ran");
  const { jobs } = await sandbox.status();
  assert.deepEqual([jobs.blocked, jobs.canceled, jobs.dead], [0, 2, 1]);
  // Text info shows it too.
  assert.match(
    await sandbox.ok(["info", "grandchild"]),
    /^last error\s+.*job "parent".*dead$/m,
  );
  await stopWorker(worker);
});

onEveryStore.test("a child stays blocked while its parent waits to retry, and runs once the retry succeeds", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const gate = join(sandbox.dir, "gate");
  await enqueue(sandbox, [
    JSON.stringify({
      id: "flaky",
      command: gatedFirstAttempt(gate, "exit 1", "true"),
      max_retries: 2,
      backoff_base: 2,
    }),
  ]);
  await enqueue(sandbox, ["--id", "child", "--after", "flaky", "--", "echo child ran"]);
  await endFirstAttemptAndDrain(sandbox, await startWorker(sandbox), "flaky", gate);
  const failed = await sandbox.info("flaky");
  assert.deepEqual([failed.state, failed.attempts], ["failed", 1]);
  const child = await sandbox.info("child");
  assert.equal(child.state, "blocked", "a failed parent may still complete: the child waits");
  assert.deepEqual(child.parents, [{ id: "flaky", state: "failed" }]);
  assert.match(
    await sandbox.ok(["list", "--state", "blocked"]),
    /^child\s+blocked\s.*after flaky/m,
  );

  const worker = await startWorker(sandbox);
  const done = await waitForState(sandbox, "child", "completed");
  assert.equal(done.attempts, 1);
  assert.equal((done.runs as Json[])[0].stdout, "child ran\n");
  const parent = await sandbox.info("flaky");
  assert.equal(parent.state, "completed");
  assert.equal(parent.attempts, 2);
  assert.ok(ms(done.started_at) >= ms(parent.finished_at));
  await stopWorker(worker);
});

onEveryStore.test("canceling a parent, waiting or running, cancels the jobs waiting on it and nothing else", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  // A waiting parent (queue idle, which no worker serves) with a child and a grandchild.
  await enqueue(sandbox, ["--id", "waiting", "--queue", "idle", "--", "true"]);
  await enqueue(sandbox, ["--id", "w-child", "--after", "waiting", "--", "true"]);
  await enqueue(sandbox, ["--id", "w-grandchild", "--after", "w-child", "--", "true"]);
  // A second parent, never canceled: a job waiting on both is canceled all the same.
  await enqueue(sandbox, ["--id", "other", "--queue", "idle", "--", "true"]);
  await enqueue(sandbox, ["--id", "both", "--after", "waiting,other", "--", "true"]);
  await enqueue(sandbox, ["--id", "only-other", "--after", "other", "--", "true"]);

  const canceled = await sandbox.run(["cancel", "waiting"]);
  assertExit(canceled, 0, "cancel waiting");
  assert.match(canceled.stdout, /^waiting canceled$/m);
  for (const id of ["w-child", "w-grandchild", "both"]) {
    const job = await sandbox.info(id);
    assert.equal(job.state, "canceled", `${id} waited on the canceled job`);
    assert.match(String(job.last_error), /job "waiting".*canceled/);
    assert.deepEqual(job.runs, []);
  }
  assert.equal((await sandbox.info("other")).state, "pending");
  assert.equal((await sandbox.info("only-other")).state, "blocked");

  // A running parent: its children are canceled once its run is stopped.
  const started = join(sandbox.dir, "started");
  await enqueue(sandbox, ["--id", "running", "--", `touch ${q(started)}; sleep 60`]);
  await enqueue(sandbox, ["--id", "r-child", "--after", "running", "--", "true"]);
  const worker = await startWorker(sandbox, ["--queue", "default"]);
  await waitFor("the running parent to start", async () => {
    await Deno.stat(started);
    return (await sandbox.info("running")).state === "processing";
  });
  assert.equal((await sandbox.info("r-child")).state, "blocked");
  const stopped = await sandbox.run(["cancel", "running"]);
  assertExit(stopped, 0, "cancel running");
  assert.match(stopped.stdout, /^running canceled/m);
  assert.equal((await sandbox.info("running")).state, "canceled");
  const child = await waitForState(sandbox, "r-child", "canceled");
  assert.match(String(child.last_error), /job "running".*canceled/);
  assert.deepEqual(child.runs, []);
  assert.equal((await sandbox.info("only-other")).state, "blocked");
  await stopWorker(worker);
});

onEveryStore.test("a cycle in a --file batch (exit 2) and an unknown parent (exit 3) add nothing; a dead or canceled parent is refused with exit 5", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  await enqueue(sandbox, ["--id", "dead", "--max-retries", "0", "--", "exit 1"]);
  await enqueue(sandbox, ["--id", "dropped", "--delay", "1h", "--", "true"]);
  await sandbox.ok(["cancel", "dropped"]);
  const worker = await startWorker(sandbox);
  await waitForState(sandbox, "dead", "dead");
  await stopWorker(worker);
  await enqueue(sandbox, ["--id", "waiting", "--", "true"]);

  const before = await snapshotDatabase(sandbox);
  const batch = join(sandbox.dir, "cycle.jsonl");
  await Deno.writeTextFile(
    batch,
    [
      { id: "fine", command: "true" },
      { id: "a", command: "true", after: ["c"] },
      { id: "b", command: "true", after: ["a", "fine"] },
      { id: "c", command: "true", after: ["b"] },
    ].map((job) => JSON.stringify(job)).join("\n") + "\n",
  );
  const cycle = await sandbox.run(["enqueue", "--file", batch]);
  assertRefused(cycle, 2, /circle/, "enqueue --file with a cycle");
  for (const id of ["a", "b", "c"]) {
    assert.match(cycle.stderr, new RegExp(`"${id}"`), `the cycle's message names ${id}`);
  }
  assert.doesNotMatch(cycle.stderr, /"fine"/, "a job outside the cycle is not named");

  const unknown = await sandbox.run([
    "enqueue",
    "--id",
    "orphan",
    "--after",
    "waiting,ghost",
    "--",
    "true",
  ]);
  assertRefused(unknown, 3, /"ghost"/, "enqueue --after an unknown job");
  const unknownJson = await sandbox.run([
    "enqueue",
    JSON.stringify({ id: "orphan", command: "true", after: ["ghost"] }),
  ]);
  assertRefused(unknownJson, 3, /"ghost"/, "enqueue with after naming an unknown job");
  const unknownInBatch = join(sandbox.dir, "unknown.jsonl");
  await Deno.writeTextFile(
    unknownInBatch,
    '{"id":"x1","command":"true"}\n{"id":"x2","command":"true","after":["x1","ghost"]}\n',
  );
  assertRefused(
    await sandbox.run(["enqueue", "--file", unknownInBatch]),
    3,
    /"ghost"/,
    "enqueue --file with an unknown parent",
  );

  assertRefused(
    await sandbox.run(["enqueue", "--id", "late", "--after", "dead", "--", "true"]),
    5,
    /"dead".*dead/,
    "enqueue --after a dead job",
  );
  assertRefused(
    await sandbox.run(["enqueue", "--id", "late", "--after", "waiting,dropped", "--", "true"]),
    5,
    /"dropped".*canceled/,
    "enqueue --after a canceled job",
  );
  assert.equal(await snapshotDatabase(sandbox), before, "the refused enqueues changed nothing");
});

onEveryStore.test("info shows a job's parents and children, list --state blocked shows what it still waits on, status --json counts blocked jobs", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  await enqueue(sandbox, ["--id", "p1", "--queue", "slow", "--", "true"]);
  await enqueue(sandbox, ["--id", "p2", "--queue", "fast", "--", "true"]);
  await enqueue(sandbox, ["--id", "c", "--after", "p1,p2", "--", "true"]);
  await enqueue(sandbox, ["--id", "g", "--after", "c", "--", "true"]);

  const c = await sandbox.info("c");
  assert.equal(c.state, "blocked");
  assert.deepEqual(c.after, ["p1", "p2"]);
  assert.deepEqual(c.parents, [{ id: "p1", state: "pending" }, { id: "p2", state: "pending" }]);
  assert.deepEqual(c.children, [{ id: "g", state: "blocked" }]);
  assert.equal(c.next_run_at, null, "a blocked job has no next run time");
  const p1 = await sandbox.info("p1");
  assert.deepEqual([p1.after, p1.parents, p1.children], [[], [], [{
    id: "c",
    state: "blocked",
  }]]);
  const g = await sandbox.info("g");
  assert.deepEqual([g.after, g.children], [["c"], []]);

  const text = await sandbox.ok(["info", "c"]);
  assert.match(text, /^state\s+blocked$/m);
  assert.match(text, /^after\s+p1 \(pending\), p2 \(pending\)$/m);
  assert.match(text, /^children\s+g \(blocked\)$/m);
  assert.match(await sandbox.ok(["info", "p1"]), /^after\s+-$/m);

  const blockedRows = async () => {
    const listed = await sandbox.ok(["list", "--state", "blocked"]);
    const [header, ...rows] = listed.trimEnd().split("\n");
    assert.match(header, /^ID\s+STATE\s+.*NEXT RUN/);
    return rows.map((row) => row.replace(/\s+/g, " "));
  };
  let rows = await blockedRows();
  assert.equal(rows.length, 2, rows.join("\n"));
  assert.match(rows[0], /^c blocked .* after p1,p2 /);
  assert.match(rows[1], /^g blocked .* after c /);
  assert.deepEqual((await listJobs(sandbox, ["--state", "blocked"])).map((job) => job.id), [
    "c",
    "g",
  ]);
  let { jobs } = await sandbox.status();
  assert.deepEqual([jobs.blocked, jobs.pending], [2, 2]);
  assert.match(await sandbox.ok(["status"]), /blocked/);

  // Once p2 completed, c waits on p1 only.
  const worker = await startWorker(sandbox, ["--queue", "fast"]);
  await waitForState(sandbox, "p2", "completed");
  await stopWorker(worker);
  rows = await blockedRows();
  assert.match(rows[0], /^c blocked .* after p1 /);
  assert.match(await sandbox.ok(["info", "c"]), /^after\s+p1 \(pending\), p2 \(completed\)$/m);

  // And once p1 completed too, c runs, then g.
  const all = await startWorker(sandbox);
  await waitForState(sandbox, "g", "completed");
  await stopWorker(all);
  ({ jobs } = await sandbox.status());
  assert.deepEqual([jobs.blocked, jobs.completed], [0, 4]);
  assert.equal(await sandbox.ok(["list", "--state", "blocked"]), "No jobs.\n");
});

// --- Unique keys -------------------------------------------------------------------------------

onEveryStore.test("four concurrent enqueues with one unique key add one job and all print its id; a finished holder frees the key", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const results = await Promise.all(
    Array.from(
      { length: 4 },
      () => sandbox.run(["enqueue", "--unique", "deploy-main", "--", "sleep 5"]),
    ),
  );
  results.forEach((result, index) => assertExit(result, 0, `concurrent enqueue ${index + 1}`));
  const jobs = await listJobs(sandbox);
  assert.equal(jobs.length, 1, `exactly one job: ${JSON.stringify(jobs)}`);
  const [holder] = jobs;
  assert.equal(holder.unique_key, "deploy-main");
  for (const result of results) assert.equal(result.stdout, `${holder.id}\n`);
  const notAdded = results.filter((result) => result.stderr !== "");
  assert.equal(notAdded.length, 3, "three of the four were told the key is held");
  for (const result of notAdded) {
    assert.equal(
      result.stderr,
      `Job "${holder.id}" (pending) holds unique key "deploy-main": not added again\n`,
    );
  }

  // Canceled: the key is free again.
  await sandbox.ok(["cancel", String(holder.id)]);
  const second = await sandbox.run([
    "enqueue",
    JSON.stringify({ command: "true", unique_key: "deploy-main" }),
  ]);
  assertExit(second, 0, "enqueue after the holder was canceled");
  assert.equal(second.stderr, "");
  const secondId = second.stdout.trim();
  assert.notEqual(secondId, holder.id);
  assert.equal((await sandbox.info(secondId)).state, "pending");
  // Held again, by the new job.
  const again = await sandbox.run(["enqueue", "--unique", "deploy-main", "--", "true"]);
  assertExit(again, 0, "enqueue while the new holder waits");
  assert.equal(again.stdout, `${secondId}\n`);
  assert.match(again.stderr, /holds unique key "deploy-main": not added again/);

  // Completed: free again.
  const worker = await startWorker(sandbox);
  await waitForState(sandbox, secondId, "completed");
  await stopWorker(worker);
  const third = await sandbox.run(["enqueue", "--unique", "deploy-main", "--", "true"]);
  assertExit(third, 0, "enqueue after the holder completed");
  assert.equal(third.stderr, "");
  assert.ok(![holder.id, secondId].includes(third.stdout.trim()), "a third job was added");
  const keyed = (await listJobs(sandbox)).filter((job) => job.unique_key === "deploy-main");
  assert.deepEqual(keyed.map((job) => job.state), ["canceled", "completed", "pending"]);
});

onEveryStore.test("a unique key is held by blocked, processing and failed jobs, and freed once the holder is dead", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const gate = join(sandbox.dir, "gate");
  const held = async (key: string, holder: string, state: string) => {
    const result = await sandbox.run(["enqueue", "--unique", key, "--", "true"]);
    assertExit(result, 0, `enqueue --unique ${key}`);
    assert.equal(result.stdout, `${holder}\n`, `${holder} (${state}) holds ${key}`);
    assert.equal(
      result.stderr,
      `Job "${holder}" (${state}) holds unique key ${JSON.stringify(key)}: not added again\n`,
    );
  };

  await enqueue(sandbox, ["--id", "parent", "--delay", "1h", "--", "true"]);
  await enqueue(sandbox, ["--id", "waiter", "--after", "parent", "--unique", "w", "--", "true"]);
  await held("w", "waiter", "blocked");

  await enqueue(sandbox, [
    "--id",
    "runner",
    "--unique",
    "r",
    "--",
    `until [ -e ${q(gate)} ]; do sleep 0.05; done`,
  ]);
  const flakyGate = join(sandbox.dir, "flaky-gate");
  await enqueue(sandbox, [
    JSON.stringify({
      id: "flaky",
      command: gatedFirstAttempt(flakyGate, "exit 1", "exit 1"),
      unique_key: "f",
      max_retries: 1,
      backoff_base: 3,
    }),
  ]);
  const worker = await startWorker(sandbox, ["--count", "2"]);
  await waitForState(sandbox, "runner", "processing");
  await held("r", "runner", "processing");
  await Deno.writeTextFile(gate, "");
  await waitForState(sandbox, "runner", "completed");

  // Its first attempt fails while the worker drains: nothing retries it until the next worker
  // starts, so it is failed throughout the enqueue below.
  await endFirstAttemptAndDrain(sandbox, worker, "flaky", flakyGate);
  assert.equal((await sandbox.info("flaky")).state, "failed");
  await held("f", "flaky", "failed");
  const retrying = await startWorker(sandbox);
  await waitForState(sandbox, "flaky", "dead");
  const fresh = await enqueue(sandbox, ["--unique", "f", "--delay", "1h", "--", "true"]);
  assert.notEqual(fresh, "flaky", "a dead job frees its key");
  await stopWorker(retrying);
});

// --- Cron schedules ----------------------------------------------------------------------------
