/**
 * Crash safety, end to end through the real CLI on a real SQLite file or PostgreSQL schema
 * (`makeSandbox`): jobs of a worker killed with SIGKILL are rescued (by a new worker at start, or
 * by a live sibling on its periodic pass) and run exactly once more with their orphaned process
 * group killed; a lease held by a frozen worker on another host expires and only then is rescued,
 * and that worker's late result is fenced off; many concurrent enqueuers and workers lose and
 * duplicate nothing; the database and the jobs' environment keep secrets in. Time limits and
 * stops: stop_and_timeouts_test.ts.
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
  sqliteOnly,
  STORE_AVAILABLE,
  TEST_STORE,
  waitFor,
} from "../helpers/cli.ts";
import { configure, enqueue, q, runsOf } from "../helpers/jobs.ts";
import {
  count,
  exitOf,
  killableCommand,
  Leftovers,
  LONG_LEASE,
  onLinux,
  outcomes,
  pidsIn,
  startWorker,
  waitForProcessGroup,
  waitForState,
  waitUntilGroupGone,
  waitUntilRegistered,
} from "../helpers/crash.ts";

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

// CLI calls race the workers, each a whole process start: 400 on SQLite, where lock errors are
// what it looks for (~0.1 s of CPU a call), 200 on PostgreSQL, where each call also connects
// (400 took 2 min 4 s of a local full test run there, 56 s on SQLite); QUEUECTL_STRESS_BIG=1 runs 10000.
const STRESS_PER_ENQUEUER = TEST_STORE === "postgres" ? 50 : 100;
onEveryStore.test(
  `4 concurrent enqueuers and 2 worker processes run ${
    4 * STRESS_PER_ENQUEUER
  } jobs exactly once, without lock errors`,
  async () => {
    await stress(STRESS_PER_ENQUEUER);
  },
);

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
