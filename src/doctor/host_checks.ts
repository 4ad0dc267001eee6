/**
 * The doctor's checks of this machine's programs: jobs run as `sh -c COMMAND` (or in the shell
 * the `shell` config key names), on Linux in a session of their own through posix_spawn, or
 * `setsid` where that is missing (see `src/worker/`). They are looked up on the doctor's own
 * `PATH`, which is the workers' when they are started from the same environment.
 *
 * @module
 */
import { isAbsolute } from "node:path";
import { findExecutable } from "../find_executable.ts";
import { sessionSpawnAvailable } from "../worker/session_spawn.ts";
import { type Check, fail, ok, warn } from "./check.ts";

/** What the program checks look at. */
export interface ProgramCheckOptions {
  /** The `PATH` to search. */
  path: string | undefined;
  os: typeof Deno.build.os;
  /** The `shell` config override, when the database has one. */
  configuredShell?: string;
}

/** `sh` (and a configured shell), and on Linux `setsid`. */
export function programChecks(options: ProgramCheckOptions): Check[] {
  const checks = [shellCheck("sh", options.path)];
  const configured = options.configuredShell?.trim();
  if (configured && configured !== "sh") checks.push(shellCheck(configured, options.path));
  if (options.os === "linux") checks.push(setsidCheck(options.path));
  return checks;
}

function shellCheck(shell: string, path: string | undefined): Check {
  const found = isAbsolute(shell) ? existingFile(shell) : findExecutable(shell, path);
  const name = shell === "sh" ? "sh" : "shell";
  const role = shell === "sh" ? "jobs run as sh -c COMMAND" : "the config's shell for jobs";
  if (found) return ok(name, `${found} (${role})`);
  return fail(
    name,
    `${shell} is not on PATH: ${role}, which cannot start`,
    shell === "sh"
      ? "install a POSIX shell, or give the workers a PATH that holds one"
      : `install ${shell}, or "queuectl config unset shell"`,
  );
}

function existingFile(path: string): string | undefined {
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

function setsidCheck(path: string | undefined): Check {
  if (sessionSpawnAvailable()) {
    return ok("setsid", "not needed: each job starts in a session of its own through posix_spawn");
  }
  const setsid = findExecutable("setsid", path);
  if (setsid) return ok("setsid", `${setsid} (starts each job in a process group of its own)`);
  return warn(
    "setsid",
    "no setsid on PATH: jobs start through Deno's detached spawn, which forks the whole worker (slower)",
    "install util-linux (apt install util-linux, dnf install util-linux)",
  );
}
