import { errorMessage, QueuectlError, UsageError } from "../../errors.ts";
import { hostId } from "../../worker/liveness.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";
import { parseQueues } from "../flags.ts";

/** `queuectl dashboard`: the web dashboard, JSON API and Prometheus metrics. */
export const dashboardCommand: CommandDefinition = {
  path: ["dashboard"],
  summary: "Serve the web dashboard, its JSON API and /metrics",
  usage: [
    "dashboard [--host ADDR] [--port N] [--token TOKEN] [--workers N] [--allow-worker-control]",
  ],
  description: `
Serves a live page of the queue (counts, throughput, workers, jobs with their output, the DLQ,
schedules), a JSON API under /api/ for the same, /metrics for Prometheus and /healthz. It binds
to 127.0.0.1 by default and, without a token, answers only to the Host names 127.0.0.1,
localhost and [::1] (against DNS rebinding). Any other address requires a token (--token or
QUEUECTL_DASHBOARD_TOKEN): every request must then carry it (Authorization: Bearer TOKEN, or
the page's login form, whose session lasts 12 hours). A token given with --token shows in the
process list (ps) to every user of this machine; QUEUECTL_DASHBOARD_TOKEN does not, so prefer
it. --workers N also runs N workers in this process; with --allow-worker-control the page can
start more, up to 64 slots in 4 worker processes in all. Ctrl-C stops it (its workers drain
first).`,
  options: {
    host: { type: "string", valueName: "ADDR", description: "address to bind (default 127.0.0.1)" },
    port: {
      type: "string",
      short: "p",
      valueName: "N",
      description: "port (default 8080; 0 picks a free one)",
    },
    token: {
      type: "string",
      valueName: "TOKEN",
      description: "require this token (default: QUEUECTL_DASHBOARD_TOKEN, which ps does not show)",
    },
    workers: {
      type: "string",
      valueName: "N",
      description: "also run N workers in this process",
    },
    queue: {
      type: "string",
      valueName: "NAMES",
      description: "the queues those workers serve (comma-separated; default: all)",
    },
    "allow-worker-control": {
      type: "boolean",
      description: "let the page start workers in this process",
    },
  },
  examples: [
    "queuectl dashboard",
    "queuectl dashboard --port 9000 --workers 4",
    "QUEUECTL_DASHBOARD_TOKEN=s3cret queuectl dashboard --host 0.0.0.0",
  ],
  async run(context, args) {
    if (args.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${args.positionals[0]}"`);
    }
    const hostname = (args.values.host as string | undefined) ?? "127.0.0.1";
    const port = integerFlag(args.values.port as string | undefined, 8080, 0, 65535, "--port");
    const workers = integerFlag(args.values.workers as string | undefined, 0, 0, 256, "--workers");
    const queues = parseQueues(args.values.queue as string | undefined);
    const token = (args.values.token as string | undefined) ??
      context.env("QUEUECTL_DASHBOARD_TOKEN") ?? null;
    if (token !== null && token.trim().length < 8) {
      throw new UsageError("The dashboard token must be at least 8 characters");
    }
    const { isLoopback } = await import("../../dashboard/auth.ts");
    if (!isLoopback(hostname) && token === null) {
      throw new UsageError(
        `Refusing to serve on ${hostname} without a token: anyone who can reach it could run commands. Set --token or QUEUECTL_DASHBOARD_TOKEN, or bind to 127.0.0.1`,
      );
    }
    await serve(context, {
      hostname,
      port,
      token,
      workers,
      queues,
      allowWorkerControl: args.values["allow-worker-control"] === true,
    });
  },
};

async function serve(
  context: CommandContext,
  options: {
    hostname: string;
    port: number;
    token: string | null;
    workers: number;
    queues?: string[];
    allowWorkerControl: boolean;
  },
): Promise<void> {
  const store = await context.store();
  // Loaded here: every other command starts faster without the dashboard and worker code.
  const { serveDashboard } = await import("../../dashboard/server.ts");
  const { setupLogging } = await import("../../log.ts");
  const { runSupervisor } = await import("../../worker/supervisor.ts");
  const { HttpError } = await import("../../dashboard/request_body.ts");
  const logger = await setupLogging({
    level: context.logLevel,
    location: context.location.kind === "postgres" ? context.location.url : undefined,
  });
  const supervisors: Promise<void>[] = [];
  // What runs in this process now: the API caps it (MAX_TOTAL_SLOTS, MAX_WORKER_PROCESSES).
  const running = { slots: 0, processes: 0 };
  // Workers still starting: they listen for SIGTERM/SIGINT only once ready, so a signal before
  // that reaches them through here (else they would run on, and the dashboard wait for them).
  const starting = new Set<AbortController>();
  let stopping = false;
  const startWorkers = (count: number) =>
    new Promise<string>((resolve, reject) => {
      if (stopping) {
        throw new HttpError(503, "The dashboard is stopping: it starts no more workers");
      }
      // Counted before anything is awaited, so a second start sees this one at once.
      running.slots += count;
      running.processes += 1;
      const stopEarly = new AbortController();
      starting.add(stopEarly);
      const supervisor = runSupervisor({
        location: context.location,
        count,
        queues: options.queues,
        host: hostId(context.env),
        logLevel: context.logLevel,
        logger,
        stop: stopEarly.signal,
        onReady: (workerId) => {
          starting.delete(stopEarly);
          resolve(workerId);
        },
      });
      supervisor.catch(reject);
      supervisors.push(
        supervisor.catch((error) => {
          logger("dashboard").error(`Workers stopped: ${errorMessage(error)}`);
        }).finally(() => {
          starting.delete(stopEarly);
          running.slots -= count;
          running.processes -= 1;
        }),
      );
    });
  let dashboard;
  try {
    dashboard = await serveDashboard({
      store,
      clock: context.clock,
      hostname: options.hostname,
      port: options.port,
      token: options.token,
      host: hostId(context.env),
      location: store.location,
      cwd: context.cwd,
      workerControl: options.allowWorkerControl
        ? { start: startWorkers, running: () => ({ ...running }) }
        : null,
    });
  } catch (error) {
    throw new QueuectlError(
      `Cannot serve on ${options.hostname}:${options.port}: ${errorMessage(error)}`,
    );
  }
  context.stdout(`${dashboard.url}\n`);
  context.stderr(`queuectl dashboard on ${dashboard.url} (Ctrl-C to stop)\n`);
  const stop = () => {
    stopping = true;
    for (const stopEarly of starting) stopEarly.abort("drain");
    starting.clear();
    dashboard.shutdown();
  };
  // Before `--workers` start: a signal while they do drains them (see `starting`).
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  if (options.workers > 0) await startWorkers(options.workers);
  await dashboard.finished;
  // The workers got the same signal and drain; wait for them.
  await Promise.all(supervisors);
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
}

function integerFlag(
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
  flag: string,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `Invalid ${flag} ${JSON.stringify(text)}: expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}
