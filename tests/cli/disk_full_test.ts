/**
 * A full disk under the SQLite file (a tmpfs of 2 MiB, filled up): every command says so in one
 * line naming the file, with the store-unavailable exit code (4), and changes nothing; a running
 * worker waits the outage out, says so once, and goes on when the space is back; a worker stopped
 * meanwhile stops cleanly. Mounting needs root (`.ci/run` has it; elsewhere the tests are
 * ignored, saying why).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type CliResult,
  makeSandbox,
  type Sandbox,
  snapshotDatabase,
  sqliteOnly,
  waitFor,
} from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  type RunningWorker,
  startWorker,
  waitForState,
} from "../helpers/jobs.ts";
import { mountSmallDisk, needsSmallDisk, type SmallDisk } from "../helpers/small_disk.ts";

/** A command that writes (or, for `status`, only reads), run on a full disk. */
interface Case {
  intent: string;
  args: string[];
}

/** Runs `body` on a sandbox whose directory is a small disk; unmounts it whatever happens. */
async function onSmallDisk(
  body: (sandbox: Sandbox, disk: SmallDisk, workers: RunningWorker[]) => Promise<void>,
): Promise<void> {
  const sandbox = await makeSandbox();
  const workers: RunningWorker[] = [];
  let disk: SmallDisk | undefined;
  try {
    disk = await mountSmallDisk(sandbox.dir);
    await body(sandbox, disk, workers);
  } finally {
    for (const worker of workers) {
      try {
        worker.handle.kill("SIGKILL");
      } catch {
        // Exited already.
      }
      await worker.exited;
    }
    await disk?.unmount();
    await sandbox.cleanup();
  }
}

/** Exit code 4 and one line on stderr naming the full disk and the database, nothing else. */
function assertDiskFull(result: CliResult, sandbox: Sandbox, intent: string, verb: RegExp) {
  assertExit(result, 4, intent);
  const db = sandbox.db.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  assert.match(
    result.stderr,
    new RegExp(`^queuectl: Cannot ${verb.source} the database "${db}": the disk is full\\n$`),
    `${intent}: stderr should be the one line naming the cause and the file:\n${result.stderr}`,
  );
  assert.doesNotMatch(result.stderr + result.stdout, /Uncaught|\n\s+at /, intent);
}

/** Runs each case on the full disk and checks what it said. */
async function runCases(sandbox: Sandbox, cases: Case[], verb: RegExp): Promise<void> {
  for (const { intent, args } of cases) {
    assertDiskFull(await sandbox.run(args), sandbox, intent, verb);
  }
}

/** Writes a file of `count` jobs for `enqueue --file`. */
async function jobsFile(dir: string, count: number): Promise<string> {
  const path = join(dir, "jobs.jsonl");
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ command: `echo ${i}` }));
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

sqliteOnly.test(needsSmallDisk({
  name: "on a full disk, every command exits 4 with one line naming the disk and the file",
  fn: () =>
    onSmallDisk(async (sandbox, disk) => {
      // No process holds the file open: opening it needs room for its -shm and -wal, which
      // SQLite reports as an I/O error that must still be named for what it is.
      const pending = await enqueue(sandbox, ["--delay", "1h", "--", "echo", "later"]);
      await sandbox.ok(["schedule", "add", "nightly", "0 3 * * *", "--", "echo", "nightly"]);
      await configure(sandbox, { max_retries: "5" });
      const file = await jobsFile(sandbox.dir, 20);
      const before = await snapshotDatabase(sandbox);
      // The last connection to close (read-write, unlike the snapshot's) removes the -shm and
      // -wal: the next one has to create them.
      await sandbox.ok(["status"]);
      assert.deepEqual(await sideFiles(sandbox), []);
      await disk.fill();
      await runCases(sandbox, [
        { intent: "enqueue a job", args: ["enqueue", "--", "echo", "new"] },
        { intent: "enqueue a file of jobs", args: ["enqueue", "--file", file] },
        { intent: "cancel a job", args: ["cancel", pending] },
        { intent: "retry the dead-letter queue", args: ["dlq", "retry", "--all"] },
        { intent: "set a config value", args: ["config", "set", "max_retries", "7"] },
        { intent: "unset a config value", args: ["config", "unset", "max_retries"] },
        {
          intent: "add a schedule",
          args: ["schedule", "add", "hourly", "0 * * * *", "--", "echo", "hourly"],
        },
        { intent: "purge finished jobs", args: ["purge", "--older-than", "0s"] },
        { intent: "set a queue's concurrency", args: ["queue", "set-concurrency", "q", "2"] },
        { intent: "migrate", args: ["migrate"] },
        { intent: "start a worker", args: ["worker", "start"] },
        { intent: "stop the workers", args: ["worker", "stop"] },
        // A read too: every connection to the file needs its -shm.
        { intent: "show the status", args: ["status"] },
      ], /open/);
      await disk.free();
      assert.equal(await snapshotDatabase(sandbox), before, "a command changed the database");
    }),
}));

