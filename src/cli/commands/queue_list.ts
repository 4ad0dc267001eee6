import { type QueueJson, queueToJson } from "../../json_contract.ts";
import type { QueueInfo } from "../../store/mod.ts";
import type { CommandDefinition } from "../command.ts";
import { json, relativeTime, table } from "../render.ts";

/** `queuectl queue list`: queues, their settings and how many jobs each holds per state. */
export const queueListCommand: CommandDefinition = {
  path: ["queue", "list"],
  summary: "List the queues with their limits, rates, pauses, retry policies and job counts",
  usage: ["queue list [--json]"],
  options: {
    json: {
      type: "boolean",
      description:
        'print [{"name","concurrency","jobs":{...},"paused","paused_until","retry_on","no_retry_on",' +
        '"rate","rate_limited_until","group_concurrency"}]',
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
        "RATE",
        "PER GROUP",
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
          rateText(shown, now),
          shown.group_concurrency === null ? "-" : String(shown.group_concurrency),
        ];
      }),
    ));
  },
};

/** `10/1s`, `10/1s, limited until TIME (in 3s)`, `invalid`, or `-` (no rate). */
function rateText(shown: QueueJson, now: number): string {
  if (shown.rate === null) return "-";
  if (shown.rate_limited_until === null) return shown.rate;
  const until = Date.parse(shown.rate_limited_until);
  return `${shown.rate}, limited until ${shown.rate_limited_until} (${relativeTime(until, now)})`;
}

/** `only 75,111`, `not 2`, `invalid`, or `-` (every failure retried). */
function retryPolicyText(queue: QueueInfo): string {
  if (queue.retryOn === "invalid" || queue.noRetryOn === "invalid") return "invalid";
  if (queue.retryOn !== null) return `only ${queue.retryOn.join(",")}`;
  if (queue.noRetryOn !== null) return `not ${queue.noRetryOn.join(",")}`;
  return "-";
}
