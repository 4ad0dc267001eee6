import type { CommandDefinition } from "../command.ts";
import { parseLimit } from "../flags.ts";
import { jobToJson } from "../../json_contract.ts";
import { jobTable, json } from "../render.ts";

/** `queuectl dlq list`: the dead jobs. */
export const dlqListCommand: CommandDefinition = {
  path: ["dlq", "list"],
  summary: "List the dead-letter queue: jobs that failed with no retries left",
  usage: ["dlq list [--limit N] [--json]"],
  options: {
    limit: { type: "string", valueName: "N", description: "at most N jobs (default 100; 0 = all)" },
    json: { type: "boolean", description: "print a JSON array of job objects" },
  },
  async run(context, args) {
    const limit = parseLimit(args.values.limit as string | undefined);
    const store = await context.store();
    const jobs = await store.jobList({ states: ["dead"], limit });
    if (args.values.json) return context.stdout(json(jobs.map(jobToJson)));
    if (jobs.length === 0) return context.stdout("The dead-letter queue is empty.\n");
    context.stdout(jobTable(jobs, context.clock.now()));
  },
};
