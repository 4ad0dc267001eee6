/**
 * No slot sits idle while work is due. Every test sets `poll_interval` to 30 s, so a slot that
 * waits for a poll instead of taking the next job shows as a 30 s stall, far beyond each bound
 * here; the bounds themselves are wide enough for a loaded 2-core machine. Guards the regression
 * in which a slot that had just run a job, with no sibling idle, waited a whole poll interval
 * while hundreds of jobs were pending (draining became 5× slower and every test stayed green).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, readOrEmpty, type Sandbox, waitFor } from "../helpers/cli.ts";
import {
  configure,
  enqueue,
  ms,
  q,
  runsOf,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

/** Far longer than any bound below: a slot that waits for a poll fails the test. */
const POLL_INTERVAL_S = 30;

async function idleSandbox(): Promise<Sandbox> {
  const sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: String(POLL_INTERVAL_S) });
  return sandbox;
}

async function completedCount(sandbox: Sandbox): Promise<number> {
  return (await sandbox.status()).jobs.completed;
}

for (const slots of [1, 2, 4]) {
  onEveryStore.test(
    `worker start --count ${slots} drains 60 pending jobs without waiting for a poll`,
    async () => {
      await using sandbox = await idleSandbox();
      const file = join(sandbox.dir, "jobs.jsonl");
      await Deno.writeTextFile(file, `${JSON.stringify({ command: "true" })}\n`.repeat(60));
      await sandbox.ok(["enqueue", "--file", file]);
      const worker = await startWorker(sandbox, ["--count", String(slots)]);
      // Registered means its slots are about to claim; from here 60 `true` jobs take ~1-3 s.
      await waitFor(
        "60 jobs to complete",
        async () => (await completedCount(sandbox)) === 60,
        10_000,
      );
      await stopWorker(worker);
    },
  );

  onEveryStore.test(
    `worker start --count ${slots}: jobs enqueued while every slot is busy start as slots free`,
    async () => {
      await using sandbox = await idleSandbox();
      const gate = join(sandbox.dir, "gate");
      const started = join(sandbox.dir, "started");
      await Deno.mkdir(started);
      const worker = await startWorker(sandbox, ["--count", String(slots)]);
      // Fill every slot with a job held by the gate.
      // Each also ends once the sandbox is gone, so that a failed test leaves no job behind.
      const hold = `touch ${q(started)}/$QUEUECTL_JOB_ID; ` +
        `while [ ! -e ${q(gate)} ] && [ -d ${q(started)} ]; do sleep 0.02; done`;
      const first: string[] = [];
      for (let i = 0; i < slots; i++) first.push(await enqueue(sandbox, ["--", hold]));
      await waitFor(
        `${slots} held jobs to run`,
        async () => {
          return (await Array.fromAsync(Deno.readDir(started))).length === slots;
        },
        15_000,
        20,
      );
      // The next jobs are enqueued while no slot is idle: their wake-up finds none waiting.
      const second: string[] = [];
      const release = join(sandbox.dir, "release");
      const holdAgain = `touch ${q(started)}/$QUEUECTL_JOB_ID; ` +
        `while [ ! -e ${q(release)} ] && [ -d ${q(started)} ]; do sleep 0.02; done`;
      for (let i = 0; i < slots; i++) second.push(await enqueue(sandbox, ["--", holdAgain]));
      await Deno.writeTextFile(gate, "");
      // Every freed slot takes one of them: all run at once, long before a poll.
      await waitFor(
        `all ${slots} later jobs to run at the same time`,
        async () => {
          const names = new Set(
            (await Array.fromAsync(Deno.readDir(started))).map((entry) => entry.name),
          );
          return second.every((id) => names.has(id));
        },
        10_000,
        20,
      );
      await Deno.writeTextFile(release, "");
      for (const id of [...first, ...second]) await waitForState(sandbox, id, "completed");
      await stopWorker(worker);
    },
  );
}

onEveryStore.test(
  "worker start --count 4: a batch enqueued to an idle worker runs on every slot at once",
  async () => {
    await using sandbox = await idleSandbox();
    const worker = await startWorker(sandbox, ["--count", "4"]);
    const file = join(sandbox.dir, "jobs.jsonl");
    // Each job holds its slot until released: only a slot woken at once can take the next one.
    const batch = async (name: string) => {
      const started = join(sandbox.dir, `started-${name}`);
      const release = join(sandbox.dir, `release-${name}`);
      await Deno.mkdir(started);
      const hold = `touch ${q(started)}/$QUEUECTL_JOB_ID; ` +
        `while [ ! -e ${q(release)} ] && [ -d ${q(started)} ]; do sleep 0.02; done`;
      await Deno.writeTextFile(file, `${JSON.stringify({ command: hold })}\n`.repeat(4));
      const before = await completedCount(sandbox);
      await sandbox.ok(["enqueue", "--file", file]);
      await waitFor(
        `all 4 jobs of the ${name} batch to run at the same time`,
        async () => (await Array.fromAsync(Deno.readDir(started))).length === 4,
        10_000,
        20,
      );
      await Deno.writeTextFile(release, "");
      await waitFor(
        `the ${name} batch to complete`,
        async () => (await completedCount(sandbox)) === before + 4,
      );
    };
    // The first batch may meet slots still starting (each claims once as it starts); after it,
    // every slot has gone back to waiting, and only wake-ups can start the second.
    await batch("first");
    await batch("second");
    await stopWorker(worker);
  },
);

onEveryStore.test("a retry is claimed within a fraction of a second of its run_at", async () => {
  await using sandbox = await idleSandbox();
  const marker = join(sandbox.dir, "failed-once");
  const worker = await startWorker(sandbox, ["--count", "2"]);
  // Fails its first run, then waits backoff_base ^ 1 = 2 s before the retry is due.
  const id = await enqueue(sandbox, [
    "--max-retries",
    "1",
    "--backoff-base",
    "2",
    "--",
    `if [ -e ${q(marker)} ]; then echo retried; else touch ${q(marker)}; exit 1; fi`,
  ]);
  const job = await waitForState(sandbox, id, "completed", 15_000);
  const runs = runsOf(job);
  assert.equal(runs.length, 2, JSON.stringify(runs));
  assert.equal(runs[0].outcome, "failed");
  assert.equal(String(runs[1].stdout).trim(), "retried");
  // run_at is when the retry came due; the second run started that long after.
  const late = ms(runs[1].started_at) - ms(job.run_at);
  assert.ok(late >= 0, `the retry ran before its run_at: ${JSON.stringify(job)}`);
  assert.ok(late < 750, `the retry started ${late} ms after its run_at`);
  assert.equal(await readOrEmpty(marker), "");
  await stopWorker(worker);
});
