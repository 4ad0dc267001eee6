/**
 * A child process for the SQLite race tests (`sqlite_claim_race_test.ts`), on its own connection
 * to the store. It prints `ready` once the store is open, then, in `claim` and `insert` mode,
 * waits for a `go` line on stdin (so every child starts together), does its part and prints one
 * JSON line with what it did; in `step` mode it does one thing per line the test sends, so that
 * the test decides when each child acts. Any error exits 1.
 *
 * ```
 * deno run -A claim_worker_script.ts claim  DB_PATH WORKER_ID NOW [UNTIL_COMPLETED]
 * deno run -A claim_worker_script.ts insert DB_PATH ID_PREFIX COUNT NOW
 * deno run -A claim_worker_script.ts step   DB_PATH WORKER_ID
 * ```
 *
 * `claim` loops claim → finish(completed) and prints `{"claimed":[ids…]}`. It stops when nothing
 * is due, or, given UNTIL_COMPLETED, once that many jobs are completed in the whole store (while
 * others are still enqueueing, "nothing due" does not mean done). `insert` enqueues COUNT jobs
 * one `jobInsert` at a time and prints `{"inserted":[ids…]}`.
 *
 * `step` answers each line on stdin with one JSON line:
 * - `claim NOW`: claims one job and holds it → `{"claimed":ID|null,"queue":QUEUE|null}`;
 * - `finish NOW`: completes every job it holds → `{"finished":[ids…]}`;
 * - `read SCHEDULE NOW`: reads when SCHEDULE is next due, if by NOW → `{"due":TIME|null}`;
 * - `fire SCHEDULE START`: fires SCHEDULE for the time it read last, moving it 1000 ms on, with
 *   a job `SCHEDULE-r-WORKER_ID` (round r = (due − START) / 1000) → `{"jobId":ID|null}` (null:
 *   another process fired it first);
 * - `quit`: closes the store and exits.
 *
 * @module
 */
import type { Job } from "../../src/job.ts";
import { type NewJob, openStore, type Store } from "../../src/store/mod.ts";

/** How long a claimer waits for UNTIL_COMPLETED before it gives up (a safety net, not a timing). */
const GIVE_UP_MS = 120_000;

async function main(args: string[]): Promise<void> {
  const [mode, path] = args;
  if (!path) throw new Error(`usage: claim|insert|step DB_PATH …, got ${JSON.stringify(args)}`);
  const store = await openStore(
    { kind: "sqlite", path },
    // Claimers and firers behave like worker processes; inserters like `queuectl enqueue`.
    { durability: mode === "insert" ? "full" : "normal" },
  );
  try {
    console.log("ready");
    if (mode === "step") {
      await step(store, args[2]);
      return;
    }
    await waitForGo();
    if (mode === "claim") {
      const [, , workerId, now, untilCompleted] = args;
      const claimed: string[] = [];
      const giveUpAt = Date.now() + GIVE_UP_MS;
      for (;;) {
        const job = await store.jobClaim({ workerId, leaseMs: 60_000, now: Number(now) });
        if (job) {
          claimed.push(job.id);
          await complete(store, job, Number(now) + 1);
          continue;
        }
        if (untilCompleted === undefined) break;
        if ((await store.jobCountByState()).completed >= Number(untilCompleted)) break;
        if (Date.now() > giveUpAt) {
          throw new Error(`gave up waiting for ${untilCompleted} completed jobs`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2)); // Poll: inserters are still going.
      }
      console.log(JSON.stringify({ claimed }));
    } else if (mode === "insert") {
      const [, , prefix, count, now] = args;
      const inserted: string[] = [];
      for (let i = 0; i < Number(count); i++) {
        const id = `${prefix}-${i}`;
        await store.jobInsert({ jobs: [newJob(id, Number(now))], now: Number(now) });
        inserted.push(id);
      }
      console.log(JSON.stringify({ inserted }));
    } else {
      throw new Error(`unknown mode ${JSON.stringify(mode)}`);
    }
  } finally {
    await store.close();
  }
}

/** `step` mode: one command per line on stdin, one JSON line in answer (see the module doc). */
async function step(store: Store, workerId: string): Promise<void> {
  const held: Job[] = [];
  let due: number | null = null;
  for await (const line of readLines(Deno.stdin.readable)) {
    const [command, first, second] = line.split(" ");
    let answer: unknown;
    if (command === "claim") {
      const job = await store.jobClaim({ workerId, leaseMs: 60_000, now: Number(first) });
      if (job) held.push(job);
      answer = { claimed: job?.id ?? null, queue: job?.queue ?? null };
    } else if (command === "finish") {
      const finished = held.splice(0);
      for (const job of finished) await complete(store, job, Number(first));
      answer = { finished: finished.map((job) => job.id) };
    } else if (command === "read") {
      const schedule = (await store.scheduleListDue({ now: Number(second) }))
        .find((candidate) => candidate.name === first);
      due = schedule?.nextRunAt ?? null;
      answer = { due };
    } else if (command === "fire") {
      if (due === null) throw new Error(`fire ${first} without a due time read first`);
      const round = (due - Number(second)) / 1000;
      const won = await store.scheduleFire({
        name: first,
        expectedNextRunAt: due,
        nextRunAt: due + 1000,
        job: newJob(`${first}-${round}-${workerId}`, due),
        now: due,
      });
      answer = { jobId: won?.jobId ?? null };
    } else if (command === "quit") {
      return;
    } else {
      throw new Error(`unknown step ${JSON.stringify(line)}`);
    }
    console.log(JSON.stringify(answer));
  }
  throw new Error("stdin closed before quit");
}

/** Completes `job`, failing if its lease was lost. */
async function complete(store: Store, job: Job, now: number): Promise<void> {
  const finished = await store.jobFinish({
    id: job.id,
    leaseToken: job.leaseToken,
    now,
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
}

/** A job running `true`, due at `runAt`. */
function newJob(id: string, runAt: number): NewJob {
  return {
    id,
    command: "true",
    maxRetries: 0,
    timeoutSeconds: null,
    runAt,
    priority: 0,
    queue: "default",
    backoffBase: null,
    cwd: null,
    env: null,
    after: [],
    uniqueKey: null,
    shell: null,
  };
}

/** The lines of a byte stream (without their `\n`), as they arrive. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n"); end !== -1; end = buffer.indexOf("\n")) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
    }
  }
}

/** Resolves once a `go` line arrives on stdin. */
async function waitForGo(): Promise<void> {
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line === "go") return;
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
