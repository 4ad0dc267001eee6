/**
 * A worker frozen (SIGSTOP) for longer than its lease, on the same host as a live one: the live
 * worker rescues the frozen one's job, stops the job's process group (the orphan, still running
 * beside the frozen worker) before the job runs again, and runs it to completion; when the
 * frozen worker wakes (SIGCONT) its late finish is fenced off and changes nothing. Every store.
 *
 * Linux only: a worker stops another's orphan only where it can tell, by /proc, that the process
 * is still that run's (src/worker/run_tag.ts, rescuer.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { makeSandbox, onEveryStore, readOrEmpty, type Sandbox, waitFor } from "../helpers/cli.ts";
import { execSql } from "../helpers/dashboard.ts";
import {
  configure,
  enqueue,
  q,
  type RunningWorker,
  runsOf,
  startWorker,
  waitForState,
} from "../helpers/jobs.ts";

const onLinux: { test: typeof Deno.test.ignore } = {
  test: Deno.build.os === "linux" ? onEveryStore.test : Deno.test.ignore,
};

/** Lease: 0.2 s × 2 = 0.4 s; a rescued orphan is killed 1 s after its SIGTERM at most. */
const QUICK_RESCUE = {
  heartbeat_interval: "0.2",
  lease_heartbeats: "2",
  kill_grace: "1",
  poll_interval: "0.2",
};

/**
 * A job that logs `start PID ATTEMPT` and `end PID ATTEMPT` to `file`; its first run lasts a
 * minute (it is to be frozen and rescued), the next ones until `gate` exists. Each run first looks for the
 * process group of every run that started before it: a live (not zombie) process in one is an
 * `overlap PGID` line. A run's shell leads its group, so `$$` is the group's id.
 */
function jobCommand(file: string, gate: string): string {
  const f = q(file);
  return [
    `if [ -e ${f} ]; then while read -r kind pid rest; do`,
    `  [ "$kind" = start ] && ps -e -o pgid= -o stat= | awk -v g="$pid" '$1 == g && $2 !~ /^Z/' |`,
    `    grep -q . && echo "overlap $pid" >> ${f};`,
    `done < ${f}; fi`,
    `echo "start $$ $QUEUECTL_ATTEMPT" >> ${f}`,
    `if [ "$QUEUECTL_ATTEMPT" = 1 ]; then sleep 60; fi`,
    `until [ -e ${q(gate)} ]; do sleep 0.05; done`,
    `echo "end $$ $QUEUECTL_ATTEMPT" >> ${f}`,
  ].join("\n");
}

/**
 * Whether a write transaction can begin on the SQLite database within a second: false while a
 * frozen process holds the write lock (SQLite's lock is the holder's, frozen with it). Always
 * true on PostgreSQL, where each of the worker's statements commits on the server on its own.
 */
