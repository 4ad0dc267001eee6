import { queueToJson } from "../../json_contract.ts";
import type { QueueInfo } from "../../store/mod.ts";
import type { CommandDefinition } from "../command.ts";
import { json, relativeTime, table } from "../render.ts";

/** `queuectl queue list`: queues, their settings and how many jobs each holds per state. */
export const queueListCommand: CommandDefinition = {
  path: ["queue", "list"],
  summary: "List the queues with their limits, pauses, retry policies and job counts",
  usage: ["queue list [--json]"],
  options: {
    json: {
      type: "boolean",
      description:
        'print [{"name","concurrency","jobs":{...},"paused","paused_until","retry_on","no_retry_on"}]',
    },
  },
  async run(context, args) {
    const queues = await (await context.store()).queueList();
    const now = context.clock.now();
    if (args.values.json) {
      return context.stdout(json(queues.map((queue) => queueToJson(queue, now))));
    }
    if (queues.length === 0) return context.stdout("No queues yet.\n");
    context.stdout(table(
      [
        "QUEUE",
        "LIMIT",
        "PENDING",
        "RUNNING",
        "FAILED",
        "DEAD",
        "COMPLETED",
        "CANCELED",
        // Added last, so that the columns scripts read stay where they were.
        "RETRY",
        "PAUSED",
      ],
      queues.map((queue) => {
        const shown = queueToJson(queue, now);
        return [
          queue.name,
          queue.concurrency === null ? "-" : String(queue.concurrency),
          String(queue.counts.pending),
          String(queue.counts.processing),
          String(queue.counts.failed),
          String(queue.counts.dead),
          String(queue.counts.completed),
          String(queue.counts.canceled),
          retryPolicyText(queue),
          !shown.paused
            ? "-"
            : queue.pausedUntil === null
            ? "until resumed"
            : `until ${shown.paused_until} (${relativeTime(queue.pausedUntil, now)})`,
        ];
      }),
    ));
  },
};

/** `only 75,111`, `not 2`, `invalid`, or `-` (every failure retried). */
function retryPolicyText(queue: QueueInfo): string {
  if (queue.retryOn === "invalid" || queue.noRetryOn === "invalid") return "invalid";
  if (queue.retryOn !== null) return `only ${queue.retryOn.join(",")}`;
  if (queue.noRetryOn !== null) return `not ${queue.noRetryOn.join(",")}`;
  return "-";
}
