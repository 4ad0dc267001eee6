import { ConflictError, NotFoundError, UsageError } from "../../errors.ts";
import { validateJobId } from "../../job_spec.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl dlq retry`: dead jobs back to pending, attempts reset. */
export const dlqRetryCommand: CommandDefinition = {
  path: ["dlq", "retry"],
  summary: "Put dead jobs back in the queue (pending, attempts reset to 0)",
  usage: ["dlq retry ID...", "dlq retry --all"],
  options: {
    all: { type: "boolean", description: "retry every dead job" },
  },
  async run(context, args) {
    const all = args.values.all === true;
    if (all && args.positionals.length > 0) {
      throw new UsageError("Give job ids or --all, not both");
    }
    if (!all && args.positionals.length === 0) {
      throw new UsageError("Missing job id: give one or more ids, or --all");
    }
    const ids = args.positionals.map(validateJobId);
    const store = await context.store();
    // Check every id first, so a bad one changes nothing.
    for (const id of ids) {
      const job = await store.jobGet({ id });
      if (!job) throw new NotFoundError(`No job with id "${id}"`);
      if (job.state !== "dead") {
        throw new ConflictError(
          `Cannot retry job "${id}": its state is "${job.state}", not "dead"`,
        );
      }
    }
    const retried = await store.jobRetryDead({ ids: all ? "all" : ids, now: context.clock.now() });
    if (all && retried.length === 0) return context.stdout("The dead-letter queue is empty.\n");
    context.stdout(retried.map((id) => `${id}\n`).join(""));
    for (const id of ids.filter((id) => !retried.includes(id))) {
      context.stderr(`Job "${id}" stays dead: a newer unfinished job holds its unique key\n`);
    }
    context.stderr(`Moved ${retried.length} job(s) back to pending\n`);
  },
};
