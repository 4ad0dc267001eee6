import { isoTime } from "../../clock.ts";
import type { CommandDefinition } from "../command.ts";
import { scheduleToJson } from "../../json_contract.ts";
import { json, relativeTime, table } from "../render.ts";

/** `queuectl schedule list`: every schedule with its next run time. */
export const scheduleListCommand: CommandDefinition = {
  path: ["schedule", "list"],
  summary: "List the cron schedules with their next run times",
  usage: ["schedule list [--json]"],
  options: { json: { type: "boolean", description: "print the schedules as a JSON array" } },
  async run(context, args) {
    const schedules = await (await context.store()).scheduleList();
    if (args.values.json) {
      return context.stdout(json(schedules.map(scheduleToJson)));
    }
    if (schedules.length === 0) return context.stdout("No schedules.\n");
    const now = context.clock.now();
    context.stdout(table(
      ["NAME", "CRON", "ZONE", "NEXT RUN", "LAST RUN", "COMMAND"],
      schedules.map((schedule) => [
        schedule.name,
        schedule.cron,
        schedule.timezone,
        schedule.paused
          ? "paused"
          : `${isoTime(schedule.nextRunAt) ?? "never"} (${relativeTime(schedule.nextRunAt, now)})`,
        relativeTime(schedule.lastRunAt, now),
        schedule.unreadable ? "invalid" : schedule.job.command,
      ]),
    ));
  },
};
