import type { CommandDefinition } from "../command.ts";
import { json, table } from "../render.ts";

/** `queuectl queue list`: queues, their limits and how many jobs each holds per state. */
export const queueListCommand: CommandDefinition = {
  path: ["queue", "list"],
  summary: "List the queues with their concurrency limits and job counts",
  usage: ["queue list [--json]"],
  options: {
    json: { type: "boolean", description: 'print [{"name","concurrency","jobs":{...}}] as JSON' },
  },
  async run(context, args) {
    const queues = await (await context.store()).queueList();
    if (args.values.json) {
      return context.stdout(json(queues.map((queue) => ({
        name: queue.name,
        concurrency: queue.concurrency,
        jobs: queue.counts,
      }))));
    }
    if (queues.length === 0) return context.stdout("No queues yet.\n");
    context.stdout(table(
      ["QUEUE", "LIMIT", "PENDING", "RUNNING", "FAILED", "DEAD", "COMPLETED", "CANCELED"],
      queues.map((queue) => [
        queue.name,
        queue.concurrency === null ? "-" : String(queue.concurrency),
        String(queue.counts.pending),
        String(queue.counts.processing),
        String(queue.counts.failed),
        String(queue.counts.dead),
        String(queue.counts.completed),
        String(queue.counts.canceled),
      ]),
    ));
  },
};
