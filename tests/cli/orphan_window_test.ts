/**
 * A worker killed at any moment of a run leaves no orphan that runs beside the job's next run:
 * kill -9 the worker the instant a job's first line appears (inside the first 50 ms, before its
 * process group is recorded), 20 times in a row, with 1 and with 4 slots busy; the next worker
 * rescues and reruns each job. Every run appends `start PID` and `end PID` to the job's file and
 * first checks whether an earlier run's shell still lives: no run may see one, and every job
 * completes. Linux: only there can a worker find an unrecorded orphan (by its run tag in
 * /proc/PID/environ); elsewhere the README says what holds instead.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, readOrEmpty, waitFor } from "../helpers/cli.ts";
import { configure, enqueue, q, startWorker, waitForState } from "../helpers/jobs.ts";

const ROUNDS = 20;

/** A job that appends its runs to `file`, and `overlap PID` if an earlier run still lives. */
function jobCommand(file: string): string {
  const f = q(file);
  return [
    `if [ -e ${f} ]; then while read -r kind pid; do`,
    // Alive, and not a zombie left unreaped (this machine's init may be slow to reap).
    `  [ "$kind" = start ] && [ -e /proc/$pid ] && ! grep -q ') Z' /proc/$pid/stat 2>/dev/null &&`,
    `    echo "overlap $pid" >> ${f};`,
    `done < ${f}; fi`,
    `echo "start $$" >> ${f}`,
    `sleep 1`,
    `echo "end $$" >> ${f}`,
  ].join("\n");
}

/** Linux only: elsewhere no worker can read another process's environment. */
const onLinux = Deno.build.os === "linux" ? onEveryStore.test : Deno.test.ignore;

for (const slots of [1, 4]) {
  onLinux({
    name: `kill -9 in a run's first milliseconds, ${ROUNDS} times with ${slots} slot(s) busy: ` +
      "no run overlaps another, every job completes",
    fn: async () => {
      await using sandbox = await makeSandbox();
      // Rescue at a new worker's start-up: its rescuer runs at once and finds the dead pid.
      await configure(sandbox, { poll_interval: "0.05", heartbeat_interval: "0.5" });
      let worker = await startWorker(sandbox, ["--count", String(slots)]);
      const jobs: { id: string; file: string }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const batch: { id: string; file: string }[] = [];
        for (let i = 0; i < slots; i++) {
          const file = join(sandbox.dir, `run-${round}-${i}.log`);
          batch.push({ id: await enqueue(sandbox, ["--", jobCommand(file)]), file });
        }
        // The instant every job has written its first line: well inside the first 50 ms.
        await waitFor(
          `round ${round}'s jobs to start`,
          async () => {
            for (const { file } of batch) {
              if (!(await readOrEmpty(file)).includes("start")) return false;
            }
            return true;
          },
          20_000,
          2,
        );
        worker.handle.kill("SIGKILL");
        await worker.exited;
        worker = await startWorker(sandbox, ["--count", String(slots)]);
        // Each round's reruns end before the next round starts: its kill hits only new runs.
        for (const { id } of batch) await waitForState(sandbox, id, "completed", 60_000);
        jobs.push(...batch);
      }
      let killedMidRun = 0;
      for (const { id, file } of jobs) {
        const lines = (await readOrEmpty(file)).trim().split("\n");
        assert.ok(!lines.some((line) => line.startsWith("overlap")), `${id}: ${lines}`);
        // The last run is whole: its start, then its end.
        const last = lines.at(-2)?.split(" ")[1];
        assert.deepEqual(lines.slice(-2), [`start ${last}`, `end ${last}`], `${id}: ${lines}`);
        // A run that never ended was killed with its worker (on a loaded machine the kill
        // may come after a run ended: then the job just runs again, at least once).
        if (lines.length === 3) killedMidRun++;
      }
      assert.ok(killedMidRun >= jobs.length / 2, `only ${killedMidRun} runs were killed mid-run`);
      worker.handle.kill("SIGTERM");
      assert.equal(await worker.exited, 0, worker.log());
    },
  });
}
