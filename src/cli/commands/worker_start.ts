import { hostPath } from "../../paths.ts";
import { errorMessage, QueuectlError, UsageError } from "../../errors.ts";
import { hostId } from "../../worker/liveness.ts";
import { parseCount, parseQueues, WORKER_OPTIONS } from "../flags.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";
import { defaultLogFile } from "../worker_log.ts";

/** `queuectl worker start`: run N workers in this process (or detached in the background). */
export const workerStartCommand: CommandDefinition = {
  path: ["worker", "start"],
  summary: "Start a worker process that runs up to N jobs at once",
  usage: ["worker start [--count N] [--queue NAME[,NAME...]] [--detach] [--log-file PATH]"],
  description: `
Runs in the foreground until stopped: Ctrl-C or SIGTERM (or "queuectl worker stop") lets the
running jobs finish, takes no new ones, and exits 0; a second signal (or "worker stop --now")
stops at once and puts the running jobs back in the queue. With --detach it starts in the
background, prints the worker id and returns; its log goes to --log-file (default: worker.log
beside the database).`,
  options: {
    ...WORKER_OPTIONS,
    detach: {
      type: "boolean",
      short: "d",
      description: "run in the background and return at once",
    },
    "log-file": {
      type: "string",
      valueName: "PATH",
      description: "append the log here instead of stderr",
    },
  },
  examples: [
    "queuectl worker start --count 3",
    "queuectl worker start --count 3 --detach",
    "queuectl worker start --queue deploy,build",
  ],
  async run(context, args) {
    const count = parseCount(args.values.count as string | undefined);
    const queues = parseQueues(args.values.queue as string | undefined);
    const logFile = args.values["log-file"] as string | undefined;
    if (args.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${args.positionals[0]}"`);
    }
    if (args.values.detach) return await startDetached(context, { count, queues, logFile });
    // Open the store once here so a bad database fails fast with its own error.
    await context.store();
    // Loaded here, not at the top: every other command starts faster without the worker code.
    const { setupLogging } = await import("../../log.ts");
    const { runSupervisor } = await import("../../worker/supervisor.ts");
    const logger = await setupLogging({
      level: context.logLevel,
      file: logFile,
      location: context.location.kind === "postgres" ? context.location.url : undefined,
    });
    await runSupervisor({
      location: context.location,
      count,
      queues,
      host: hostId(context.env),
      logLevel: context.logLevel,
      logFile,
      logger,
    });
  },
};

/** Starts `worker start` again as a background process and waits until it has registered. */
async function startDetached(
  context: CommandContext,
  options: { count: number; queues?: string[]; logFile?: string },
): Promise<void> {
  const { count, queues } = options;
  const store = await context.store();
  const log = options.logFile ?? defaultLogFile(context);
  // The background process cannot say why it failed anywhere but its log: make sure it can open it.
  try {
    await Deno.mkdir(hostPath.dirname(log), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new UsageError(`Cannot create the directory of the log "${log}": ${errorMessage(error)}`);
  }
  const args = ["worker", "start", "--count", String(count), "--log-file", log];
  if (queues) args.push("--queue", queues.join(","));
  args.push("--log-level", context.logLevel);
  const child = new Deno.Command(Deno.execPath(), {
    args: [...selfInvocation(), ...args],
    // Through the environment, not --db: a password in the URL stays out of the process list.
    env: context.dbFlag !== undefined ? { QUEUECTL_DB: context.dbFlag } : undefined,
    detached: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !exited) {
    const worker = (await store.workerList()).find((worker) => worker.pid === child.pid);
    if (worker) {
      child.unref();
      context.stdout(`${worker.id}\n`);
      context.stderr(
        `Started worker process ${worker.id} (pid ${child.pid}, ${count} worker(s)); log: ${log}\n`,
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new QueuectlError(
    `The background worker ${
      exited ? "exited" : "did not register"
    } on start: see its log "${log}"`,
  );
}

/** How to run this program again: the compiled binary directly, or `deno run` with the script. */
function selfInvocation(): string[] {
  const executable = Deno.execPath().split(/[\\/]/).at(-1) ?? "";
  if (/^deno(\.exe)?$/.test(executable)) return ["run", "-A", Deno.mainModule];
  return [];
}
