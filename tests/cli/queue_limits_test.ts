/**
 * Rate limits and per-group limits, end to end through the real CLI with two worker processes
 * (as two hosts would run them): a rate's starts stay within N per sliding period across both,
 * and the wait shows in `status`, `queue list` and `info`; a group limit holds across both, a
 * full group's jobs do not hold up other groups' jobs behind them, and `info` says what a job
 * waits for. On SQLite and PostgreSQL (`onEveryStore`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, type Sandbox, waitFor } from "../helpers/cli.ts";
import {
  configure,
  enqueue,
  enqueueAll,
  type Json,
  ms,
  q,
  runsOf,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

async function queueJson(sandbox: Sandbox, name: string): Promise<Json> {
  const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Json[];
  const queue = queues.find((queue) => queue.name === name);
  assert.ok(queue, `queue ${name} in ${JSON.stringify(queues)}`);
  return queue;
}

onEveryStore.test("two workers start at most N jobs of a rate-limited queue in any sliding period, and show the wait", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "5", heartbeat_interval: "1" });
  const [N, PERIOD] = [3, 3000];
  assert.equal(
    await sandbox.ok(["queue", "set-rate", "api", "3/3s"]),
    "api: at most 3/3s starts\n",
  );
  const workers = [
    await startWorker(sandbox, ["--count", "2"]),
    await startWorker(sandbox, ["--count", "2"]),
  ];
  // Each job also writes when it started, as its own witness.
  const ids = await enqueueAll(
    sandbox,
    Array.from({ length: 9 }, (_, i) => ({
      queue: "api",
      command: `date +%s%3N > ${q(join(sandbox.dir, `start-${i}`))}; sleep 1`,
    })),
  );
  // While the jobs wait for the window, status and info say so.
  const limited = await waitFor("status to list api as rate-limited", async () => {
    const status = JSON.parse(await sandbox.ok(["status", "--json"]));
    return status.rate_limited_queues.find((queue: Json) => queue.name === "api");
  }, 20_000);
  assert.equal(limited.rate, "3/3s");
  assert.match(
    await sandbox.ok(["queue", "list"]),
    /api .* 3\/3s(, limited until \S+ \(in \w+\))?/,
  );
  // A job waits while the window is full, and info says until when.
  await waitFor("a waiting job's info to say it is rate-limited", async () => {
    for (const id of [...ids].reverse()) {
      const text = await sandbox.ok(["info", id]);
      if (/waiting\s+rate-limited until \S+Z \((in \w+|now)\)\n/.test(text)) return true;
    }
    return false;
  }, 20_000);
  const done = [];
  for (const id of ids) done.push(await waitForState(sandbox, id, "completed", 60_000));
  const runs = done.map((job) => runsOf(job)[0]);
  const starts = runs.map((run) => ms(run.started_at)).sort((a, b) => a - b);
  for (let i = 0; i + N < starts.length; i++) {
    assert.ok(
      starts[i + N] - starts[i] >= PERIOD,
      `starts ${i} and ${i + N} are ${starts[i + N] - starts[i]} ms apart: ${N + 1} in one period`,
    );
  }
  // The workers poll every 5 s: starting each window's jobs on time shows that its end woke them.
  assert.ok(
    starts[8] - starts[0] < 2 * PERIOD + 2500,
    `9 starts at 3/3s took ${starts[8] - starts[0]} ms: ${starts.map((t) => t - starts[0])}`,
  );
  const witnessed = await Promise.all(
    ids.map((_, i) => Deno.readTextFile(join(sandbox.dir, `start-${i}`))),
  );
  assert.equal(witnessed.length, 9, "every job ran once");
  const byWorker = new Set(runs.map((run) => run.worker_id));
  assert.equal(byWorker.size, 2, `both worker processes started jobs: ${[...byWorker]}`);
  for (const worker of workers) await stopWorker(worker);
  assert.equal(await sandbox.ok(["queue", "set-rate", "api", "off"]), "api: no rate limit\n");
  assert.equal((await queueJson(sandbox, "api")).rate, null);
});

onEveryStore.test("two workers run at most N jobs per group key; a full group holds up no other group behind it", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "5", heartbeat_interval: "1" });
  await sandbox.ok(["queue", "set-group-concurrency", "deploy", "1"]);
  const workers = [
    await startWorker(sandbox, ["--count", "3"]),
    await startWorker(sandbox, ["--count", "3"]),
  ];
  const gate = join(sandbox.dir, "gate");
  const violation = join(sandbox.dir, "violation");
  // mkdir is atomic: a second job of a group running at once finds the lock taken.
  const job = (key: string, wait: string) =>
    `mkdir ${q(join(sandbox.dir, `lock-${key}`))} || touch ${q(violation)}; ${wait}; ` +
    `rmdir ${q(join(sandbox.dir, `lock-${key}`))}`;
  const a1 = await enqueue(sandbox, [
    "--queue",
    "deploy",
    "--group-key",
    "host-a",
    "--",
    job("a", `while [ ! -e ${q(gate)} ]; do sleep 0.05; done`),
  ]);
  await waitForState(sandbox, a1, "processing");
  // host-a's next jobs are ahead of host-b's in the queue, and must not hold them up.
  const [a2, a3, b1, b2, b3] = await enqueueAll(sandbox, [
    ...["a", "a", "b", "b", "b"].map((key) => ({
      queue: "deploy",
      group_key: `host-${key}`,
      command: job(key, "sleep 0.3"),
    })),
  ]);
  for (const id of [b1, b2, b3]) await waitForState(sandbox, id, "completed");
  assert.equal((await sandbox.info(a1)).state, "processing");
  assert.deepEqual([(await sandbox.info(a2)).state, (await sandbox.info(a3)).state], [
    "pending",
    "pending",
  ]);
  assert.match(
    await sandbox.ok(["info", a2]),
    /group key\s+host-a\n[^]*waiting\s+for group "host-a": 1 running \(at most 1 per group\)/,
  );
  assert.equal((await queueJson(sandbox, "deploy")).group_concurrency, 1);
  assert.equal((await sandbox.info(a2)).group_key, "host-a");
  await Deno.writeTextFile(gate, "");
  const done = [];
  for (const id of [a1, a2, a3, b1, b2, b3]) {
    done.push(await waitForState(sandbox, id, "completed"));
  }
  assert.equal(await Deno.stat(violation).then(() => true, () => false), false, "two ran at once");
  // From the store: a group's runs follow one another.
  for (const key of ["host-a", "host-b"]) {
    const runs = done.filter((job) => job.group_key === key).map((job) => runsOf(job)[0])
      .sort((x, y) => ms(x.started_at) - ms(y.started_at));
    for (let i = 1; i < runs.length; i++) {
      assert.ok(ms(runs[i].started_at) >= ms(runs[i - 1].finished_at), `${key} runs overlap`);
    }
  }
  for (const worker of workers) await stopWorker(worker);
});

onEveryStore.test("queue set-rate and set-group-concurrency of a queue with no job create it, and off/none remove them", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["queue", "set-rate", "fresh", "1000/1h"]);
  await sandbox.ok(["queue", "set-group-concurrency", "fresh", "2"]);
  const fresh = await queueJson(sandbox, "fresh");
  assert.deepEqual(
    [fresh.rate, fresh.rate_limited_until, fresh.group_concurrency, fresh.concurrency],
    ["1000/1h", null, 2, null],
  );
  assert.match(await sandbox.ok(["queue", "list"]), /fresh\s+-\s+(0\s+){6}-\s+-\s+1000\/1h\s+2\n/);
  assert.equal(
    await sandbox.ok(["queue", "set-group-concurrency", "fresh", "none"]),
    "fresh: no group limit\n",
  );
  await sandbox.ok(["queue", "set-rate", "fresh", "off"]);
  const cleared = await queueJson(sandbox, "fresh");
  assert.deepEqual([cleared.rate, cleared.group_concurrency], [null, null]);
});

onEveryStore.test("a finish that frees a place in a group wakes another worker process at once", async () => {
  await using sandbox = await makeSandbox();
  // Idle workers look for work every 5 s: only the finish's wake-up starts the next job sooner.
  await configure(sandbox, { poll_interval: "5", heartbeat_interval: "1" });
  await sandbox.ok(["queue", "set-group-concurrency", "deploy", "1"]);
  const gate = join(sandbox.dir, "gate");
  const first = await startWorker(sandbox, ["--count", "1"]);
  const a1 = await enqueue(sandbox, [
    "--queue",
    "deploy",
    "--group-key",
    "web-1",
    "--",
    `while [ ! -e ${q(gate)} ]; do sleep 0.05; done`,
  ]);
  await waitForState(sandbox, a1, "processing");
  const second = await startWorker(sandbox, ["--count", "1"]);
  const a2 = await enqueue(sandbox, ["--queue", "deploy", "--group-key", "web-1", "--", "true"]);
  // The first worker drains (it takes no new job), so the second must be woken to take a2.
  first.handle.kill("SIGTERM");
  await Deno.writeTextFile(gate, "");
  const done = await waitForState(sandbox, a2, "completed");
  const freed = ms(runsOf(await sandbox.info(a1))[0].finished_at);
  const started = ms(runsOf(done)[0].started_at);
  assert.ok(started - freed < 2500, `a2 started ${started - freed} ms after a1 ended`);
  assert.equal(await first.exited, 0);
  await stopWorker(second);
});
