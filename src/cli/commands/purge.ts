import { parseDuration } from "../../duration.ts";
import { UsageError } from "../../errors.ts";
import { FINAL_STATES } from "../../job.ts";
import type { CommandDefinition } from "../command.ts";
import { parseStates } from "../flags.ts";

/** `queuectl purge`: deletes old finished jobs and their history. */
export const purgeCommand: CommandDefinition = {
  path: ["purge"],
  summary: "Delete finished jobs older than a given age, with their runs and output",
  usage: ["purge --older-than DURATION [--state completed,dead,canceled]"],
  description: `
Only finished jobs can be purged (completed, dead, canceled; default: completed). The age counts
from when the job finished. Workers also purge completed and canceled jobs by themselves when
the "retention" config is set (seconds; 0 = keep for ever).`,
  options: {
    "older-than": {
      type: "string",
      valueName: "DURATION",
      description: "finished longer ago than this (7d, 12h, 30m…)",
    },
    state: {
      type: "string",
      valueName: "STATES",
      description: "which final states (comma-separated; default completed)",
    },
  },
  examples: ["queuectl purge --state completed --older-than 7d"],
  async run(context, args) {
    const age = args.values["older-than"] as string | undefined;
    if (age === undefined) throw new UsageError("Missing --older-than: say how old, e.g. 7d");
    const olderThanMs = parseDuration(age, "--older-than");
    const states = parseStates(args.values.state as string | undefined) ?? ["completed"];
    const notFinal = states.filter((state) => !FINAL_STATES.includes(state));
    if (notFinal.length > 0) {
      throw new UsageError(
        `Cannot purge ${notFinal.join(", ")} jobs: only ${
          FINAL_STATES.join(", ")
        } jobs can be purged`,
      );
    }
    const store = await context.store();
    const purged = await store.jobPurge({
      states,
      finishedBefore: context.clock.now() - olderThanMs,
    });
    context.stdout(`Deleted ${purged} job(s)\n`);
  },
};
