import { parseGroupLimit } from "../../queue_limits.ts";
import { UsageError } from "../../errors.ts";
import { validateQueueName } from "../../job_spec.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl queue set-group-concurrency NAME N`: the most running jobs per group key. */
export const queueSetGroupConcurrencyCommand: CommandDefinition = {
  path: ["queue", "set-group-concurrency"],
  summary: "Limit how many jobs of one group key run at once in a queue, across all workers",
  usage: ["queue set-group-concurrency NAME N", "queue set-group-concurrency NAME none"],
  description: `
At most N jobs with the same group key (enqueue --group-key, or "group_key" in JSON: a tenant,
a host to deploy to) run at once in the queue, across every worker process and host. A full
group's jobs wait without holding up other groups' jobs queued behind them; jobs without a
group key are not limited by it. "queue set-group-concurrency deploy 1" deploys to each host
one at a time, to several hosts at once. "none" removes the limit.`,
  options: {},
  examples: [
    "queuectl queue set-group-concurrency deploy 1",
    "queuectl enqueue --queue deploy --group-key web-1 -- ./deploy.sh web-1",
  ],
  async run(context, args) {
    if (args.positionals.length !== 2) {
      throw new UsageError(
        `Expected a queue name and a limit, got ${args.positionals.length} argument(s)`,
      );
    }
    const name = validateQueueName(args.positionals[0]);
    const limit = parseGroupLimit(args.positionals[1], "limit");
    await (await context.store()).queueSetGroupConcurrency({ name, groupConcurrency: limit });
    context.stdout(
      `${name}: ${limit === null ? "no group limit" : `at most ${limit} at once per group key`}\n`,
    );
  },
};
