/**
 * A worker killed at any moment of a run leaves no orphan that runs beside the job's next run:
 * kill -9 the worker the instant a job's first line appears (inside the first 50 ms, before its
 * process group is recorded), 10 times in a row, with 1 and with 4 slots busy; the next worker
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
import { configure, enqueueAll, q, startWorker, waitForCompleted } from "../helpers/jobs.ts";

// With the run-tag lookup taken out of the rescuer, the first round already overlaps on both
// stores (checked 2026-12-05, as when the test came with the fix): ten rounds are for a loaded
// machine's odd timing, not for the odds of hitting the window.
const ROUNDS = 10;

/**
 * A job that appends its runs to `file`, and `overlap PID STATE START` if an earlier run still
 * lives (as its one read of /proc/PID/stat showed it). Each run then holds until `release`
 * exists (3000 naps of 50 ms at most, so a failed test leaves nothing running; 600 were too few
 * at load 30, where a new worker took 40 s to start and rescue): the kill always lands mid-run,
 * however slowly a loaded machine starts the next worker.
 */
function jobCommand(file: string, release: string): string {
  const f = q(file);
  // A run is known by its pid and its start time (field 22 of /proc/PID/stat): with pid_max
  // 32768 and every test spawning, a pid comes round again within seconds.
  const startTime = (pid: string) => `$(cut -d' ' -f22 /proc/${pid}/stat 2>/dev/null)`;
  return [
    `if [ -e ${f} ]; then while read -r kind pid since; do`,
    // The same process, alive, and not a zombie left unreaped (this machine's init reaps orphans
    // every 2 s or so). State and start time from one read: read twice, a zombie reaped between
    // the reads passed for alive ('start 8036 70766, overlap 8036' at load 20, its rescue done).
    `  [ "$kind" = start ] && now=$(cut -d' ' -f3,22 /proc/$pid/stat 2>/dev/null) &&`,
    `    [ "\${now#* }" = "$since" ] && [ "\${now%% *}" != Z ] && [ "\${now%% *}" != X ] &&`,
    `    echo "overlap $pid $now" >> ${f};`,
    `done < ${f}; fi`,
    `echo "start $$ ${startTime("$$")}" >> ${f}`,
    `i=0; while [ ! -e ${q(release)} ] && [ $i -lt 3000 ]; do sleep 0.05; i=$((i + 1)); done`,
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
      // Every worker's log, so that a failure tells what each did with the job (which process
      // of its lost run a rescuer stopped, and when).
      const logs = [worker.log];
      const story = (id: string, lines: string[]) =>
        `${id}: ${lines.join(", ")}\n${
          logs.flatMap((log) => log().split("\n")).filter((line) => line.includes(`"${id}"`))
            .join("\n")
        }`;
      const jobs: { id: string; file: string }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const release = join(sandbox.dir, `release-${round}`);
        const files = Array.from(
          { length: slots },
          (_, i) => join(sandbox.dir, `run-${round}-${i}.log`),
        );
        const ids = await enqueueAll(
          sandbox,
          files.map((file) => ({ command: jobCommand(file, release) })),
        );
        const batch = ids.map((id, i) => ({ id, file: files[i] }));
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
        logs.push(worker.log);
        // Every job rescued and running again (each rerun has looked for a live earlier run).
        await waitFor(
          `round ${round}'s jobs to run again`,
          async () => {
            for (const { file } of batch) {
              if ((await readOrEmpty(file)).split("start").length - 1 < 2) return false;
            }
            return true;
          },
          60_000,
          20,
        );
        await Deno.writeTextFile(release, "");
        // Each round's reruns end before the next round starts: its kill hits only new runs.
        await waitForCompleted(sandbox, ids, 60_000);
        jobs.push(...batch);
      }
      const notKilledOnce: string[] = [];
      for (const { id, file } of jobs) {
        const lines = (await readOrEmpty(file)).trim().split("\n");
        assert.ok(!lines.some((line) => line.startsWith("overlap")), story(id, lines));
        // The last run is whole: its start, then its end.
        const last = lines.at(-1)?.split(" ")[1];
        assert.ok(lines.at(-2)?.startsWith(`start ${last} `), story(id, lines));
        assert.equal(lines.at(-1), `end ${last}`, story(id, lines));
        // The first run never ended: killed with its worker, its orphan stopped by the rescuer;
        // and the job ran twice, no more (a third run means a run was taken from its slot).
        if (lines.length !== 3) notKilledOnce.push(story(id, lines));
      }
      assert.deepEqual(notKilledOnce, [], "every first run was killed mid-run, and only once");
      worker.handle.kill("SIGTERM");
      assert.equal(await worker.exited, 0, worker.log());
    },
  });
}
