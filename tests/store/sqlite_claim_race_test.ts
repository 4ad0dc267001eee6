/**
 * Claim atomicity under real concurrency. `node:sqlite` is synchronous, so claimers in one process
 * never overlap; these tests run each claimer (and inserter) in its own `deno run` process on its
 * own connection to one SQLite file (`claim_worker_script.ts`), all released at once.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../src/clock.ts";
import { type NewJob, openStore, type Store } from "../../src/store/mod.ts";

const SCRIPT = fileURLToPath(new URL("./claim_worker_script.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const T0 = new ManualClock().now();

Deno.test("sqlite: jobClaim() by 4 processes at once claims each of 2000 jobs exactly once", async () => {
  await withDatabase(async (path, store) => {
    const all = Array.from({ length: 2000 }, (_, i) => `job-${String(i).padStart(4, "0")}`);
    await store.jobInsert({
      jobs: all.map((id) => newJob(id)),
      now: T0,
    });

    const claimers = Array.from(
      { length: 4 },
      (_, i) => spawnScript(["claim", path, `claimer-${i}`, String(T0 + 1)]),
    );
    const results = await releaseTogether(claimers);

    const claimedBy = results.map((result, i) => {
      assertCleanExit(result, `claimer-${i}`);
      return (result.output as { claimed: string[] }).claimed;
    });
    assertEachClaimedOnce(claimedBy, all);
    assert.ok(
      claimedBy.filter((claimed) => claimed.length > 0).length >= 2,
      `the claimers did not overlap: ${claimedBy.map((claimed) => claimed.length)}`,
    );
    await assertAllCompletedOnce(store, claimedBy, all.length);
  });
});

Deno.test("sqlite: jobClaim() by 2 processes while 4 processes enqueue completes each of 1000 jobs exactly once", async () => {
  await withDatabase(async (path, store) => {
    const inserters = Array.from(
      { length: 4 },
      (_, i) => spawnScript(["insert", path, `batch${i}`, "250", String(T0)]),
    );
    const claimers = Array.from(
      { length: 2 },
      (_, i) => spawnScript(["claim", path, `claimer-${i}`, String(T0 + 1), "1000"]),
    );
    const results = await releaseTogether([...inserters, ...claimers]);

    const inserted = results.slice(0, 4).flatMap((result, i) => {
      assertCleanExit(result, `inserter-${i}`);
      return (result.output as { inserted: string[] }).inserted;
    });
    assert.equal(inserted.length, 1000);
    assert.equal(new Set(inserted).size, 1000);
    const claimedBy = results.slice(4).map((result, i) => {
      assertCleanExit(result, `claimer-${i}`);
      return (result.output as { claimed: string[] }).claimed;
    });
    assertEachClaimedOnce(claimedBy, inserted);
    await assertAllCompletedOnce(store, claimedBy, 1000);
  });
});

Deno.test("sqlite: jobClaim() by 4 processes at once never runs more of a queue than its concurrency limit", async () => {
  await withDatabase(async (path, store) => {
    const LIMIT = 2;
    await store.queueSetConcurrency({ name: "deploy", concurrency: LIMIT });
    const deploy = Array.from({ length: 300 }, (_, i) => `deploy-${String(i).padStart(3, "0")}`);
    const mail = Array.from({ length: 300 }, (_, i) => `mail-${String(i).padStart(3, "0")}`);
    await store.jobInsert({
      jobs: [
        ...deploy.map((id) => newJob(id, { queue: "deploy" })),
        ...mail.map((id) => newJob(id, { queue: "mail" })),
      ],
      now: T0,
    });
    const total = deploy.length + mail.length;

    const claimers = Array.from(
      { length: 4 },
      (_, i) =>
        spawnScript(["claim", path, `claimer-${i}`, String(T0 + 1), String(total), "deploy"]),
    );
    const results = await releaseTogether(claimers);

    const outputs = results.map((result, i) => {
      assertCleanExit(result, `claimer-${i}`);
      return result.output as { claimed: string[]; mostRunning: number };
    });
    const claimedBy = outputs.map((output) => output.claimed);
    assertEachClaimedOnce(claimedBy, [...deploy, ...mail]);
    const mostRunning = outputs.map((output) => output.mostRunning);
    assert.ok(
      mostRunning.every((most) => most <= LIMIT),
      `more than ${LIMIT} deploy jobs processing at once: ${mostRunning}`,
    );
    assert.ok(
      claimedBy.filter((claimed) => claimed.some((id) => id.startsWith("deploy-"))).length >= 2,
      `the claimers did not overlap on deploy: ${claimedBy.map((claimed) => claimed.length)}`,
    );
    await assertAllCompletedOnce(store, claimedBy, total);
  });
});

Deno.test("sqlite: scheduleFire() by 4 processes at once fires each of 200 scheduled times exactly once", async () => {
  await withDatabase(async (path, store) => {
    const ROUNDS = 200;
    await store.scheduleAdd({
      schedule: {
        name: "tick",
        cron: "* * * * *",
        timezone: "UTC",
        job: { command: "true" },
        missed: "run-once",
        paused: false,
        nextRunAt: T0 + 1000,
        lastRunAt: null,
        createdAt: T0,
      },
    });

    const firers = Array.from(
      { length: 4 },
      (_, i) => spawnScript(["fire", path, "tick", `firer-${i}`, String(T0), String(ROUNDS)]),
    );
    const results = await releaseTogether(firers);

    const outputs = results.map((result, i) => {
      assertCleanExit(result, `firer-${i}`);
      return result.output as { fired: string[]; lost: number };
    });
    const firedBy = outputs.map((output) => output.fired);
    const fired = firedBy.flat();
    const rounds = fired.map((id) => Number(id.split("-")[1])).sort((a, b) => a - b);
    assert.deepEqual(
      rounds,
      Array.from({ length: ROUNDS }, (_, i) => i + 1),
      "each scheduled time fired exactly once",
    );
    // They raced when some firer lost a compare-and-set to another (on a loaded machine one
    // process may still win every time).
    assert.ok(
      outputs.some((output) => output.lost > 0),
      `the firers did not race: won ${firedBy.map((won) => won.length)}, lost ${
        outputs.map((output) => output.lost)
      }`,
    );
    const stored = await store.jobList({});
    assert.deepEqual(stored.map((job) => job.id).sort(), [...fired].sort());
    assert.equal((await store.scheduleList())[0].nextRunAt, T0 + (ROUNDS + 1) * 1000);
  });
});

// -----------------------------------------------------------------------------------------------

function newJob(id: string, overrides: Partial<NewJob> = {}): NewJob {
  return {
    id,
    command: "true",
    maxRetries: 0,
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

interface ScriptResult {
  code: number;
  stderr: string;
  /** The JSON line the script printed last, parsed (undefined if there was none). */
  output: unknown;
  stdout: string;
}

