/**
 * Job options, end to end through the real CLI on a real SQLite file or PostgreSQL schema
 * (`makeSandbox`): priorities, delays and run times, named queues with cross-process concurrency
 * limits and workers that serve some queues only, per-job cwd/env/backoff, and the JSON that
 * shows it all (queue list, info).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { makeSandbox, onEveryStore, waitFor } from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  type Json,
  ms,
  q,
  runsOf,
  startWorker,
  stopWorker,
  touchedAt,
  waitForState,
} from "../helpers/jobs.ts";

/** Kills the processes whose pids were written to these files, if they still run. */

onEveryStore.test("a high-priority job enqueued after low ones runs first; equal priorities run in enqueue order", async () => {
  await using sandbox = await makeSandbox();
  const order = join(sandbox.dir, "order");
  const appender = (name: string) => `echo ${name} >> ${q(order)}`;
  await enqueue(sandbox, ["--id", "negative", "--priority", "-5", "--", appender("negative")]);
  await enqueue(sandbox, ["--id", "low1", "--", appender("low1")]);
  await enqueue(sandbox, ["--id", "low2", "--priority", "0", "--", appender("low2")]);
  await enqueue(sandbox, ["--id", "high", "--priority", "10", "--", appender("high")]);
  // Priority counts across queues too, for a worker that serves them all.
  await enqueue(sandbox, [
    "--id",
    "other",
    "--queue",
    "other",
    "--priority",
    "5",
    "--",
    appender("other"),
  ]);
  assert.equal((await sandbox.info("high")).priority, 10);
  assert.equal((await sandbox.info("negative")).priority, -5);
  assert.equal((await sandbox.info("low1")).priority, 0);

  const worker = await startWorker(sandbox, ["--count", "1"]);
  await waitFor("all five jobs to complete", async () => {
    return (await sandbox.status()).jobs.completed === 5;
  }, 30_000);
  assert.equal(await Deno.readTextFile(order), "high\nother\nlow1\nlow2\nnegative\n");
  await stopWorker(worker);
});

onEveryStore.test("a job enqueued with --delay 2s does not start before it is due, and starts soon after", async () => {
  await using sandbox = await makeSandbox();
  // The worker runs with the default poll_interval (1 s) and is idle when the job arrives.
  const worker = await startWorker(sandbox);
  const id = await enqueue(sandbox, ["--delay", "2s", "--", "true"]);
  const pending = await sandbox.info(id);
  assert.equal(pending.state, "pending");
  const created = ms(pending.created_at);
  assert.equal(ms(pending.run_at) - created, 2000, "run_at is created_at + 2 s");
  assert.equal(pending.next_run_at, pending.run_at);

  const job = await waitForState(sandbox, id, "completed");
  const started = ms(job.started_at);
  assert.ok(
    started >= created + 2000,
    `started ${started - created} ms after enqueue, before its delay of 2000 ms`,
  );
  // An idle worker sleeps until the next job is due, never longer than poll_interval (1 s):
  // "soon" is within that, plus 3 s for a loaded machine to wake the worker and claim.
  assert.ok(
    started - (created + 2000) <= 1000 + 3000,
    `started ${started - created - 2000} ms after it was due; expected within 4 s`,
  );
  assert.equal(job.attempts, 1);
  await stopWorker(worker);

  // The other ways to say it: seconds as a JSON number, a duration string, a bare number.
  const delayOf = async (args: string[]) => {
    const queued = await sandbox.info(await enqueue(sandbox, args));
    return ms(queued.run_at) - ms(queued.created_at);
  };
  assert.equal(await delayOf([JSON.stringify({ command: "true", delay: 90 })]), 90_000);
  assert.equal(await delayOf([JSON.stringify({ command: "true", delay: 1.5 })]), 1500);
  assert.equal(await delayOf([JSON.stringify({ command: "true", delay: "5m" })]), 300_000);
  assert.equal(await delayOf(["--delay", "45", "--", "true"]), 45_000);
  assert.equal(await delayOf(["--delay", "1h30m", "--", "true"]), 5_400_000);
});

