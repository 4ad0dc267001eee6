import { isoTime } from "../../clock.ts";
import { UsageError } from "../../errors.ts";
import { validateQueueName } from "../../job_spec.ts";
import { isQueuePaused, pauseEnd } from "../../queue_pause.ts";
import type { CommandContext, CommandDefinition, ParsedArgs } from "../command.ts";

/** `queuectl queue pause NAME [--until TIME | --for DURATION]`: workers take none of its jobs. */
export const queuePauseCommand: CommandDefinition = {
  path: ["queue", "pause"],
  summary: "Pause a queue: no worker on any host starts its jobs until it is resumed",
  usage: ["queue pause NAME [--until TIME | --for DURATION]"],
  description: `
Workers stop claiming the queue's jobs; jobs already running finish. Jobs can still be enqueued
to it: they wait. The pause is stored, so it holds across worker restarts and on every host.
With --until or --for it ends by itself at that time (workers notice within poll_interval);
otherwise "queue resume NAME" ends it. Pausing a queue that has no job yet creates it, as
set-concurrency does; pausing a paused queue replaces its end time.`,
  options: {
    until: {
      type: "string",
      valueName: "TIME",
      description: "end the pause at this ISO 8601 time (with a zone)",
    },
    for: { type: "string", valueName: "DURATION", description: "end the pause after 30m, 2h…" },
  },
  examples: [
    "queuectl queue pause deploy",
    "queuectl queue pause reports --for 2h",
    "queuectl queue pause sync --until 2026-12-24T18:00:00Z",
  ],
  async run(context, args) {
    const name = queueName(args);
    const now = context.clock.now();
    const until = pauseEnd({ until: args.values.until, duration: args.values.for }, now);
    await (await context.store()).queueSetPaused({ name, pausedAt: now, pausedUntil: until });
    context.stdout(
      `Paused queue "${name}" ${until === null ? "until resumed" : `until ${isoTime(until)}`}\n`,
    );
  },
};

/** `queuectl queue resume NAME`: its jobs run again. */
export const queueResumeCommand: CommandDefinition = {
  path: ["queue", "resume"],
  summary: "Resume a paused queue: workers start its jobs again",
  usage: ["queue resume NAME"],
  options: {},
  examples: ["queuectl queue resume deploy"],
  run: (context, args) => resume(context, args),
};

async function resume(context: CommandContext, args: ParsedArgs): Promise<void> {
  const name = queueName(args);
  const store = await context.store();
  const queue = (await store.queueSettings()).find((queue) => queue.name === name);
  const wasPaused = queue !== undefined && isQueuePaused(queue, context.clock.now());
  await store.queueSetPaused({ name, pausedAt: null, pausedUntil: null });
  context.stdout(wasPaused ? `Resumed queue "${name}"\n` : `Queue "${name}" was not paused\n`);
}

function queueName(args: ParsedArgs): string {
  if (args.positionals.length !== 1) {
    throw new UsageError(`Expected one queue name, got ${args.positionals.length} argument(s)`);
  }
  return validateQueueName(args.positionals[0]);
}
