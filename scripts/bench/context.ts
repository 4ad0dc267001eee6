/**
 * What every benchmark module shares: the run's context, the shape of a measured metric, and
 * small helpers for timing commands, driving the CLI, polling and statistics.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openStore, type Store, type StoreLocation } from "../../src/store/mod.ts";

/** One row of the results: a measured number, its baseline, and whether it met its target. */
export interface Metric {
  /** The row's label in the table. */
  title: string;
  /** The headline number (null when it could not be measured). */
  value: number | null;
  unit: string;
  /** What the value is compared with, measured in the same run. */
  baseline?: { name: string; value: number | null; unit: string };
  /** The number the target is about: usually value relative to the baseline. */
  ratio?: number | null;
  /** The target, as a person reads it ("≥ 0.85× xargs"); "-" for none. */
  target: string;
  /** Whether the target was met; null when there is no target or nothing was measured. */
  met: boolean | null;
  /** `unavailable`: a peer or server is missing; `skipped`: not run in this mode. */
  status: "measured" | "unavailable" | "skipped" | "error";
  note?: string;
  /** Every raw number the row is computed from. */
  raw: Record<string, unknown>;
}

/** The run's settings and shared state, handed to every benchmark. */
export interface BenchContext {
  quick: boolean;
  /** A temporary directory, removed at the end. */
  dir: string;
  /** queuectl's entry point (`deno run -A main.ts …` is the CLI). */
  main: string;
  /** Where peers (graphile-worker) are installed: never the project's dependencies. */
  cacheDir: string;
  /** The PostgreSQL server, without a schema; `postgresError` says why it cannot be used. */
  postgresUrl: string;
  postgresError?: string;
  /** Records a result row. */
  record(key: string, metric: Metric): void;
  /** Progress, on stderr. */
  log(message: string): void;
}

export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to its end; throws with its stderr when it fails. Returns the wall time. */
export async function timeCommand(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<number> {
  const start = performance.now();
  const output = await new Deno.Command(command, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - start;
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
  return ms;
}

/** Runs a command and returns its stdout (throws with its stderr when it fails). */
export async function commandOutput(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    env: options.env,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/** The CLI's arguments: `deno run -A main.ts …`. */
export function cliArgs(...args: string[]): string[] {
  return ["run", "-A", MAIN, ...args];
}

/** Runs one `queuectl` command on `db` and returns its wall time in ms. */
export function timeCli(db: string, args: string[]): Promise<number> {
  return timeCommand(Deno.execPath(), cliArgs(...args), { env: { QUEUECTL_DB: db } });
}

/** Runs one `queuectl` command on `db` and returns its stdout. */
export function runCli(db: string, args: string[]): Promise<string> {
  return commandOutput(Deno.execPath(), cliArgs(...args), { env: { QUEUECTL_DB: db } });
}

/** Where a benchmark's database lives: a file path or a `postgres://…?schema=` URL. */
export type Db = string;

export function storeLocation(db: Db): StoreLocation {
  return /^postgres(ql)?:\/\//.test(db)
    ? { kind: "postgres", url: db }
    : { kind: "sqlite", path: db };
}

/** Opens the store behind `db` in this process (for polling and store-level benchmarks). */
export function openBenchStore(db: Db, durability: "full" | "normal" = "normal"): Promise<Store> {
  return openStore(storeLocation(db), { durability });
}

/** A `worker start` process. */
export interface WorkerHandle {
  child: Deno.ChildProcess;
  pid: number;
  /** Drains (SIGTERM) and waits for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Set once the process exited. */
  exited: () => Deno.CommandStatus | undefined;
}

/** Starts `queuectl worker start --count N -q` on `db`. */
export function startWorker(db: Db, count: number): WorkerHandle {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs("worker", "start", "--count", String(count), "-q"),
    env: { QUEUECTL_DB: db },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let status: Deno.CommandStatus | undefined;
  const done = child.status.then((value) => status = value);
  return {
    child,
    pid: child.pid,
    exited: () => status,
    async stop(graceMs = 15_000) {
      if (status) return;
      try {
        child.kill("SIGTERM");
      } catch {
        // Gone already.
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Gone already.
        }
      }, graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `condition` every `intervalMs` until it holds; throws after `timeoutMs`, or as soon as
 * `worker` (when given) has exited.
 */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs?: number; worker?: WorkerHandle },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    if (await condition()) return;
    const exited = options.worker?.exited();
    if (exited) {
      throw new Error(`The worker exited (code ${exited.code}) while waiting for ${what}`);
    }
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await sleep(options.intervalMs ?? 10);
  }
}

/** Waits until the store counts `jobs` finished jobs; throws if any did not complete. */
export async function waitForCompleted(
  store: Store,
  jobs: number,
  options: { timeoutMs: number; worker?: WorkerHandle; intervalMs?: number },
): Promise<void> {
  let counts: Record<string, number> = {};
  await waitFor(`${jobs} completed jobs`, async () => {
    counts = await store.jobCountByState();
    return counts.completed + counts.dead + counts.canceled >= jobs;
  }, { intervalMs: 10, ...options });
  if (counts.completed < jobs) {
    throw new Error(
      `Only ${counts.completed} of ${jobs} jobs completed: ${JSON.stringify(counts)}`,
    );
  }
}

/** Waits until a worker process is registered in the store. */
export async function waitForWorker(store: Store, worker: WorkerHandle): Promise<void> {
  await waitFor("the worker to register", async () => (await store.workerList()).length > 0, {
    timeoutMs: 30_000,
    intervalMs: 20,
    worker,
  });
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** The `q` quantile (nearest rank) of `values`. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Rounds for the JSON file: enough digits to be useful, not float noise. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A row for something that could not run here (a peer or server is missing). */
export function unavailable(
  title: string,
  target: string,
  reason: string,
  unit = "",
): Metric {
  return {
    title,
    value: null,
    unit,
    target,
    met: null,
    status: "unavailable",
    note: reason,
    raw: {},
  };
}

/** A row for something this mode does not run. */
export function skipped(title: string, target: string, reason: string, unit = ""): Metric {
  return { title, value: null, unit, target, met: null, status: "skipped", note: reason, raw: {} };
}

/** A file of `n` jobs, one `{"command": …}` per line. */
export async function jobsFile(dir: string, n: number, command = "true"): Promise<string> {
  const file = join(dir, `jobs-${n}-${command.replace(/\W+/g, "_")}.jsonl`);
  await Deno.writeTextFile(file, `${JSON.stringify({ command })}\n`.repeat(n));
  return file;
}
