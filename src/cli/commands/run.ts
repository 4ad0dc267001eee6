import { hostPath } from "../../paths.ts";
import { parseDuration } from "../../duration.ts";
import { enqueueJobs } from "../../enqueue.ts";
import { errorMessage, UsageError, WaitTimeoutError } from "../../errors.ts";
import type { Job } from "../../job.ts";
import type { Logger, LogLevel } from "../../log.ts";
import { type JobSpec, validateCommand } from "../../job_spec.ts";
import { openStore, type Store, type StoreLocation } from "../../store/mod.ts";
import { waitForJobs } from "../../wait_for_jobs.ts";
import { hostId } from "../../worker/liveness.ts";
import { type ReportRequest, reportRequest, writeReports } from "../ci_report_files.ts";
import type { CommandContext, CommandDefinition, ParsedArgs } from "../command.ts";
import { checkWhen, JOB_OPTIONS, jobSpecFromFlags } from "../flags.ts";
import { readJobFile } from "../job_lines.ts";
import { type RunEnding, runSummary } from "../run_summary.ts";

/** The most worker slots `run` starts (as `worker start --count`). */
const MAX_WORKERS = 256;

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report it. */
const SIGNAL_EXIT: Partial<Record<Deno.Signal, number>> = { SIGINT: 130, SIGTERM: 143 };

// No hook flags: the run ends when its own jobs do, so hook jobs their ends add would be left to
// other workers (or lost with a throw-away database). A --file line's on_finish is kept as given.
const {
  timeout: jobTimeout,
  "on-finish": _onFinish,
  "on-finish-when": _onFinishWhen,
  ...jobOptions
} = JOB_OPTIONS;

