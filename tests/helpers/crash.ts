/**
 * Worker processes for the crash-safety tests, whose logs are read as they come, and what those
 * tests look at: states, runs, process groups, the pids a job wrote.
 *
 * @module
 */
import {
  onEveryStore,
  readOrEmpty,
  type Sandbox,
  snapshotDatabase,
  waitFor,
  type WorkerHandle,
} from "./cli.ts";
import { processGroupMembers, q, runsOf } from "./jobs.ts";

/**
 * Registers a test of what only Linux does, on every store: a worker tells that a worker process
 * on its host is gone (and that a job's orphaned process group is still that job's) by the
 * process's start time, which only /proc gives. Elsewhere (macOS) a dead worker's job waits for
 * its lease to expire and its orphan is left to end by itself (src/worker/process_identity.ts,
 * rescuer.ts), so these tests are ignored there.
 */
export const onLinux: { test: typeof Deno.test.ignore } = {
  test: Deno.build.os === "linux" ? onEveryStore.test : Deno.test.ignore,
};

type Json = Record<string, unknown>;

/** A started worker whose stderr (its log) is read as it comes, so tests can wait for a line. */
export interface LoggedWorker {
  handle: WorkerHandle;
  pid: number;
  /** Everything the worker has logged so far. */
  log(): string;
  /** Resolves when its stderr is closed. */
  logClosed: Promise<void>;
}

/** What a test started and must tear down, whatever happens. */
export class Leftovers {
  readonly workers: LoggedWorker[] = [];
  /** Process groups of job commands (their leader's pid) that must not outlive the test. */
  readonly groups = new Set<number>();

  /** Kills the sandbox's workers, then any job process group still alive, then the sandbox. */
  async cleanUp(sandbox: Sandbox): Promise<void> {
    for (const worker of this.workers) {
      // A SIGSTOPped worker would not die of SIGKILL any later, but SIGCONT keeps it tidy.
      try {
        worker.handle.kill("SIGCONT");
      } catch {
        // Gone.
      }
    }
    await sandbox.cleanup();
    await Promise.all(this.workers.map((worker) => worker.logClosed));
    for (const pgid of this.groups) {
      if ((await processGroupMembers(pgid)).length > 0) {
        try {
          Deno.kill(-pgid, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
    }
  }
}

/** Starts `worker start ARGS` and keeps reading its log. */
export function startWorker(
  sandbox: Sandbox,
  leftovers: Leftovers,
  args: string[] = [],
  env: Record<string, string> = {},
): LoggedWorker {
  const handle = sandbox.spawnWorker(args, { env });
  let text = "";
  const decoder = new TextDecoder();
  const logClosed = (async () => {
    try {
      for await (const chunk of handle.process.stderr) {
        text += decoder.decode(chunk, { stream: true });
      }
    } catch {
      // Cancelled.
    }
  })();
  const worker = { handle, pid: handle.pid, log: () => text, logClosed };
  leftovers.workers.push(worker);
  return worker;
}

/** Waits until the worker process is registered and returns its worker id. */
export async function waitUntilRegistered(sandbox: Sandbox, worker: LoggedWorker): Promise<string> {
  return await waitFor(`worker pid ${worker.pid} to register`, async () => {
    const status = await sandbox.status();
    const found = status.workers.find((entry) => entry.pid === worker.pid);
    return found ? String(found.id) : undefined;
  });
}

/** Waits for the worker process to exit (and its log to close); returns its exit code. */
export async function exitOf(worker: LoggedWorker): Promise<number> {
  const status = await worker.handle.process.status;
  await worker.logClosed;
  return status.code;
}

export function waitForState(sandbox: Sandbox, id: string, state: string, timeoutMs = 30_000) {
  return waitFor(`job "${id}" to be ${state}`, async () => {
    const job = await sandbox.info(id);
    return job.state === state ? job : undefined;
  }, timeoutMs);
}

/** The outcome of every run, oldest first. */
export function outcomes(job: Json): string[] {
  return runsOf(job).map((run) => String(run.outcome));
}

export function count(text: string, line: string): number {
  return text.split("\n").filter((entry) => entry === line).length;
}

/**
 * The job's row as stored, read directly (read-only): the process group a worker recorded for
 * its command is not part of any JSON output.
 */
export async function storedJob(sandbox: Sandbox, id: string): Promise<Json | undefined> {
  const dump = await snapshotDatabase(sandbox);
  if (dump === null) return undefined;
  return (JSON.parse(dump).jobs as Json[]).find((job) => job.id === id);
}

/** Waits until the worker running job `id` has recorded its command's process group. */
export async function waitForProcessGroup(sandbox: Sandbox, id: string): Promise<number> {
  return Number(
    await waitFor(`job "${id}" to record its process group`, async () => {
      const job = await storedJob(sandbox, id);
      return job?.state === "processing" ? job.pgid : undefined;
    }),
  );
}

/**
 * Waits until no live process is left in the group. Only for groups whose commands sleep for
 * minutes: then nothing but a kill can have emptied it, and the deadline assumes no speed.
 */
export async function waitUntilGroupGone(pgid: number, what: string): Promise<void> {
  await waitFor(what, async () => (await processGroupMembers(pgid)).length === 0);
}

/** The pids a job appended to a file, one per run. */
export async function pidsIn(path: string): Promise<number[]> {
  return (await readOrEmpty(path)).split("\n").filter((line) => line.trim() !== "").map(Number);
}

/**
 * A job's command for the kill tests: it appends its shell's pid and "start", then (on its first
 * attempt only) sleeps 5 minutes, then appends "end". A first run that is not killed never ends
 * within a test, so its group is empty only once something killed it, however slow the machine;
 * the run after a rescue ends at once.
 */
export function killableCommand(pids: string, out: string): string {
  return `echo $$ >> ${q(pids)}; echo start >> ${q(out)}; ` +
    `if [ "$QUEUECTL_ATTEMPT" = 1 ]; then sleep 300; fi; echo end >> ${q(out)}`;
}

// Leases of a minute (0.5 s × 120) in both: within the test, a job can only come back because a
// worker saw its owner's process gone, not because its lease ran out.
export const LONG_LEASE = { heartbeat_interval: "0.5", lease_heartbeats: "120", kill_grace: "1" };
