import { hostPath } from "../../paths.ts";
import { parseDuration } from "../../duration.ts";
import { errorMessage, NotFoundError, UsageError, WaitTimeoutError } from "../../errors.ts";
import { FINAL_STATES, type Job, JOB_STATES, type JobState } from "../../job.ts";
import { validateJobId, validateQueueName } from "../../job_spec.ts";
import { DEFAULT_WAIT_POLL_MS, waitForJobs } from "../../wait_for_jobs.ts";
import { reportRequest, writeReports } from "../ci_report_files.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";
import { parseQueues } from "../flags.ts";
import { shortDuration } from "../render.ts";

/** `queuectl wait ID...`: blocks until the jobs are final; for CI scripts. */
export const waitCommand: CommandDefinition = {
  path: ["wait"],
  summary: "Wait until jobs are finished; exit 0 if all completed",
  usage: [
    "wait ID... [--timeout DURATION]",
    "wait --all [--queue Q] [--timeout DURATION]",
    "wait --ids-from FILE|- [--timeout DURATION]",
    "wait --batch NAME [--timeout DURATION]",
    "wait ID...|--all|--ids-from FILE --junit FILE",
  ],
  description: `
Waits for the jobs named by id, by --ids-from (one id a line, as enqueue --file prints them;
- reads standard input), and, with --all or --queue, for every job that is not finished when
wait starts (of those queues only, with --queue), and with --batch for every job of the batch
(finished or not: a batch that settled failed exits 1 at once; not its callback jobs). The
sources add up. With --all or --queue and nothing unfinished, there is nothing to wait for:
exit 0.

Exit codes: 0 when every job completed; 1 when any ended dead or canceled; 124 when the timeout
passed first; 3 for an unknown id or batch. On a terminal, a progress line shows on stderr.

--junit FILE writes a JUnit XML report when the wait ends (with exit 0, 1 or 124; not for an
unknown id): one test case per job, named by its id, its class the queue, its time the last
run's duration in seconds. A dead or canceled job is a failure (its last error and the tail of
its stderr); a job not finished when the timeout passed is an error ("not finished"). The
file's directory must exist; it is checked before waiting.

On GitHub Actions (GITHUB_ACTIONS=true), each job not completed also gets an ::error
annotation on stderr, and a Markdown table of the jobs is appended to $GITHUB_STEP_SUMMARY.`,
  options: {
    all: {
      type: "boolean",
      description: "every job not finished when wait starts",
    },
    queue: {
      type: "string",
      valueName: "Q[,Q…]",
      description: "every job of these queues not finished when wait starts",
    },
    batch: {
      type: "string",
      valueName: "NAME",
      description: "every job of batch NAME (enqueue --batch)",
    },
    "ids-from": {
      type: "string",
      valueName: "FILE",
      description: "the ids in FILE, one a line (- for standard input)",
    },
    timeout: {
      type: "string",
      valueName: "DURATION",
      description: "give up after this long (30s, 10m, 2h…; default: wait for ever)",
    },
    junit: {
      type: "string",
      valueName: "FILE",
      description: "write a JUnit XML report of the jobs to FILE when the wait ends",
    },
    "poll-interval": {
      type: "string",
      valueName: "DURATION",
      description: "how often to look (default 200ms)",
    },
  },
  examples: [
    "queuectl wait build-1 test-1 --timeout 10m",
    "queuectl enqueue --file shards.jsonl | queuectl wait --ids-from - --timeout 30m",
    "queuectl wait --all --queue ci",
    "queuectl wait --batch thumbs --timeout 1h",
    "queuectl wait --all --timeout 30m --junit reports/queuectl.xml",
  ],
  async run(context, args) {
    const reports = reportRequest(
      context,
      args.values.junit as string | undefined,
      "queuectl wait",
    );
    const timeout = args.values.timeout as string | undefined;
    const timeoutMs = timeout === undefined ? Infinity : parseDuration(timeout, "--timeout");
    const poll = args.values["poll-interval"] as string | undefined;
    const pollMs = poll === undefined
      ? DEFAULT_WAIT_POLL_MS
      : Math.max(10, parseDuration(poll, "--poll-interval"));
    const queues = parseQueues(args.values.queue as string | undefined);
    const all = args.values.all === true || queues !== undefined;
    const named = args.positionals.map(validateJobId);
    const idsFrom = args.values["ids-from"] as string | undefined;
    if (idsFrom !== undefined) named.push(...await readIds(context, idsFrom));
    const batch = args.values.batch as string | undefined;
    if (batch !== undefined) named.push(...await batchJobIds(context, batch));
    if (!all && named.length === 0 && batch === undefined) {
      throw new UsageError(
        idsFrom === undefined
          ? "Missing job id: give one or more ids, --ids-from FILE, --batch NAME, --all or --queue Q"
          : `No job id in ${idsFrom === "-" ? "standard input" : `"${idsFrom}"`}`,
      );
    }
    const ids = [...new Set([...named, ...(all ? await unfinishedIds(context, queues) : [])])];
    if (ids.length === 0) {
      // --all with nothing unfinished: an empty report still tells CI that nothing failed.
      await writeReports(context, await context.store(), ids, [], reports);
      return undefined;
    }
    let jobs: Job[];
    try {
      jobs = await waitShowingProgress(context, ids, { timeoutMs, pollMs });
    } catch (error) {
      // A timed-out wait is reported too: a CI run that hung needs its report most.
      if (error instanceof WaitTimeoutError) {
        await writeReports(context, await context.store(), ids, undefined, reports);
      }
      throw error;
    }
    await writeReports(context, await context.store(), ids, jobs, reports);
    const failed = jobs.filter((job) => job.state !== "completed");
    for (const job of failed) context.stderr(`Job "${job.id}" ended ${job.state}\n`);
    return failed.length === 0 ? undefined : 1;
  },
};

