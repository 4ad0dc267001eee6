import { parseDuration } from "../../duration.ts";
import { UsageError } from "../../errors.ts";
import type { Job, JobState } from "../../job.ts";
import { validateJobId } from "../../job_spec.ts";
import { DEFAULT_WAIT_POLL_MS, waitForJobs } from "../../wait_for_jobs.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";
import { shortDuration } from "../render.ts";

/** `queuectl wait ID...`: blocks until the jobs are final; for CI scripts. */
export const waitCommand: CommandDefinition = {
  path: ["wait"],
  summary: "Wait until jobs are finished; exit 0 if all completed",
  usage: ["wait ID... [--timeout DURATION]"],
  description: `
Exit codes: 0 when every job completed; 1 when any ended dead or canceled; 124 when the timeout
passed first; 3 for an unknown id. On a terminal, a progress line shows on stderr.`,
  options: {
    timeout: {
      type: "string",
      valueName: "DURATION",
      description: "give up after this long (30s, 10m, 2h…; default: wait for ever)",
    },
    "poll-interval": {
      type: "string",
      valueName: "DURATION",
      description: "how often to look (default 200ms)",
    },
  },
  examples: ["queuectl wait build-1 test-1 --timeout 10m"],
  async run(context, args) {
    if (args.positionals.length === 0) throw new UsageError("Missing job id: give one or more ids");
    const ids = [...new Set(args.positionals.map(validateJobId))];
    const timeout = args.values.timeout as string | undefined;
    const timeoutMs = timeout === undefined ? Infinity : parseDuration(timeout, "--timeout");
    const poll = args.values["poll-interval"] as string | undefined;
    const pollMs = poll === undefined
      ? DEFAULT_WAIT_POLL_MS
      : Math.max(10, parseDuration(poll, "--poll-interval"));
    const jobs = await waitShowingProgress(context, ids, { timeoutMs, pollMs });
    const failed = jobs.filter((job) => job.state !== "completed");
    for (const job of failed) context.stderr(`Job "${job.id}" ended ${job.state}\n`);
    return failed.length === 0 ? undefined : 1;
  },
};

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
