/**
 * Workflows and schedules, end to end through the real CLI on a real SQLite file or PostgreSQL
 * schema (`makeSandbox`): jobs that wait on other jobs (`after`), and are canceled when one of
 * those fails for good; unique keys that keep a second copy of an unfinished job out, even under
 * concurrent enqueues; and cron schedules that running workers turn into jobs, each scheduled time
 * exactly once however many worker processes share the database.
 *
 * Second-by-second schedules use the test hook QUEUECTL_TEST_CRON_SECONDS=1 on `schedule add`.
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
  updateEveryRow,
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
const CRON_SECONDS = { QUEUECTL_TEST_CRON_SECONDS: "1" };

/** Every job, in enqueue order. */
async function listJobs(sandbox: Sandbox, args: string[] = []): Promise<Json[]> {
  return JSON.parse(await sandbox.ok(["list", "--limit", "0", ...args, "--json"])) as Json[];
}

async function listSchedules(sandbox: Sandbox): Promise<Json[]> {
  return JSON.parse(await sandbox.ok(["schedule", "list", "--json"])) as Json[];
}

/** Asserts a refusal: the exit code, nothing on stdout, one "queuectl: …" line on stderr. */
function assertRefused(result: CliResult, code: number, message: RegExp, what: string): void {
  assertExit(result, code, what);
  assert.equal(result.stdout, "", `stdout of ${what}`);
  assert.match(result.stderr, /^queuectl: [^\n]*\n$/, `stderr of ${what} is one line`);
  assert.match(result.stderr, message, `stderr of ${what}`);
}