onEveryStore.test("a job with --run-at in the past runs at once, future ones wait, and list --sort next-run orders by run time", async () => {
  await using sandbox = await makeSandbox();
  const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
  await enqueue(sandbox, ["--id", "later", "--run-at", inAnHour, "--", "true"]);
  await enqueue(sandbox, ["--id", "soon", "--delay", "30m", "--", "true"]);
  await enqueue(sandbox, ["--id", "past", "--run-at", "2020-01-01T00:00:00Z", "--", "true"]);
  await enqueue(sandbox, ["--id", "now", "--", "true"]);

  const byCreation = JSON.parse(await sandbox.ok(["list", "--json"])) as Json[];
  assert.deepEqual(byCreation.map((job) => job.id), ["later", "soon", "past", "now"]);
  const byRun = JSON.parse(await sandbox.ok(["list", "--sort", "next-run", "--json"])) as Json[];
  assert.deepEqual(byRun.map((job) => job.id), ["past", "now", "soon", "later"]);
  const explicit = JSON.parse(await sandbox.ok(["list", "--sort", "created", "--json"]));
  assert.deepEqual(explicit.map((job: Json) => job.id), ["later", "soon", "past", "now"]);
  assert.equal(byRun[0].run_at, "2020-01-01T00:00:00.000Z");
  assert.equal(byRun[3].run_at, inAnHour);

  const worker = await startWorker(sandbox);
  const ready = Date.now();
  const past = await waitForState(sandbox, "past", "completed");
  // "At once": on the worker's first look, which follows the start of its threads (seconds on
  // a loaded machine), not at a run time of its own; the jobs it is set against wait 30 min.
  assert.ok(
    ms(past.started_at) - ready < 10_000,
    `the overdue job started ${ms(past.started_at) - ready} ms after the worker was ready`,
  );
  await waitForState(sandbox, "now", "completed");
  for (const id of ["later", "soon"]) {
    const job = await sandbox.info(id);
    assert.equal(job.state, "pending", `${id} is not due yet`);
    assert.equal(job.attempts, 0);
    assert.deepEqual(runsOf(job), []);
  }
  await stopWorker(worker);
});

onEveryStore.test("list filters by queue, creation time and limit", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "a1", "--queue", "alpha", "--", "true"]);
  await enqueue(sandbox, ["--id", "b1", "--queue", "beta", "--", "true"]);
  const b1 = await sandbox.info("b1");
  const since = new Date(ms(b1.created_at) + 1).toISOString();
  await waitFor("the clock to pass b1's creation", () => Date.now() > ms(b1.created_at) + 1);
  await enqueue(sandbox, ["--id", "a2", "--queue", "alpha", "--", "true"]);
  await enqueue(sandbox, ["--id", "d1", "--", "true"]);

  const ids = async (args: string[]) =>
    (JSON.parse(await sandbox.ok(["list", ...args, "--json"])) as Json[]).map((job) => job.id);
  assert.deepEqual(await ids([]), ["a1", "b1", "a2", "d1"]);
  assert.deepEqual(await ids(["--queue", "alpha"]), ["a1", "a2"]);
  assert.deepEqual(await ids(["--queue", "alpha,default"]), ["a1", "a2", "d1"]);
  assert.deepEqual(await ids(["--queue", "nosuch"]), []);
  assert.deepEqual(await ids(["--since", since]), ["a2", "d1"]);
  assert.deepEqual(await ids(["--since", "1h"]), ["a1", "b1", "a2", "d1"]);
  assert.deepEqual(await ids(["--limit", "2"]), ["a1", "b1"]);
  assert.deepEqual(await ids(["--queue", "alpha", "--since", since]), ["a2"]);
  assert.equal((await sandbox.info("d1")).queue, "default");
});

// --- Queues ------------------------------------------------------------------------------------

interface Interval {
  start: number;
  end: number;
}

/** A command that writes `NAME.start` before `work` and `NAME.end` after it (see intervalOf). */

function timed(name: string, work: string): string {
  return `: > ${q(`${name}.start`)}; ${work}; : > ${q(`${name}.end`)}`;
}

/** When a `timed` job started and ended, from its two files' mtimes (ms). */

async function intervalOf(name: string): Promise<Interval> {
  return { start: await touchedAt(`${name}.start`), end: await touchedAt(`${name}.end`) };
}

