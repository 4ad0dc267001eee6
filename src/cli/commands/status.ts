import { isoTime } from "../../clock.ts";
import { formatRate } from "../../queue_limits.ts";
import { readQueueStatus } from "../../queue_status.ts";
import { hostId } from "../../worker/liveness.ts";
import type { CommandDefinition } from "../command.ts";
import { stateCounts, statusToJson, workerToJson } from "../../json_contract.ts";
import { json, relativeTime, table } from "../render.ts";

/** `queuectl status`: job counts per state and the live worker processes. */
export const statusCommand: CommandDefinition = {
  path: ["status"],
  summary: "Show how many jobs are in each state, and the live workers",
  usage: ["status [--json]"],
  options: {
    json: {
      type: "boolean",
      description: 'print {"jobs":{"pending":n,...},"workers":[...]} for programs',
    },
  },
  async run(context, args) {
    const store = await context.store();
    const now = context.clock.now();
    const status = await readQueueStatus(store, { now, host: hostId(context.env) });
    if (args.values.json) return context.stdout(json(statusToJson(status)));
    const { counts, workers } = status;
    context.stdout(
      table(
        ["STATE", "JOBS"],
        Object.entries(stateCounts(counts)).map(([state, n]) => [state, String(n)]),
      ),
    );
    if (workers.length === 0) context.stdout("\nWorkers: none running\n");
    else {
      context.stdout("\nWorkers:\n");
      context.stdout(table(
        ["ID", "PID", "HOST", "SLOTS", "STARTED", "HEARTBEAT", "RUNNING"],
        workers.map((worker) => {
          const shown = workerToJson(worker);
          return [
            worker.id + (worker.stopRequested ? " (stopping)" : ""),
            String(shown.pid),
            worker.host,
            String(shown.concurrency),
            relativeTime(worker.startedAt, now),
            relativeTime(worker.heartbeatAt, now),
            worker.jobIds.join(", ") || "-",
          ];
        }),
      ));
    }
    if (status.pausedQueues.length > 0) {
      context.stdout("\nPaused queues (workers start none of their jobs):\n");
      for (const queue of status.pausedQueues) {
        const until = queue.pausedUntil === null
          ? "until resumed"
          : `until ${isoTime(queue.pausedUntil)} (${relativeTime(queue.pausedUntil, now)})`;
        context.stdout(`  ${queue.name}: ${until}\n`);
      }
    }
    if (status.rateLimitedQueues.length > 0) {
      context.stdout("\nRate-limited queues (their jobs wait for the window):\n");
      for (const queue of status.rateLimitedQueues) {
        context.stdout(
          `  ${queue.name}: ${formatRate(queue.rate)}, rate-limited until ${
            isoTime(queue.until)
          } (${relativeTime(queue.until, now)})\n`,
        );
      }
    }
    context.stdout(`\nDatabase: ${store.location}\n`);
  },
};
