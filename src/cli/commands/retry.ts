import { UsageError } from "../../errors.ts";
import { FINAL_STATES, type Job, type JobState } from "../../job.ts";
import { validateJobId } from "../../job_spec.ts";
import { jobToJson, type RetryJson } from "../../json_contract.ts";
import type { JobFilter } from "../../store/mod.ts";
import type { CommandDefinition } from "../command.ts";
import { parseQueues, parseSince, parseStates } from "../flags.ts";
import { json } from "../render.ts";

/** The keys `--filter` takes. */
const FILTER_KEYS = ["state", "queue", "since"] as const;

/**
 * Parses `--filter state=dead,queue=images,since=1h`: a key given twice adds its values (`state`
 * and `queue`; `since` once). `state` must name finished states; none given: all of them.
 */
export function parseRetryFilter(text: string, now: number): JobFilter {
  const states: JobState[] = [];
  const queues: string[] = [];
  let createdSince: number | undefined;
  for (const part of text.split(",")) {
    const equals = part.indexOf("=");
    const key = part.slice(0, Math.max(equals, 0)).trim().toLowerCase();
    const value = part.slice(equals + 1).trim();
    if (equals <= 0 || value === "") {
      throw new UsageError(
        `Invalid --filter ${
          JSON.stringify(text)
        }: expected KEY=VALUE pairs like state=dead,queue=images,since=1h`,
      );
    }
    if (!(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new UsageError(
        `Unknown --filter key ${JSON.stringify(key)}: use ${FILTER_KEYS.join(", ")}`,
      );
    }
    if (key === "state") states.push(...parseStates(value)!);
    if (key === "queue") queues.push(...parseQueues(value, "--filter queue")!);
    if (key === "since") {
      if (createdSince !== undefined) throw new UsageError("Give since once in --filter");
      createdSince = parseSince(value, now, "--filter since");
    }
  }
  const notFinal = states.filter((state) => !FINAL_STATES.includes(state));
  if (notFinal.length > 0) {
    throw new UsageError(
      `Cannot retry ${notFinal.join(", ")} jobs: only ${
        FINAL_STATES.join(", ")
      } jobs can be retried`,
    );
  }
  return {
    states: states.length > 0 ? [...new Set(states)] : [...FINAL_STATES],
    queues: queues.length > 0 ? queues : undefined,
    createdSince,
  };
}

/** One line per job: id, state, queue and command (cut to fit a terminal line). */
function jobLine(job: Job): string {
  const command = job.command.replace(/\s+/g, " ");
  return `${job.id}  ${job.state}  ${job.queue}  ${
    command.length > 60 ? `${command.slice(0, 59)}…` : command
  }\n`;
}

/** `queuectl retry`: finished jobs (completed, dead, canceled) run again. */
export const retryCommand: CommandDefinition = {
  path: ["retry"],
  summary: "Run finished jobs again (completed, dead or canceled): back to pending, attempts 0",
  usage: ["retry ID... [--json]", "retry --filter state=S,queue=Q,since=WHEN [--yes] [--json]"],
  description: `
A retried job goes back to pending with its attempts reset to 0; its run history stays (info,
logs). One that waits on a parent not completed (retried with it) is blocked until the parent
completes; a job whose parent is dead or canceled can only be retried together with that parent.
Jobs waiting on a retried job stay as they are: name them too to run them again.

By ids: every job must exist (else exit 3) and be finished (else exit 5), or nothing changes.
By --filter (keys state, queue and since, comma-separated; state defaults to every finished
state): when more than one job matches, nothing changes unless --yes is given: the jobs that
would be retried are listed. A job whose unique key an unfinished job holds stays as it is.
"dlq retry" does the same for dead jobs only.`,
  options: {
    filter: {
      type: "string",
      valueName: "FILTER",
      description: "the finished jobs matching state=…,queue=…,since=… (a duration or ISO time)",
    },
    yes: { type: "boolean", short: "y", description: "retry every job the filter matches" },
    json: { type: "boolean", description: "print what was (or would be) retried as JSON" },
  },
  examples: [
    "queuectl retry 42 43",
    "queuectl retry --filter state=dead,queue=images,since=1h",
    "queuectl retry --filter state=dead,queue=images,since=1h --yes",
  ],
  async run(context, args) {
    const filterText = args.values.filter as string | undefined;
    const yes = args.values.yes === true;
    if (filterText !== undefined && args.positionals.length > 0) {
      throw new UsageError("Give job ids or --filter, not both");
    }
    if (filterText === undefined && args.positionals.length === 0) {
      throw new UsageError("Missing job id: give one or more ids, or --filter");
    }
    if (yes && filterText === undefined) throw new UsageError("--yes goes with --filter");
    const now = context.clock.now();
    const filter = filterText === undefined ? undefined : parseRetryFilter(filterText, now);
    const ids = [...new Set(args.positionals.map(validateJobId))];
    const store = await context.store();

    let jobs: Job[];
    if (filter) {
      jobs = await store.jobList({ ...filter, order: "enqueue", limit: 0 });
      if (jobs.length === 0) {
        if (args.values.json) {
          return context.stdout(json({ dry_run: false, jobs: [], retried: [], kept: [] }));
        }
        return context.stdout("No finished jobs match the filter.\n");
      }
      if (jobs.length > 1 && !yes) {
        if (args.values.json) {
          const answer: RetryJson = {
            dry_run: true,
            jobs: jobs.map(jobToJson),
            retried: [],
            kept: [],
          };
          return context.stdout(json(answer));
        }
        context.stdout(jobs.map(jobLine).join(""));
        context.stdout(`${jobs.length} jobs would be retried; run again with --yes\n`);
        return;
      }
    } else {
      // As they were (for --json); an unknown or unfinished id makes the store refuse them all.
      jobs = [];
      for (const id of ids) {
        const job = await store.jobGet({ id });
        if (job) jobs.push(job);
      }
    }
    const retried = await store.jobRetryFinished({
      ids: filter ? jobs.map((job) => job.id) : ids,
      now,
    });
    const kept = jobs.map((job) => job.id).filter((id) => !retried.includes(id));
    if (args.values.json) {
      const answer: RetryJson = { dry_run: false, jobs: jobs.map(jobToJson), retried, kept };
      return context.stdout(json(answer));
    }
    context.stdout(retried.map((id) => `${id}\n`).join(""));
    for (const id of kept) {
      context.stderr(`Job "${id}" stays as it is: an unfinished job holds its unique key\n`);
    }
    context.stderr(`Retried ${retried.length} job(s)\n`);
  },
};