function overlap(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

onEveryStore.test("a queue's concurrency limit of 1 holds across two worker processes with --count 2, while another queue runs alongside", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  assert.equal(
    (await sandbox.ok(["queue", "set-concurrency", "deploy", "1"])).trim(),
    "deploy: at most 1 at once",
  );
  const deployFiles: string[] = [];
  for (let index = 0; index < 6; index++) {
    const file = join(sandbox.dir, `deploy-${index}`);
    deployFiles.push(file);
    await enqueue(sandbox, [
      "--id",
      `deploy-${index}`,
      "--queue",
      "deploy",
      "--",
      timed(file, "sleep 0.3"),
    ]);
  }
  const otherFile = join(sandbox.dir, "other");
  await enqueue(sandbox, [
    "--id",
    "other",
    "--queue",
    "other",
    "--",
    timed(otherFile, "sleep 2"),
  ]);

  const workers = [
    await startWorker(sandbox, ["--count", "2"]),
    await startWorker(sandbox, ["--count", "2"]),
  ];
  await waitFor("all seven jobs to complete", async () => {
    return (await sandbox.status()).jobs.completed === 7;
  }, 40_000);

  // Coarse file times can only make a start and the previous end equal, never reorder them.
  const deploys = await Promise.all(deployFiles.map(intervalOf));
  const sorted = [...deploys].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (let index = 1; index < sorted.length; index++) {
    assert.ok(
      sorted[index].start >= sorted[index - 1].end,
      `two deploy jobs ran at once: one ended at ${sorted[index - 1].end}, the next started ${
        sorted[index].start
      }`,
    );
  }
  const other = await intervalOf(otherFile);
  assert.ok(
    deploys.some((deploy) => overlap(deploy, other)),
    "the job of queue other ran alongside a deploy job",
  );

  const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Json[];
  const deploy = queues.find((queue) => queue.name === "deploy");
  assert.equal(deploy?.concurrency, 1);
  assert.equal((deploy?.jobs as Json).completed, 6);
  await Promise.all(workers.map(stopWorker));
});

onEveryStore.test("worker start --queue a runs the jobs of queue a and leaves queue b pending", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  await enqueue(sandbox, ["--id", "b1", "--queue", "b", "--priority", "100", "--", "true"]);
  await enqueue(sandbox, ["--id", "a1", "--queue", "a", "--", "true"]);
  const worker = await startWorker(sandbox, ["--queue", "a"]);
  await waitForState(sandbox, "a1", "completed");
  // A job of queue a enqueued after b1 runs too; b1 (higher priority, older) still waits.
  await enqueue(sandbox, ["--id", "a2", "--queue", "a", "--", "true"]);
  await waitForState(sandbox, "a2", "completed");
  const b1 = await sandbox.info("b1");
  assert.equal(b1.state, "pending");
  assert.equal(b1.attempts, 0);
  await stopWorker(worker);

  const other = await startWorker(sandbox, ["--queue", "c,b"]);
  await waitForState(sandbox, "b1", "completed");
  await stopWorker(other);
});

// --- Output logs -------------------------------------------------------------------------------

onEveryStore.test("a job runs in its cwd (absolute, or relative to where it was enqueued), else where it was enqueued from", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const absolute = join(sandbox.dir, "absolute");
  const relativeDir = join(sandbox.dir, "relative dir");
  await Deno.mkdir(absolute);
  await Deno.mkdir(relativeDir);
  await enqueue(sandbox, [JSON.stringify({ id: "abs", command: "pwd > out", cwd: absolute })]);
  const rel = relative(Deno.cwd(), relativeDir);
  assert.ok(!rel.startsWith("/"), `a relative path: ${rel}`);
  await enqueue(sandbox, ["--id", "rel", "--cwd", rel, "--", "pwd > out"]);
  await enqueue(sandbox, ["--id", "here", "--", "pwd"]);
  await enqueue(sandbox, [
    JSON.stringify({
      id: "nowhere",
      command: "pwd",
      cwd: join(sandbox.dir, "missing"),
      max_retries: 0,
    }),
  ]);
  assert.equal((await sandbox.info("abs")).cwd, absolute);
  assert.equal((await sandbox.info("rel")).cwd, resolve(Deno.cwd(), rel));
  assert.equal((await sandbox.info("here")).cwd, Deno.cwd());
  const fromFile = await sandbox.run(["enqueue", "--file", "-"], {
    stdin: JSON.stringify({ id: "file-rel", command: "true", cwd: rel }) + "\n",
  });
  assertExit(fromFile, 0, "enqueue --file - with a relative cwd");
  assert.equal((await sandbox.info("file-rel")).cwd, relativeDir, "relative to the enqueuer");

  const worker = await startWorker(sandbox);
  for (const id of ["abs", "rel", "here"]) await waitForState(sandbox, id, "completed");
  assert.equal(
    await Deno.readTextFile(join(absolute, "out")),
    `${await Deno.realPath(absolute)}\n`,
  );
  assert.equal(
    await Deno.readTextFile(join(relativeDir, "out")),
    `${await Deno.realPath(relativeDir)}\n`,
  );
  const here = await sandbox.info("here");
  assert.equal(runsOf(here)[0].stdout, `${await Deno.realPath(Deno.cwd())}\n`);

  const nowhere = await waitForState(sandbox, "nowhere", "dead");
  assert.match(String(nowhere.last_error), /missing/, "the error names the directory");
  await stopWorker(worker);
});

