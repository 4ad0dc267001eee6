/**
 * Shared pieces of the store contract: the fixture a backend provides, the test registration
 * type, the fixed timeline, and helpers that go through the `Store` interface only.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/clock.ts";
import type { Job, JobRun, JobState } from "../../../src/job.ts";
import type {
  JobFinish,
  JobInsertResult,
  NewJob,
  OutputChunk,
  OutputStream,
  Store,
  WorkerProcess,
} from "../../../src/store/mod.ts";
import { newJobRow } from "../../../src/store/insert_plan.ts";

/** What a backend's test file hands to `storeContract`: a fresh, empty store per test. */
export interface StoreFixture {
  store: Store;
  /** Opens another connection (another `Store` instance) on the same database. */
  openAnother: () => Promise<Store>;
  /** Closes every connection the fixture opened and removes the database. */
  cleanup: () => Promise<void>;
}

/** Registers one contract test, run on a fresh fixture. */
export type ContractTest = (
  title: string,
  body: (fixture: StoreFixture) => Promise<void>,
) => void;

/** The start of every test's timeline. */
export const T0 = new ManualClock().now();
export const LEASE_MS = 30_000;

/** A new job with the defaults a caller resolves when the user gives none. */
export function newJob(id: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id,
    command: `echo ${id}`,
    maxRetries: 3,
    timeoutSeconds: null,
    runAt: T0,
    priority: 0,
    queue: "default",
    backoffBase: null,
    cwd: null,
    env: null,
    after: [],
    uniqueKey: null,
    shell: null,
    ...overrides,
  };
}

export function workerProcess(id: string, overrides: Partial<WorkerProcess> = {}): WorkerProcess {
  return {
    id,
    host: "host-a",
    pid: 1001,
    pidStartTime: "4242",
    concurrency: 2,
    startedAt: T0,
    heartbeatAt: T0,
    stopRequested: null,
    ...overrides,
  };
}

/** Claims the next due job (of `queues`, when given), failing the test when there is none. */
export async function claim(
  store: Store,
  workerId: string,
  now: number,
  queues?: string[],
): Promise<Job> {
  const job = await store.jobClaim({ workerId, leaseMs: LEASE_MS, now, queues });
  assert.ok(job, `${workerId} expected to claim a job at T0+${now - T0}`);
  return job;
}

/** Claims the next due job, failing the test unless it is `id`. */
export async function claimId(store: Store, id: string, now: number): Promise<Job> {
  const job = await claim(store, `worker-of-${id}`, now);
  assert.equal(job.id, id, `expected to claim ${id} at T0+${now - T0}`);
  return job;
}

/** What `jobInsert` answers for a job it added at `now`: the new row, in `state`. */
export function added(
  job: NewJob,
  now: number,
  state: "pending" | "blocked" = "pending",
): JobInsertResult {
  return { id: job.id, job: newJobRow(job, now, state), existing: false };
}

/** The state of each job of `jobIds` (undefined for a job that is not stored), by id. */
export async function statesOf(
  store: Store,
  jobIds: string[],
): Promise<Record<string, JobState | undefined>> {
  const states: Record<string, JobState | undefined> = {};
  for (const id of jobIds) states[id] = (await store.jobGet({ id }))?.state;
  return states;
}

/** Claims until nothing is due and returns the ids in claim order. */
export async function claimAll(
  store: Store,
  workerId: string,
  now: number,
  queues?: string[],
): Promise<string[]> {
  const order: string[] = [];
  for (;;) {
    const job = await store.jobClaim({ workerId, leaseMs: LEASE_MS, now, queues });
    if (!job) return order;
    order.push(job.id);
  }
}

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The output fields of a `jobFinish` whose streams were exactly `stdout` and `stderr`. */
export function output(
  stdout: string,
  stderr: string,
): Pick<JobFinish, "stdout" | "stderr" | "stdoutBytes" | "stderrBytes"> {
  const out = bytes(stdout);
  const err = bytes(stderr);
  return { stdout: out, stderr: err, stdoutBytes: out.length, stderrBytes: err.length };
}

/** The `jobFinish` of the run `job` was claimed for. */
export function finishOf(
  job: Job,
  now: number,
  state: Exclude<JobState, "processing">,
  overrides: Partial<JobFinish> = {},
): JobFinish {
  const completed = state === "completed";
  return {
    id: job.id,
    leaseToken: job.leaseToken,
    now,
    state,
    exitCode: completed ? 0 : 1,
    error: completed ? null : "Exited with code 1",
    outcome: completed ? "completed" : "failed",
    ...output("", ""),
    ...overrides,
  };
}

/** How the rescuer ends a lost run: back to `failed`, due at `runAt`. */
export function rescueOf(job: Job, now: number, runAt: number): JobFinish {
  return {
    id: job.id,
    leaseToken: job.leaseToken,
    now,
    state: "failed",
    runAt,
    exitCode: null,
    error: "Rescued from a lost worker",
    outcome: "rescued",
    ...output("", ""),
  };
}