/** How many times `needle` occurs in `text`. */
function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The scheduled time in a schedule's job id `NAME-YYYYMMDDTHHMMSSZ`, in epoch ms. */
function tickOf(name: string, id: string): number {
  const match = id.match(/^(.+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  assert.ok(match && match[1] === name, `"${id}" is not a job id of schedule "${name}"`);
  const [, , year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The time in `NAME: next run at ISO` that `schedule add` and `schedule resume` print. */
function nextRunPrinted(name: string, stdout: string): number {
  const match = stdout.match(/^(\S+): next run at (\S+)\n$/);
  assert.ok(match, `unexpected output ${JSON.stringify(stdout)}`);
  assert.equal(match[1], name);
  return ms(match[2]);
}

// --- Dependencies ------------------------------------------------------------------------------

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

onEveryStore.test('two worker processes enqueue each second of a "* * * * * *" schedule exactly once', async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const workers = [await startWorker(sandbox), await startWorker(sandbox)];
  const firstTick = nextRunPrinted(
    "tick",
    await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "true"], {
      env: CRON_SECONDS,
    }),
  );
  await waitFor("five scheduled jobs", async () => (await listJobs(sandbox)).length >= 5, 30_000);
  const pauseStart = Date.now();
  await sandbox.ok(["schedule", "pause", "tick"]);
  const pauseEnd = Date.now();
  await waitFor("both workers to be idle", async () => {
    const { jobs, workers } = await sandbox.status();
    return jobs.pending === 0 && jobs.processing === 0 &&
      workers.every((worker) => (worker.jobs as unknown[]).length === 0);
  }, 30_000);

  const jobs = await listJobs(sandbox);
  const ids = jobs.map((job) => String(job.id));
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
  const ticks = ids.map((id) => tickOf("tick", id)).sort((a, b) => a - b);
  assert.equal(new Set(ticks).size, ticks.length, `a second was enqueued twice: ${ids}`);
  assert.equal(ticks[0], firstTick, "the first job is for the first scheduled second");
  for (let index = 1; index < ticks.length; index++) {
    assert.equal(ticks[index] - ticks[index - 1], 1000, `a second was skipped: ${ids}`);
  }
  assert.ok(ticks.at(-1)! <= pauseEnd, "nothing was enqueued for a time after the pause");
  // Every second up to the pause (none skipped, see above), give or take how far the scheduler
  // may lag on a loaded machine: it looks every 0.5 s; allow it 5 s.
  assert.ok(
    ticks.at(-1)! >= pauseStart - 5_000,
    `the last job is for ${pauseStart - ticks.at(-1)!} ms before the pause began: ${ids}`,
  );
  for (const job of jobs) {
    assert.equal(job.state, "completed");
    assert.equal(job.command, "true");
    assert.equal(job.attempts, 1);
  }

  await Promise.all(workers.map(stopWorker));
  const logs = workers.map((worker) => worker.log()).join("\n");
  for (const id of ids) {
    assert.equal(occurrences(logs, `Schedule "tick" enqueued job "${id}"`), 1, id);
    assert.equal(occurrences(logs, `Picked job "${id}"`), 1, id);
    assert.equal(occurrences(logs, `Completed job "${id}"`), 1, id);
  }
  assert.equal(occurrences(logs, `Schedule "tick" enqueued job`), ids.length);
  const [schedule] = await listSchedules(sandbox);
  assert.equal(schedule.paused, true);
  assert.equal(ms(schedule.last_run_at) <= pauseEnd, true);
});

onEveryStore.test("a paused schedule enqueues nothing, and resume starts it again from its next time", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const worker = await startWorker(sandbox);
  await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "true"], {
    env: CRON_SECONDS,
  });
  await waitFor("a first scheduled job", async () => (await listJobs(sandbox)).length >= 1);
  const paused = await sandbox.run(["schedule", "pause", "tick"]);
  assertExit(paused, 0, "schedule pause tick");
  assert.equal(paused.stdout, 'Paused schedule "tick"\n');
  const pauseEnd = Date.now();
  const before = (await listJobs(sandbox)).map((job) => job.id);

  const [listed] = await listSchedules(sandbox);
  assert.equal(listed.paused, true);
  assert.match(await sandbox.ok(["schedule", "list"]), /^tick\s.*\spaused\s/m);

  // Three seconds' worth of ticks pass: nothing is added. (Only time passing can show that
  // nothing happens; three ticks, six looks of each worker's scheduler.)
  const deadline = Date.now() + 3000;
  const outcome = await waitFor("three seconds with the schedule paused", async () => {
    const now = (await listJobs(sandbox)).map((job) => job.id);
    if (now.length !== before.length) return { added: now.slice(before.length) };
    return Date.now() > deadline ? { added: [] } : undefined;
  });
  assert.deepEqual(outcome.added, [], "a paused schedule enqueued jobs");

  const resumeStart = Date.now();
  const nextRun = nextRunPrinted("tick", await sandbox.ok(["schedule", "resume", "tick"]));
  assert.ok(nextRun > resumeStart, "the next run after resume is in the future");
  assert.ok(nextRun <= Date.now() + 1000, "the next run after resume is the next second");
  const added = await waitFor("a job after resume", async () => {
    const jobs = (await listJobs(sandbox)).map((job) => String(job.id));
    return jobs.length > before.length ? jobs.slice(before.length) : undefined;
  });
  assert.equal(tickOf("tick", added[0]), nextRun, "the first run after resume");
  for (const id of (await listJobs(sandbox)).map((job) => String(job.id))) {
    const tick = tickOf("tick", id);
    assert.ok(
      tick <= pauseEnd || tick > resumeStart,
      `${id} is for a second while the schedule was paused`,
    );
  }
  await stopWorker(worker);
});

onEveryStore.test("the jobs a schedule enqueues carry its queue, priority, timeout, retries, directory and environment", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const worker = await startWorker(sandbox, ["--queue", "reports"]);
  await sandbox.ok([
    "schedule",
    "add",
    "report",
    "* * * * * *",
    "--queue",
    "reports",
    "--priority",
    "7",
    "--timeout",
    "30",
    "--max-retries",
    "2",
    "--cwd",
    sandbox.dir,
    "--env",
    "GREETING=hello there",
    "--",
    'echo "$GREETING from $(pwd) as $QUEUECTL_JOB_ID"',
  ], { env: CRON_SECONDS });
  const id = await waitFor("a scheduled job", async () => (await listJobs(sandbox))[0]?.id);
  await sandbox.ok(["schedule", "pause", "report"]);
  const job = await waitForState(sandbox, String(id), "completed");
  assert.deepEqual(
    [job.queue, job.priority, job.timeout, job.max_retries, job.cwd, job.env],
    ["reports", 7, 30, 2, sandbox.dir, { GREETING: "hello there" }],
  );
  const realDir = await Deno.realPath(sandbox.dir);
  assert.equal((job.runs as Json[])[0].stdout, `hello there from ${realDir} as ${id}\n`);
  await stopWorker(worker);
});