onEveryStore.test("a job's env adds variables to its command's environment", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const show = `printf '%s|%s|%s\\n' "$GREETING" "$MOTTO" "$QUEUECTL_JOB_ID"`;
  await enqueue(sandbox, [
    JSON.stringify({ id: "json-env", command: show, env: { GREETING: "hi", MOTTO: "a = b" } }),
  ]);
  await enqueue(sandbox, [
    "--id",
    "flag-env",
    "--env",
    "GREETING=hello",
    "--env",
    "MOTTO=x=y z",
    "--",
    show,
  ]);
  await enqueue(sandbox, ["--id", "no-env", "--", show]);
  assert.deepEqual((await sandbox.info("flag-env")).env, { GREETING: "hello", MOTTO: "x=y z" });
  assert.equal((await sandbox.info("no-env")).env, null);

  const worker = await startWorker(sandbox);
  const output = async (id: string) =>
    runsOf(await waitForState(sandbox, id, "completed"))[0].stdout;
  assert.equal(await output("json-env"), "hi|a = b|json-env\n");
  assert.equal(await output("flag-env"), "hello|x=y z|flag-env\n");
  assert.equal(await output("no-env"), "||no-env\n");
  await stopWorker(worker);
});

onEveryStore.test("a job's backoff_base sets its own retry delay and leaves the config's alone", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  // Each first attempt waits for the gate, then fails. The worker drains meanwhile, so the jobs
  // then stay failed, their retry times readable however slow the reads, until the next worker.
  const gate = join(sandbox.dir, "gate");
  const failing = `if [ "$QUEUECTL_ATTEMPT" = 1 ]; then ` +
    `until [ -e ${q(gate)} ]; do sleep 0.05; done; fi; exit 1`;
  await enqueue(sandbox, [
    JSON.stringify({ id: "own", command: failing, max_retries: 1, backoff_base: 3 }),
  ]);
  await enqueue(sandbox, [
    "--id",
    "flag",
    "--max-retries",
    "1",
    "--backoff-base",
    "3",
    "--",
    failing,
  ]);
  await enqueue(sandbox, [JSON.stringify({ id: "config", command: failing, max_retries: 1 })]);
  assert.equal((await sandbox.info("own")).backoff_base, 3);
  assert.equal((await sandbox.info("flag")).backoff_base, 3);
  assert.equal((await sandbox.info("config")).backoff_base, null);

  const ids = ["own", "flag", "config"];
  const first = await startWorker(sandbox, ["--count", "3"]);
  for (const id of ids) await waitForState(sandbox, id, "processing");
  first.handle.kill("SIGTERM");
  await waitFor("the worker to drain", () => first.log().includes("Stopping:"));
  await Deno.writeTextFile(gate, "");
  assert.equal(await first.exited, 0, `the draining worker's exit: ${first.log()}`);
  const failed = new Map<string, Json>();
  for (const id of ids) {
    const job = await sandbox.info(id);
    assert.equal(job.state, "failed", id);
    failed.set(id, job);
  }
  const scheduled = (id: string) =>
    ms(failed.get(id)!.next_run_at) - ms(runsOf(failed.get(id)!)[0].finished_at);
  assert.equal(scheduled("own"), 3000, "3 ^ 1 s after the first failure");
  assert.equal(scheduled("flag"), 3000, "3 ^ 1 s after the first failure");
  assert.equal(scheduled("config"), 2000, "the config's 2 ^ 1 s");

  // The retries run when due, not before. (How soon after is the delay test's business.)
  const worker = await startWorker(sandbox, ["--count", "3"]);
  for (const id of ids) {
    const job = await waitForState(sandbox, id, "dead");
    const [, second] = runsOf(job);
    const due = failed.get(id)!.next_run_at;
    assert.ok(
      ms(second.started_at) >= ms(due),
      `${id} was retried at ${second.started_at}, before its retry was due at ${due}`,
    );
  }
  assert.equal((await sandbox.ok(["config", "get", "backoff_base"])).trim(), "2");
  await stopWorker(worker);
});

// --- purge and retention -----------------------------------------------------------------------

