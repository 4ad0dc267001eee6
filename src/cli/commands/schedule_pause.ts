import { isoTime } from "../../clock.ts";
import { NotFoundError, UsageError } from "../../errors.ts";
import type { CommandContext, CommandDefinition, ParsedArgs } from "../command.ts";

/** `queuectl schedule pause NAME`: no runs until resumed. */
export const schedulePauseCommand: CommandDefinition = {
  path: ["schedule", "pause"],
  summary: "Pause a cron schedule: it enqueues nothing until resumed",
  usage: ["schedule pause NAME"],
  options: {},
  run: (context, args) => setPaused(context, args, true),
};

/** `queuectl schedule resume NAME`: runs again from the next scheduled time on. */
export const scheduleResumeCommand: CommandDefinition = {
  path: ["schedule", "resume"],
  summary: "Resume a paused schedule from its next scheduled time (paused times do not run)",
  usage: ["schedule resume NAME"],
  options: {},
  run: (context, args) => setPaused(context, args, false),
};

async function setPaused(context: CommandContext, args: ParsedArgs, paused: boolean) {
  if (args.positionals.length !== 1) throw new UsageError("Expected one schedule name");
  const name = args.positionals[0];
  const store = await context.store();
  const schedule = (await store.scheduleList()).find((schedule) => schedule.name === name);
  if (!schedule) throw new NotFoundError(`No schedule named "${name}"`);
  let nextRunAt: number | null = null;
  if (!paused) {
    const { parseCron } = await import("../../schedule/cron.ts");
    nextRunAt =
      parseCron(schedule.cron, schedule.timezone, true).nextRunAfter(context.clock.now()) ??
        null;
  }
  await store.scheduleSetPaused({ name, paused, nextRunAt });
  context.stdout(
    paused
      ? `Paused schedule "${name}"\n`
      : `${name}: next run at ${isoTime(nextRunAt) ?? "never"}\n`,
  );
}