sqliteOnly.test(needsSmallDisk({
  name: "on a full disk under a running worker, every write exits 4, one line, nothing stored",
  fn: () =>
    onSmallDisk(async (sandbox, disk, workers) => {
      // The worker holds the file open (its -shm and -wal exist): the writes themselves fail,
      // at COMMIT, each rolled back whole.
      workers.push(await startWorker(sandbox, ["--queue", "work"]));
      const dead = await enqueue(sandbox, ["--queue", "work", "--max-retries", "0", "--", "false"]);
      const done = await enqueue(sandbox, ["--queue", "work", "--", "true"]);
      await waitForState(sandbox, dead, "dead");
      await waitForState(sandbox, done, "completed");
      const later = await enqueue(sandbox, ["--queue", "work", "--delay", "1h", "--", "echo"]);
      await configure(sandbox, { max_retries: "5" });
      const file = await jobsFile(sandbox.dir, 200);
      const before = await snapshotDatabase(sandbox);
      await disk.fill();
      await runCases(sandbox, [
        { intent: "enqueue a job", args: ["enqueue", "--", "echo", "new"] },
        { intent: "enqueue a file of 200 jobs", args: ["enqueue", "--file", file] },
        { intent: "cancel a job", args: ["cancel", later] },
        { intent: "retry a dead job", args: ["dlq", "retry", dead] },
        { intent: "set a config value", args: ["config", "set", "max_retries", "7"] },
        { intent: "unset a config value", args: ["config", "unset", "max_retries"] },
        {
          intent: "add a schedule",
          args: ["schedule", "add", "hourly", "0 * * * *", "--", "echo", "hourly"],
        },
        {
          intent: "purge finished jobs",
          args: ["purge", "--older-than", "0s", "--state", "completed,dead"],
        },
        { intent: "set a queue's concurrency", args: ["queue", "set-concurrency", "work", "2"] },
        { intent: "start a second worker", args: ["worker", "start"] },
        { intent: "stop the workers", args: ["worker", "stop"] },
      ], /write to/);
      assert.equal(await snapshotDatabase(sandbox), before, "a command changed the database");
      await disk.free();
      // With the space back, the same writes work (the failures left nothing half done).
      await sandbox.ok(["enqueue", "--file", file]);
      assert.equal((await sandbox.info(later)).state, "pending");
    }),
}));

sqliteOnly.test(needsSmallDisk({
  name: "a worker waits out a full disk, says so once, and finishes the jobs when space is back",
  fn: () =>
    onSmallDisk(async (sandbox, disk, workers) => {
      // Heartbeats and polls many times a second, so that a message per retry would show.
      await configure(sandbox, { heartbeat_interval: "0.2", poll_interval: "0.1" });
      const worker = await startWorker(sandbox, ["--count", "2"]);
      workers.push(worker);
      // One job runs across the outage (its end is recorded after it); two come due during it.
      const running = await enqueue(sandbox, ["--", "sleep", "2"]);
      await waitForState(sandbox, running, "processing");
      const due = [
        await enqueue(sandbox, ["--delay", "1.5s", "--", "echo", "b"]),
        await enqueue(sandbox, ["--delay", "1.5s", "--", "echo", "c"]),
      ];
      // Past the moment its process group is recorded (50 ms), so that only the end is at stake.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await disk.fill();
      // Long enough for the job to end, the others to come due, and ~15 heartbeats to fail.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal(await Promise.race([worker.exited, Promise.resolve("running")]), "running");
      await disk.free();
      for (const id of [running, ...due]) await waitForState(sandbox, id, "completed");
      worker.handle.kill("SIGTERM");
      assert.equal(await worker.exited, 0, worker.log());
      const log = worker.log();
      assert.doesNotMatch(log, /Uncaught/);
      // Its end was recorded once the store answered: not given back and run again.
      assert.equal(log.split(`Picked job "${running}"`).length - 1, 1, log);
      const said = log.split("\n").filter((line) => /disk is full/.test(line));
      assert.equal(said.length, 1, `the outage should be said once:\n${log}`);
      assert.match(said[0], /Cannot write to the database ".*": the disk is full/);
      assert.equal(log.match(/The store answers again/g)?.length, 1, log);
    }),
}));

sqliteOnly.test(needsSmallDisk({
  name: "a worker stopped on a full disk exits 0, its row left for the rescuer",
  fn: () =>
    onSmallDisk(async (sandbox, disk, workers) => {
      // A lease of 0.6 s: how long it tries to deregister before it gives up.
      await configure(sandbox, { heartbeat_interval: "0.2" });
      const worker = await startWorker(sandbox);
      workers.push(worker);
      const done = await enqueue(sandbox, ["--", "true"]);
      await waitForState(sandbox, done, "completed");
      await disk.fill();
      // `worker stop` cannot record its request: it says so (exit 4), and the worker runs on…
      assertDiskFull(await sandbox.run(["worker", "stop"]), sandbox, "worker stop", /write to/);
      // …until the signal an operator (or systemd) sends, which needs no store.
      worker.handle.kill("SIGTERM");
      const code = await worker.exited;
      const log = worker.log();
      assert.equal(code, 0, log);
      assert.doesNotMatch(log, /Uncaught|\n\s+at /);
      assert.match(log, /Stopping without removing worker process \S+ from the store/);
      assert.equal(log.split("\n").filter((line) => /disk is full/.test(line)).length, 1, log);
      await disk.free();
      assert.deepEqual(workerPids(sandbox.db), [worker.handle.pid], "its row stays");
      // The next worker on this host finds that process gone and forgets its row.
      const next = await startWorker(sandbox);
      workers.push(next);
      await waitFor(
        "the stopped worker's row to be forgotten",
        () => !workerPids(sandbox.db).includes(worker.handle.pid),
      );
    }),
}));

/** The pids of the registered worker processes (read directly, read-only). */
function workerPids(path: string): number[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare("SELECT pid FROM workers ORDER BY pid").all().map((row) => Number(row.pid));
  } finally {
    db.close();
  }
}

/** The -shm and -wal files beside the database. */
async function sideFiles(sandbox: Sandbox): Promise<string[]> {
  const present: string[] = [];
  for (const suffix of ["-shm", "-wal"]) {
    if (await Deno.stat(sandbox.db + suffix).then(() => true, () => false)) present.push(suffix);
  }
  return present;
}
