import { UsageError } from "../../errors.ts";
import { validateQueueName } from "../../job_spec.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl queue set-concurrency NAME N`: the most jobs of a queue running at once. */
export const queueSetConcurrencyCommand: CommandDefinition = {
  path: ["queue", "set-concurrency"],
  summary: "Limit how many jobs of a queue run at once, across all workers",
  usage: ["queue set-concurrency NAME N", "queue set-concurrency NAME none"],
  description: `
The limit holds across every worker process on the database: "queue set-concurrency deploy 1"
means one deploy at a time. "none" removes the limit.`,
  options: {},
  examples: ["queuectl queue set-concurrency deploy 1"],
  async run(context, args) {
    if (args.positionals.length !== 2) {
      throw new UsageError(
        `Expected a queue name and a limit, got ${args.positionals.length} argument(s)`,
      );
    }
    const name = validateQueueName(args.positionals[0]);
    const text = args.positionals[1];
    const limit = text === "none" ? null : Number(text);
    if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > 100_000)) {
      throw new UsageError(
        `Invalid limit ${JSON.stringify(text)}: expected an integer from 1 to 100000, or none`,
      );
    }
    await (await context.store()).queueSetConcurrency({ name, concurrency: limit });
    context.stdout(`${name}: ${limit === null ? "no limit" : `at most ${limit} at once`}\n`);
  },
};
