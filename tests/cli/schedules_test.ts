/**
 * Cron schedules, end to end through the real CLI on both stores: running workers turn them into
 * jobs, each scheduled time exactly once however many worker processes share the database;
 * pause/resume, the jobs' options, missed runs, and `schedule list`.
 *
 * Second-by-second schedules use the test hook QUEUECTL_TEST_CRON_SECONDS=1 on `schedule add`.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CliResult,
  makeSandbox,
  onEveryStore,
  type Sandbox,
  snapshotDatabase,
  updateEveryRow,
  waitFor,
} from "../helpers/cli.ts";
import {
  assertExit,
  configure,
  enqueue,
  type Json,
  ms,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

/** The environment that lets `schedule add` accept a seconds field (a test hook). */

const CRON_SECONDS = { QUEUECTL_TEST_CRON_SECONDS: "1" };

/** Every job, in enqueue order. */

async function listJobs(sandbox: Sandbox, args: string[] = []): Promise<Json[]> {
  return JSON.parse(await sandbox.ok(["list", "--limit", "0", ...args, "--json"])) as Json[];
}

async function listSchedules(sandbox: Sandbox): Promise<Json[]> {
  return JSON.parse(await sandbox.ok(["schedule", "list", "--json"])) as Json[];
}

/** Asserts a refusal: the exit code, nothing on stdout, one "queuectl: …" line on stderr. */

function assertRefused(result: CliResult, code: number, message: RegExp, what: string): void {
  assertExit(result, code, what);
  assert.equal(result.stdout, "", `stdout of ${what}`);
  assert.match(result.stderr, /^queuectl: [^\n]*\n$/, `stderr of ${what} is one line`);
  assert.match(result.stderr, message, `stderr of ${what}`);
}

/** How many times `needle` occurs in `text`. */

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The scheduled time in a schedule's job id `NAME-YYYYMMDDTHHMMSSZ`, in epoch ms. */

