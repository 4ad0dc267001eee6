/**
 * Claim atomicity under real concurrency. `node:sqlite` is synchronous, so claimers in one process
 * never overlap; these tests run each claimer (and inserter) in its own `deno run` process on its
 * own connection to one SQLite file (`claim_worker_script.ts`). The free-running tests release
 * their processes at once and let them race to the end; the concurrency-limit and scheduleFire
 * tests step them in rounds, each child acting on a line from the test, so that every round is a
 * race of all of them (however the machine schedules them) and its outcome can be checked exactly.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ManualClock } from "../../src/clock.ts";
import { type NewJob, openStore, type Store } from "../../src/store/mod.ts";
import { readLines } from "./claim_worker_script.ts";

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

Deno.test("sqlite: jobClaim() by 4 processes at once holds as many of a queue as its concurrency limit allows, never more", async () => {
  await withDatabase(async (path, store) => {
    const LIMIT = 2;
    await store.queueSetConcurrency({ name: "deploy", concurrency: LIMIT });
    const deploy = Array.from({ length: 40 }, (_, i) => `deploy-${String(i).padStart(2, "0")}`);
    const mail = Array.from({ length: 40 }, (_, i) => `mail-${String(i).padStart(2, "0")}`);
    await store.jobInsert({
      jobs: [
        ...deploy.map((id) => newJob(id, { queue: "deploy" })),
        ...mail.map((id) => newJob(id, { queue: "mail" })),
      ],
      now: T0,
    });

    // In rounds: all claimers claim at once, twice (holding what they got), then all finish.
    // Every round starts with no deploy job held, so each is a four-way race for its places,
    // and nothing is finished meanwhile: what the round claimed is held at once at its end.
    await withSteppers(4, path, "claimer", async (claimers) => {
      const claimedBy: string[][] = claimers.map(() => []);
      const heldPerRound: number[] = [];
      for (;;) {
        let claimedThisRound = 0;
        let deployHeld = 0;
        for (let wave = 0; wave < 2; wave++) {
          const answers = await Promise.all(
            claimers.map((claimer) => claimer.send(`claim ${T0 + 1}`)),
          );
          answers.forEach((answer, i) => {
            const { claimed, queue } = answer as { claimed: string | null; queue: string | null };
            if (claimed === null) return;
            claimedBy[i].push(claimed);
            claimedThisRound++;
            if (queue === "deploy") deployHeld++;
          });
        }
        const processing = await store.jobList({ states: ["processing"], queues: ["deploy"] });
        assert.equal(processing.length, deployHeld, "the store agrees with what the claimers hold");
        assert.ok(
          deployHeld <= LIMIT,
          `${deployHeld} deploy jobs held at once, over the limit of ${LIMIT}: ${ids(processing)}`,
        );
        heldPerRound.push(deployHeld);
        await Promise.all(claimers.map((claimer) => claimer.send(`finish ${T0 + 2}`)));
        // Nothing held at a round's start: a round that claims nothing left nothing due.
        if (claimedThisRound === 0) break;
        assert.ok(heldPerRound.length <= 100, "still claiming after 100 rounds");
      }
      assert.equal(
        Math.max(...heldPerRound),
        LIMIT,
        `the claimers held up to the limit at once (deploy jobs held per round: ${heldPerRound})`,
      );
      assertEachClaimedOnce(claimedBy, [...deploy, ...mail]);
      await assertAllCompletedOnce(store, claimedBy, deploy.length + mail.length);
    });
  });
});

Deno.test("sqlite: scheduleFire() by 4 processes at once for the time they all read fires it once, each time", async () => {
  await withDatabase(async (path, store) => {
    const ROUNDS = 50;
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
    const last = T0 + ROUNDS * 1000;

    // In rounds, as the schedulers of four worker processes: all read when the schedule is due,
    // then, once every one has read it, all fire it for that time at once. The compare-and-set
    // must let exactly one win.
    await withSteppers(4, path, "firer", async (firers) => {
      const fired: string[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const read = await Promise.all(firers.map((firer) => firer.send(`read tick ${last}`)));
        assert.deepEqual(
          read,
          firers.map(() => ({ due: T0 + round * 1000 })),
          `round ${round}: every firer read the same due time`,
        );
        const answers = await Promise.all(firers.map((firer) => firer.send(`fire tick ${T0}`)));
        const won = answers.map((answer) => (answer as { jobId: string | null }).jobId)
          .filter((jobId) => jobId !== null);
        assert.equal(won.length, 1, `round ${round}: ${won.length} firers won (${won})`);
        assert.match(won[0], new RegExp(`^tick-${round}-firer-\\d$`));
        fired.push(won[0]);
      }
      const after = await Promise.all(firers.map((firer) => firer.send(`read tick ${last}`)));
      assert.deepEqual(
        after,
        firers.map(() => ({ due: null })),
        "nothing due after the last round",
      );
      const stored = await store.jobList({});
      assert.deepEqual(stored.map((job) => job.id).sort(), [...fired].sort());
      assert.equal((await store.scheduleList())[0].nextRunAt, T0 + (ROUNDS + 1) * 1000);
    });
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

function ids(jobs: { id: string }[]): string[] {
  return jobs.map((job) => job.id);
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

/** A child in `step` mode: it acts on each line the test sends, and answers with one. */
interface Stepper {
  /** Sends one command line; resolves with the JSON line the child answers. */
  send(command: string): Promise<unknown>;
}

/**
 * Runs `body` with `count` children in `step` mode on the database at `path` (named
 * `${prefix}-0`…), each with its store open; then asks them to quit and checks they exited
 * cleanly (or kills them, when `body` failed).
 */
async function withSteppers(
  count: number,
  path: string,
  prefix: string,
  body: (steppers: Stepper[]) => Promise<void>,
): Promise<void> {
  const children = Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${i}`;
    const spawned = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SCRIPT, "step", path, name],
      cwd: REPO,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(spawned.stderr).text();
    const lines = readLines(spawned.stdout);
    const writer = spawned.stdin.getWriter();
    async function next(what: string): Promise<string> {
      const line = await lines.next();
      if (line.done) throw new Error(`${name} exited before it answered ${what}:\n${await stderr}`);
      return line.value;
    }
    const stepper: Stepper = {
      async send(command) {
        await writer.write(new TextEncoder().encode(`${command}\n`));
        return JSON.parse(await next(command));
      },
    };
    return { name, spawned, stderr, lines, writer, next, stepper };
  });
  let passed = false;
  try {
    for (const child of children) assert.equal(await child.next("ready"), "ready");
    await body(children.map((child) => child.stepper));
    passed = true;
  } finally {
    for (const child of children) {
      if (passed) {
        await child.writer.write(new TextEncoder().encode("quit\n"));
        await child.writer.close();
      } else {
        await child.writer.abort().catch(() => {});
        try {
          child.spawned.kill();
        } catch {
          // Already exited.
        }
      }
      const status = await child.spawned.status;
      for await (const _ of child.lines); // The rest of its output, if any.
      const stderr = await child.stderr;
      if (passed) {
        assert.equal(status.code, 0, `${child.name} exited ${status.code}:\n${stderr}`);
        assert.equal(stderr, "", `${child.name} wrote to stderr`);
      }
    }
  }
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
