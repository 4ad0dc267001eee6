/**
 * Where the operating systems differ in running a job: how its shell is started as a process
 * tree of its own, and how that whole tree is stopped.
 *
 * - **Unix**: the shell leads a new session, so its process group is the job's, and a stop
 *   reaches grandchildren with `kill(-pgid)`: SIGTERM, then SIGKILL after the grace period.
 * - **Windows** has no process groups to signal, and no SIGTERM: the shell is spawned directly
 *   and stopped with `taskkill /T /F /PID`, which ends it and every process it started, at once
 *   (without `/F`, taskkill only asks windowed programs to close, which a console job never is,
 *   so the grace period does not apply there). Both the shell and taskkill are started through
 *   `hidden_spawn.ts`, so that no console window appears for them.
 *
 * @module
 */
import type { ShellInvocation } from "../shell.ts";
import { runHidden } from "./hidden_spawn.ts";

/** An operating system, as `Deno.build.os` names it. */
export type Os = typeof Deno.build.os;

/**
 * How a tree of its own is made: `setsid` in front of the shell (Linux), Deno's `detached`
 * (other Unix), or nothing (Windows).
 */
export type TreeStart = "setsid" | "detached" | "direct";

/** What to hand to `Deno.Command` (Windows: `spawnHidden`) to start a shell as its own tree. */
export interface TreeSpawn {
  program: string;
  args: string[];
  detached: boolean;
  windowsRawArguments: boolean;
}

/** The way this OS starts a job's tree (on Unix, probed once: see `setsidStartsInPlace`). */
export async function treeStartFor(os: Os = Deno.build.os): Promise<TreeStart> {
  if (os === "windows") return "direct";
  return await setsidStartsInPlace() ? "setsid" : "detached";
}

/**
 * The spawn of `invocation` started the `how` way: `setsid bash -c CMD`, a detached
 * `bash -c CMD`, or `cmd.exe /d /s /c "CMD"` as it is.
 */
export function treeSpawn(invocation: ShellInvocation, how: TreeStart): TreeSpawn {
  const { program, args, rawArguments } = invocation;
  switch (how) {
    case "setsid":
      return {
        program: "setsid",
        args: [program, ...args],
        detached: false,
        windowsRawArguments: false,
      };
    case "detached":
      return { program, args, detached: true, windowsRawArguments: false };
    case "direct":
      return { program, args, detached: false, windowsRawArguments: rawArguments };
  }
}

let setsidProbe: Promise<boolean> | undefined;

/**
 * Whether `setsid sh` starts sh as a session leader in the same process (util-linux does when
 * its caller is not a group leader), checked once by comparing pids. Both ways put the job in its
 * own process group, but `detached: true` makes Deno fork() the whole worker process (every Web
 * Worker's heap) where a plain spawn can vfork: measured 65 vs 118 spawns/s with 4 slots.
 * setsid execs whatever follows it, so the probe's `sh` stands for every shell.
 */
function setsidStartsInPlace(): Promise<boolean> {
  return setsidProbe ??= (async () => {
    try {
      const child = new Deno.Command("setsid", {
        args: ["sh", "-c", "echo $$"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const output = await child.output();
      return output.success && Number(new TextDecoder().decode(output.stdout)) === child.pid;
    } catch {
      return false; // No setsid (macOS): Deno's detached spawn does the same, only slower.
    }
  })();
}

/** Runs a program to its end, its output discarded; never throws (tests inject another). */
export type QuietRunner = (argv: string[]) => Promise<void>;

/** How to stop a job's tree: this OS's way, unless told otherwise (tests). */
export interface StopOptions {
  os?: Os;
  /** Runs `taskkill` (Windows; default `runHidden`, so that it opens no console window either). */
  run?: QuietRunner;
}

/**
 * Stops the tree led by `pid` (the job's shell): on Unix its process group, SIGTERM then SIGKILL
 * after `graceMs` (`terminateGroup`); on Windows `taskkill /T /F` at once, while the shell still
 * runs. `exited` settles when the shell has exited. Errors are ignored: the tree may be gone.
 */
export function stopProcessTree(
  pid: number,
  graceMs: number,
  exited: Promise<unknown>,
  options: StopOptions = {},
): Promise<void> {
  const { os = Deno.build.os, run = runHidden } = options;
  if (os === "windows") return killTreeWindows(pid, exited, run);
  return terminateGroup(pid, graceMs, exited);
}

/** The command that ends a Windows process and every process it started, at once. */
export function windowsTreeKill(pid: number): string[] {
  return ["taskkill", "/T", "/F", "/PID", String(pid)];
}

async function killTreeWindows(
  pid: number,
  exited: Promise<unknown>,
  run: QuietRunner,
): Promise<void> {
  // Only while the shell runs: afterwards its pid may be another program's, and /T could not
  // find the children it left (Windows keeps no group of them) anyway.
  if (await settledBefore(exited, 0)) return;
  await run(windowsTreeKill(pid));
}

/** Whether `promise` settles within `ms` (0: only if it has already; a timer runs after it). */
async function settledBefore(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const settled = promise.then(() => true, () => true);
  const result = await Promise.race([settled, late]);
  clearTimeout(timer);
  return result;
}

/**
 * SIGTERM to the whole process group, then SIGKILL if it has not exited after `graceMs`.
 * Errors are ignored: the group may be gone already. Unix only.
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

/** Sends a signal to every process of a group; false when the group is gone. Unix only. */
export function signalGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
