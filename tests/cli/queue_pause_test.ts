/**
 * Pausing a queue, end to end through the real CLI with two worker processes (as two hosts
 * would run them): a paused queue's jobs are run by neither while other queues' jobs are; a
 * resume lets them run; a timed pause ends by itself; a job already running finishes; the pause
 * shows in `queue list` and `status`. On SQLite and PostgreSQL (`onEveryStore`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, type Sandbox } from "../helpers/cli.ts";
import {
  configure,
  enqueue,
  type Json,
  ms,
  q,
  runsOf,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

/** Workers that look for due jobs every 200 ms, so a missed claim would show quickly. */
async function quickPolling(sandbox: Sandbox): Promise<void> {
  await configure(sandbox, { poll_interval: "0.2", heartbeat_interval: "1" });
}

async function queueJson(sandbox: Sandbox, name: string): Promise<Json> {
  const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Json[];
  const queue = queues.find((queue) => queue.name === name);
  assert.ok(queue, `queue ${name} in ${JSON.stringify(queues)}`);
  return queue;
}

onEveryStore.test("a paused queue's job is run by neither of two workers, other queues' jobs are, and resume runs it", async () => {
  await using sandbox = await makeSandbox();
  await quickPolling(sandbox);
  const marker = join(sandbox.dir, "paused-ran");
  // Paused before the workers start: they read it from the store (as after a restart).
  assert.match(
    await sandbox.ok(["queue", "pause", "held"]),
    /^Paused queue "held" until resumed\n$/,
  );
  const held = await enqueue(sandbox, ["--queue", "held", "--", `touch ${q(marker)}`]);
  const workers = [await startWorker(sandbox), await startWorker(sandbox)];
  // Both workers are claiming: jobs of an open queue run, and after them the held job waits.
  const open = await Promise.all(
    [1, 2, 3, 4].map((n) => enqueue(sandbox, ["--queue", "open", "--", `echo ${n}`])),
  );
  for (const id of open) await waitForState(sandbox, id, "completed");
  await new Promise((resolve) => setTimeout(resolve, 1500)); // ~7 polls of each worker
  const waiting = await sandbox.info(held);
  assert.equal(waiting.state, "pending", "a paused queue's job is not claimed");
  assert.equal(waiting.attempts, 0);
  assert.equal(await Deno.stat(marker).then(() => true, () => false), false);

  const shown = await queueJson(sandbox, "held");
  assert.equal(shown.paused, true);
  assert.equal(shown.paused_until, null);
  const status = JSON.parse(await sandbox.ok(["status", "--json"]));
  assert.deepEqual(status.paused_queues, [{ name: "held", paused_until: null }]);
  assert.match(await sandbox.ok(["status"]), /Paused queues.*\n {2}held: until resumed\n/);

  assert.equal(await sandbox.ok(["queue", "resume", "held"]), 'Resumed queue "held"\n');
  await waitForState(sandbox, held, "completed", 10_000);
  await Deno.stat(marker);
  assert.equal((await queueJson(sandbox, "held")).paused, false);
  assert.deepEqual(JSON.parse(await sandbox.ok(["status", "--json"])).paused_queues, []);
  for (const worker of workers) await stopWorker(worker);
});

onEveryStore.test("a timed pause (--for) ends by itself: two workers leave the job until then, and run it after", async () => {
  await using sandbox = await makeSandbox();
  await quickPolling(sandbox);
  const workers = [await startWorker(sandbox), await startWorker(sandbox)];
  const paused = await sandbox.ok(["queue", "pause", "later", "--for", "3s"]);
  const until = Date.parse(/until (\S+)\n$/.exec(paused)![1]);
  const job = await enqueue(sandbox, ["--queue", "later", "--", "true"]);
  const shown = await queueJson(sandbox, "later");
  assert.equal(shown.paused, true);
  assert.equal(ms(shown.paused_until), until, "queue list --json shows when the pause ends");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal((await sandbox.info(job)).state, "pending", "still paused after 1 s");
  const done = await waitForState(sandbox, job, "completed", 15_000);
  const [run] = runsOf(done);
  assert.ok(
    ms(run.started_at) >= until,
    `the run started ${run.started_at}, before the pause ended ${new Date(until).toISOString()}`,
  );
  assert.equal((await queueJson(sandbox, "later")).paused, false, "the ended pause shows so");
  for (const worker of workers) await stopWorker(worker);
});

onEveryStore.test("pausing a queue lets its running job finish, and later jobs wait", async () => {
  await using sandbox = await makeSandbox();
  await quickPolling(sandbox);
  const gate = join(sandbox.dir, "gate");
  const running = await enqueue(sandbox, [
    "--queue",
    "busy",
    "--",
    `while [ ! -e ${q(gate)} ]; do sleep 0.05; done`,
  ]);
  const worker = await startWorker(sandbox);
  await waitForState(sandbox, running, "processing");
  await sandbox.ok(["queue", "pause", "busy", "--until", "2999-01-01T00:00:00Z"]);
  const next = await enqueue(sandbox, ["--queue", "busy", "--", "true"]);
  await Deno.writeTextFile(gate, "");
  await waitForState(sandbox, running, "completed");
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.equal((await sandbox.info(next)).state, "pending");
  assert.equal((await queueJson(sandbox, "busy")).paused_until, "2999-01-01T00:00:00.000Z");
  await stopWorker(worker);
});

onEveryStore.test("queue pause of a queue with no job creates it; queue resume of one not paused says so", async () => {
  await using sandbox = await makeSandbox();
  assert.equal(
    await sandbox.ok(["queue", "resume", "nothing"]),
    'Queue "nothing" was not paused\n',
  );
  assert.equal(await sandbox.ok(["queue", "list"]), "No queues yet.\n");
  await sandbox.ok(["queue", "pause", "fresh"]);
  const fresh = await queueJson(sandbox, "fresh");
  assert.deepEqual(
    { paused: fresh.paused, until: fresh.paused_until, limit: fresh.concurrency },
    { paused: true, until: null, limit: null },
  );
  assert.match(await sandbox.ok(["queue", "list"]), /fresh\s+-\s+(0\s+){6}-\s+until resumed/);
});