/**
 * A run as `jobRuns` returns it: `run` is its claim's lease token; its output is given as text,
 * kept whole (tail = total).
 */
export function run(
  jobId: string,
  run: number,
  attempt: number,
  workerId: string,
  startedAt: number,
  finishedAt: number,
  outcome: string,
  exitCode: number | null,
  error: string | null,
  stdout: string,
  stderr: string,
): JobRun {
  return {
    jobId,
    run,
    attempt,
    workerId,
    startedAt,
    finishedAt,
    outcome,
    exitCode,
    error,
    ...output(stdout, stderr),
  };
}

/**
 * Seven jobs, one in each state and a second pending one, enqueued in this order: pending-1,
 * processing-1, completed-1, failed-1, dead-1, canceled-1, pending-2. processing-1 is held by
 * worker "seed"; canceled-1 was canceled while pending.
 */
export async function seedEveryState(store: Store): Promise<void> {
  await store.jobInsert({
    jobs: [
      newJob("pending-1", { runAt: T0 + 1e6 }),
      newJob("processing-1"),
      newJob("completed-1"),
      newJob("failed-1", { maxRetries: 3 }),
      newJob("dead-1", { maxRetries: 0 }),
      newJob("canceled-1"),
      newJob("pending-2", { runAt: T0 + 1e6 }),
    ],
    now: T0,
  });
  assert.deepEqual(await store.jobCancel({ ids: ["canceled-1"], now: T0 }), {
    canceled: ["canceled-1"],
    stopping: [],
  });
  const processing = await claim(store, "seed", T0);
  const completed = await claim(store, "seed", T0);
  const failed = await claim(store, "seed", T0);
  const dead = await claim(store, "seed", T0);
  assert.deepEqual(
    [processing.id, completed.id, failed.id, dead.id],
    ["processing-1", "completed-1", "failed-1", "dead-1"],
  );
  assert.equal(await store.jobFinish(finishOf(completed, T0 + 1, "completed")), true);
  assert.equal(
    await store.jobFinish(finishOf(failed, T0 + 1, "failed", { runAt: T0 + 1e6 })),
    true,
  );
  assert.equal(await store.jobFinish(finishOf(dead, T0 + 1, "dead")), true);
}

/** Counts per state: `counts` given, every other state zero. */
export function stateCounts(counts: Partial<Record<JobState, number>>): Record<JobState, number> {
  return {
    blocked: 0,
    pending: 0,
    processing: 0,
    completed: 0,
    failed: 0,
    dead: 0,
    canceled: 0,
    ...counts,
  };
}

/** A job and its run history, to compare before and after a call that must change nothing. */
export async function snapshot(
  store: Store,
  id: string,
): Promise<{ job: Job | undefined; runs: JobRun[] }> {
  return { job: await store.jobGet({ id }), runs: await store.jobRuns({ id }) };
}

export function ids(jobs: { id: string }[]): string[] {
  return jobs.map((job) => job.id);
}

export function sortById<T extends { id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A chunk of `text` (UTF-8) at byte `offset` of `stream`. */
export function chunk(stream: OutputStream, offset: number, text: string): OutputChunk {
  return { stream, offset, data: bytes(text) };
}

/**
 * One stream of live output as read back: where its first byte sits, and its bytes from there
 * to the end as text. Fails the test if the chunks leave a gap or overlap with different bytes.
 * With `from`, the text starts at that offset (a chunk may straddle it).
 */
export function streamOf(
  chunks: OutputChunk[],
  stream: OutputStream,
  from?: number,
): { start: number; text: string } | undefined {
  const mine = chunks.filter((c) => c.stream === stream).sort((a, b) => a.offset - b.offset);
  if (mine.length === 0) return undefined;
  const start = mine[0].offset;
  const end = Math.max(...mine.map((c) => c.offset + c.data.length));
  const all = new Uint8Array(end - start);
  let covered = start;
  for (const c of mine) {
    assert.ok(c.offset <= covered, `${stream} has a gap at ${covered}..${c.offset}`);
    const overlap = covered - c.offset;
    if (overlap > 0) {
      const seen = all.subarray(
        c.offset - start,
        Math.min(covered, c.offset + c.data.length) - start,
      );
      assert.deepEqual(seen, c.data.subarray(0, seen.length), `${stream} overlaps at ${c.offset}`);
    }
    all.set(c.data, c.offset - start);
    covered = Math.max(covered, c.offset + c.data.length);
  }
  const begin = from === undefined ? start : from;
  assert.ok(begin >= start, `${stream} starts at ${start}, after ${begin}`);
  return { start: begin, text: new TextDecoder().decode(all.subarray(begin - start)) };
}

/** Polls `check` until it holds; fails the test with `what` once `timeoutMs` has passed. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