/** `queuectl run`: enqueue jobs, run them in this process, wait for them, summarise, exit. */
export const runCommand: CommandDefinition = {
  path: ["run"],
  summary: "Run jobs here and now: enqueue, work with N workers, wait, summarise",
  usage: [
    "run [--workers N] [options] -- 'COMMAND' ['COMMAND'...]",
    "run [--workers N] [options] --file jobs.jsonl     (or --file - for stdin)",
  ],
  description: `
Enqueues the jobs, runs them with --workers N workers in this process, waits until every one of
them is finished, prints a summary on stderr and exits: one command for CI. Each argument after
"--" is one job, a shell command line as it is (quote each: run -- 'make a' 'make b'); --file
adds one JSON job per line, as "enqueue --file" takes them. Both may be given: the file's jobs
come first. The job flags below are defaults for every job; a line's own fields win over them.
--job-timeout is enqueue's --timeout (one run's limit); --timeout here is the whole run's.
Failed runs are retried as anywhere else (--max-retries, default: config max_retries, 3): pass
--max-retries 0 to fail fast. The workers log on stderr each failed run (every run with -v).

The database: with --db or QUEUECTL_DB, that one (SQLite or PostgreSQL): the jobs and their
history stay there, and other workers may help run them. Without either, a throw-away SQLite
database in a temporary directory, removed at the end; --keep keeps it and prints its path on
stdout (then: queuectl --db PATH list). The workers serve only the queues of the run's jobs, and
the run ends once its own jobs are finished (a job of another run that one of its workers took
meanwhile finishes first): hook jobs (on_finish, config on_dead…) their ends add are not waited
for, and are left to the database's other workers.

The summary (stderr) counts the jobs completed, dead and canceled, gives the run's duration,
and for each dead or canceled job its id, command, last error and the last lines of its stderr.
--junit and, on GitHub Actions, the annotations and step summary are as "queuectl wait" writes
them.

Exit codes: 0 when every job completed; 1 when any ended dead or canceled; 124 when --timeout
passed first (the workers are stopped at once, as by "worker stop --now": running jobs go back
to the queue, unfinished jobs stay in the store); 130 on Ctrl-C (SIGINT) and 143 on SIGTERM:
running jobs finish, no new one starts (a second signal stops them at once), then the summary;
2 for bad input, before anything is enqueued or run.`,
  options: {
    workers: {
      type: "string",
      short: "w",
      valueName: "N",
      description: "jobs run at once (default: the number of CPU cores)",
    },
    file: {
      type: "string",
      short: "f",
      valueName: "PATH",
      description: "run every JSON line of PATH (- = stdin) too",
    },
    timeout: {
      type: "string",
      valueName: "DURATION",
      description: "give up after this long (30s, 10m, 2h…; exit 124; default: none)",
    },
    junit: {
      type: "string",
      valueName: "FILE",
      description: "write a JUnit XML report of the jobs to FILE at the end",
    },
    keep: {
      type: "boolean",
      description: "keep the throw-away database and print its path (not with --db)",
    },
    ...jobOptions,
    unique: {
      ...jobOptions.unique,
      description: "add no job if an unfinished job has this key (wait for that one)",
    },
    "job-timeout": { ...jobTimeout },
  },
  examples: [
    "queuectl run --workers 4 -- 'make lint' 'make test' 'make docs'",
    "queuectl run --workers 4 --file shards.jsonl --timeout 30m --junit queuectl-junit.xml",
    "queuectl run --max-retries 0 --job-timeout 600 -- ./test.sh",
    "queuectl run --db ci.db --workers 8 --file jobs.jsonl   # the jobs stay in ci.db",
  ],
  async run(context, args) {
    // Every check before anything is opened: bad input enqueues nothing and runs nothing.
    if (args.positionals.length > 0) {
      throw new UsageError(
        `Unexpected argument "${args.positionals[0]}": put the commands after "--" ` +
          `(queuectl run -- 'make a' 'make b')`,
      );
    }
    const defaults = jobSpecFromFlags(args.values, { timeout: "job-timeout" });
    checkWhen(defaults);
    const workers = parseWorkers(args.values.workers as string | undefined);
    const timeout = args.values.timeout as string | undefined;
    const timeoutMs = timeout === undefined ? Infinity : parseDuration(timeout, "--timeout");
    const reports = reportRequest(context, args.values.junit as string | undefined, "queuectl run");
    const explicit = context.dbFlag !== undefined || context.env("QUEUECTL_DB") !== undefined;
    const keep = args.values.keep === true;
    if (keep && explicit) {
      throw new UsageError(
        "--keep is for the throw-away database: with --db or QUEUECTL_DB the jobs stay there",
      );
    }
    const specs = await jobSpecs(context, args, defaults);
    // The workers log failed runs (a retry, a dead job) by default; every run with -v.
    const chosen = ["log-level", "verbose", "quiet"].some((name) =>
      args.values[name] !== undefined
    );
    const logLevel: LogLevel = chosen ? context.logLevel : "warning";
    const run = { workers, timeoutMs, reports, logLevel, kept: explicit || keep };
    if (explicit) {
      return await runJobs(context, await context.store(), context.location, specs, run);
    }
    const directory = await Deno.makeTempDir({ prefix: "queuectl-run-" });
    const location: StoreLocation = { kind: "sqlite", path: hostPath.join(directory, "queue.db") };
    try {
      const store = await openStore(location);
      try {
        return await runJobs(context, store, location, specs, run);
      } finally {
        await store.close();
      }
    } finally {
      if (keep) {
        context.stdout(`${location.path}\n`);
        context.stderr(`Kept the database: queuectl --db ${location.path} list\n`);
      } else {
        await Deno.remove(directory, { recursive: true }).catch((error) =>
          context.stderr(`Warning: cannot remove "${directory}": ${errorMessage(error)}\n`)
        );
      }
    }
  },
};

/** The number of CPU cores, at least 1, at most `MAX_WORKERS`. */
function defaultWorkers(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_WORKERS));
}

function parseWorkers(text: string | undefined): number {
  if (text === undefined) return defaultWorkers();
  const count = Number(text);
  if (text.trim() === "" || !Number.isInteger(count) || count < 1 || count > MAX_WORKERS) {
    throw new UsageError(
      `Invalid --workers ${JSON.stringify(text)}: expected an integer from 1 to ${MAX_WORKERS}`,
    );
  }
  return count;
}

/** The jobs of `--file`, then one per argument after `--`, each over the flags' defaults. */
async function jobSpecs(
  context: CommandContext,
  args: ParsedArgs,
  defaults: Partial<JobSpec>,
): Promise<JobSpec[]> {
  const file = args.values.file as string | undefined;
  const specs = file === undefined ? [] : await readJobFile(context, file, defaults);
  for (const [index, command] of (args.rest ?? []).entries()) {
    specs.push({
      ...defaults,
      command: validateCommand(command, `command ${index + 1} after "--"`),
    });
  }
  if (specs.length === 0) {
    throw new UsageError(
      file === undefined
        ? `No jobs: give commands after "--" (queuectl run -- 'make a' 'make b') or --file`
        : `No jobs in "${file}"`,
    );
  }
  return specs;
}

/** How to run the jobs. */
interface RunOptions {
  workers: number;
  timeoutMs: number;
  reports: ReportRequest;
  logLevel: LogLevel;
  /** Whether the database outlives the run (--db, QUEUECTL_DB or --keep). */
  kept: boolean;
}

