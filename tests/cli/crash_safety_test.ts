/**
 * Crash safety, end to end through the real CLI on a real SQLite file or PostgreSQL schema
 * (`makeSandbox`): jobs of a worker killed with SIGKILL are rescued (by a new worker at start, or
 * by a live sibling on its periodic pass) and run exactly once more with their orphaned process
 * group killed; a lease held by a frozen worker on another host expires and only then is rescued,
 * and that worker's late result is fenced off; time limits kill whole process groups; graceful and
 * immediate stops; many concurrent enqueuers and workers lose and duplicate nothing; the database
 * and the jobs' environment keep secrets in.
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
  snapshotDatabase,
  sqliteOnly,
  STORE_AVAILABLE,
  waitFor,
  type WorkerHandle,
} from "../helpers/cli.ts";
import { configure, enqueue, processGroupMembers, q, runsOf } from "../helpers/jobs.ts";

/**
 * Registers a test of what only Linux does, on every store: a worker tells that a worker process
 * on its host is gone (and that a job's orphaned process group is still that job's) by the
 * process's start time, which only /proc gives. Elsewhere (macOS) a dead worker's job waits for
 * its lease to expire and its orphan is left to end by itself (src/worker/process_identity.ts,
 * rescuer.ts), so these tests are ignored there.
 */
const onLinux: { test: typeof Deno.test.ignore } = {
  test: Deno.build.os === "linux" ? onEveryStore.test : Deno.test.ignore,
};

type Json = Record<string, unknown>;

/** A started worker whose stderr (its log) is read as it comes, so tests can wait for a line. */
interface LoggedWorker {
  handle: WorkerHandle;
  pid: number;
  /** Everything the worker has logged so far. */
  log(): string;
  /** Resolves when its stderr is closed. */
  logClosed: Promise<void>;
}

/** What a test started and must tear down, whatever happens. */
class Leftovers {
  readonly workers: LoggedWorker[] = [];
  /** Process groups of job commands (their leader's pid) that must not outlive the test. */
  readonly groups = new Set<number>();