interface Spawned {
  ready: Promise<void>;
  go(): Promise<void>;
  result: Promise<ScriptResult>;
}

/** A fresh database (created and migrated here, before any child opens it). */
async function withDatabase(body: (path: string, store: Store) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-race-" });
  const path = join(dir, "queue.db");
  const store = await openStore({ kind: "sqlite", path });
  try {
    await body(path, store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function spawnScript(args: string[]): Spawned {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    cwd: REPO,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let stdout = "";
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => markReady = resolve);
  const stdoutDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      if (stdout.startsWith("ready\n")) markReady();
    }
    markReady(); // Exited without being ready: `result` reports why.
  })();
  const writer = child.stdin.getWriter();
  return {
    ready,
    async go() {
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
    },
    result: (async () => {
      const [status, errors] = await Promise.all([child.status, stderr, stdoutDone]);
      const last = stdout.trim().split("\n").at(-1);
      let output: unknown;
      try {
        output = last && last !== "ready" ? JSON.parse(last) : undefined;
      } catch {
        output = undefined;
      }
      return { code: status.code, stderr: errors, stdout, output };
    })(),
  };
}

/** Waits until every child has opened its store, then releases them all at once. */
async function releaseTogether(children: Spawned[]): Promise<ScriptResult[]> {
  await Promise.all(children.map((child) => child.ready));
  await Promise.all(children.map((child) => child.go().catch(() => {})));
  return await Promise.all(children.map((child) => child.result));
}

function assertCleanExit(result: ScriptResult, who: string): void {
  assert.doesNotMatch(result.stderr, /locked|busy/i, `${who} hit a locked database`);
  assert.equal(result.code, 0, `${who} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  assert.equal(result.stderr, "", `${who} wrote to stderr`);
  assert.ok(result.output, `${who} printed no result:\n${result.stdout}`);
}

function assertEachClaimedOnce(claimedBy: string[][], expected: string[]): void {
  const counts = new Map<string, number>();
  for (const id of claimedBy.flat()) counts.set(id, (counts.get(id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(twice, [], "jobs claimed more than once");
  const missing = expected.filter((id) => !counts.has(id));
  assert.deepEqual(missing, [], "jobs never claimed");
  assert.equal(claimedBy.flat().length, expected.length);
}

async function assertAllCompletedOnce(
  store: Store,
  claimedBy: string[][],
  total: number,
): Promise<void> {
  assert.deepEqual(await store.jobCountByState(), {
    blocked: 0,
    pending: 0,
    processing: 0,
    completed: total,
    failed: 0,
    dead: 0,
    canceled: 0,
  });
  for (const [i, claimed] of claimedBy.entries()) {
    for (const id of claimed) {
      const job = await store.jobGet({ id });
      assert.equal(job?.attempts, 1, id);
      assert.equal(job?.leaseToken, 1, id);
      const runs = await store.jobRuns({ id });
      assert.deepEqual(
        runs.map((run) => [run.workerId, run.outcome]),
        [[`claimer-${i}`, "completed"]],
        id,
      );
    }
  }
}
