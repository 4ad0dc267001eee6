/**
 * A job's output and its end, through the real CLI on both stores: `logs` per attempt (capped,
 * and followed live), `wait` and its exit codes, and `cancel` of waiting and running jobs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
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
  q,
  runsOf,
  startWorker,
  stopWorker,
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

onEveryStore.test("wait --all, --queue and --ids-from wait for the jobs they name, with wait's exit codes", async () => {
  await using sandbox = await makeSandbox();
  const gate = join(sandbox.dir, "gate");
  const held = `while [ ! -e ${q(gate)} ]; do sleep 0.02; done`;
  const file = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(
    file,
    [
      { id: "ok", command: held },
      { id: "bad", command: `${held}; exit 3`, max_retries: 0 },
      { id: "ci", command: held, queue: "ci" },
    ].map((job) => JSON.stringify(job)).join("\n") + "\n",
  );
  const printed = await sandbox.ok(["enqueue", "--file", file]);
  await Deno.writeTextFile(join(sandbox.dir, "ids"), printed);
  // Nothing runs yet: each form times out (124) waiting for the jobs it names, and only those.
  const timedOut = async (args: string[], names: string[]) => {
    const result = await sandbox.run(["wait", ...args, "--timeout", "0"]);
    assertExit(result, 124, `wait ${args.join(" ")}`);
    for (const id of ["ok", "bad", "ci"]) {
      assert.equal(
        result.stderr.includes(`"${id}"`),
        names.includes(id),
        `${id}: ${result.stderr}`,
      );
    }
  };
  await timedOut(["--all"], ["ok", "bad", "ci"]);
  await timedOut(["--queue", "ci"], ["ci"]);
  await timedOut(["--ids-from", join(sandbox.dir, "ids")], ["ok", "bad", "ci"]);
  const fromStdin = await sandbox.run(["wait", "--ids-from", "-", "--timeout", "0"], {
    stdin: "ci\n\n",
  });
  assertExit(fromStdin, 124, "wait --ids-from -");
  assert.match(fromStdin.stderr, /1 job\(s\) not finished \("ci" pending\)/);

  const worker = await startWorker(sandbox, ["--count", "3"]);
  await Deno.writeTextFile(gate, "");
  assertExit(await sandbox.run(["wait", "--queue", "ci"]), 0, "wait --queue ci");
  const all = await sandbox.run(["wait", "--ids-from", join(sandbox.dir, "ids")]);
  assertExit(all, 1, "wait --ids-from");
  assert.equal(all.stderr, 'Job "bad" ended dead\n');
  // Nothing unfinished is left: nothing to wait for.
  assertExit(await sandbox.run(["wait", "--all", "--timeout", "0"]), 0, "wait --all, all done");
  await stopWorker(worker);

  // Bad input: one line, exit 2.
  for (
    const [args, message] of [
      [
        [],
        /Missing job id: give one or more ids, --ids-from FILE, --batch NAME, --all or --queue Q/,
      ],
      [["--ids-from", join(sandbox.dir, "missing")], /Cannot read --ids-from ".*missing"/],
      [["--queue", "bad name!"], /queue/i],
    ] as [string[], RegExp][]
  ) {
    const result = await sandbox.run(["wait", ...args]);
    assertExit(result, 2, `wait ${args.join(" ")}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.split("\n").length, 2, result.stderr);
  }
});