onEveryStore.test("a scheduled time whose job id is taken already does not stop the schedule's later runs", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const first = nextRunPrinted(
    "tick",
    await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "true"], {
      env: CRON_SECONDS,
    }),
  );
  // A user's own job happens to have the id of the third run (taken before any worker runs,
  // so before the schedule could fire for it).
  const stamp = (at: number) =>
    new Date(at).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const taken = `tick-${stamp(first + 2000)}`;
  await enqueue(sandbox, ["--id", taken, "--delay", "1h", "--", "true"]);
  const worker = await startWorker(sandbox);
  const later = [`tick-${stamp(first + 3000)}`, `tick-${stamp(first + 4000)}`];
  const outcome = await waitFor("the runs after the taken one", async () => {
    const ids = (await listJobs(sandbox)).map((job) => job.id);
    if (later.every((id) => ids.includes(id))) return { ids };
    // Runs more than a minute late count as missed: give up well before that.
    return Date.now() > first + 40_000 ? { ids } : undefined;
  }, 60_000);
  await sandbox.ok(["schedule", "pause", "tick"]);
  await stopWorker(worker);
  for (const id of later) {
    assert.ok(
      outcome.ids.includes(id),
      `no job ${id} by 40 s after the first run; jobs: ${outcome.ids.join(", ")}\n--- worker log\n${
        worker.log().split("\n").filter((line) => /Schedule|Scheduler/.test(line)).slice(0, 8)
          .join("\n")
      }`,
    );
  }
  assert.equal((await sandbox.info(taken)).command, "true", "the user's job is untouched");
});

