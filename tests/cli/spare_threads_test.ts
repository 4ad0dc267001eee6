/**
 * Spare threads: an idle worker process runs one Web Worker; another starts only when work finds
 * no idle slot, and stops again once its slots idled through `SPARE_IDLE_HEARTBEATS` heartbeats.
 * Counted from the process's own threads: Deno names a Web Worker's thread `worker-N`
 * (`/proc/PID/task/TID/comm`), so this runs on Linux.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, type Sandbox, waitFor } from "../helpers/cli.ts";
import {
  configure,
  enqueueAll,
  type Json,
  q,
  runsOf,
  startWorker,
  stopWorker,
  waitForCompleted,
} from "../helpers/jobs.ts";
import { threadCount } from "../../src/worker/supervisor.ts";
import { webWorkerThreads as webWorkers } from "../../scripts/bench/procfs.ts";

const onLinux = Deno.build.os === "linux" ? onEveryStore.test : Deno.test.ignore;

/** Enqueues `count` jobs that each hold their slot until `release` exists; waits until all run. */
async function holdSlots(sandbox: Sandbox, name: string, count: number): Promise<string[]> {
  const started = join(sandbox.dir, `started-${name}`);
  const release = join(sandbox.dir, `release-${name}`);
  await Deno.mkdir(started);
  // Each also ends once the sandbox is gone, so that a failed test leaves no job behind.
  const hold = `touch ${q(started)}/$QUEUECTL_JOB_ID; ` +
    `while [ ! -e ${q(release)} ] && [ -d ${q(started)} ]; do sleep 0.02; done`;
  const ids = await enqueueAll(
    sandbox,
    Array.from({ length: count }, (): Json => ({ command: hold })),
  );
  await waitFor(
    `the ${count} ${name} jobs to run at the same time`,
    async () => (await Array.fromAsync(Deno.readDir(started))).length === count,
    15_000,
    20,
  );
  return ids;
}

onLinux(
  "worker start --count 8: one Web Worker while idle, every thread under load, one again after",
  async () => {
    // 8 slots: at least 2 per thread (at most 4 threads), so one job leaves the first thread
    // an idle slot and starts no spare.
    const threads = threadCount(8);
    await using sandbox = await makeSandbox();
    // A spare stops after 6 heartbeats of idle slots: 1.2 s here instead of 30 s. The lease
    // stays long (a loaded machine must not see a held job's lease lapse and rescue it).
    await configure(sandbox, { heartbeat_interval: "0.2", lease_heartbeats: "300" });
    const worker = await startWorker(sandbox, ["--count", "8"]);
    const pid = worker.handle.pid;
    await waitFor("the first Web Worker to start", async () => await webWorkers(pid) === 1);
    // Its slots first claim as they start, when none is idle yet: a job then may well start a
    // spare. One job run, and any spare it started stopped again, leaves every slot waiting.
    await waitForCompleted(sandbox, await enqueueAll(sandbox, [{ command: "true" }]));
    await waitFor("any spare to stop", async () => await webWorkers(pid) === 1, 15_000);

    // Work one thread's idle slots can take starts no other thread.
    const single = await holdSlots(sandbox, "single", 1);
    assert.equal(await webWorkers(pid), 1, "one job on an idle worker: no spare thread");
    await Deno.writeTextFile(join(sandbox.dir, "release-single"), "");
    await waitForCompleted(sandbox, single);

    // Every slot busy: the jobs the first thread cannot take start a spare, which runs them.
    const burst = await holdSlots(sandbox, "burst", 8);
    assert.equal(await webWorkers(pid), threads, `8 jobs at once on ${threads} thread(s)`);
    await Deno.writeTextFile(join(sandbox.dir, "release-burst"), "");
    await waitForCompleted(sandbox, burst);
    await waitFor(
      "the spare threads to stop once idle",
      async () => await webWorkers(pid) === 1,
      15_000,
    );

    // A parked spare starts again for the next burst.
    const again = await holdSlots(sandbox, "again", 8);
    assert.equal(await webWorkers(pid), threads);
    await Deno.writeTextFile(join(sandbox.dir, "release-again"), "");
    await waitForCompleted(sandbox, again);
    for (const id of [...single, ...burst, ...again]) {
      const job = await sandbox.info(id);
      assert.equal(job.state, "completed", id);
      assert.equal(runsOf(job).length, 1, `${id} ran once`);
    }
    // A stop finds the spares parked (or about to be): the process still drains and exits 0.
    await waitFor("the spares to park again", async () => await webWorkers(pid) === 1, 15_000);
    await stopWorker(worker);
  },
);

onLinux(
  "a spare whose slots are the process's only idle ones stays up: a job due later still starts on time",
  async () => {
    // 2 slots on 2 threads: the first thread's one slot holds a job; only the spare's is idle.
    const threads = threadCount(2);
    await using sandbox = await makeSandbox();
    // Spares idle at 6 beats (1.2 s) would stop; the poll comes only at the delayed job's
    // run_at (no wake-up announces a job coming due), so only a running idle slot starts it.
    await configure(sandbox, {
      heartbeat_interval: "0.2",
      lease_heartbeats: "300",
      poll_interval: "300",
    });
    const worker = await startWorker(sandbox, ["--count", "2"]);
    const pid = worker.handle.pid;
    const held = await holdSlots(sandbox, "held", 1);
    await waitFor(
      `${threads} Web Worker(s) running`,
      async () => await webWorkers(pid) === threads,
    );
    // Due well after the spare would have stopped, had it stopped.
    const [late] = await enqueueAll(sandbox, [{ command: "true", delay: "3s" }]);
    const enqueuedAt = Date.now();
    await waitForCompleted(sandbox, [late], 20_000);
    const job = await sandbox.info(late);
    const runs = runsOf(job);
    assert.equal(runs.length, 1);
    const startedAt = Date.parse(String(runs[0].started_at));
    assert.ok(
      startedAt - enqueuedAt < 3_000 + 2_000,
      `the delayed job started ${startedAt - enqueuedAt} ms after it was enqueued (due at 3000)`,
    );
    assert.equal(await webWorkers(pid), threads, "the spare is still up: its slot was needed");
    await Deno.writeTextFile(join(sandbox.dir, "release-held"), "");
    await waitForCompleted(sandbox, held);
    await stopWorker(worker);
  },
);
