/**
 * Helpers for end-to-end job tests, on top of `cli.ts`: enqueue and wait for states, start and
 * stop worker processes whose logs are read as they come, and small assertions.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, type Sandbox, waitFor, type WorkerHandle } from "./cli.ts";

/** A JSON object as the CLI prints it. */
export type Json = Record<string, unknown>;

/** An ISO 8601 UTC time with milliseconds, as queuectl prints every time. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Quotes a path for `sh`. */
export function q(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export async function configure(sandbox: Sandbox, settings: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(settings)) {
    await sandbox.ok(["config", "set", key, value]);
  }
}

/** Enqueues one job and returns the printed id. */
export async function enqueue(sandbox: Sandbox, args: string[]): Promise<string> {
  const stdout = await sandbox.ok(["enqueue", ...args]);
  const id = stdout.trim();
  assert.match(id, /^\S+$/, `enqueue should print one id, printed ${JSON.stringify(stdout)}`);
  return id;
}

/** Enqueues `jobs` (job JSON objects) with one `enqueue --file` call; returns their ids. */
export async function enqueueAll(sandbox: Sandbox, jobs: Json[]): Promise<string[]> {
  const file = join(sandbox.dir, `jobs-${crypto.randomUUID()}.jsonl`);
  await Deno.writeTextFile(file, jobs.map((job) => JSON.stringify(job)).join("\n") + "\n");
  return (await sandbox.ok(["enqueue", "--file", file])).trim().split("\n");
}

/**
 * Waits until every job of `ids` has completed, with one `queuectl wait` (which watches the
 * store from one process: polling `info` per job costs a CLI start-up every 50 ms).
 */
export async function waitForCompleted(
  sandbox: Sandbox,
  ids: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const result = await sandbox.run(["wait", ...ids, "--timeout", `${timeoutMs / 1000}s`]);
  assertExit(result, 0, `wait for ${ids.length} job(s) to complete`);
}

/** Waits until the job is in `state` and returns its `info --json` object. */
export function waitForState(sandbox: Sandbox, id: string, state: string, timeoutMs = 30_000) {
  return waitFor(`job "${id}" to be ${state}`, async () => {
    const job = await sandbox.info(id);
    return job.state === state ? job : undefined;
  }, timeoutMs);
}

export function runsOf(job: Json): Json[] {
  assert.ok(Array.isArray(job.runs), `info --json has no runs array: ${JSON.stringify(job)}`);
  return job.runs as Json[];
}

export function ms(value: unknown): number {
  assert.match(String(value), ISO_UTC);
  return Date.parse(String(value));
}

/** Asserts that a CLI call ended as expected, showing everything it printed when it did not. */
export function assertExit(result: CliResult, code: number, what: string): void {
  assert.equal(
    result.code,
    code,
    `${what} exited ${result.code}, expected ${code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`,
  );
}

/** A worker process whose log (stderr) is read as it comes, so its pipe never fills. */
export interface RunningWorker {
  handle: WorkerHandle;
  log(): string;
  /** Resolves with the exit code once the process has exited and its output is read. */
  exited: Promise<number>;
}

/** Starts `worker start ARGS` and waits until it has registered; fails if it exits first. */
export async function startWorker(sandbox: Sandbox, args: string[] = []): Promise<RunningWorker> {
  const handle = sandbox.spawnWorker(args);
  let text = "";
  const decoder = new TextDecoder();
  const drained = Promise.all([
    (async () => {
      for await (const chunk of handle.process.stderr) {
        text += decoder.decode(chunk, { stream: true });
      }
    })().catch(() => {}),
    handle.process.stdout.pipeTo(new WritableStream()).catch(() => {}),
  ]);
  let code: number | undefined;
  const exited = handle.process.status.then(async (status) => {
    await drained;
    code = status.code;
    return status.code;
  });
  const outcome = await waitFor(`worker start ${args.join(" ")} to register`, async () => {
    if (code !== undefined) return { exited: code };
    const { workers } = await sandbox.status();
    return workers.some((worker) => worker.pid === handle.pid) ? { exited: null } : undefined;
  }, 30_000);
  if (outcome.exited !== null) {
    throw new Error(
      `queuectl worker start ${
        args.join(" ")
      } exited ${outcome.exited} before it registered:\n${text}`,
    );
  }
  return { handle, log: () => text, exited };
}

/** SIGTERMs a worker process and checks that it exits 0. */
export async function stopWorker(worker: RunningWorker): Promise<void> {
  worker.handle.kill("SIGTERM");
  const code = await worker.exited;
  assert.equal(code, 0, `worker exited ${code}:\n${worker.log()}`);
}

/** The live (not zombie) processes of a process group, on any Unix (POSIX `ps`, as above). */
export async function processGroupMembers(pgid: number): Promise<number[]> {
  const output = await new Deno.Command("ps", {
    args: ["-A", "-o", "pid=", "-o", "pgid=", "-o", "stat="],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`ps -A exited ${output.code}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, state]) => Number(group) === pgid && state && !/^[ZX]/.test(state))
    .map(([pid]) => Number(pid));
}

/**
 * When a job last wrote the file at `path` (its mtime, in epoch ms): how a test learns when
 * something happened inside a job without `date +%s%N`, which BSD date (macOS) lacks. File times
 * come from the kernel's wall clock: coarse (a few ms on Linux) but not going back, so when one
 * job wrote its file before another did, its mtime is not the later one.
 */
export async function touchedAt(path: string): Promise<number> {
  const { mtime } = await Deno.stat(path);
  assert.ok(mtime !== null, `${path} has no modification time`);
  return mtime.getTime();
}