function tickOf(name: string, id: string): number {
  const match = id.match(/^(.+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  assert.ok(match && match[1] === name, `"${id}" is not a job id of schedule "${name}"`);
  const [, , year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The time in `NAME: next run at ISO` that `schedule add` and `schedule resume` print. */

function nextRunPrinted(name: string, stdout: string): number {
  const match = stdout.match(/^(\S+): next run at (\S+)\n$/);
  assert.ok(match, `unexpected output ${JSON.stringify(stdout)}`);
  assert.equal(match[1], name);
  return ms(match[2]);
}

// --- Dependencies ------------------------------------------------------------------------------

/**
 * Lets the job `id`'s first attempt, which waits for the file `gate`, end while `worker` drains:
 * the worker records the attempt's end and exits without taking another job, so a failed job
 * stays failed (waiting to retry) for as long as the test looks, whatever its backoff.
 */

/** A command whose first attempt waits for the file `gate`, then runs `first`; later ones `later`. */

onEveryStore.test('two worker processes enqueue each second of a "* * * * * *" schedule exactly once', async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const workers = [await startWorker(sandbox), await startWorker(sandbox)];
  const firstTick = nextRunPrinted(
    "tick",
    await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "true"], {
      env: CRON_SECONDS,
    }),
  );
  await waitFor("five scheduled jobs", async () => (await listJobs(sandbox)).length >= 5, 30_000);
  const pauseStart = Date.now();
  await sandbox.ok(["schedule", "pause", "tick"]);
  const pauseEnd = Date.now();
  await waitFor("both workers to be idle", async () => {
    const { jobs, workers } = await sandbox.status();
    return jobs.pending === 0 && jobs.processing === 0 &&
      workers.every((worker) => (worker.jobs as unknown[]).length === 0);
  }, 30_000);

  const jobs = await listJobs(sandbox);
  const ids = jobs.map((job) => String(job.id));
  assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids}`);
  const ticks = ids.map((id) => tickOf("tick", id)).sort((a, b) => a - b);
  assert.equal(new Set(ticks).size, ticks.length, `a second was enqueued twice: ${ids}`);
  assert.equal(ticks[0], firstTick, "the first job is for the first scheduled second");
  for (let index = 1; index < ticks.length; index++) {
    assert.equal(ticks[index] - ticks[index - 1], 1000, `a second was skipped: ${ids}`);
  }
  assert.ok(ticks.at(-1)! <= pauseEnd, "nothing was enqueued for a time after the pause");
  // Every second up to the pause (none skipped, see above), give or take how far the scheduler
  // may lag on a loaded machine: it looks every 0.5 s; allow it 5 s.
  assert.ok(
    ticks.at(-1)! >= pauseStart - 5_000,
    `the last job is for ${pauseStart - ticks.at(-1)!} ms before the pause began: ${ids}`,
  );
  for (const job of jobs) {
    assert.equal(job.state, "completed");
    assert.equal(job.command, "true");
    assert.equal(job.attempts, 1);
  }

  await Promise.all(workers.map(stopWorker));
  const logs = workers.map((worker) => worker.log()).join("\n");
  for (const id of ids) {
    assert.equal(occurrences(logs, `Schedule "tick" enqueued job "${id}"`), 1, id);
    assert.equal(occurrences(logs, `Picked job "${id}"`), 1, id);
    assert.equal(occurrences(logs, `Completed job "${id}"`), 1, id);
  }
  assert.equal(occurrences(logs, `Schedule "tick" enqueued job`), ids.length);
  const [schedule] = await listSchedules(sandbox);
  assert.equal(schedule.paused, true);
  assert.equal(ms(schedule.last_run_at) <= pauseEnd, true);
});

onEveryStore.test("an idle worker, looking at the schedules only when one is due, is woken by schedule add", async () => {
  await using sandbox = await makeSandbox();
  const worker = await startWorker(sandbox, ["--verbose"]);
  // Its first pass found no schedule: it looks again in 10 s (the look-ahead), unless woken.
  const sleeping = /Scheduler: next look at (\S+)/;
  const nextLook = await waitFor("the worker's first scheduler pass", () => {
    const match = worker.log().match(sleeping);
    return match ? ms(match[1]) : undefined;
  }, 30_000);
  const added = Date.now();
  assert.ok(nextLook - added > 5_000, `the idle worker looks again in ${nextLook - added} ms`);
  const firstTick = nextRunPrinted(
    "tick",
    await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "true"], {
      env: CRON_SECONDS,
    }),
  );
  const first = await waitFor("the schedule's first job", async () => {
    const jobs = await listJobs(sandbox);
    return jobs.find((job) => tickOf("tick", String(job.id)) === firstTick);
  }, 30_000);
  // Woken, it enqueues the first second's job on time; asleep, some 8 s late.
  const late = ms(first.created_at) - firstTick;
  assert.ok(late < 4_000, `the first job was enqueued ${late} ms after its time`);
  await sandbox.ok(["schedule", "pause", "tick"]);
  await stopWorker(worker);
});

onEveryStore.test("a paused schedule enqueues nothing, and resume starts it again from its next time", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const worker = await startWorker(sandbox);
  await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "true"], {
    env: CRON_SECONDS,
  });
  await waitFor("a first scheduled job", async () => (await listJobs(sandbox)).length >= 1);
  const paused = await sandbox.run(["schedule", "pause", "tick"]);
  assertExit(paused, 0, "schedule pause tick");
  assert.equal(paused.stdout, 'Paused schedule "tick"\n');
  const pauseEnd = Date.now();
  const before = (await listJobs(sandbox)).map((job) => job.id);

  const [listed] = await listSchedules(sandbox);
  assert.equal(listed.paused, true);
  assert.match(await sandbox.ok(["schedule", "list"]), /^tick\s.*\spaused\s/m);

  // Three seconds' worth of ticks pass: nothing is added. (Only time passing can show that
  // nothing happens; three ticks, six looks of each worker's scheduler.)
  const deadline = Date.now() + 3000;
  const outcome = await waitFor("three seconds with the schedule paused", async () => {
    const now = (await listJobs(sandbox)).map((job) => job.id);
    if (now.length !== before.length) return { added: now.slice(before.length) };
    return Date.now() > deadline ? { added: [] } : undefined;
  });
  assert.deepEqual(outcome.added, [], "a paused schedule enqueued jobs");

  const resumeStart = Date.now();
  const nextRun = nextRunPrinted("tick", await sandbox.ok(["schedule", "resume", "tick"]));
  assert.ok(nextRun > resumeStart, "the next run after resume is in the future");
  assert.ok(nextRun <= Date.now() + 1000, "the next run after resume is the next second");
  const added = await waitFor("a job after resume", async () => {
    const jobs = (await listJobs(sandbox)).map((job) => String(job.id));
    return jobs.length > before.length ? jobs.slice(before.length) : undefined;
  });
  assert.equal(tickOf("tick", added[0]), nextRun, "the first run after resume");
  for (const id of (await listJobs(sandbox)).map((job) => String(job.id))) {
    const tick = tickOf("tick", id);
    assert.ok(
      tick <= pauseEnd || tick > resumeStart,
      `${id} is for a second while the schedule was paused`,
    );
  }
  await stopWorker(worker);
});

onEveryStore.test("the jobs a schedule enqueues carry its queue, priority, timeout, retries, directory and environment", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const worker = await startWorker(sandbox, ["--queue", "reports"]);
  await sandbox.ok([
    "schedule",
    "add",
    "report",
    "* * * * * *",
    "--queue",
    "reports",
    "--priority",
    "7",
    "--timeout",
    "30",
    "--max-retries",
    "2",
    "--cwd",
    sandbox.dir,
    "--env",
    "GREETING=hello there",
    "--",
    'echo "$GREETING from $(pwd) as $QUEUECTL_JOB_ID"',
  ], { env: CRON_SECONDS });
  const id = await waitFor("a scheduled job", async () => (await listJobs(sandbox))[0]?.id);
  await sandbox.ok(["schedule", "pause", "report"]);
  const job = await waitForState(sandbox, String(id), "completed");
  assert.deepEqual(
    [job.queue, job.priority, job.timeout, job.max_retries, job.cwd, job.env],
    ["reports", 7, 30, 2, sandbox.dir, { GREETING: "hello there" }],
  );
  const realDir = await Deno.realPath(sandbox.dir);
  assert.equal((job.runs as Json[])[0].stdout, `hello there from ${realDir} as ${id}\n`);
  await stopWorker(worker);
});

onEveryStore.test("a scheduled time whose job id is taken already does not stop the schedule's later runs", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const first = nextRunPrinted(
    "tick",
    await sandbox.ok(["schedule", "add", "tick", "* * * * * *", "--", "true"], {
      env: CRON_SECONDS,
    }),
  );
  // A user's own job happens to have the id of the third run (taken before any worker runs,
  // so before the schedule could fire for it).
  const stamp = (at: number) =>
    new Date(at).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const taken = `tick-${stamp(first + 2000)}`;
  await enqueue(sandbox, ["--id", taken, "--delay", "1h", "--", "true"]);
  const worker = await startWorker(sandbox);
  const later = [`tick-${stamp(first + 3000)}`, `tick-${stamp(first + 4000)}`];
  const outcome = await waitFor("the runs after the taken one", async () => {
    const ids = (await listJobs(sandbox)).map((job) => job.id);
    if (later.every((id) => ids.includes(id))) return { ids };
    // Runs more than a minute late count as missed: give up well before that.
    return Date.now() > first + 40_000 ? { ids } : undefined;
  }, 60_000);
  await sandbox.ok(["schedule", "pause", "tick"]);
  await stopWorker(worker);
  for (const id of later) {
    assert.ok(
      outcome.ids.includes(id),
      `no job ${id} by 40 s after the first run; jobs: ${outcome.ids.join(", ")}\n--- worker log\n${
        worker.log().split("\n").filter((line) => /Schedule|Scheduler/.test(line)).slice(0, 8)
          .join("\n")
      }`,
    );
  }
  assert.equal((await sandbox.info(taken)).command, "true", "the user's job is untouched");
});

onEveryStore.test("schedule list shows each schedule's next run in its zone; remove, unknown names and duplicate names", async () => {
  await using sandbox = await makeSandbox();
  const now = Date.now();
  const fivePrinted = nextRunPrinted(
    "five",
    await sandbox.ok(["schedule", "add", "five", "*/5 * * * *", "--", "echo hi"]),
  );
  const berlinPrinted = nextRunPrinted(
    "berlin",
    await sandbox.ok([
      "schedule",
      "add",
      "berlin",
      "0 9 * * *",
      "--tz",
      "Europe/Berlin",
      "--queue",
      "reports",
      "--priority",
      "3",
      "--max-retries",
      "1",
      "--timeout",
      "60",
      "--env",
      "A=1",
      "--missed",
      "skip",
      "--",
      "./report.sh",
      "two words",
    ]),
  );
  const hourlyPrinted = nextRunPrinted(
    "hourly",
    await sandbox.ok(["schedule", "add", "hourly", "@hourly", "--", "true"]),
  );

  const schedules = await listSchedules(sandbox);
  assert.deepEqual(schedules.map((schedule) => schedule.name), ["berlin", "five", "hourly"]);
  const [berlin, five, hourly] = schedules;

  assert.equal(five.cron, "*/5 * * * *");
  assert.equal(five.timezone, "UTC");
  assert.equal(five.paused, false);
  assert.equal(five.missed, "run-once");
  assert.equal(five.last_run_at, null);
  const fiveNext = ms(five.next_run_at);
  assert.equal(fiveNext, fivePrinted);
  assert.ok(fiveNext > now, "the next run is in the future");
  assert.ok(fiveNext <= now + 5 * 60_000, "and within five minutes");
  assert.equal(fiveNext % (5 * 60_000), 0, "on a multiple of five minutes");

  assert.equal(berlin.timezone, "Europe/Berlin");
  assert.equal(berlin.missed, "skip");
  const berlinNext = ms(berlin.next_run_at);
  assert.equal(berlinNext, berlinPrinted);
  const utc = new Date(berlinNext);
  assert.ok(
    [7, 8].includes(utc.getUTCHours()) && utc.getUTCMinutes() === 0 && utc.getUTCSeconds() === 0,
    `09:00 in Berlin is 08:00Z in winter or 07:00Z in summer, not ${berlin.next_run_at}`,
  );
  const local = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(utc);
  assert.equal(local, "09:00");
  assert.ok(
    berlinNext > now && berlinNext - 25 * 3_600_000 < now,
    "the next 09:00, not a later one",
  );
  assert.deepEqual(berlin.job, {
    command: "./report.sh 'two words'",
    cwd: Deno.cwd(),
    queue: "reports",
    priority: 3,
    timeoutSeconds: 60,
    maxRetries: 1,
    env: { A: "1" },
  });

  const hourlyNext = ms(hourly.next_run_at);
  assert.equal(hourlyNext, hourlyPrinted);
  assert.equal(hourlyNext % 3_600_000, 0);
  assert.ok(hourlyNext > now && hourlyNext <= now + 3_600_000);

  const text = await sandbox.ok(["schedule", "list"]);
  assert.match(text, /^NAME\s+CRON\s+ZONE\s+NEXT RUN\s+LAST RUN\s+COMMAND$/m);
  assert.match(text, /^berlin\s+0 9 \* \* \*\s+Europe\/Berlin\s+\d{4}-\S+Z \(in /m);
  assert.match(text, /^five\s+\*\/5 \* \* \* \*\s+UTC\s+/m);

  // Refusals change nothing.
  const before = await snapshotDatabase(sandbox);
  assertRefused(
    await sandbox.run(["schedule", "add", "five", "0 * * * *", "--", "true"]),
    5,
    /"five"/,
    "schedule add of a name that exists",
  );
  assertRefused(
    await sandbox.run(["schedule", "remove", "nope"]),
    3,
    /"nope"/,
    "schedule remove of an unknown name",
  );
  assert.equal(await snapshotDatabase(sandbox), before);

  for (const name of ["five", "berlin", "hourly"]) {
    assert.equal(await sandbox.ok(["schedule", "remove", name]), `Removed schedule "${name}"\n`);
  }
  assert.deepEqual(await listSchedules(sandbox), []);
  assert.equal(await sandbox.ok(["schedule", "list"]), "No schedules.\n");
  assertRefused(
    await sandbox.run(["schedule", "remove", "five"]),
    3,
    /"five"/,
    "schedule remove of a removed schedule",
  );
});

onEveryStore.test("runs missed while no worker was up run once, for the latest missed time, with --missed run-once, and not at all with skip", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  for (const [name, missed] of [["yearly-once", "run-once"], ["yearly-skip", "skip"]]) {
    await sandbox.ok([
      "schedule",
      "add",
      name,
      "0 0 1 1 *",
      "--missed",
      missed,
      "--",
      "echo ran",
    ]);
  }
  // No worker has been up since New Year 2020: pretend so by moving the next run back (the
  // fast way to have missed runs without waiting more than a minute for one).
  const moved = await updateEveryRow(sandbox, "schedules", { next_run_at: Date.UTC(2020, 0, 1) });
  assert.equal(moved, 2);
  const worker = await startWorker(sandbox);
  await waitFor("both schedules to have moved on", async () => {
    return (await listSchedules(sandbox)).every((schedule) => schedule.last_run_at !== null);
  });
  const year = new Date().getUTCFullYear();
  const nextNewYear = Date.UTC(year + 1, 0, 1);
  for (const schedule of await listSchedules(sandbox)) {
    assert.equal(ms(schedule.next_run_at), nextNewYear, `${schedule.name}'s next run`);
  }
  const job = await waitForState(sandbox, `yearly-once-${year}0101T000000Z`, "completed");
  assert.equal((job.runs as Json[])[0].stdout, "ran\n");
  const ids = (await listJobs(sandbox)).map((job) => job.id);
  assert.deepEqual(ids, [`yearly-once-${year}0101T000000Z`], "one run for all the missed ones");
  await stopWorker(worker);
  assert.match(worker.log(), /Schedule "yearly-skip" skipped runs missed while no worker was up/);
});
