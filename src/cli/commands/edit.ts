import { UsageError } from "../../errors.ts";
import { parseRunAt, validateCommand, validateJobId, validatePriority } from "../../job_spec.ts";
import { jobToJson } from "../../json_contract.ts";
import type { JobEditParams } from "../../store/mod.ts";
import type { CommandDefinition } from "../command.ts";
import { envFlag, numberFlag } from "../flags.ts";
import { json } from "../render.ts";

/** `queuectl edit ID`: changes a job that waits (pending, failed waiting for a retry, blocked). */
export const editCommand: CommandDefinition = {
  path: ["edit"],
  summary: "Change a waiting job's command, environment, priority or run time",
  usage: ["edit ID [--command CMD] [--env NAME=VALUE]... [--priority N] [--run-at TIME] [--json]"],
  description: `
Only a job that waits can be edited: pending, failed (waiting for its retry) or blocked. A running
or finished job is left as it is (exit 5). Values are checked as enqueue checks them (exit 2).
--env adds variables to the job's environment, replacing those of the same name. Workers see the
change at once: a run time moved earlier is picked up without waiting for the next poll.`,
  options: {
    command: { type: "string", valueName: "CMD", description: "the new shell command line" },
    env: {
      type: "string",
      multiple: true,
      valueName: "NAME=VALUE",
      description: "add (or replace) a variable of the job's environment (repeatable)",
    },
    priority: { type: "string", valueName: "N", description: "the new priority (higher first)" },
    "run-at": {
      type: "string",
      valueName: "TIME",
      description: "run no sooner than this ISO time (a past time: at once)",
    },
    json: { type: "boolean", description: "print the job as changed, as JSON" },
  },
  examples: [
    "queuectl edit 42 --priority 10",
    "queuectl edit 42 --command './resize.sh --fast' --env MODE=fast",
    "queuectl edit 42 --run-at 2026-12-01T09:00:00Z",
  ],
  async run(context, args) {
    if (args.positionals.length === 0) throw new UsageError("Missing job id");
    if (args.positionals.length > 1) {
      throw new UsageError(
        `Give one job id, not ${args.positionals.length} (quote a command given with --command)`,
      );
    }
    const id = validateJobId(args.positionals[0]);
    const params: JobEditParams = { id, now: context.clock.now() };
    const values = args.values;
    if (values.command !== undefined) {
      params.command = validateCommand(values.command, "--command");
    }
    if (values.env !== undefined) params.env = envFlag(values.env as string[]);
    if (values.priority !== undefined) {
      params.priority = validatePriority(numberFlag(values.priority as string), "--priority");
    }
    if (values["run-at"] !== undefined) params.runAt = parseRunAt(values["run-at"], "--run-at");
    if (Object.keys(params).length === 2) {
      throw new UsageError(
        "Nothing to change: give --command, --env, --priority or --run-at",
      );
    }
    const store = await context.store();
    const job = await store.jobEdit(params);
    if (values.json) return context.stdout(json(jobToJson(job)));
    context.stdout(`Edited job "${job.id}" (${job.state})\n`);
  },
};
