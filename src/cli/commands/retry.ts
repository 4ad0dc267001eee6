import { UsageError } from "../../errors.ts";
import { validateJobId } from "../../job_spec.ts";
import type { JobJson } from "../../json_contract.ts";
import { parseRetryFilterText, retryFinished } from "../../retry_finished.ts";
import type { CommandDefinition } from "../command.ts";
import { json } from "../render.ts";

/** One line per job: id, state, queue and command (cut to fit a terminal line). */
function jobLine(job: JobJson): string {
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
    const filter = filterText === undefined ? undefined : parseRetryFilterText(filterText, now);
    const ids = args.positionals.map(validateJobId);
    const store = await context.store();
    const answer = await retryFinished(
      store,
      filter ? { filter, dryRun: yes ? false : undefined } : { ids },
      now,
    );
    if (args.values.json) return context.stdout(json(answer));
    const { jobs, retried, kept } = answer;
    if (filter && jobs.length === 0) return context.stdout("No finished jobs match the filter.\n");
    if (answer.dry_run) {
      context.stdout(jobs.map(jobLine).join(""));
      context.stdout(`${jobs.length} jobs would be retried; run again with --yes\n`);
      return;
    }
    context.stdout(retried.map((id) => `${id}\n`).join(""));
    for (const id of kept) {
      context.stderr(`Job "${id}" stays as it is: an unfinished job holds its unique key\n`);
    }
    context.stderr(`Retried ${retried.length} job(s)\n`);
  },
};