  /** Kills the sandbox's workers, then any job process group still alive, then the sandbox. */
  async cleanUp(sandbox: Sandbox): Promise<void> {
    for (const worker of this.workers) {
      // A SIGSTOPped worker would not die of SIGKILL any later, but SIGCONT keeps it tidy.
      try {
        worker.handle.kill("SIGCONT");
      } catch {
        // Gone.
      }
    }
    await sandbox.cleanup();
    await Promise.all(this.workers.map((worker) => worker.logClosed));
    for (const pgid of this.groups) {
      if ((await processGroupMembers(pgid)).length > 0) {
        try {
          Deno.kill(-pgid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
    }
  }
}

/** Starts `worker start ARGS` and keeps reading its log. */
function startWorker(
  sandbox: Sandbox,
  leftovers: Leftovers,
  args: string[] = [],
  env: Record<string, string> = {},
): LoggedWorker {
  const handle = sandbox.spawnWorker(args, { env });
  let text = "";
  const decoder = new TextDecoder();
  const logClosed = (async () => {
    try {
      for await (const chunk of handle.process.stderr) {
        text += decoder.decode(chunk, { stream: true });
      }
    } catch {
      // Cancelled.
    }
  })();
  const worker = { handle, pid: handle.pid, log: () => text, logClosed };
  leftovers.workers.push(worker);
  return worker;
}

/** Waits until the worker process is registered and returns its worker id. */
async function waitUntilRegistered(sandbox: Sandbox, worker: LoggedWorker): Promise<string> {
  return await waitFor(`worker pid ${worker.pid} to register`, async () => {
    const status = await sandbox.status();
    const found = status.workers.find((entry) => entry.pid === worker.pid);
    return found ? String(found.id) : undefined;
  });
}

/** Waits for the worker process to exit (and its log to close); returns its exit code. */
async function exitOf(worker: LoggedWorker): Promise<number> {
  const status = await worker.handle.process.status;
  await worker.logClosed;
  return status.code;
}

function waitForState(sandbox: Sandbox, id: string, state: string, timeoutMs = 30_000) {
  return waitFor(`job "${id}" to be ${state}`, async () => {
    const job = await sandbox.info(id);
    return job.state === state ? job : undefined;
  }, timeoutMs);
}

/** The outcome of every run, oldest first. */
function outcomes(job: Json): string[] {
  return runsOf(job).map((run) => String(run.outcome));
}

function count(text: string, line: string): number {
  return text.split("\n").filter((entry) => entry === line).length;
}

/**
 * The job's row as stored, read directly (read-only): the process group a worker recorded for
 * its command is not part of any JSON output.
 */
async function storedJob(sandbox: Sandbox, id: string): Promise<Json | undefined> {
  const dump = await snapshotDatabase(sandbox);
  if (dump === null) return undefined;
  return (JSON.parse(dump).jobs as Json[]).find((job) => job.id === id);
}

/** Waits until the worker running job `id` has recorded its command's process group. */
async function waitForProcessGroup(sandbox: Sandbox, id: string): Promise<number> {
  return Number(
    await waitFor(`job "${id}" to record its process group`, async () => {
      const job = await storedJob(sandbox, id);
      return job?.state === "processing" ? job.pgid : undefined;
    }),
  );
}

/**
 * Waits until no live process is left in the group. Only for groups whose commands sleep for
 * minutes: then nothing but a kill can have emptied it, and the deadline assumes no speed.
 */
async function waitUntilGroupGone(pgid: number, what: string): Promise<void> {
  await waitFor(what, async () => (await processGroupMembers(pgid)).length === 0);
}

/** The pids a job appended to a file, one per run. */
async function pidsIn(path: string): Promise<number[]> {
  return (await readOrEmpty(path)).split("\n").filter((line) => line.trim() !== "").map(Number);
}

/**
 * A job's command for the kill tests: it appends its shell's pid and "start", then (on its first
 * attempt only) sleeps 5 minutes, then appends "end". A first run that is not killed never ends
 * within a test, so its group is empty only once something killed it, however slow the machine;
 * the run after a rescue ends at once.
 */
function killableCommand(pids: string, out: string): string {
  return `echo $$ >> ${q(pids)}; echo start >> ${q(out)}; ` +
    `if [ "$QUEUECTL_ATTEMPT" = 1 ]; then sleep 300; fi; echo end >> ${q(out)}`;
}

// Leases of a minute (0.5 s × 120) in both: within the test, a job can only come back because a
// worker saw its owner's process gone, not because its lease ran out.
const LONG_LEASE = { heartbeat_interval: "0.5", lease_heartbeats: "120", kill_grace: "1" };

onLinux.test("a job whose worker is killed with SIGKILL is rescued by the next worker, its orphan killed, and it completes exactly once (Linux)", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    await configure(sandbox, LONG_LEASE);
    const out = join(sandbox.dir, "out");
    const pids = join(sandbox.dir, "pids");
    const id = await enqueue(sandbox, ["--id", "crashy", "--", killableCommand(pids, out)]);
    const first = startWorker(sandbox, leftovers);
    const firstId = await waitUntilRegistered(sandbox, first);
    await waitFor("the job to start", async () => (await readOrEmpty(out)).includes("start"));
    const pgid = await waitForProcessGroup(sandbox, id);
    leftovers.groups.add(pgid);
    const [orphan] = await pidsIn(pids);
    assert.equal(orphan, pgid, "the job's shell should lead its own process group");

    first.handle.kill("SIGKILL");
    const killedAt = Date.now();
    await first.handle.process.status;
    assert.ok(await processExists(orphan), "the job's shell should outlive its killed worker");
    // Nobody renews the lease any more: this is when it would expire.
    const leaseEnd = Date.parse(String((await sandbox.info(id)).lease_expires_at));

    const second = startWorker(sandbox, leftovers);
    const secondSpawnedAt = Date.now();
    const secondId = await waitUntilRegistered(sandbox, second);
    // Attempt 2 began: the rescue and the new claim are behind us (the run may have ended too).
    const reclaimed = await waitFor("the job to be rescued and claimed again", async () => {
      const job = await sandbox.info(id);
      return job.attempts === 2 ? job : undefined;
    });
    const claimedAgainAt = Date.parse(String(reclaimed.started_at));
    console.log(
      `kill -9 → job claimed again: ${claimedAgainAt - killedAt} ms ` +
        `(new worker spawned → claimed: ${claimedAgainAt - secondSpawnedAt} ms)`,
    );
    assert.ok(
      claimedAgainAt < leaseEnd,
      `claimed again at ${reclaimed.started_at}, not before the lease expired at ${leaseEnd}`,
    );
    // The rescuer kills the orphan's group before the job is given out again: its shell is gone
    // at the claim already, and the rest of the group dies of the same kill.
    assert.equal(await processExists(orphan), false, "the orphaned shell should be killed first");
    await waitUntilGroupGone(pgid, "the orphan's process group to be gone");

    const done = await waitForState(sandbox, id, "completed");
    assert.equal(done.attempts, 2);
    assert.equal(done.exit_code, 0);
    const runs = runsOf(done);
    assert.deepEqual(outcomes(done), ["rescued", "completed"]);
    assert.equal(runs[0].attempt, 1);
    assert.equal(runs[0].worker_id, firstId);
    assert.match(String(runs[0].error), /worker process .* is gone/);
    assert.equal(runs[1].attempt, 2);
    assert.equal(runs[1].worker_id, secondId);

    // The first run's group is dead: it can write nothing more.
    const text = await readOrEmpty(out);
    assert.equal(count(text, "start"), 2, text);
    assert.equal(count(text, "end"), 1, text);
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

onLinux.test("a running worker rescues the job of a sibling killed with SIGKILL on its periodic pass, its orphan killed (Linux)", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    await configure(sandbox, LONG_LEASE);
    const a = startWorker(sandbox, leftovers, ["--count", "1"]);
    const b = startWorker(sandbox, leftovers, ["--count", "1"]);
    const ids = new Map([[a.pid, await waitUntilRegistered(sandbox, a)], [
      b.pid,
      await waitUntilRegistered(sandbox, b),
    ]]);
    const out = join(sandbox.dir, "out");
    const pids = join(sandbox.dir, "pids");
    const id = await enqueue(sandbox, ["--id", "sibling", "--", killableCommand(pids, out)]);
    const owner = await waitFor("a worker to run the job", async () => {
      const status = await sandbox.status();
      return status.workers.find((worker) => (worker.jobs as string[]).includes(id));
    });
    const [victim, survivor] = owner.pid === a.pid ? [a, b] : [b, a];
    const pgid = await waitForProcessGroup(sandbox, id);
    leftovers.groups.add(pgid);
    // Read before the kill (the survivor may rescue the job before any later read): the lease
    // cannot expire sooner than this, only later, as the victim renews it.
    const leaseEnd = Date.parse(String((await sandbox.info(id)).lease_expires_at));

    victim.handle.kill("SIGKILL");
    const killedAt = Date.now();
    await victim.handle.process.status;
    const done = await waitForState(sandbox, id, "completed");
    console.log(`sibling killed → job completed by the survivor: ${Date.now() - killedAt} ms`);

    assert.deepEqual(outcomes(done), ["rescued", "completed"]);
    const runs = runsOf(done);
    assert.equal(runs[0].worker_id, ids.get(victim.pid));
    assert.match(String(runs[0].error), /worker process .* is gone/);
    assert.ok(
      Date.parse(String(runs[0].finished_at)) < leaseEnd,
      `rescued at ${runs[0].finished_at}: not before the lease expired at ${leaseEnd}`,
    );
    assert.equal(runs[1].worker_id, ids.get(survivor.pid));
    assert.equal(done.attempts, 2);
    await waitUntilGroupGone(pgid, "the orphan's process group to be gone");
    const text = await readOrEmpty(out);
    assert.equal(count(text, "start"), 2, text);
    assert.equal(count(text, "end"), 1, text);
    const workers = (await sandbox.status()).workers.map((worker) => worker.pid);
    assert.deepEqual(workers, [survivor.pid], "the dead worker should be forgotten");
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

onEveryStore.test("a frozen worker on another host keeps its job until its lease expires, then loses it, and its late finish is fenced off", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    // Lease: 0.5 s × 16 = 8 s: room for many of the local worker's rescue passes, and for a few
    // of the test's reads of them (a second or two each on a loaded machine), before it expires.
    await configure(sandbox, {
      heartbeat_interval: "0.5",
      lease_heartbeats: "16",
      kill_grace: "1",
    });
    // Both runs wait for the gate, so the remote's run cannot end before the freeze, however
    // slow this machine is.
    const gate = join(sandbox.dir, "gate");
    const id = await enqueue(sandbox, [
      "--id",
      "remote",
      "--",
      `until [ -e ${q(gate)} ]; do sleep 0.05; done`,
    ]);
    const remote = startWorker(sandbox, leftovers, [], { QUEUECTL_HOST_ID: "remote-host" });
    const remoteId = await waitUntilRegistered(sandbox, remote);
    assert.match(remoteId, /^remote-host-/);
    const running = await waitFor("the remote worker to run the job", async () => {
      const job = await sandbox.info(id);
      return job.state === "processing" && job.worker_id === remoteId ? job : undefined;
    });
    // The local worker is up before the freeze, so it watches the whole frozen lease, however
    // long it took to start.
    const local = startWorker(sandbox, leftovers);
    const localId = await waitUntilRegistered(sandbox, local);
    // Freeze the remote just after a heartbeat renewed the lease, so nearly a whole lease is left.
    await waitFor("a heartbeat to renew the lease", async () => {
      const job = await sandbox.info(id);
      return Date.parse(String(job.lease_expires_at)) >
        Date.parse(String(running.lease_expires_at));
    });
    remote.handle.kill("SIGSTOP");
    const stoppedAt = Date.now();
    const frozen = await sandbox.info(id);
    const expiresAt = Date.parse(String(frozen.lease_expires_at));
    assert.equal(frozen.worker_id, remoteId);

    // Before the lease expires, nobody takes the job away. (One `status` read per sample: it
    // shows both who holds the job and the local worker's last heartbeat.)
    const samples: { after: number; holder: unknown; localBeat: number }[] = [];
    await waitFor("the lease to nearly expire", async () => {
      const { workers } = await sandbox.status();
      const holder = workers.find((worker) => (worker.jobs as string[]).includes(id))?.id;
      const beat = workers.find((worker) => worker.id === localId)?.heartbeat_at;
      samples.push({ after: Date.now(), holder, localBeat: Date.parse(String(beat)) });
      return Date.now() >= expiresAt - 100;
    });
    const beforeExpiry = samples.filter((sample) => sample.after < expiresAt);
    for (const { holder } of beforeExpiry) {
      assert.equal(holder, remoteId, "the job was taken from its owner before its lease expired");
    }
    // A rescue pass follows each heartbeat, and the next heartbeat waits for it: two heartbeats of
    // the local worker after the freeze, both seen before a later sample still found the job with
    // its owner, mean a whole pass looked at the silent owner's job and left it alone.
    const beats = new Set(
      beforeExpiry.slice(0, -1).map((sample) => sample.localBeat).filter((beat) =>
        beat > stoppedAt
      ),
    );
    assert.ok(
      beats.size >= 2,
      `the local worker should have made a rescue pass while the lease held (heartbeats seen: ${
        JSON.stringify(samples.map((sample) => sample.localBeat - stoppedAt))
      } ms after the freeze, lease ${expiresAt - stoppedAt} ms after)`,
    );

    // After it expires, the local worker rescues the job and runs it to completion.
    await waitFor("the local worker to run the job again", async () => {
      const job = await sandbox.info(id);
      return job.state === "processing" && job.worker_id === localId;
    });
    await Deno.writeTextFile(gate, "");
    const done = await waitForState(sandbox, id, "completed");
    const runs = runsOf(done);
    assert.deepEqual(outcomes(done), ["rescued", "completed"]);
    assert.equal(runs[0].worker_id, remoteId);
    assert.match(String(runs[0].error), /lease expired/);
    // Recorded by the rescuer itself: it let the frozen owner keep the job until then.
    assert.ok(
      Date.parse(String(runs[0].finished_at)) >= expiresAt,
      `rescued at ${runs[0].finished_at}, before the lease expired at ${frozen.lease_expires_at}`,
    );
    assert.equal(runs[1].worker_id, localId);
    assert.equal(done.attempts, 2);

    // The remote worker wakes up (its run ended meanwhile): its run's result is discarded.
    remote.handle.kill("SIGCONT");
    await waitFor(
      "the remote worker to log that it lost the job",
      () => /fenced off|lost its lease|lease was lost/.test(remote.log()),
    );
    const after = await sandbox.info(id);
    assert.equal(after.state, "completed");
    assert.equal(after.attempts, 2);
    assert.deepEqual(outcomes(after), ["rescued", "completed"]);
    assert.equal(runsOf(after)[1].worker_id, localId);
    assert.equal(after.finished_at, done.finished_at);
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

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
  assert.deepEqual(outcomes(job), ["released"]);
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
    let code: number | undefined;
    exitOf(worker).then((exit) => code = exit);
    await waitFor("the worker to exit", () => code !== undefined, 30_000);
    assert.equal(code, 0, worker.log());
    await assertReleased(sandbox, id, pgid);
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});

/** 4 concurrent enqueuers × `perEnqueuer` jobs while 2 worker processes × 4 run them. */
async function stress(perEnqueuer: number): Promise<void> {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    const out = join(sandbox.dir, "out");
    const workers = [
      startWorker(sandbox, leftovers, ["--count", "4"]),
      startWorker(sandbox, leftovers, ["--count", "4"]),
    ];
    for (const worker of workers) await waitUntilRegistered(sandbox, worker);
    const startedAt = Date.now();
    const command = `echo "$QUEUECTL_JOB_ID" >> ${q(out)}`;
    const failures: string[] = [];
    const expected: string[] = [];
    await Promise.all([0, 1, 2, 3].map(async (enqueuer) => {
      for (let index = 0; index < perEnqueuer; index++) {
        const id = `e${enqueuer}-${index}`;
        expected.push(id);
        const result = await sandbox.run(["enqueue", "--id", id, "--", command]);
        if (result.code !== 0 || result.stderr.includes("database is locked")) {
          failures.push(`${id}: exit ${result.code}: ${result.stderr.trim()}`);
        }
      }
    }));
    const enqueuedAt = Date.now();
    assert.deepEqual(failures, []);
    const total = 4 * perEnqueuer;
    await waitFor(`all ${total} jobs to complete`, async () => {
      const status = await sandbox.status();
      return status.jobs.completed === total;
    }, 120_000 + total * 50);
    console.log(
      `${total} jobs: enqueued in ${enqueuedAt - startedAt} ms, all completed after ${
        Date.now() - startedAt
      } ms`,
    );
    const status = await sandbox.status();
    assert.deepEqual(status.jobs, {
      pending: 0,
      processing: 0,
      completed: total,
      failed: 0,
      dead: 0,
      canceled: 0,
      blocked: 0,
    });
    const lines = (await readOrEmpty(out)).split("\n").filter((line) => line !== "");
    assert.equal(lines.length, total, "every job should run exactly once");
    assert.deepEqual([...lines].sort(), [...expected].sort());
    for (const worker of workers) {
      worker.handle.kill("SIGTERM");
      assert.equal(await exitOf(worker), 0, worker.log());
      assert.doesNotMatch(worker.log(), /database is locked|Cannot take or finish a job/);
    }
  } finally {
    await leftovers.cleanUp(sandbox);
  }
}

// 400 CLI calls race the workers (each call is a whole process start: ~0.1 s of CPU, more on
// PostgreSQL, which connects each time); QUEUECTL_STRESS_BIG=1 runs 10000.
onEveryStore.test("4 concurrent enqueuers and 2 worker processes run 400 jobs exactly once, without lock errors", async () => {
  await stress(100);
});

Deno.test({
  name:
    "4 concurrent enqueuers and 2 worker processes run 10000 jobs exactly once (QUEUECTL_STRESS_BIG=1)",
  ignore: !STORE_AVAILABLE || Deno.env.get("QUEUECTL_STRESS_BIG") !== "1",
  fn: () => stress(2_500),
});

// About the SQLite file and its directory: a PostgreSQL schema has no file modes.
sqliteOnly.test("a database queuectl creates is readable by its owner only, in a directory of its own", async () => {
  await using sandbox = await makeSandbox();
  const directory = join(sandbox.dir, "private");
  const db = join(directory, "queue.db");
  await sandbox.ok(["enqueue", "--db", db, "--", "true"]);
  assert.equal((await Deno.stat(directory)).mode! & 0o777, 0o700);
  assert.equal((await Deno.stat(db)).mode! & 0o777, 0o600);
  for await (const entry of Deno.readDir(directory)) {
    const mode = (await Deno.stat(join(directory, entry.name))).mode! & 0o777;
    assert.equal(mode & 0o077, 0, `${entry.name} has mode ${mode.toString(8)}`);
  }
});

onEveryStore.test("a job's environment holds no QUEUECTL_ variable of the worker, only its own run's", async () => {
  const sandbox = await makeSandbox();
  const leftovers = new Leftovers();
  try {
    const envFile = join(sandbox.dir, "env");
    const id = await enqueue(sandbox, ["--id", "envjob", "--", `env > ${q(envFile)}`]);
    const worker = startWorker(sandbox, leftovers, [], { QUEUECTL_SECRET: "hunter2" });
    const workerId = await waitUntilRegistered(sandbox, worker);
    await waitForState(sandbox, id, "completed");
    const lines = (await readOrEmpty(envFile)).split("\n");
    const ours = lines.filter((line) => line.startsWith("QUEUECTL_")).sort();
    assert.deepEqual(ours, [
      "QUEUECTL_ATTEMPT=1",
      `QUEUECTL_JOB_ID=${id}`,
      `QUEUECTL_RUN=1:${id}`, // The run's tag: the first claim's lease token, then the job's id.
      `QUEUECTL_WORKER_ID=${workerId}`,
    ]);
    const text = lines.join("\n");
    assert.ok(!text.includes(sandbox.db), "the database path leaked into the job's environment");
    assert.ok(!text.includes("hunter2"), "a QUEUECTL_ variable leaked into the job's environment");
  } finally {
    await leftovers.cleanUp(sandbox);
  }
});
