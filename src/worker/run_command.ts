/**
 * Runs one job's command: `sh -c COMMAND` in its own process group (so a stop reaches its
 * grandchildren too), with its output captured apart from the worker's own, a time limit, and a
 * way to stop it from outside.
 *
 * @module
 */
import { OutputTail } from "./output_tail.ts";
import { processStartTime } from "./process_identity.ts";

/** How to run a command. */
export interface RunCommandOptions {
  command: string;
  env: Record<string, string>;
  /** Bytes of each of stdout and stderr kept (the tail). */
  outputLimit: number;
  /** Stop the run after this many ms (0 = no limit). */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL when the run is stopped. */
  killGraceMs: number;
  /** Aborting stops the run (its `reason` is reported back as `stopReason`). */
  signal?: AbortSignal;
  /** Called once the process group exists, before the command can have done much. */
  onSpawn?: (pgid: number, startTime: string | null) => void | Promise<void>;
}

/** How a run ended. */
export interface RunResult {
  /** The exit code, or 128 + signal number when killed by a signal; null if it never started. */
  exitCode: number | null;
  /** `timeout`, or the abort reason, when queuectl stopped the run. */
  stopReason: string | null;
  /** Why the command could not start at all. */
  spawnError: string | null;
  stdout: string;
  stderr: string;
}

/** How long to keep reading output after the command exited (background children may hold it). */
const OUTPUT_DRAIN_MS = 200;

/** Runs the command to its end and reports how it ended. Never throws for the command's sake. */
export async function runCommand(options: RunCommandOptions): Promise<RunResult> {
  const stdout = new OutputTail(options.outputLimit);
  const stderr = new OutputTail(options.outputLimit);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("sh", {
      args: ["-c", options.command],
      detached: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: options.env,
    }).spawn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { exitCode: null, stopReason: null, spawnError: message, stdout: "", stderr: "" };
  }
  const pgid = child.pid;
  const reading = [pump(child.stdout, stdout), pump(child.stderr, stderr)];
  let stopReason: string | null = null;
  const stop = (reason: string) => {
    if (stopReason !== null) return;
    stopReason = reason;
    void terminateGroup(pgid, options.killGraceMs, child.status);
  };
  const onAbort = () => stop(String(options.signal?.reason ?? "stopped"));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timer = options.timeoutMs > 0
    ? setTimeout(() => stop("timeout"), options.timeoutMs)
    : undefined;
  try {
    await options.onSpawn?.(pgid, await processStartTime(pgid));
    const status = await child.status;
    await drain(reading);
    return {
      exitCode: status.signal ? 128 + signalNumber(status.signal) : status.code,
      stopReason,
      spawnError: null,
      stdout: stdout.text(),
      stderr: stderr.text(),
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

async function pump(stream: ReadableStream<Uint8Array>, tail: OutputTail): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      tail.push(value);
    }
  } catch {
    // Cancelled by drain(): a background child kept the pipe open after the command exited.
  } finally {
    reader.releaseLock();
  }
}

async function drain(reading: Promise<void>[]): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), OUTPUT_DRAIN_MS);
  });
  await Promise.race([Promise.all(reading), late]);
  clearTimeout(timer);
}

/**
 * SIGTERM to the whole process group, then SIGKILL if it has not exited after `graceMs`.
 * Errors are ignored: the group may be gone already.
 */
export async function terminateGroup(
  pgid: number,
  graceMs: number,
  exited: Promise<unknown>,
): Promise<void> {
  signalGroup(pgid, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<"grace over">((resolve) => {
    timer = setTimeout(() => resolve("grace over"), graceMs);
  });
  const first = await Promise.race([exited.then(() => "exited" as const), graceOver]);
  clearTimeout(timer);
  // Even when the leader exited, its background children may live on in the group.
  signalGroup(pgid, first === "grace over" ? "SIGKILL" : "SIGTERM");
  if (first === "exited") {
    await new Promise((resolve) => setTimeout(resolve, Math.min(graceMs, 100)));
    signalGroup(pgid, "SIGKILL");
  }
}

/** Sends a signal to every process of a group; false when the group is gone. */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function signalNumber(signal: Deno.Signal): number {
  return SIGNAL_NUMBERS[signal] ?? 0;
}