onEveryStore.test("queue list --json shows each queue's limit and job counts", async () => {
  await using sandbox = await makeSandbox();
  assert.deepEqual(JSON.parse(await sandbox.ok(["queue", "list", "--json"])), []);
  await sandbox.ok(["queue", "set-concurrency", "deploy", "2"]);
  await sandbox.ok(["queue", "set-concurrency", "idle", "5"]);
  await enqueue(sandbox, ["--id", "d1", "--queue", "deploy", "--", "true"]);
  await enqueue(sandbox, ["--id", "d2", "--queue", "deploy", "--", "true"]);
  await enqueue(sandbox, ["--id", "d3", "--queue", "deploy", "--", "true"]);
  await enqueue(sandbox, ["--id", "x1", "--", "true"]);
  await sandbox.ok(["cancel", "d3"]);

  const counts = (pending: number, canceled = 0) => ({
    pending,
    processing: 0,
    completed: 0,
    failed: 0,
    dead: 0,
    canceled,
    blocked: 0,
  });
  // paused, paused_until, retry_on, no_retry_on, rate, rate_limited_until and
  // group_concurrency were added (issue #20).
  const unset = {
    paused: false,
    paused_until: null,
    retry_on: null,
    no_retry_on: null,
    rate: null,
    rate_limited_until: null,
    group_concurrency: null,
  };
  assert.deepEqual(JSON.parse(await sandbox.ok(["queue", "list", "--json"])), [
    { name: "default", concurrency: null, jobs: counts(1), ...unset },
    { name: "deploy", concurrency: 2, jobs: counts(2, 1), ...unset },
    { name: "idle", concurrency: 5, jobs: counts(0), ...unset },
  ]);
  assert.equal(
    (await sandbox.ok(["queue", "set-concurrency", "deploy", "none"])).trim(),
    "deploy: no limit",
  );
  const after = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Json[];
  assert.equal(after.find((queue) => queue.name === "deploy")?.concurrency, null);
  const text = await sandbox.ok(["queue", "list"]);
  assert.match(text, /^QUEUE\s+LIMIT\s+PENDING/);
  assert.match(text, /\ndeploy\s+-\s+2\s/);
  assert.equal((await sandbox.status()).jobs.canceled, 1);
});

onEveryStore.test("info --json and info show every option a job was enqueued with", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, [
    JSON.stringify({
      id: "full",
      command: "echo hi",
      max_retries: 4,
      timeout: 30,
      priority: -3,
      queue: "deploy",
      run_at: "2030-01-02T03:04:05Z",
      backoff_base: 1.5,
      cwd: "/tmp",
      env: { A: "1", B: "two words" },
      shell: "bash",
      no_retry_on: [2, 64],
      on_finish: "./notify.sh",
      on_finish_when: ["canceled", "dead"],
      group_key: "tenant-1",
    }),
  ]);
  const job = await sandbox.info("full");
  const { created_at: _created, updated_at: _updated, ...rest } = job;
  assert.deepEqual(rest, {
    id: "full",
    command: "echo hi",
    state: "pending",
    attempts: 0,
    max_retries: 4,
    priority: -3,
    queue: "deploy",
    timeout: 30,
    backoff_base: 1.5,
    cwd: "/tmp",
    env: { A: "1", B: "two words" },
    shell: "bash",
    run_at: "2030-01-02T03:04:05.000Z",
    next_run_at: "2030-01-02T03:04:05.000Z",
    started_at: null,
    finished_at: null,
    exit_code: null,
    last_error: null,
    worker_id: null,
    lease_expires_at: null,
    cancel_requested_at: null,
    unique_key: null,
    unique_policy: null,
    debounce_max: null,
    retry_on: null,
    no_retry_on: [2, 64],
    on_finish: "./notify.sh",
    on_finish_when: ["dead", "canceled"],
    hook_for: null,
    batch: null,
    group_key: "tenant-1",
    after: [],
    parents: [],
    children: [],
    runs: [],
  });

  const text = await sandbox.ok(["info", "full"]);
  for (
    const line of [
      /^queue\s+deploy$/m,
      /^priority\s+-3$/m,
      /^group key\s+tenant-1$/m,
      /^timeout\s+30 s$/m,
      /^backoff base\s+1\.5$/m,
      /^directory\s+\/tmp$/m,
      /^environment\s+A=1 B=two words$/m,
      /^shell\s+bash$/m,
      /^retry on\s+- \(the queue's\)$/m,
      /^no retry on\s+2, 64$/m,
      /^on finish\s+\.\/notify\.sh \(on dead, canceled\)$/m,
      /^next run\s+2030-01-02T03:04:05\.000Z/m,
    ]
  ) {
    assert.match(text, line);
  }

  // Flags win over the same fields in the JSON.
  await enqueue(sandbox, [
    "--priority",
    "9",
    "--queue",
    "fast",
    JSON.stringify({ id: "mixed", command: "true", priority: 1, queue: "slow" }),
  ]);
  const mixed = await sandbox.info("mixed");
  assert.deepEqual([mixed.priority, mixed.queue], [9, "fast"]);
});
