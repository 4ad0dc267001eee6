/**
 * Batch enqueue through the real CLI on both stores: `enqueue --file` (and `-` for stdin) with
 * flags as defaults, all or nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, onEveryStore, snapshotDatabase } from "../helpers/cli.ts";
import { assertExit, enqueue, type Json, ms } from "../helpers/jobs.ts";

onEveryStore.test("enqueue --file adds every line with the flags as defaults, and a bad line or a duplicate id adds nothing", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "existing", "--", "true"]);

  const bad = join(sandbox.dir, "bad.jsonl");
  await Deno.writeTextFile(
    bad,
    [
      '{"id":"b1","command":"true"}',
      '{"id":"b2","command":"true"}',
      '{"id":"b3","command":"true","max_retries":"many"}',
      '{"id":"b4","command":"true"}',
    ].join("\n") + "\n",
  );
  const before = await snapshotDatabase(sandbox);
  const badResult = await sandbox.run(["enqueue", "--file", bad]);
  assertExit(badResult, 2, "enqueue --file with a bad line 3");
  assert.equal(badResult.stdout, "");
  assert.match(badResult.stderr, /^queuectl: Line 3\b.*max_retries/);
  assert.equal(badResult.stderr.split("\n").length, 2, "one line on stderr");
  assert.equal(await snapshotDatabase(sandbox), before, "nothing was added");

  const duplicate = join(sandbox.dir, "dup.jsonl");
  await Deno.writeTextFile(
    duplicate,
    '{"id":"d1","command":"true"}\n{"id":"d2","command":"true"}\n{"id":"d1","command":"true"}\n',
  );
  const dupResult = await sandbox.run(["enqueue", "--file", duplicate]);
  assertExit(dupResult, 5, "enqueue --file with a duplicate id");
  assert.equal(dupResult.stdout, "");
  assert.match(dupResult.stderr, /^queuectl: .*"d1"/);
  assert.equal(await snapshotDatabase(sandbox), before, "nothing was added");

  const clash = join(sandbox.dir, "clash.jsonl");
  await Deno.writeTextFile(
    clash,
    '{"id":"c1","command":"true"}\n{"id":"existing","command":"x"}\n',
  );
  const clashResult = await sandbox.run(["enqueue", "--file", clash]);
  assertExit(clashResult, 5, "enqueue --file with an id that exists");
  assert.match(clashResult.stderr, /existing/);
  assert.equal(await snapshotDatabase(sandbox), before, "nothing was added");

  const good = join(sandbox.dir, "good.jsonl");
  await Deno.writeTextFile(
    good,
    [
      '{"id":"g1","command":"true"}',
      "",
      '{"id":"g2","command":"true","priority":1}',
      '{"id":"g3","command":"true","queue":"own"}',
    ].join("\n"),
  );
  const goodResult = await sandbox.run([
    "enqueue",
    "--file",
    good,
    "--priority",
    "7",
    "--queue",
    "batch",
  ]);
  assertExit(goodResult, 0, "enqueue --file of good lines");
  assert.equal(goodResult.stdout, "g1\ng2\ng3\n");
  const fields = async (id: string) => {
    const job = await sandbox.info(id);
    return { queue: job.queue, priority: job.priority, state: job.state };
  };
  assert.deepEqual(await fields("g1"), { queue: "batch", priority: 7, state: "pending" });
  assert.deepEqual(await fields("g2"), { queue: "batch", priority: 1, state: "pending" });
  assert.deepEqual(await fields("g3"), { queue: "own", priority: 7, state: "pending" });
});

onEveryStore.test("enqueue --file - reads 500 jobs from stdin into the queue given by --queue", async () => {
  await using sandbox = await makeSandbox();
  const lines = Array.from(
    { length: 500 },
    (_, index) => JSON.stringify({ command: `echo ${index}` }),
  );
  const result = await sandbox.run(["enqueue", "--file", "-", "--queue", "bulk"], {
    stdin: lines.join("\n") + "\n",
  });
  assertExit(result, 0, "enqueue --file - --queue bulk");
  const ids = result.stdout.trim().split("\n");
  assert.equal(ids.length, 500);
  assert.equal(new Set(ids).size, 500, "500 distinct ids");

  const listed = JSON.parse(
    await sandbox.ok(["list", "--queue", "bulk", "--limit", "0", "--json"]),
  ) as Json[];
  assert.equal(listed.length, 500);
  assert.deepEqual(listed.map((job) => job.id), ids, "in line order");
  assert.ok(listed.every((job) => job.queue === "bulk" && job.state === "pending"));
  assert.equal(listed[499].command, "echo 499");
  const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as Json[];
  assert.deepEqual(queues.map((queue) => [queue.name, (queue.jobs as Json).pending]), [
    ["bulk", 500],
  ]);
  assert.equal((await sandbox.status()).jobs.pending, 500);
});

onEveryStore.test("enqueue --file: a line's own run_at or delay wins over a --delay or --run-at given as the default", async () => {
  await using sandbox = await makeSandbox();
  const file = join(sandbox.dir, "timed.jsonl");
  await Deno.writeTextFile(
    file,
    [
      '{"id":"plain","command":"true"}',
      '{"id":"fixed","command":"true","run_at":"2030-01-01T00:00:00Z"}',
      '{"id":"quick","command":"true","delay":"1m"}',
    ].join("\n") + "\n",
  );
  const result = await sandbox.run(["enqueue", "--file", file, "--delay", "1h"]);
  assertExit(result, 0, "enqueue --file --delay 1h with lines that set their own time");
  const delay = async (id: string) => {
    const job = await sandbox.info(id);
    return ms(job.run_at) - ms(job.created_at);
  };
  assert.equal(await delay("plain"), 3_600_000, "the default applies where a line says nothing");
  assert.equal((await sandbox.info("fixed")).run_at, "2030-01-01T00:00:00.000Z");
  assert.equal(await delay("quick"), 60_000);

  const other = join(sandbox.dir, "delayed.jsonl");
  await Deno.writeTextFile(other, '{"id":"soon","command":"true","delay":"1m"}\n');
  const byTime = await sandbox.run([
    "enqueue",
    "--file",
    other,
    "--run-at",
    "2030-01-01T00:00:00Z",
  ]);
  assertExit(byTime, 0, "enqueue --file --run-at with a line that sets its own delay");
  assert.equal(await delay("soon"), 60_000);
});

// --- Per-job cwd, env and backoff --------------------------------------------------------------
