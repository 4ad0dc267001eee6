/**
 * Starting processes on Windows without a console window appearing, through
 * `node:child_process` (Windows only: Unix keeps `Deno.Command`, see `run_command.ts`).
 *
 * Why: a worker started with `worker start --detach` runs with DETACHED_PROCESS, so it has no
 * console of its own. Every console program it then starts (cmd.exe for each job, taskkill for
 * each stop) gets a new console, and with it a window that pops up on the user's desktop.
 * `Deno.Command` has no way to ask for CREATE_NO_WINDOW; node's `windowsHide` does (Deno's
 * `node:child_process` hands it to the same spawn as `Deno.Command`). Such a child gets a console
 * without a window, which the programs it starts in turn share, so they open none either.
 * `detached` must stay off there: DETACHED_PROCESS would leave the child no console at all, and
 * each console program under it would open a window again (nodejs/node#21825).
 * A worker run in the foreground has a console, but its jobs still get one of their own, as on
 * Unix where they lead a session of their own: Ctrl+C reaches the worker only, which drains
 * (running jobs finish) instead of seeing every job interrupted with it.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";

/** What `runCommand` needs of a started process: what `Deno.ChildProcess` gives it. */
export interface SpawnedProcess {
  /** The process's id (what `stopProcessTree` ends, with everything it started). */
  readonly pid: number;
  /** Its output, to be read to the end (an unread pipe stalls it once full). */
  readonly stdout: ReadableStream<Uint8Array>;
  /** Its error output, to be read like `stdout`. */
  readonly stderr: ReadableStream<Uint8Array>;
  /** Settles when the process exits (its output may still be open, held by its children). */
  readonly status: Promise<Deno.CommandStatus>;
}

/** Where and with what environment to start the process. */
export interface HiddenSpawnOptions {
  /** The whole environment the process sees: nothing of this process's own is added. */
  env: Record<string, string>;
  /** Where it runs (default: this process's directory). */
  cwd?: string;
}

/**
 * What to start: process_tree.ts's `TreeSpawn`, spelled here so that the two modules do not
 * import each other (process_tree.ts starts taskkill through this one).
 */
export interface HiddenSpawn {
  program: string;
  args: string[];
  detached: boolean;
  windowsRawArguments: boolean;
}

type NodeModules = [typeof import("node:child_process"), typeof import("node:os")];

let nodeModules: Promise<NodeModules> | undefined;

/** Loaded on first use: Unix never needs them, and loading them is not free. */
function loadNodeModules(): Promise<NodeModules> {
  return nodeModules ??= Promise.all([import("node:child_process"), import("node:os")]);
}

/**
 * Starts `spawn` as `Deno.Command` would (stdin ignored, stdout and stderr piped, exactly
 * `options.env`, `detached` and `windowsRawArguments` as given), with `windowsHide`. Rejects
 * when it cannot start (a missing program or working directory: `code` is `ENOENT`).
 *
 * @example
 * ```ts ignore
 * const spawn = treeSpawn(shellInvocation("cmd", "echo hi"), "direct");
 * const child = await spawnHidden(spawn, { env: { SystemRoot: "C:\\Windows" } });
 * console.assert((await child.status).success);
 * ```
 */
export async function spawnHidden(
  spawn: HiddenSpawn,
  options: HiddenSpawnOptions,
): Promise<SpawnedProcess> {
  const [childProcess, os] = await loadNodeModules();
  const child = childProcess.spawn(spawn.program, hiddenSpawnArgs(spawn), {
    env: options.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    detached: spawn.detached,
    windowsHide: true,
    windowsVerbatimArguments: spawn.windowsRawArguments,
  });
  const status = new Promise<Deno.CommandStatus>((resolve) => {
    child.once("exit", (code, signal) => {
      // Deno's convention for a process killed by a signal: code 128 + the signal's number.
      const signalNumber = signal ? os.constants.signals[signal] ?? 0 : 0;
      // Node names signals as Deno does (SIGABRT, never its alias SIGIOT).
      resolve({
        success: code === 0,
        code: code ?? 128 + signalNumber,
        signal: signal as Deno.Signal,
      });
    });
  });
  await started(child);
  // An emitter throws an "error" nobody listens to; after the start, only a failed kill() (never
  // called: stops go through stopProcessTree) would emit one.
  child.on("error", () => {});
  return {
    pid: child.pid!,
    stdout: webStream(child.stdout!),
    stderr: webStream(child.stderr!),
    status,
  };
}

/**
 * The arguments handed to node's spawn. Raw arguments (cmd.exe's `/d /s /c "COMMAND"`) go as one:
 * Windows joins raw arguments with spaces, so the command line is the same, and Deno's
 * `node:child_process` leaves it alone. It rewrites arguments `/d /s /c X` and `-c X` when X
 * starts with this executable's path (or a variable holding it), taking X for a Node program to
 * run under Deno: a job running `C:\…\queuectl.exe add …` would change. A POSIX shell's `-c X`
 * on Windows stays exposed to that: to join it we would have to quote it ourselves, and a
 * shell path with spaces would go unquoted.
 */
export function hiddenSpawnArgs(spawn: HiddenSpawn): string[] {
  return spawn.windowsRawArguments ? [spawn.args.join(" ")] : spawn.args;
}

/** Resolves once `child` has started; rejects with the reason it could not. */
function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const onSpawn = () => {
      child.off("error", onError);
      resolve();
    };
    const onError = (error: Error) => {
      child.off("spawn", onSpawn);
      reject(error);
    };
    child.once("spawn", onSpawn);
    child.once("error", onError);
  });
}

/** A node stream as a web one, each chunk copied (node may reuse a chunk's memory). */
function webStream(readable: Readable): ReadableStream<Uint8Array> {
  return ReadableStream.from((async function* () {
    for await (const chunk of readable) yield new Uint8Array(chunk as Uint8Array);
  })());
}

/**
 * Runs `argv` to its end with no window, its output discarded (`taskkill`); never throws.
 *
 * @example
 * ```ts ignore
 * await runHidden(["taskkill", "/T", "/F", "/PID", "4242"]);
 * ```
 */
export async function runHidden(argv: string[]): Promise<void> {
  try {
    const [childProcess] = await loadNodeModules();
    const child = childProcess.spawn(argv[0], argv.slice(1), {
      stdio: "ignore",
      windowsHide: true,
    });
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.on("error", () => resolve()); // It cannot start (no taskkill): nothing to wait for.
    });
  } catch {
    // Bad arguments: nothing better to do than let the run end by itself.
  }
}
