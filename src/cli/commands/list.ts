import { UsageError } from "../../errors.ts";
import { JOB_STATES } from "../../job.ts";
import { validateQueueName } from "../../job_spec.ts";
import { parseLimit, parseQueues, parseSince, parseStates } from "../flags.ts";
import type { CommandDefinition } from "../command.ts";
import { jobToJson } from "../../json_contract.ts";
import { jobTable, json } from "../render.ts";

/** `queuectl list`: jobs in enqueue order, optionally of some states. */
export const listCommand: CommandDefinition = {
  path: ["list"],
  summary: "List jobs in enqueue order",
  usage: [
    "list [--state STATES] [--queue NAMES] [--batch NAME] [--since DURATION|TIME]",
    "     [--sort created|next-run] [--limit N] [--json]",
  ],
  options: {
    state: {
      type: "string",
      valueName: "STATE",
      description: `only jobs in these states (${JOB_STATES.join(", ")}; comma-separated)`,
    },
    queue: {
      type: "string",
      valueName: "NAMES",
      description: "only jobs of these queues (comma-separated)",
    },
    batch: {
      type: "string",
      valueName: "NAME",
      description: "only the jobs of batch NAME (enqueue --batch)",
    },
    since: {
      type: "string",
      valueName: "WHEN",
      description: "only jobs created since then: a duration ago (1h, 2d) or an ISO time",
    },
    sort: {
      type: "string",
      valueName: "ORDER",
      description: "created (enqueue order, default) or next-run (when they run next)",
    },
    limit: { type: "string", valueName: "N", description: "at most N jobs (default 100; 0 = all)" },
    json: { type: "boolean", description: "print a JSON array of job objects" },
  },
  examples: [
    "queuectl list --state pending",
    "queuectl list --state failed,dead --json",
    "queuectl list --queue deploy --since 1h --sort next-run",
    "queuectl list --batch thumbs --state dead",
  ],
  async run(context, args) {
    const states = parseStates(args.values.state as string | undefined);
    const limit = parseLimit(args.values.limit as string | undefined);
    const queues = parseQueues(args.values.queue as string | undefined);
    const since = args.values.since as string | undefined;
    const createdSince = since === undefined ? undefined : parseSince(since, context.clock.now());
    const order = parseSort(args.values.sort as string | undefined);
    const batchFlag = args.values.batch as string | undefined;
    const batch = batchFlag === undefined ? undefined : validateQueueName(batchFlag, "--batch");
    const store = await context.store();
    const jobs = await store.jobList({ states, limit, queues, createdSince, order, batch });
    if (args.values.json) return context.stdout(json(jobs.map(jobToJson)));
    if (jobs.length === 0) return context.stdout("No jobs.\n");
    // What blocked jobs wait on: their parents that have not completed yet.
    const waitsOn = new Map<string, string>();
    for (const job of jobs.filter((job) => job.state === "blocked")) {
      const { parents } = await store.jobDependencies({ id: job.id });
      const open = parents.filter((parent) => parent.state !== "completed");
      // A batch's callback waits for the batch to settle, not for a parent.
      const callbackOf = job.env?.QUEUECTL_BATCH;
      waitsOn.set(
        job.id,
        open.length === 0 && callbackOf !== undefined
          ? `batch ${callbackOf}`
          : `after ${open.map((parent) => parent.id).join(",")}`,
      );
    }
    context.stdout(jobTable(jobs, context.clock.now(), waitsOn));
    if (limit !== 0 && jobs.length === limit) {
      context.stderr(`(showing the first ${limit}; use --limit N or --limit 0 for more)\n`);
    }
  },
};

function parseSort(text: string | undefined): "enqueue" | "run_at" {
  if (text === undefined || text === "created") return "enqueue";
  if (text === "next-run") return "run_at";
  throw new UsageError(`Invalid --sort ${JSON.stringify(text)}: use created or next-run`);
}
