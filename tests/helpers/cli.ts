/**
 * Test helpers that drive the real CLI (`deno run -A main.ts …`) as a user would, each test on
 * its own temporary database. Synchronise with `waitFor` (polling with a deadline), never sleep.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseSync } from "node:sqlite";

/** The entry point under test. */
export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** What a finished CLI call printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary directory with a database path in it; removed by `cleanup()`. */
export interface Sandbox {
  dir: string;
  db: string;
  /** Environment for CLI calls: QUEUECTL_DB set, nothing else of queuectl's. */
  env: Record<string, string>;
  /** Runs `queuectl ARGS…` to its end. */
  run(
    args: string[],
    options?: { stdin?: string; env?: Record<string, string> },
  ): Promise<CliResult>;
  /** Runs `queuectl ARGS…` and fails the test unless it exits 0; returns stdout. */
  ok(args: string[], options?: { env?: Record<string, string> }): Promise<string>;
  /** Starts `queuectl worker start …` in the background (stdout/stderr piped). */
  spawnWorker(args?: string[], options?: { env?: Record<string, string> }): WorkerHandle;
  /** `status --json`, parsed. */
  status(): Promise<{ jobs: Record<string, number>; workers: Record<string, unknown>[] }>;
  /** `info ID --json`, parsed. */
  info(id: string): Promise<Record<string, unknown>>;
  cleanup(): Promise<void>;
}

/** A worker process started by `spawnWorker`. */
export interface WorkerHandle {
  process: Deno.ChildProcess;
  pid: number;
  /** Sends a signal to the worker process (not its jobs). */
  kill(signal?: Deno.Signal): void;
  /** Waits for exit; returns the code and everything it logged. */
  finished(): Promise<CliResult>;
}

/** Makes a sandbox; use with `try { … } finally { await sandbox.cleanup(); }`. */
export async function makeSandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-test-" });
  const db = join(dir, "queue.db");
  const env: Record<string, string> = { QUEUECTL_DB: db, NO_COLOR: "1" };
  const workers: WorkerHandle[] = [];
  const sandbox: Sandbox = {
    dir,
    db,
    env,
    run: (args, options = {}) => runCli(args, { ...env, ...options.env }, options.stdin),
    async ok(args, options = {}) {
      const result = await runCli(args, { ...env, ...options.env });
      if (result.code !== 0) {
        throw new Error(
          `queuectl ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`,
        );
      }
      return result.stdout;
    },
    spawnWorker(args = [], options = {}) {
      const handle = spawnCli(["worker", "start", ...args], { ...env, ...options.env });
      workers.push(handle);
      return handle;
    },
    async status() {
      return JSON.parse(await sandbox.ok(["status", "--json"]));
    },
    async info(id) {
      return JSON.parse(await sandbox.ok(["info", id, "--json"]));
    },
    async cleanup() {
      for (const worker of workers) {
        try {
          worker.kill("SIGKILL");
        } catch {
          // Already gone.
        }
        await worker.process.status;
        await worker.process.stdout.cancel().catch(() => {});
        await worker.process.stderr.cancel().catch(() => {});
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return sandbox;
}

/** Runs the CLI with exactly this environment (plus PATH and HOME). */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: cliEnvironment(env),
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function spawnCli(args: string[], env: Record<string, string>): WorkerHandle {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: cliEnvironment(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let finished: Promise<CliResult> | undefined;
  return {
    process,
    pid: process.pid,
    kill: (signal = "SIGTERM") => process.kill(signal),
    finished: () =>
      finished ??= process.output().then((output) => ({
        code: output.code,
        stdout: new TextDecoder().decode(output.stdout),
        stderr: new TextDecoder().decode(output.stderr),
      })),
  };
}

/** The environment a CLI call of the tests gets: PATH, HOME and Deno's own, then `env`. */
export function cliEnvironment(env: Record<string, string>): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  return { ...inherited, ...env };
}

/**
 * Polls `check` until it returns a truthy value, and returns that value; fails with `what` when
 * `timeoutMs` passes first.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads a text file, or "" when it does not exist yet. */
export async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/**
 * Every row of every table of the sandbox's database (read directly, read-only), or null when
 * there is no database file: compare before and after to prove a failed command changed nothing.
 */
export function snapshotDatabase(sandbox: Sandbox): string | null {
  try {
    Deno.statSync(sandbox.db);
  } catch {
    return null;
  }
  const db = new DatabaseSync(sandbox.db, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .all().map((row) => String(row.name));
    const dump: Record<string, unknown> = {
      schema: db.prepare("PRAGMA user_version").get(),
    };
    for (const table of tables) {
      const rows = db.prepare(`SELECT * FROM "${table}" ORDER BY 1, 2`).all();
      // A running worker's heartbeat moves on its own: it is liveness, not data a command changed.
      dump[table] = table === "workers"
        ? rows.map(({ heartbeat_at: _heartbeat, ...row }) => row)
        : rows;
    }
    return JSON.stringify(dump);
  } finally {
    db.close();
  }
}

/** Whether a process with this pid exists (Linux: /proc). */
export async function processExists(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
