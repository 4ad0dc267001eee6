import { MAX_DURATION_MS, MAX_DURATION_TEXT } from "../../duration.ts";
import { configFromOverrides } from "../../config.ts";
import { ExitCode, QueuectlError, UsageError } from "../../errors.ts";
import { hostId, liveWorkers } from "../../worker/liveness.ts";
import { isSameProcessAlive } from "../../worker/process_identity.ts";
import { waitUntil } from "../../wait_until.ts";
import type { CommandDefinition } from "../command.ts";

/** `queuectl worker stop`: ask every worker process to stop, and wait until they are gone. */
export const workerStopCommand: CommandDefinition = {
  path: ["worker", "stop"],
  summary: "Stop the running worker processes gracefully and wait until they are gone",
  usage: ["worker stop [--now] [--timeout SECONDS]"],
  description: `
Gracefully: running jobs finish and are recorded, no new job starts. With --now, running jobs
are terminated (process group SIGTERM, then SIGKILL after kill_grace; Windows: taskkill /T /F)
and go back to the queue without using up an attempt. On Windows a worker sees the request at
its next heartbeat. Exits 124 if workers are still running after --timeout.`,
  options: {
    now: { type: "boolean", description: "stop at once; running jobs go back to the queue" },
    timeout: {
      type: "string",
      valueName: "SECONDS",
      description: "how long to wait for them to exit (default 60; 0 = do not wait)",
    },
  },
  async run(context, args) {
    const timeoutSeconds = parseSeconds(args.values.timeout as string | undefined, 60);
    const store = await context.store();
    const host = hostId(context.env);
    const config = configFromOverrides(await store.configOverrides());
    const now = context.clock.now();
    const workers = await liveWorkers(await store.workerList(), { host, now, config });
    if (workers.length === 0) {
      context.stderr("No workers are running\n");
      return;
    }
    const mode = args.values.now ? "now" : "drain";
    await store.workerRequestStop({ ids: workers.map((worker) => worker.id), mode });
    // The signal only hastens what the stored request does at the next heartbeat. Windows has
    // no signal to send another process (Deno.kill there only terminates it, at once).
    if (Deno.build.os !== "windows") {
      for (const worker of workers) {
        if (worker.host === host && await isSameProcessAlive(worker.pid, worker.pidStartTime)) {
          Deno.kill(worker.pid, "SIGTERM");
        }
      }
    }
    context.stderr(
      `Asked ${workers.length} worker process(es) to stop ${
        mode === "now" ? "now" : "after their running jobs"
      }\n`,
    );
    if (timeoutSeconds === 0) return;
    let remaining = workers;
    await waitUntil(async () => {
      const registered = new Set((await store.workerList()).map((worker) => worker.id));
      remaining = await liveWorkers(
        remaining.filter((worker) => registered.has(worker.id)),
        { host, now: context.clock.now(), config },
      );
      return remaining.length === 0;
    }, { clock: context.clock, timeoutMs: timeoutSeconds * 1000, intervalMs: 100 });
    if (remaining.length > 0) {
      throw new QueuectlError(
        `${remaining.length} worker process(es) still running after ${timeoutSeconds} s: ${
          remaining.map((worker) => worker.id).join(", ")
        }`,
        ExitCode.timeout,
      );
    }
    context.stdout(`Stopped ${workers.length} worker process(es)\n`);
  },
};

function parseSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const seconds = Number(text);
  if (text.trim() === "" || !(seconds >= 0 && seconds * 1000 <= MAX_DURATION_MS)) {
    throw new UsageError(
      `Invalid --timeout ${JSON.stringify(text)}: expected seconds from 0 to ${
        MAX_DURATION_MS / 1000
      }, ${MAX_DURATION_TEXT}`,
    );
  }
  return seconds;
}
