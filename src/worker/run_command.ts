/**
 * Runs one job's command: `sh -c COMMAND` (or the job's shell) as a process tree of its own (so
 * a stop reaches its grandchildren too), with its output captured apart from the worker's own, a
 * time limit, and a way to stop it from outside. What differs between OSes is in
 * `process_tree.ts` and `hidden_spawn.ts`.
 *
 * @module
 */
import { defaultShell, type ShellInvocation, shellInvocation } from "../shell.ts";
import type { OutputChunk } from "../store/mod.ts";
import { type SpawnedProcess, spawnHidden } from "./hidden_spawn.ts";
import { OutputTail } from "./output_tail.ts";
import { processStartTime } from "./process_identity.ts";
import { sessionSpawnAvailable, spawnInSession } from "./session_spawn.ts";
import { stopProcessTree, treeSpawn, treeStartFor } from "./process_tree.ts";

/** How to run a command. */
export interface RunCommandOptions {
  command: string;
  /** The shell that runs it (a valid `shell` value; default: this platform's, `sh` or `cmd`). */
  shell?: string;
  env: Record<string, string>;
  /** Where to run it (default: this process's directory). */
  cwd?: string;
  /** Bytes of each of stdout and stderr kept (the tail). */
  outputLimit: number;
  /** Stop the run after this many ms (0 = no limit). */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL when the run is stopped (Unix: Windows kills at once). */
  killGraceMs: number;
  /** Aborting stops the run (its `reason` is reported back as `stopReason`). */
  signal?: AbortSignal;
  /**
   * Called once the process group has lived `onSpawnAfterMs` (default 0), unless it has ended
   * by then: most short jobs then cost no write to record a group that is already gone.
   */
  onSpawn?: (pgid: number, startTime: string | null) => void | Promise<void>;
  onSpawnAfterMs?: number;
  /** Called every `outputFlushMs` with the output that arrived since (live output). */
  onOutput?: (chunks: OutputChunk[]) => Promise<void>;
  outputFlushMs?: number;
}

/** The kept tail of an output stream and its whole length. */
export interface CapturedOutput {
  tail: Uint8Array;
  total: number;
}

/** How a run ended. */
export interface RunResult {
  /** The exit code, or 128 + signal number when killed by a signal; null if it never started. */
  exitCode: number | null;
  /** `timeout`, or the abort reason, when queuectl stopped the run. */
  stopReason: string | null;
  /** Why the command could not start at all. */
  spawnError: string | null;
  /** Why a run that is no command failed (a webhook's answer); absent for commands. */
  failure?: string;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
}

const NO_OUTPUT: CapturedOutput = { tail: new Uint8Array(), total: 0 };

const IS_WINDOWS = Deno.build.os === "windows";

/** How long to keep reading output after the command exited (background children may hold it). */
const OUTPUT_DRAIN_MS = 200;

