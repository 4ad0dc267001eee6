/**
 * Job options, end to end through the real CLI on a real SQLite file or PostgreSQL schema
 * (`makeSandbox`): priorities, delays and run times, named queues with cross-process concurrency
 * limits and workers that serve some queues only, output logs per attempt (capped, and followed
 * live), wait, cancel, batch enqueue, per-job cwd/env/backoff, purge and retention, and the JSON
 * that shows it all.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import {
  cliEnvironment,
  MAIN,
  makeSandbox,
  onEveryStore,
  processExists,
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
  runsOf,
  startWorker,
  stopWorker,
  touchedAt,
  waitForState,
} from "../helpers/jobs.ts";

/** A CLI call running in the background whose stdout and stderr are read as they come. */
interface Streaming {
  child: Deno.ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Whether it has exited (and its output is all read). */
  done(): boolean;
  finished: Promise<number>;
}

function spawnStreaming(sandbox: Sandbox, args: string[]): Streaming {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: cliEnvironment(sandbox.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const text = { stdout: "", stderr: "" };
  const read = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text[into] += decoder.decode(chunk, { stream: true });
  };
  let done = false;
  const finished = Promise.all([
    child.status,
    read(child.stdout, "stdout").catch(() => {}),
    read(child.stderr, "stderr").catch(() => {}),
  ]).then(([status]) => {
    done = true;
    return status.code;
  });
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    done: () => done,
    finished,
  };
}