/** The ids of a file or standard input, one a line (blank lines and surrounding spaces skipped). */
async function readIds(context: CommandContext, source: string): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = source === "-"
      ? await context.readStdin()
      : await Deno.readFile(hostPath.resolve(context.cwd, source));
  } catch (error) {
    throw new UsageError(`Cannot read --ids-from "${source}": ${errorMessage(error)}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`Cannot read --ids-from "${source}": it is not UTF-8 text`);
  }
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "")
    .map((id, index) => {
      try {
        return validateJobId(id);
      } catch (error) {
        throw new UsageError(`Line ${index + 1} of --ids-from "${source}": ${errorMessage(error)}`);
      }
    });
}

/** Every job of a batch; `NotFoundError` when there is no such batch. */
async function batchJobIds(context: CommandContext, name: string): Promise<string[]> {
  validateQueueName(name, "--batch");
  const store = await context.store();
  if (!await store.batchGet({ name })) {
    throw new NotFoundError(`No batch "${name}" (see "queuectl batch list")`);
  }
  return (await store.jobList({ batch: name })).map((job) => job.id);
}

/** The jobs not finished now, of `queues` when given. */
async function unfinishedIds(context: CommandContext, queues?: string[]): Promise<string[]> {
  const store = await context.store();
  const states = JOB_STATES.filter((state) => !FINAL_STATES.includes(state));
  return (await store.jobList({ states, queues })).map((job) => job.id);
}

/** `waitForJobs`, with a progress line on stderr when it is a terminal. */
async function waitShowingProgress(
  context: CommandContext,
  ids: string[],
  options: { timeoutMs: number; pollMs: number },
): Promise<Job[]> {
  const store = await context.store();
  if (!context.stderrIsTerminal) return await waitForJobs(store, context.clock, ids, options);
  const started = Date.now();
  let shown = false;
  const onPoll = (jobs: Job[]) => {
    context.stderr(`\r\x1b[2K${progress(jobs, started)}`);
    shown = true;
  };
  try {
    return await waitForJobs(store, context.clock, ids, { ...options, onPoll });
  } finally {
    // Ends the progress line, whichever way the wait ended.
    if (shown) context.stderr("\n");
  }
}

function progress(jobs: Job[], started: number): string {
  const counts = new Map<JobState, number>();
  for (const { state } of jobs) counts.set(state, (counts.get(state) ?? 0) + 1);
  const parts = [...counts].map(([state, count]) => `${count} ${state}`).join(", ");
  return `Waiting ${shortDuration(Date.now() - started)} for ${jobs.length} job(s): ${parts}`;
}