function writable(sandbox: Sandbox): boolean {
  if (sandbox.store !== "sqlite") return true;
  const db = new DatabaseSync(sandbox.db, { timeout: 1_000 });
  try {
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return true;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

/**
 * SIGSTOPs the worker at a moment it holds no SQLite write lock: a lock frozen with its holder
 * would stop every other process's writes too, the rescue included, which is not what this test
 * is about (and what `kill -STOP` of any SQLite writer does).
 */
function freeze(sandbox: Sandbox, worker: RunningWorker): number {
  for (let tries = 1;; tries++) {
    worker.handle.kill("SIGSTOP");
    const frozenAt = Date.now();
    if (writable(sandbox)) return frozenAt;
    worker.handle.kill("SIGCONT");
    if (tries === 20) throw new Error("the worker held the write lock at 20 freezes in a row");
  }
}

onLinux.test("a worker frozen past its lease loses its job to a live worker, which stops the orphan before it runs the job again, and its late finish is fenced off", async () => {
  const sandbox = await makeSandbox();
  const workers: RunningWorker[] = [];
  try {
    await configure(sandbox, QUICK_RESCUE);
    const file = join(sandbox.dir, "runs.log");
    const gate = join(sandbox.dir, "gate");
    const id = await enqueue(sandbox, ["--id", "frozen", "--", jobCommand(file, gate)]);
    const frozen = await startWorker(sandbox);
    workers.push(frozen);
    const firstRun = await waitFor("the first run to start", async () => {
      const line = (await readOrEmpty(file)).split("\n").find((line) => line.startsWith("start"));
      return line?.split(" ")[1];
    });
    const running = await sandbox.info(id);
    assert.equal(running.state, "processing");
    const frozenId = String(running.worker_id);
    // The live worker is up before the freeze: it watches the whole lease run out.
    const live = await startWorker(sandbox);
    workers.push(live);
    const frozenAt = freeze(sandbox, frozen);

    // The live worker rescues the job once its lease expired, and runs it again: the second
    // run found no process of the first one alive (no "overlap" line) when it started.
    const secondRun = await waitFor("the second run to start", async () => {
      const line = (await readOrEmpty(file)).split("\n").find((line) => line.endsWith(" 2"));
      return line?.split(" ")[1];
    }, 30_000);
    const rescued = await sandbox.info(id);
    assert.equal(rescued.state, "processing");
    assert.notEqual(rescued.worker_id, frozenId);
    assert.deepEqual(runsOf(rescued).map((run) => [run.attempt, run.outcome]), [[1, "rescued"]]);
    const [lost] = runsOf(rescued);
    assert.equal(lost.worker_id, frozenId);
    assert.match(String(lost.error), /lease expired/);
    assert.ok(Date.parse(String(lost.finished_at)) >= frozenAt, JSON.stringify(lost));
    assert.match(live.log(), new RegExp(`Rescued job "${id}"`));
    const lines = [`start ${firstRun} 1`, `start ${secondRun} 2`];
    assert.deepEqual(
      (await readOrEmpty(file)).trim().split("\n"),
      lines,
      "the first run is stopped (it never ends) before the second starts, which sees no overlap",
    );

    // The frozen worker wakes up while the second run goes on: its own run is gone (killed),
    // and what it records of it is fenced off by the lease token the rescue replaced, though the
    // job is processing (as it was when the frozen worker claimed it).
    frozen.handle.kill("SIGCONT");
    const finished = new RegExp(
      `Job "${id}" (was fenced off|failed|is dead)|(Completed|Released|Canceled) job "${id}"|Cannot take or finish`,
    );
    await waitFor("the woken worker to log how its run ended", () => finished.test(frozen.log()))
      .catch((error) => {
        throw new Error(`${error}\n--- the woken worker's log\n${frozen.log()}`);
      });
    const fenced = await sandbox.info(id);
    const unchanged = (job: Record<string, unknown>) => ({
      state: job.state,
      attempts: job.attempts,
      worker_id: job.worker_id,
      started_at: job.started_at,
      finished_at: job.finished_at,
      exit_code: job.exit_code,
      last_error: job.last_error,
      runs: job.runs,
    });
    assert.deepEqual(unchanged(fenced), unchanged(rescued), "the late finish changed the job");
    assert.match(frozen.log(), new RegExp(`Job "${id}" was fenced off`), frozen.log());

    // The second run completes the job; the first one never wrote its end.
    await Deno.writeTextFile(gate, "");
    const done = await waitForState(sandbox, id, "completed", 30_000);
    assert.deepEqual(runsOf(done).map((run) => [run.attempt, run.outcome]), [
      [1, "rescued"],
      [2, "completed"],
    ]);
    assert.equal(runsOf(done)[1].worker_id, rescued.worker_id);
    assert.deepEqual((await readOrEmpty(file)).trim().split("\n"), [
      ...lines,
      `end ${secondRun} 2`,
    ]);

    for (const worker of workers) {
      worker.handle.kill("SIGTERM");
      assert.equal(await worker.exited, 0, worker.log());
    }
  } finally {
    for (const worker of workers) {
      try {
        worker.handle.kill("SIGCONT");
      } catch {
        // Gone.
      }
    }
    await sandbox.cleanup();
  }
});

onLinux.test("a frozen worker whose row is gone from the store (forgotten as silent) still has its orphan stopped before its job runs again", async () => {
  await using sandbox = await makeSandbox();
  const workers: RunningWorker[] = [];
  const file = join(sandbox.dir, "runs.log");
  const gate = join(sandbox.dir, "gate");
  let firstRun: string | undefined;
  try {
    await configure(sandbox, QUICK_RESCUE);
    const id = await enqueue(sandbox, ["--id", "forgotten", "--", jobCommand(file, gate)]);
    const frozen = await startWorker(sandbox);
    workers.push(frozen);
    firstRun = await waitFor("the first run to start", async () => {
      const line = (await readOrEmpty(file)).split("\n").find((line) => line.startsWith("start"));
      return line?.split(" ")[1];
    });
    const frozenId = String((await sandbox.info(id)).worker_id);
    freeze(sandbox, frozen);
    // What a rescuer's forgetLostWorkers does to a worker silent for two leases that it read
    // holding no job (its claim raced the read): the job's owner is no longer known.
    await execSql(sandbox, (table) => `DELETE FROM ${table("workers")} WHERE id = '${frozenId}'`);
    // Then a live worker rescues the job by its expired lease, owner unknown: it must still find
    // the first run by its tag and stop it before the second run starts.
    const live = await startWorker(sandbox);
    workers.push(live);
    const secondRun = await waitFor("the second run to start", async () => {
      const line = (await readOrEmpty(file)).split("\n").find((line) => line.endsWith(" 2"));
      return line?.split(" ")[1];
    }, 30_000);
    assert.deepEqual(
      (await readOrEmpty(file)).trim().split("\n"),
      [`start ${firstRun} 1`, `start ${secondRun} 2`],
      `the first run is stopped before the second starts:\n${live.log()}`,
    );
    assert.match(
      live.log(),
      new RegExp(`Stopped what still ran of job "${id}"'s lost run .*pid ${firstRun} \\(group`),
    );
    await Deno.writeTextFile(gate, "");
    await waitForState(sandbox, id, "completed", 30_000);
  } finally {
    // Failed: every run ends, so that the workers can drain (the first run's group, if it was
    // left running, is killed here).
    await Deno.writeTextFile(gate, "");
    if (firstRun !== undefined) {
      try {
        Deno.kill(-Number(firstRun), "SIGKILL");
      } catch {
        // Stopped by the rescuer, as it should be.
      }
    }
    for (const worker of workers) {
      try {
        worker.handle.kill("SIGCONT");
        worker.handle.kill("SIGTERM");
      } catch {
        // Gone.
      }
      await worker.exited;
    }
  }
});
