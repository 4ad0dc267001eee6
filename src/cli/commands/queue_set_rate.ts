import { formatRate, parseRate } from "../../queue_limits.ts";
import { UsageError } from "../../errors.ts";
import { validateQueueName } from "../../job_spec.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl queue set-rate NAME N/PERIOD`: at most N starts of a queue per sliding period. */
export const queueSetRateCommand: CommandDefinition = {
  path: ["queue", "set-rate"],
  summary: "Limit how many jobs of a queue start per period, across all workers",
  usage: ["queue set-rate NAME N/PERIOD", "queue set-rate NAME off"],
  description: `
No more than N jobs of the queue start in any sliding PERIOD (30s, 1m, 1h, 1d…), counted across
every worker process and host on the database: "queue set-rate api 10/1s" starts at most ten
calls a second, "1000/1h" a thousand an hour. Retries count as starts. A waiting job shows
"rate-limited until …" in info, as does the queue in queue list and status; workers wake when
the window frees. Setting a rate forgets the starts counted by the previous one. "off" removes
it. N is 1 to 100000, PERIOD 1ms to 7d.`,
  options: {},
  examples: ["queuectl queue set-rate api 10/1s", "queuectl queue set-rate api off"],
  async run(context, args) {
    if (args.positionals.length !== 2) {
      throw new UsageError(
        `Expected a queue name and a rate, got ${args.positionals.length} argument(s)`,
      );
    }
    const name = validateQueueName(args.positionals[0]);
    const rate = parseRate(args.positionals[1]);
    await (await context.store()).queueSetRate({ name, rate });
    context.stdout(
      `${name}: ${rate === null ? "no rate limit" : `at most ${formatRate(rate)} starts`}\n`,
    );
  },
};