/** Kills the processes whose pids were written to these files, if they still run. */
async function killPidsIn(paths: string[]): Promise<void> {
  for (const path of paths) {
    const pid = Number((await readOrEmpty(path)).trim());
    if (pid > 0 && await processExists(pid)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

// --- Priority, delay and run time -----------------------------------------------------------

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

onEveryStore.test("logs prints each attempt's own output: stdout to stdout, stderr to stderr, or one stream with --stdout/--stderr", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const id = await enqueue(sandbox, [
    JSON.stringify({
      id: "flaky",
      command:
        "echo out $QUEUECTL_ATTEMPT; echo err $QUEUECTL_ATTEMPT >&2; [ $QUEUECTL_ATTEMPT -ge 3 ]",
      max_retries: 2,
      backoff_base: 1,
    }),
  ]);
  const none = await sandbox.run(["logs", id]);
  assertExit(none, 0, "logs of a job that has not run");
  assert.equal(none.stdout, "", "a job that has not run has no output");

  const worker = await startWorker(sandbox);
  const job = await waitForState(sandbox, id, "completed");
  assert.deepEqual(runsOf(job).map((run) => run.exit_code), [1, 1, 0]);

  const logs = async (args: string[], stdout: string, stderr: string) => {
    const result = await sandbox.run(["logs", id, ...args]);
    assertExit(result, 0, `logs ${id} ${args.join(" ")}`);
    assert.deepEqual(
      { stdout: result.stdout, stderr: result.stderr },
      { stdout, stderr },
      `logs ${id} ${args.join(" ")}`,
    );
  };
  await logs(["--attempt", "1", "--stdout"], "out 1\n", "");
  await logs(["--attempt", "1", "--stderr"], "err 1\n", "");
  await logs(["--attempt", "1"], "out 1\n", "err 1\n");
  await logs(["--attempt", "2"], "out 2\n", "err 2\n");
  await logs(["--attempt", "3", "--stdout"], "out 3\n", "");
  await logs([], "out 3\n", "err 3\n");
  await logs(["--stderr"], "err 3\n", "");

  const missing = await sandbox.run(["logs", id, "--attempt", "4"]);
  assertExit(missing, 3, "logs of an attempt that did not happen");
  assert.equal(missing.stdout, "");
  assert.match(missing.stderr, /^queuectl: .*4/);
  await stopWorker(worker);
});

onEveryStore.test("each output stream keeps the last output_limit bytes per run, after a line saying how much was cut", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { output_limit: "1024", poll_interval: "0.1" });
  const id = await enqueue(sandbox, [
    "--",
    "seq -f '%04g' 0 999; seq -f 'e%03g' 0 749 >&2",
  ]);
  const stdout = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, "0")}\n`)
    .join("");
  const stderr = Array.from({ length: 750 }, (_, i) => `e${String(i).padStart(3, "0")}\n`)
    .join("");
  assert.equal(stdout.length, 5000);
  assert.equal(stderr.length, 3750);

  const worker = await startWorker(sandbox);
  const job = await waitForState(sandbox, id, "completed");
  const [run] = runsOf(job);
  assert.equal(run.stdout_bytes, 5000);
  assert.equal(run.stderr_bytes, 3750);

  const keptOut = `[queuectl: 3976 earlier bytes cut]\n${stdout.slice(-1024)}`;
  const keptErr = `[queuectl: 2726 earlier bytes cut]\n${stderr.slice(-1024)}`;
  const only = await sandbox.run(["logs", id, "--stdout"]);
  assertExit(only, 0, "logs --stdout");
  assert.equal(only.stdout, keptOut);
  assert.equal(only.stderr, "");
  const onlyErr = await sandbox.run(["logs", id, "--stderr"]);
  assertExit(onlyErr, 0, "logs --stderr");
  assert.equal(onlyErr.stdout, keptErr);
  const both = await sandbox.run(["logs", id]);
  assertExit(both, 0, "logs");
  assert.equal(both.stdout, keptOut);
  assert.equal(both.stderr, keptErr);
  assert.equal(run.stdout, keptOut, "info --json shows the same kept tail");
  await stopWorker(worker);
});

onEveryStore.test("logs --follow prints lines while the job runs and exits 0 when the run ends, every line once and in order", async () => {
  const sandbox = await makeSandbox();
  let follower: Streaming | undefined;
  try {
    // The job prints in three bursts and waits at two gates between them, so the test knows it
    // is still running whatever it sees in between, however slow this machine is.
    const gate = (n: number) => join(sandbox.dir, `gate${n}`);
    const waitAt = (n: number) => `until [ -e ${q(gate(n))} ]; do sleep 0.05; done`;
    const id = await enqueue(sandbox, [
      "--",
      `echo tick 1; ${waitAt(1)}; for i in 2 3 4 5; do echo tick $i; sleep 0.1; done; ` +
      `${waitAt(2)}; for i in 6 7 8 9 10; do echo tick $i; sleep 0.1; done; echo finished`,
    ]);
    const ticks = (to: number) => Array.from({ length: to }, (_, i) => `tick ${i + 1}\n`).join("");
    // Started while the job is pending: it waits for the run to begin.
    follower = spawnStreaming(sandbox, ["logs", id, "--follow"]);
    const worker = await startWorker(sandbox);
    const f = follower;
    await waitFor('"tick 1" from logs --follow', () => f.stdout().includes("tick 1\n"), 30_000);
    const during = await sandbox.info(id);
    assert.equal(during.state, "processing", "tick 1 was shown while the job still ran");
    assert.equal(f.stdout(), ticks(1), "only what the job has printed so far");
    assert.ok(!f.done(), "logs --follow is still running while the job runs");
    // Without --follow, logs of a running job prints what it has printed so far.
    const sofar = await sandbox.run(["logs", id]);
    assertExit(sofar, 0, "logs of a running job");
    assert.equal(sofar.stdout, ticks(1));

    // More lines of the same run are printed as they come, still while it runs.
    await Deno.writeTextFile(gate(1), "");
    await waitFor('"tick 5" from logs --follow', () => f.stdout().includes("tick 5\n"));
    assert.equal((await sandbox.info(id)).state, "processing", "tick 5 was shown while it ran");
    assert.equal(f.stdout(), ticks(5));
    assert.ok(!f.done(), "logs --follow is still running while the job runs");

    await Deno.writeTextFile(gate(2), "");
    await waitFor("logs --follow to exit", () => f.done());
    const code = await f.finished;
    assert.equal(code, 0, `logs --follow exited ${code}: ${f.stderr()}`);
    assert.equal((await sandbox.info(id)).state, "completed");
    const expected = ticks(10) + "finished\n";
    assert.equal(f.stdout(), expected);
    assert.equal(f.stderr(), "");

    // Once the run has ended, --follow prints it whole and returns.
    const after = await sandbox.run(["logs", id, "--follow"]);
    assertExit(after, 0, "logs --follow of a completed job");
    assert.equal(after.stdout, expected);
    await stopWorker(worker);
  } finally {
    if (follower && !follower.done()) {
      try {
        follower.child.kill("SIGKILL");
      } catch {
        // Gone.
      }
      await follower.finished;
    }
    await sandbox.cleanup();
  }
});

// --- wait and cancel ---------------------------------------------------------------------------

onEveryStore.test("wait exits 0 when all completed, 1 when one is dead or canceled, 124 on timeout, 3 for an unknown id", async () => {
  const sandbox = await makeSandbox();
  const longPid = join(sandbox.dir, "long.pid");
  try {
    await configure(sandbox, { poll_interval: "0.1" });
    await enqueue(sandbox, ["--id", "ok1", "--", "true"]);
    await enqueue(sandbox, ["--id", "ok2", "--", "echo two"]);
    await enqueue(sandbox, ["--id", "dies", "--max-retries", "0", "--", "exit 1"]);
    await enqueue(sandbox, ["--id", "long", "--", `echo $$ > ${q(longPid)}; exec sleep 60`]);
    await enqueue(sandbox, ["--id", "dropped", "--delay", "1h", "--", "true"]);
    await sandbox.ok(["cancel", "dropped"]);
    const worker = await startWorker(sandbox, ["--count", "2"]);

    const allOk = await sandbox.run(["wait", "ok1", "ok2", "--timeout", "30s"]);
    assertExit(allOk, 0, "wait ok1 ok2");
    assert.equal(allOk.stdout, "");
    assert.equal((await sandbox.info("ok1")).state, "completed");
    assert.equal((await sandbox.info("ok2")).state, "completed");

    const oneDead = await sandbox.run(["wait", "ok1", "dies", "--timeout", "30s"]);
    assertExit(oneDead, 1, "wait ok1 dies");
    assert.match(oneDead.stderr, /dies.*dead/);
    assert.equal((await sandbox.info("dies")).state, "dead");

    const canceled = await sandbox.run(["wait", "dropped"]);
    assertExit(canceled, 1, "wait of a canceled job");
    assert.match(canceled.stderr, /dropped.*canceled/);

    await waitForState(sandbox, "long", "processing");
    const started = Date.now();
    const timedOut = await sandbox.run(["wait", "ok1", "long", "--timeout", "1s"]);
    assertExit(timedOut, 124, "wait long --timeout 1s");
    assert.ok(Date.now() - started >= 1000, "wait gave up only after its timeout");
    assert.match(timedOut.stderr, /^queuectl: .*long/);
    assert.equal((await sandbox.info("long")).state, "processing");

    const unknown = await sandbox.run(["wait", "ok1", "no-such-job"]);
    assertExit(unknown, 3, "wait of an unknown id");
    assert.match(unknown.stderr, /no-such-job/);

    await sandbox.ok(["cancel", "long"]);
    await waitForState(sandbox, "long", "canceled");
    await stopWorker(worker);
  } finally {
    await killPidsIn([longPid]);
    await sandbox.cleanup();
  }
});

onEveryStore.test("cancel: a pending job never runs, a running job's whole process group is stopped and never retried, a finished job is a conflict", async () => {
  const sandbox = await makeSandbox();
  const shPid = join(sandbox.dir, "sh.pid");
  const bgPid = join(sandbox.dir, "bg.pid");
  try {
    await configure(sandbox, { poll_interval: "0.1", backoff_base: "1", kill_grace: "2" });
    const ranFile = join(sandbox.dir, "ran");
    await enqueue(sandbox, ["--id", "waiting", "--", `echo ran > ${q(ranFile)}`]);
    const first = await sandbox.run(["cancel", "waiting"]);
    assertExit(first, 0, "cancel of a pending job");
    assert.equal(first.stdout, "waiting canceled\n");
    const waiting = await sandbox.info("waiting");
    assert.equal(waiting.state, "canceled");
    assert.equal(waiting.attempts, 0);
    assert.match(String(waiting.finished_at), ISO_UTC);

    await enqueue(sandbox, [
      "--id",
      "busy",
      "--max-retries",
      "3",
      "--",
      `echo $$ > ${q(shPid)}; sleep 300 & echo $! > ${q(bgPid)}; sleep 300`,
    ]);
    const worker = await startWorker(sandbox);
    await waitForState(sandbox, "busy", "processing");
    const [sh, bg] = await waitFor("the job to write its pids", async () => {
      const pids = [Number(await readOrEmpty(shPid)), Number(await readOrEmpty(bgPid))];
      return pids.every((pid) => pid > 0) ? pids : undefined;
    });
    assert.ok(await processExists(sh) && await processExists(bg), "the job runs");

    const stop = await sandbox.run(["cancel", "busy"]);
    assertExit(stop, 0, "cancel of a running job");
    assert.equal(stop.stdout, "busy canceled (stopped while running)\n");
    const busy = await sandbox.info("busy");
    assert.equal(busy.state, "canceled");
    assert.equal(busy.attempts, 1);
    assert.deepEqual(runsOf(busy).map((run) => run.outcome), ["canceled"]);
    await waitFor("the job's shell and its background child to be gone", async () => {
      return !(await processExists(sh)) && !(await processExists(bg));
    });

    // The worker keeps taking work; the canceled jobs are not among it.
    await enqueue(sandbox, ["--id", "after", "--", "true"]);
    await waitForState(sandbox, "after", "completed");
    const waitResult = await sandbox.run(["wait", "busy", "--timeout", "5s"]);
    assertExit(waitResult, 1, "wait of a canceled job");
    const later = await sandbox.info("busy");
    assert.equal(later.state, "canceled");
    assert.equal(later.attempts, 1);
    assert.equal(runsOf(later).length, 1);
    assert.equal((await sandbox.info("waiting")).state, "canceled");
    assert.equal(await readOrEmpty(ranFile), "", "the canceled pending job never ran");
    assert.equal((await sandbox.status()).jobs.canceled, 2);

    const before = await snapshotDatabase(sandbox);
    const finished = await sandbox.run(["cancel", "after"]);
    assertExit(finished, 5, "cancel of a completed job");
    assert.equal(finished.stdout, "");
    assert.match(finished.stderr, /^queuectl: .*after.*completed/);
    assert.equal(await snapshotDatabase(sandbox), before, "a refused cancel changes nothing");

    // All or none: a finished job among the ids cancels none of them.
    await enqueue(sandbox, ["--id", "parked", "--delay", "1h", "--", "true"]);
    const mixed = await sandbox.run(["cancel", "parked", "after"]);
    assertExit(mixed, 5, "cancel of a pending and a completed job");
    assert.equal((await sandbox.info("parked")).state, "pending");
    const unknown = await sandbox.run(["cancel", "parked", "no-such-job"]);
    assertExit(unknown, 3, "cancel of an unknown id");
    assert.equal((await sandbox.info("parked")).state, "pending");
    await stopWorker(worker);
  } finally {
    await killPidsIn([shPid, bgPid]);
    await sandbox.cleanup();
  }
});

onEveryStore.test("cancel of a job waiting to retry cancels it at once, and a running job that ignores SIGTERM is killed after kill_grace", async () => {
  const sandbox = await makeSandbox();
  const pidFile = join(sandbox.dir, "stubborn.pid");
  try {
    await configure(sandbox, { poll_interval: "0.1", kill_grace: "1" });
    await enqueue(sandbox, ["--id", "retrying", "--backoff-base", "1000", "--", "exit 1"]);
    await enqueue(sandbox, [
      "--id",
      "stubborn",
      "--",
      `echo $$ > ${q(pidFile)}; trap '' TERM; sleep 300`,
    ]);
    const worker = await startWorker(sandbox, ["--count", "2"]);
    await waitForState(sandbox, "retrying", "failed");
    await waitForState(sandbox, "stubborn", "processing");
    const pid = await waitFor("the stubborn job's pid", async () => {
      return Number(await readOrEmpty(pidFile)) || undefined;
    });

    const retrying = await sandbox.run(["cancel", "retrying"]);
    assertExit(retrying, 0, "cancel of a failed job");
    assert.equal(retrying.stdout, "retrying canceled\n");
    const canceled = await sandbox.info("retrying");
    assert.equal(canceled.state, "canceled");
    assert.equal(canceled.next_run_at, null, "it will not run again");

    const started = Date.now();
    const stubborn = await sandbox.run(["cancel", "stubborn"]);
    assertExit(stubborn, 0, "cancel of a job that ignores SIGTERM");
    assert.equal(stubborn.stdout, "stubborn canceled (stopped while running)\n");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900, `cancel returned after ${elapsed} ms, before kill_grace passed`);
    const job = await sandbox.info("stubborn");
    assert.equal(job.state, "canceled");
    assert.equal(runsOf(job)[0].exit_code, 137, "killed by SIGKILL");
    await waitFor("the stubborn shell to be gone", async () => !(await processExists(pid)));
    await stopWorker(worker);
  } finally {
    await killPidsIn([pidFile]);
    await sandbox.cleanup();
  }
});

// --- Batch enqueue -----------------------------------------------------------------------------

onEveryStore.test("enqueue --file adds every line with the flags as defaults, and a bad line or a duplicate id adds nothing", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "existing", "--", "true"]);

  const bad = join(sandbox.dir, "bad.jsonl");
  await Deno.writeTextFile(
    bad,
    [
      '{"id":"b1","command":"true"}',
      '{"id":"b2","command":"true"}',
      '{"id":"b3","command":"true","max_retries":"many"}',
      '{"id":"b4","command":"true"}',
    ].join("\n") + "\n",
  );
  const before = await snapshotDatabase(sandbox);
  const badResult = await sandbox.run(["enqueue", "--file", bad]);
  assertExit(badResult, 2, "enqueue --file with a bad line 3");
  assert.equal(badResult.stdout, "");
  assert.match(badResult.stderr, /^queuectl: Line 3\b.*max_retries/);
  assert.equal(badResult.stderr.split("\n").length, 2, "one line on stderr");
  assert.equal(await snapshotDatabase(sandbox), before, "nothing was added");

  const duplicate = join(sandbox.dir, "dup.jsonl");
  await Deno.writeTextFile(
    duplicate,
    '{"id":"d1","command":"true"}\n{"id":"d2","command":"true"}\n{"id":"d1","command":"true"}\n',
  );
  const dupResult = await sandbox.run(["enqueue", "--file", duplicate]);
  assertExit(dupResult, 5, "enqueue --file with a duplicate id");
  assert.equal(dupResult.stdout, "");
  assert.match(dupResult.stderr, /^queuectl: .*"d1"/);
  assert.equal(await snapshotDatabase(sandbox), before, "nothing was added");

  const clash = join(sandbox.dir, "clash.jsonl");
  await Deno.writeTextFile(
    clash,
    '{"id":"c1","command":"true"}\n{"id":"existing","command":"x"}\n',
  );
  const clashResult = await sandbox.run(["enqueue", "--file", clash]);
  assertExit(clashResult, 5, "enqueue --file with an id that exists");
  assert.match(clashResult.stderr, /existing/);
  assert.equal(await snapshotDatabase(sandbox), before, "nothing was added");

  const good = join(sandbox.dir, "good.jsonl");
  await Deno.writeTextFile(
    good,
    [
      '{"id":"g1","command":"true"}',
      "",
      '{"id":"g2","command":"true","priority":1}',
      '{"id":"g3","command":"true","queue":"own"}',
    ].join("\n"),
  );
  const goodResult = await sandbox.run([
    "enqueue",
    "--file",
    good,
    "--priority",
    "7",
    "--queue",
    "batch",
  ]);
  assertExit(goodResult, 0, "enqueue --file of good lines");
  assert.equal(goodResult.stdout, "g1\ng2\ng3\n");
  const fields = async (id: string) => {
    const job = await sandbox.info(id);
    return { queue: job.queue, priority: job.priority, state: job.state };
  };
  assert.deepEqual(await fields("g1"), { queue: "batch", priority: 7, state: "pending" });
  assert.deepEqual(await fields("g2"), { queue: "batch", priority: 1, state: "pending" });
  assert.deepEqual(await fields("g3"), { queue: "own", priority: 7, state: "pending" });
});

onEveryStore.test("enqueue --file - reads 500 jobs from stdin into the queue given by --queue", async () => {
  await using sandbox = await makeSandbox();
  const lines = Array.from(
    { length: 500 },
    (_, index) => JSON.stringify({ command: `echo ${index}` }),
  );
  const result = await sandbox.run(["enqueue", "--file", "-", "--queue", "bulk"], {
    stdin: lines.join("\n") + "\n",
  });
  assertExit(result, 0, "enqueue --file - --queue bulk");
  const ids = result.stdout.trim().split("\n");
  assert.equal(ids.length, 500);
  assert.equal(new Set(ids).size, 500, "500 distinct ids");

  const listed = JSON.parse(
    await sandbox.ok(["list", "--queue", "bulk", "--limit", "0", "--json"]),
  ) as Json[];
  assert.equal(listed.length, 500);
  assert.deepEqual(listed.map((job) => job.id), ids, "in line order");
  assert.ok(listed.every((job) => job.queue === "bulk" && job.state === "pending"));
  assert.equal(listed[499].command, "echo 499");
  const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Json[];
  assert.deepEqual(queues.map((queue) => [queue.name, (queue.jobs as Json).pending]), [
    ["bulk", 500],
  ]);
  assert.equal((await sandbox.status()).jobs.pending, 500);
});

onEveryStore.test("enqueue --file: a line's own run_at or delay wins over a --delay or --run-at given as the default", async () => {
  await using sandbox = await makeSandbox();
  const file = join(sandbox.dir, "timed.jsonl");
  await Deno.writeTextFile(
    file,
    [
      '{"id":"plain","command":"true"}',
      '{"id":"fixed","command":"true","run_at":"2030-01-01T00:00:00Z"}',
      '{"id":"quick","command":"true","delay":"1m"}',
    ].join("\n") + "\n",
  );
  const result = await sandbox.run(["enqueue", "--file", file, "--delay", "1h"]);
  assertExit(result, 0, "enqueue --file --delay 1h with lines that set their own time");
  const delay = async (id: string) => {
    const job = await sandbox.info(id);
    return ms(job.run_at) - ms(job.created_at);
  };
  assert.equal(await delay("plain"), 3_600_000, "the default applies where a line says nothing");
  assert.equal((await sandbox.info("fixed")).run_at, "2030-01-01T00:00:00.000Z");
  assert.equal(await delay("quick"), 60_000);

  const other = join(sandbox.dir, "delayed.jsonl");
  await Deno.writeTextFile(other, '{"id":"soon","command":"true","delay":"1m"}\n');
  const byTime = await sandbox.run([
    "enqueue",
    "--file",
    other,
    "--run-at",
    "2030-01-01T00:00:00Z",
  ]);
  assertExit(byTime, 0, "enqueue --file --run-at with a line that sets its own delay");
  assert.equal(await delay("soon"), 60_000);
});

// --- Per-job cwd, env and backoff --------------------------------------------------------------

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
  assert.deepEqual(JSON.parse(await sandbox.ok(["queue", "list", "--json"])), [
    { name: "default", concurrency: null, jobs: counts(1) },
    { name: "deploy", concurrency: 2, jobs: counts(2, 1) },
    { name: "idle", concurrency: 5, jobs: counts(0) },
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
      /^timeout\s+30 s$/m,
      /^backoff base\s+1\.5$/m,
      /^directory\s+\/tmp$/m,
      /^environment\s+A=1 B=two words$/m,
      /^shell\s+bash$/m,
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
