import { parseDuration } from "../../duration.ts";
import { NotFoundError, QueuectlError, UsageError } from "../../errors.ts";
import { FINAL_STATES, type JobState } from "../../job.ts";
import { validateJobId } from "../../job_spec.ts";
import type { CommandDefinition } from "../command.ts";
import { shortDuration } from "../render.ts";

/** Exit code of `wait` when the timeout passes first (as `timeout(1)`). */
export const WAIT_TIMEOUT_EXIT_CODE = 124;

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
    const pollMs = poll === undefined ? 200 : Math.max(10, parseDuration(poll, "--poll-interval"));
    const store = await context.store();
    const started = Date.now();
    for (;;) {
      const states = new Map<string, JobState>();
      for (const id of ids) {
        const job = await store.jobGet({ id });
        if (!job) throw new NotFoundError(`No job with id "${id}"`);
        states.set(id, job.state);
      }
      const unfinished = ids.filter((id) => !FINAL_STATES.includes(states.get(id)!));
      if (context.stderrIsTerminal) context.stderr(`\r\x1b[2K${progress(states, started)}`);
      if (unfinished.length === 0) {
        if (context.stderrIsTerminal) context.stderr("\n");
        const failed = ids.filter((id) => states.get(id) !== "completed");
        if (failed.length === 0) return;
        for (const id of failed) context.stderr(`Job "${id}" ended ${states.get(id)}\n`);
        return 1;
      }
      if (Date.now() - started >= timeoutMs) {
        if (context.stderrIsTerminal) context.stderr("\n");
        throw new QueuectlError(
          `Timed out after ${timeout}: ${unfinished.length} job(s) not finished (${
            unfinished.slice(0, 5).map((id) => `"${id}" ${states.get(id)}`).join(", ")
          })`,
          WAIT_TIMEOUT_EXIT_CODE,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  },
};

function progress(states: Map<string, JobState>, started: number): string {
  const counts = new Map<JobState, number>();
  for (const state of states.values()) counts.set(state, (counts.get(state) ?? 0) + 1);
  const parts = [...counts].map(([state, count]) => `${count} ${state}`).join(", ");
  return `Waiting ${shortDuration(Date.now() - started)} for ${states.size} job(s): ${parts}`;
}
