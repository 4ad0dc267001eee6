import { batchToJson } from "../../json_contract.ts";
import type { CommandDefinition } from "../command.ts";
import { json, relativeTime, table } from "../render.ts";

/** `queuectl batch list`: every batch with its status and job counts. */
export const batchListCommand: CommandDefinition = {
  path: ["batch", "list"],
  summary: "List the batches (enqueue --batch) with their status and job counts",
  usage: ["batch list [--json]"],
  description: `
A batch is open until its last unfinished job ends, then settled: completed when every job
completed, failed when one ended dead or canceled. Newest first. See "enqueue --batch".`,
  options: {
    json: {
      type: "boolean",
      description:
        'print [{"name","status","jobs":{...},"total","created_at","started_at","settled_at","on_complete","on_failure"}]',
    },
  },
  examples: ["queuectl batch list", "queuectl batch list --json"],
  async run(context, args) {
    const batches = await (await context.store()).batchList();
    if (args.values.json) return context.stdout(json(batches.map(batchToJson)));
    if (batches.length === 0) return context.stdout("No batches yet.\n");
    const now = context.clock.now();
    context.stdout(table(
      ["BATCH", "STATUS", "JOBS", "DONE", "DEAD", "CANCELED", "CREATED", "SETTLED"],
      batches.map((batch) => {
        const shown = batchToJson(batch);
        const open = shown.total - batch.counts.completed - batch.counts.dead -
          batch.counts.canceled;
        return [
          batch.name,
          shown.status === "open" ? `open (${open} left)` : shown.status,
          String(shown.total),
          String(batch.counts.completed),
          String(batch.counts.dead),
          String(batch.counts.canceled),
          relativeTime(batch.createdAt, now),
          batch.settledAt === null ? "-" : relativeTime(batch.settledAt, now),
        ];
      }),
    ));
  },
};
