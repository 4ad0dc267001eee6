import { isoTime, isTimeInRange } from "../../clock.ts";
import { NotFoundError, UsageError } from "../../errors.ts";
import { JOB_STATES } from "../../job.ts";
import { validateQueueName } from "../../job_spec.ts";
import { type BatchCallbackJson, batchToJson, INVALID } from "../../json_contract.ts";
import type { CommandDefinition } from "../command.ts";
import { json, relativeTime } from "../render.ts";

/** `queuectl batch info NAME`: one batch's status, counts per state, times and callbacks. */
export const batchInfoCommand: CommandDefinition = {
  path: ["batch", "info"],
  summary: "Show one batch: status, jobs per state, when it started and settled, callbacks",
  usage: ["batch info NAME [--json]"],
  description: `
Shows a batch (enqueue --batch): open, or settled completed or failed; how many of its jobs
are in each state; when it was created, when its first job started and when it settled; and
its callback jobs (--on-complete, --on-failure) with their ids and states. "list --batch NAME"
lists its jobs; "wait --batch NAME" waits for them.`,
  options: {
    json: { type: "boolean", description: "print the batch as JSON (as batch list --json)" },
  },
  examples: ["queuectl batch info thumbs", "queuectl batch info thumbs --json"],
  async run(context, args) {
    if (args.positionals.length !== 1) {
      throw new UsageError(`Expected one batch name, got ${args.positionals.length}`);
    }
    const name = validateQueueName(args.positionals[0], "batch name");
    const batch = await (await context.store()).batchGet({ name });
    if (!batch) throw new NotFoundError(`No batch "${name}" (see "queuectl batch list")`);
    const shown = batchToJson(batch);
    if (args.values.json) return context.stdout(json(shown));
    const now = context.clock.now();
    const when = (ms: number | null) =>
      ms === null ? "-" : isTimeInRange(ms) ? `${isoTime(ms)} (${relativeTime(ms, now)})` : INVALID;
    const callback = (value: BatchCallbackJson | null) =>
      value === null ? "-" : `${value.command}  (job ${value.job_id}, ${value.state ?? "purged"})`;
    const counts = JOB_STATES.filter((state) => batch.counts[state] > 0)
      .map((state) => `${batch.counts[state]} ${state}`).join(", ");
    const fields: [string, string][] = [
      ["batch", batch.name],
      ["status", shown.status],
      ["jobs", `${shown.total}${counts === "" ? "" : `: ${counts}`}`],
      ["created", when(batch.createdAt)],
      ["started", when(batch.firstStartedAt)],
      ["settled", when(batch.settledAt)],
      ["on complete", callback(shown.on_complete)],
      ["on failure", callback(shown.on_failure)],
    ];
    const width = Math.max(...fields.map(([field]) => field.length));
    context.stdout(
      fields.map(([field, value]) => `${field.padEnd(width)}  ${value}`).join("\n") + "\n",
    );
  },
};
