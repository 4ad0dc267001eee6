import { configFromOverrides } from "../../config.ts";
import { ConflictError, NotFoundError, UsageError } from "../../errors.ts";
import { FINAL_STATES, type Job } from "../../job.ts";
import { validateJobId } from "../../job_spec.ts";
import type { Store } from "../../store/mod.ts";
import { waitUntil } from "../../wait_until.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";

/** Names the jobs that waited on `id` and were canceled with it. */
async function reportCanceledChildren(store: Store, id: string, context: CommandContext) {
  const { children } = await store.jobDependencies({ id });
  const canceled = children.filter((child) => child.state === "canceled");
  if (canceled.length > 0) {
    context.stderr(
      `  and ${canceled.length} job(s) waiting on it: ${
        canceled.map((child) => child.id).join(", ")
      }\n`,
    );
  }
}

/** `queuectl cancel ID...`: waiting jobs are canceled at once, running ones are stopped. */
export const cancelCommand: CommandDefinition = {
  path: ["cancel"],
  summary: "Cancel jobs: waiting ones at once, running ones by stopping their process group",
  usage: ["cancel ID..."],
  description: `
A canceled job never runs again ("canceled" is a final state). A running job's process group gets
SIGTERM, then SIGKILL after kill_grace (Windows: taskkill /T /F at once); cancel waits for that
and says how each job ended. Every id must exist and not be finished already, or nothing is
canceled.`,
  options: {},
  async run(context, args) {
    if (args.positionals.length === 0) throw new UsageError("Missing job id: give one or more ids");
    const ids = [...new Set(args.positionals.map(validateJobId))];
    const store = await context.store();
    for (const id of ids) {
      const job = await store.jobGet({ id });
      if (!job) throw new NotFoundError(`No job with id "${id}"`);
      if (FINAL_STATES.includes(job.state)) {
        throw new ConflictError(`Cannot cancel job "${id}": it is ${job.state} already`);
      }
    }
    const { canceled, stopping } = await store.jobCancel({ ids, now: context.clock.now() });
    for (const id of canceled) {
      context.stdout(`${id} canceled\n`);
      await reportCanceledChildren(store, id, context);
    }
    if (stopping.length === 0) return;
    const config = configFromOverrides(await store.configOverrides());
    const pending = new Map<string, Job | undefined>(stopping.map((id) => [id, undefined]));
    await waitUntil(async () => {
      for (const id of pending.keys()) {
        const job = await store.jobGet({ id });
        if (job && job.state !== "processing") {
          context.stdout(
            `${id} ${job.state === "canceled" ? "canceled (stopped while running)" : job.state}\n`,
          );
          pending.delete(id);
        }
      }
      return pending.size === 0;
    }, { clock: context.clock, timeoutMs: (config.killGrace + 10) * 1000, intervalMs: 50 });
    for (const id of pending.keys()) {
      context.stdout(`${id} stopping (its worker will stop it and mark it canceled)\n`);
    }
  },
};