/** Runs the command to its end and reports how it ended. Never throws for the command's sake. */
export async function runCommand(options: RunCommandOptions): Promise<RunResult> {
  const stdout = new OutputTail(options.outputLimit);
  const stderr = new OutputTail(options.outputLimit);
  const shell = options.shell ?? defaultShell();
  let child: SpawnedProcess;
  try {
    const invocation = shellInvocation(shell, options.command);
    if (sessionSpawnAvailable()) {
      // Linux: the shell leads a session of its own without `setsid` in front of it.
      child = spawnInSession(invocation.program, invocation.args, options);
    } else {
      child = await spawnTree(invocation, options);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const where = options.cwd ? `, working directory "${options.cwd}"` : "";
    return {
      exitCode: null,
      stopReason: null,
      spawnError: `${message} (shell "${shell}"${where})`,
      stdout: NO_OUTPUT,
      stderr: NO_OUTPUT,
    };
  }
  const pgid = child.pid;
  const reading = [pump(child.stdout, stdout), pump(child.stderr, stderr)];
  let stopReason: string | null = null;
  const stop = (reason: string) => {
    if (stopReason !== null) return;
    stopReason = reason;
    void stopProcessTree(pgid, options.killGraceMs, child.status);
  };
  const onAbort = () => stop(String(options.signal?.reason ?? "stopped"));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timer = options.timeoutMs > 0
    ? setTimeout(() => stop("timeout"), options.timeoutMs)
    : undefined;
  const flusher = new OutputFlusher({ stdout, stderr }, options.onOutput);
  const flushTimer = options.onOutput
    ? setInterval(() => flusher.flush(), options.outputFlushMs ?? 250)
    : undefined;
  const spawnRecorded = recordSpawn(pgid, child.status, options);
  try {
    const status = await child.status;
    await spawnRecorded;
    await drain(reading);
    return {
      exitCode: status.signal ? 128 + signalNumber(status.signal) : status.code,
      stopReason,
      spawnError: null,
      stdout: { tail: stdout.tail(), total: stdout.total },
      stderr: { tail: stderr.tail(), total: stderr.total },
    };
  } finally {
    clearTimeout(timer);
    clearInterval(flushTimer);
    await flusher.idle();
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Starts the shell as its own tree the portable way: through `setsid`, detached or hidden. */
async function spawnTree(
  invocation: ShellInvocation,
  options: RunCommandOptions,
): Promise<SpawnedProcess> {
  const spawn = treeSpawn(invocation, await treeStartFor());
  // Windows: Deno.Command would open a console window per job (see hidden_spawn.ts).
  return IS_WINDOWS ? await spawnHidden(spawn, options) : new Deno.Command(spawn.program, {
    args: spawn.args,
    detached: spawn.detached,
    windowsRawArguments: spawn.windowsRawArguments,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: options.env,
    cwd: options.cwd,
  }).spawn();
}

/** Calls `onSpawn` once the group has lived `onSpawnAfterMs`, unless it exited before. */
async function recordSpawn(
  pgid: number,
  exited: Promise<unknown>,
  options: Pick<RunCommandOptions, "onSpawn" | "onSpawnAfterMs">,
): Promise<void> {
  const { onSpawn, onSpawnAfterMs = 0 } = options;
  if (!onSpawn) return;
  if (onSpawnAfterMs > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lived = new Promise<"lived">((resolve) => {
      timer = setTimeout(() => resolve("lived"), onSpawnAfterMs);
    });
    const first = await Promise.race([exited.then(() => "exited" as const), lived]);
    clearTimeout(timer);
    if (first === "exited") return;
  }
  await onSpawn(pgid, await processStartTime(pgid));
}

/** Hands new output to `onOutput`, one call at a time (a slow store never sees two at once). */
class OutputFlusher {
  #busy: Promise<void> = Promise.resolve();
  #running = false;

  constructor(
    readonly streams: { stdout: OutputTail; stderr: OutputTail },
    readonly onOutput?: (chunks: OutputChunk[]) => Promise<void>,
  ) {}

  flush(): void {
    if (this.#running || !this.onOutput) return;
    const chunks: OutputChunk[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const fresh = this.streams[stream].takeNew();
      if (fresh) chunks.push({ stream, ...fresh });
    }
    if (chunks.length === 0) return;
    this.#running = true;
    this.#busy = this.onOutput(chunks).catch(() => {
      // Live output is best effort; the tail is recorded with the run at its end.
    }).finally(() => this.#running = false);
  }

  idle(): Promise<void> {
    return this.#busy;
  }
}

/** A stream being read into its tail: `done` when it ended, `cancel` to stop reading it. */
interface Pumping {
  done: Promise<void>;
  cancel(): void;
}

function pump(stream: ReadableStream<Uint8Array>, tail: OutputTail): Pumping {
  const reader = stream.getReader();
  const done = (async () => {
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
  })();
  return { done, cancel: () => void reader.cancel().catch(() => {}) };
}

/**
 * Waits for the output to end, at most `OUTPUT_DRAIN_MS` after the command exited; then stops
 * reading it (a background child may hold the pipes open for ever) and closes the pipes.
 */
async function drain(reading: Pumping[]): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), OUTPUT_DRAIN_MS);
  });
  const first = await Promise.race([Promise.all(reading.map((pumping) => pumping.done)), late]);
  clearTimeout(timer);
  if (first === "late") { for (const pumping of reading) pumping.cancel(); }
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