onEveryStore.test("schedule list shows each schedule's next run in its zone; remove, unknown names and duplicate names", async () => {
  await using sandbox = await makeSandbox();
  const now = Date.now();
  const fivePrinted = nextRunPrinted(
    "five",
    await sandbox.ok(["schedule", "add", "five", "*/5 * * * *", "--", "echo hi"]),
  );
  const berlinPrinted = nextRunPrinted(
    "berlin",
    await sandbox.ok([
      "schedule",
      "add",
      "berlin",
      "0 9 * * *",
      "--tz",
      "Europe/Berlin",
      "--queue",
      "reports",
      "--priority",
      "3",
      "--max-retries",
      "1",
      "--timeout",
      "60",
      "--env",
      "A=1",
      "--missed",
      "skip",
      "--",
      "./report.sh",
      "two words",
    ]),
  );
  const hourlyPrinted = nextRunPrinted(
    "hourly",
    await sandbox.ok(["schedule", "add", "hourly", "@hourly", "--", "true"]),
  );

  const schedules = await listSchedules(sandbox);
  assert.deepEqual(schedules.map((schedule) => schedule.name), ["berlin", "five", "hourly"]);
  const [berlin, five, hourly] = schedules;

  assert.equal(five.cron, "*/5 * * * *");
  assert.equal(five.timezone, "UTC");
  assert.equal(five.paused, false);
  assert.equal(five.missed, "run-once");
  assert.equal(five.last_run_at, null);
  const fiveNext = ms(five.next_run_at);
  assert.equal(fiveNext, fivePrinted);
  assert.ok(fiveNext > now, "the next run is in the future");
  assert.ok(fiveNext <= now + 5 * 60_000, "and within five minutes");
  assert.equal(fiveNext % (5 * 60_000), 0, "on a multiple of five minutes");

  assert.equal(berlin.timezone, "Europe/Berlin");
  assert.equal(berlin.missed, "skip");
  const berlinNext = ms(berlin.next_run_at);
  assert.equal(berlinNext, berlinPrinted);
  const utc = new Date(berlinNext);
  assert.ok(
    [7, 8].includes(utc.getUTCHours()) && utc.getUTCMinutes() === 0 && utc.getUTCSeconds() === 0,
    `09:00 in Berlin is 08:00Z in winter or 07:00Z in summer, not ${berlin.next_run_at}`,
  );
  const local = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(utc);
  assert.equal(local, "09:00");
  assert.ok(
    berlinNext > now && berlinNext - 25 * 3_600_000 < now,
    "the next 09:00, not a later one",
  );
  assert.deepEqual(berlin.job, {
    command: "./report.sh 'two words'",
    cwd: Deno.cwd(),
    queue: "reports",
    priority: 3,
    timeoutSeconds: 60,
    maxRetries: 1,
    env: { A: "1" },
  });

  const hourlyNext = ms(hourly.next_run_at);
  assert.equal(hourlyNext, hourlyPrinted);
  assert.equal(hourlyNext % 3_600_000, 0);
  assert.ok(hourlyNext > now && hourlyNext <= now + 3_600_000);

  const text = await sandbox.ok(["schedule", "list"]);
  assert.match(text, /^NAME\s+CRON\s+ZONE\s+NEXT RUN\s+LAST RUN\s+COMMAND$/m);
  assert.match(text, /^berlin\s+0 9 \* \* \*\s+Europe\/Berlin\s+\d{4}-\S+Z \(in /m);
  assert.match(text, /^five\s+\*\/5 \* \* \* \*\s+UTC\s+/m);

  // Refusals change nothing.
  const before = await snapshotDatabase(sandbox);
  assertRefused(
    await sandbox.run(["schedule", "add", "five", "0 * * * *", "--", "true"]),
    5,
    /"five"/,
    "schedule add of a name that exists",
  );
  assertRefused(
    await sandbox.run(["schedule", "remove", "nope"]),
    3,
    /"nope"/,
    "schedule remove of an unknown name",
  );
  assert.equal(await snapshotDatabase(sandbox), before);

  for (const name of ["five", "berlin", "hourly"]) {
    assert.equal(await sandbox.ok(["schedule", "remove", name]), `Removed schedule "${name}"\n`);
  }
  assert.deepEqual(await listSchedules(sandbox), []);
  assert.equal(await sandbox.ok(["schedule", "list"]), "No schedules.\n");
  assertRefused(
    await sandbox.run(["schedule", "remove", "five"]),
    3,
    /"five"/,
    "schedule remove of a removed schedule",
  );
});

onEveryStore.test("runs missed while no worker was up run once, for the latest missed time, with --missed run-once, and not at all with skip", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  for (const [name, missed] of [["yearly-once", "run-once"], ["yearly-skip", "skip"]]) {
    await sandbox.ok([
      "schedule",
      "add",
      name,
      "0 0 1 1 *",
      "--missed",
      missed,
      "--",
      "echo ran",
    ]);
  }
  // No worker has been up since New Year 2020: pretend so by moving the next run back (the
  // fast way to have missed runs without waiting more than a minute for one).
  const moved = await updateEveryRow(sandbox, "schedules", { next_run_at: Date.UTC(2020, 0, 1) });
  assert.equal(moved, 2);
  const worker = await startWorker(sandbox);
  await waitFor("both schedules to have moved on", async () => {
    return (await listSchedules(sandbox)).every((schedule) => schedule.last_run_at !== null);
  });
  const year = new Date().getUTCFullYear();
  const nextNewYear = Date.UTC(year + 1, 0, 1);
  for (const schedule of await listSchedules(sandbox)) {
    assert.equal(ms(schedule.next_run_at), nextNewYear, `${schedule.name}'s next run`);
  }
  const job = await waitForState(sandbox, `yearly-once-${year}0101T000000Z`, "completed");
  assert.equal((job.runs as Json[])[0].stdout, "ran\n");
  const ids = (await listJobs(sandbox)).map((job) => job.id);
  assert.deepEqual(ids, [`yearly-once-${year}0101T000000Z`], "one run for all the missed ones");
  await stopWorker(worker);
  assert.match(worker.log(), /Schedule "yearly-skip" skipped runs missed while no worker was up/);
});
