/**
 * A child process for the SQLite race tests (`sqlite_claim_race_test.ts`): it opens the store on
 * its own connection, prints `ready`, waits for a `go` line on stdin (so every child starts
 * together), does its part, and prints one JSON line with what it did. Any error exits 1.
 *
 * ```
 * deno run -A claim_worker_script.ts claim  DB_PATH WORKER_ID NOW [UNTIL_COMPLETED [QUEUE]]
 * deno run -A claim_worker_script.ts insert DB_PATH ID_PREFIX COUNT NOW
 * deno run -A claim_worker_script.ts fire   DB_PATH SCHEDULE WORKER_ID START ROUNDS
 * ```
 *
 * `claim` loops claim → finish(completed) and prints `{"claimed":[ids…]}`. It stops when nothing
 * is due, or, given UNTIL_COMPLETED, once that many jobs are completed in the whole store (while
 * others are still enqueueing, "nothing due" does not mean done). Given QUEUE too, after each claim
 * of a job of QUEUE it counts the jobs of QUEUE processing in the store, and adds the most it saw
 * as `"mostRunning"` (to check a concurrency limit). `insert` enqueues COUNT jobs one `jobInsert`
 * at a time and prints `{"inserted":[ids…]}`. `fire` acts like the scheduler of a worker
 * process: while SCHEDULE is due at START + ROUNDS × 1000, it fires it for its `nextRunAt`
 * (round r = (nextRunAt − START) / 1000), moving it 1000 ms on, with a job `SCHEDULE-r-WORKER_ID`;
 * it prints `{"fired":[ids of the jobs it added…],"lost":N}` (N fires another process won).
 *
 * @module
 */
import { openStore } from "../../src/store/mod.ts";

/** How long a claimer waits for UNTIL_COMPLETED before it gives up (a safety net, not a timing). */
const GIVE_UP_MS = 120_000;

async function main(args: string[]): Promise<void> {
  const [mode, path] = args;
  if (!path) throw new Error(`usage: claim|insert|fire DB_PATH …, got ${JSON.stringify(args)}`);
  const store = await openStore(
    { kind: "sqlite", path },
    // Claimers behave like worker processes; inserters like `queuectl enqueue`.
    { durability: mode === "claim" ? "normal" : "full" },
  );
  try {
    console.log("ready");
    await waitForGo();
    if (mode === "claim") {
      const [, , workerId, now, untilCompleted, queue] = args;
      const claimed: string[] = [];
      let mostRunning = 0;
      const giveUpAt = Date.now() + GIVE_UP_MS;
      for (;;) {
        const job = await store.jobClaim({ workerId, leaseMs: 60_000, now: Number(now) });
        if (job) {
          claimed.push(job.id);
          if (queue !== undefined && job.queue === queue) {
            const running = await store.jobList({ states: ["processing"], queues: [queue] });
            mostRunning = Math.max(mostRunning, running.length);
          }
          const finished = await store.jobFinish({
            id: job.id,
            leaseToken: job.leaseToken,
            now: Number(now) + 1,
            state: "completed",
            exitCode: 0,
            error: null,
            outcome: "completed",
            stdout: new Uint8Array(),
            stderr: new Uint8Array(),
            stdoutBytes: 0,
            stderrBytes: 0,
          });
          if (!finished) throw new Error(`jobFinish of ${job.id} was fenced off`);
          continue;
        }
        if (untilCompleted === undefined) break;
        if ((await store.jobCountByState()).completed >= Number(untilCompleted)) break;
        if (Date.now() > giveUpAt) {
          throw new Error(`gave up waiting for ${untilCompleted} completed jobs`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2)); // Poll: inserters are still going.
      }
      console.log(JSON.stringify(queue === undefined ? { claimed } : { claimed, mostRunning }));
    } else if (mode === "insert") {
      const [, , prefix, count, now] = args;
      const inserted: string[] = [];
      for (let i = 0; i < Number(count); i++) {
        const id = `${prefix}-${i}`;
        await store.jobInsert({
          jobs: [{
            id,
            command: "true",
            maxRetries: 0,
            timeoutSeconds: null,
            runAt: Number(now),
            priority: 0,
            queue: "default",
            backoffBase: null,
            cwd: null,
            env: null,
            after: [],
            uniqueKey: null,
            shell: null,
          }],
          now: Number(now),
        });
        inserted.push(id);
      }
      console.log(JSON.stringify({ inserted }));
    } else if (mode === "fire") {
      const [, , name, workerId, start, rounds] = args;
      const fired: string[] = [];
      let lost = 0;
      const last = Number(start) + Number(rounds) * 1000;
      for (;;) {
        const schedule = (await store.scheduleListDue({ now: last }))
          .find((due) => due.name === name);
        if (!schedule) break;
        const due = schedule.nextRunAt!;
        const round = (due - Number(start)) / 1000;
        const won = await store.scheduleFire({
          name,
          expectedNextRunAt: due,
          nextRunAt: due + 1000,
          job: {
            id: `${name}-${round}-${workerId}`,
            command: "true",
            maxRetries: 0,
            timeoutSeconds: null,
            runAt: due,
            priority: 0,
            queue: "default",
            backoffBase: null,
            cwd: null,
            env: null,
            after: [],
            uniqueKey: null,
            shell: null,
          },
          now: due,
        });
        if (won?.jobId) fired.push(won.jobId);
        else lost++;
      }
      console.log(JSON.stringify({ fired, lost }));
    } else {
      throw new Error(`unknown mode ${JSON.stringify(mode)}`);
    }
  } finally {
    await store.close();
  }
}

/** Resolves once a `go` line arrives on stdin. */
async function waitForGo(): Promise<void> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    text += decoder.decode(chunk, { stream: true });
    if (text.split("\n").includes("go")) return;
  }
  throw new Error("stdin closed before the go signal");
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    Deno.exit(1);
  }
}
