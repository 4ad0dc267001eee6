import { NotFoundError, UsageError } from "../../errors.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl schedule remove NAME`: no more runs (jobs already enqueued stay). */
export const scheduleRemoveCommand: CommandDefinition = {
  path: ["schedule", "remove"],
  summary: "Remove a cron schedule (jobs it already enqueued stay)",
  usage: ["schedule remove NAME"],
  options: {},
  async run(context, args) {
    if (args.positionals.length !== 1) throw new UsageError("Expected one schedule name");
    const name = args.positionals[0];
    if (!(await (await context.store()).scheduleRemove({ name }))) {
      throw new NotFoundError(`No schedule named "${name}"`);
    }
    context.stdout(`Removed schedule "${name}"\n`);
  },
};