/** Enqueues, runs the workers until the jobs are finished (or the run is stopped), reports. */
async function runJobs(
  context: CommandContext,
  store: Store,
  location: StoreLocation,
  specs: JobSpec[],
  options: RunOptions,
): Promise<number> {
  const started = Date.now();
  const results = await enqueueJobs(store, context.clock, specs, { cwd: context.cwd });
  // A job whose unique key an unfinished job held is that job: it is waited for once.
  const ids = [...new Set(results.map((result) => result.id))];
  const queues = [...new Set(results.map((result) => result.job.queue))].sort();

  const { setupLogging } = await import("../../log.ts");
  const logger = await setupLogging({
    level: options.logLevel,
    location: location.kind === "postgres" ? location.url : undefined,
  });
  const stopWorkers = new AbortController();
  let interrupted: Deno.Signal | undefined;
  let ready = false;
  // The supervisor turns signals into a drain (a second one: a stop at once) by itself once it
  // is ready; a signal before that would go unseen by it, so it is passed on as a drain.
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const listeners = signals.map((signal) => {
    const listener = () => {
      interrupted ??= signal;
      if (!ready) stopWorkers.abort("drain");
    };
    Deno.addSignalListener(signal, listener);
    return { signal, listener };
  });
  let ending: RunEnding;
  let jobs: Job[] | undefined;
  let workerError: unknown;
  try {
    ({ ending, jobs, workerError } = await workUntilDone(context, store, ids, {
      ...options,
      location,
      queues,
      logger,
      stopWorkers,
      ready: () => ready = true,
    }));
  } finally {
    for (const { signal, listener } of listeners) Deno.removeSignalListener(signal, listener);
  }
  if (interrupted !== undefined) ending = { kind: "signal", signal: interrupted };

  jobs ??= await readJobs(store, ids);
  context.stderr(
    await runSummary(store, jobs, {
      ending,
      ms: Date.now() - started,
      timeoutMs: options.timeoutMs,
      kept: options.kept,
    }),
  );
  await writeReports(context, store, ids, jobs, options.reports);
  if (workerError !== undefined) throw workerError;
  if (ending.kind === "timeout") return 124;
  if (ending.kind === "signal") return SIGNAL_EXIT[ending.signal] ?? 1;
  return jobs.every((job) => job.state === "completed") ? 0 : 1;
}

/**
 * Runs the supervisor and waits for the jobs side by side; once they are finished the workers
 * drain, after --timeout they stop at once. Resolves once the workers have stopped.
 */
async function workUntilDone(
  context: CommandContext,
  store: Store,
  ids: string[],
  options: RunOptions & {
    location: StoreLocation;
    queues: string[];
    logger: (category: string) => Logger;
    stopWorkers: AbortController;
    ready: () => void;
  },
): Promise<{ ending: RunEnding; jobs?: Job[]; workerError: unknown }> {
  const { stopWorkers } = options;
  // Loaded here, not at the top, as in `worker start`: other commands start faster without.
  const { runSupervisor } = await import("../../worker/supervisor.ts");
  const workersEnded = new AbortController();
  const supervisor = runSupervisor({
    location: options.location,
    count: options.workers,
    queues: options.queues,
    host: hostId(context.env),
    logLevel: options.logLevel,
    logger: options.logger,
    stop: stopWorkers.signal,
    onReady: options.ready,
  }).then(() => undefined, (error: unknown) => error);
  supervisor.then(() => workersEnded.abort());
  let ending: RunEnding = { kind: "finished" };
  let jobs: Job[] | undefined;
  try {
    jobs = await waitForJobs(store, context.clock, ids, {
      timeoutMs: options.timeoutMs,
      signal: workersEnded.signal,
    });
  } catch (error) {
    if (error instanceof WaitTimeoutError) {
      ending = { kind: "timeout" };
      stopWorkers.abort("now");
    } else if (!workersEnded.signal.aborted) {
      // The store failed us, say: stop the workers at once and say why.
      stopWorkers.abort("now");
      await supervisor;
      throw error;
    } else {
      ending = { kind: "workers-stopped" };
    }
  } finally {
    // The jobs are finished: the workers drain (a job of another run they took finishes).
    stopWorkers.abort("drain");
  }
  return { ending, jobs, workerError: await supervisor };
}

/** The jobs as they are now (those purged meanwhile left out). */
async function readJobs(store: Store, ids: string[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const id of ids) {
    const job = await store.jobGet({ id });
    if (job) jobs.push(job);
  }
  return jobs;
}
