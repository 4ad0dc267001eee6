import { UsageError } from "../../errors.ts";
import { parseExitCodes } from "../../exit_codes.ts";
import { validateQueueName } from "../../job_spec.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl queue set-retry NAME --retry-on CODES | --no-retry-on CODES | --clear`. */
export const queueSetRetryCommand: CommandDefinition = {
  path: ["queue", "set-retry"],
  summary: "Choose which exit codes of a queue's failed jobs are retried",
  usage: [
    "queue set-retry NAME --retry-on CODES",
    "queue set-retry NAME --no-retry-on CODES",
    "queue set-retry NAME --clear",
  ],
  description: `
--retry-on 75,111: only a failure with one of these exit codes is retried; any other exit code
sends the job to the DLQ (dead) at once. --no-retry-on 2: a failure with one of these goes to
the DLQ at once; others are retried as usual. The reason is the job's last_error ("Exit code 2
is not retried (no_retry_on)"). A job's own retry_on / no_retry_on wins over its queue's. A run
with no exit code (a timeout, a command that could not start) is retried as before. Applies to
jobs already queued, from their next failure on. Codes: 1 to 64 integers from 0 to 255.`,
  options: {
    "retry-on": { type: "string", valueName: "CODES", description: "retry only these codes" },
    "no-retry-on": { type: "string", valueName: "CODES", description: "never retry these codes" },
    clear: { type: "boolean", description: "retry every failure again (the default)" },
  },
  examples: [
    "queuectl queue set-retry sync --retry-on 75,111",
    "queuectl queue set-retry build --no-retry-on 2",
    "queuectl queue set-retry build --clear",
  ],
  async run(context, args) {
    if (args.positionals.length !== 1) {
      throw new UsageError(`Expected one queue name, got ${args.positionals.length} argument(s)`);
    }
    const name = validateQueueName(args.positionals[0]);
    const retryText = args.values["retry-on"] as string | undefined;
    const noRetryText = args.values["no-retry-on"] as string | undefined;
    const given = [retryText, noRetryText, args.values.clear ? true : undefined]
      .filter((value) => value !== undefined).length;
    if (given !== 1) {
      throw new UsageError(
        given === 0
          ? "Give --retry-on CODES, --no-retry-on CODES or --clear"
          : "Give only one of --retry-on, --no-retry-on and --clear",
      );
    }
    const retryOn = retryText === undefined ? null : parseExitCodes(retryText, "--retry-on");
    const noRetryOn = noRetryText === undefined
      ? null
      : parseExitCodes(noRetryText, "--no-retry-on");
    await (await context.store()).queueSetRetry({ name, retryOn, noRetryOn });
    context.stdout(
      retryOn
        ? `${name}: only exit code(s) ${retryOn.join(", ")} retried\n`
        : noRetryOn
        ? `${name}: exit code(s) ${noRetryOn.join(", ")} never retried\n`
        : `${name}: every failure is retried (up to max_retries)\n`,
    );
  },
};
