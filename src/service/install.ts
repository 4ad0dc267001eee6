/**
 * Where systemd units go and how they get there: the unit's path for a scope, writing and
 * removing the unit and its environment file, and `systemctl`, which may be missing (containers,
 * macOS) or find no systemd to talk to. Those cases are the caller's to report, not errors here.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { errorMessage, QueuectlError } from "../errors.ts";
import { findExecutable } from "../find_executable.ts";
import { type ServiceScope, unitBaseName } from "./systemd_unit.ts";

/** The files of one installed service. */
export interface ServiceFiles {
  /** `queuectl.service` or `queuectl-NAME.service`. */
  unitName: string;
  unitPath: string;
  /** Where `QUEUECTL_DB` goes when it holds a password (mode 0600). */
  environmentPath: string;
}

/** The files of the service called `name` (none: `queuectl`) in `scope`. */
export function serviceFiles(
  scope: ServiceScope,
  name: string | undefined,
  env: (name: string) => string | undefined,
): ServiceFiles {
  const base = unitBaseName(name);
  if (scope === "system") {
    return {
      unitName: `${base}.service`,
      unitPath: join("/etc/systemd/system", `${base}.service`),
      environmentPath: join("/etc/queuectl", `${base}.env`),
    };
  }
  const config = configHome(env);
  return {
    unitName: `${base}.service`,
    unitPath: join(config, "systemd", "user", `${base}.service`),
    environmentPath: join(config, "queuectl", `${base}.env`),
  };
}

/** `${XDG_CONFIG_HOME:-~/.config}`, where the user's service manager looks for units. */
function configHome(env: (name: string) => string | undefined): string {
  const configured = env("XDG_CONFIG_HOME");
  if (configured) return configured;
  const home = env("HOME");
  if (!home) {
    throw new QueuectlError(
      "Cannot find the user's unit directory: neither XDG_CONFIG_HOME nor HOME is set",
    );
  }
  return join(home, ".config");
}

/** Writes `text` to `path` with `mode`, creating its directory (with `directoryMode`). */
export async function writeServiceFile(
  path: string,
  text: string,
  modes: { file: number; directory: number },
): Promise<void> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true, mode: modes.directory });
    // writeTextFile applies the mode only to a new file (and through the umask): an existing
    // one (an older unit, a file the user made) is narrowed before the secret goes in, and
    // either gets exactly its mode after.
    await Deno.chmod(path, modes.file).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.writeTextFile(path, text, { mode: modes.file });
    await Deno.chmod(path, modes.file);
  } catch (error) {
    const hint = error instanceof Deno.errors.PermissionDenied ? " (a system unit needs root)" : "";
    throw new QueuectlError(`Cannot write "${path}": ${errorMessage(error)}${hint}`);
  }
}

/** Removes a file; false when there was none. */
export async function removeServiceFile(path: string): Promise<boolean> {
  try {
    await Deno.remove(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new QueuectlError(`Cannot remove "${path}": ${errorMessage(error)}`);
  }
}

/** Whether a file exists at `path`. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** How a `systemctl` call went. */
export type SystemctlOutcome =
  | { ran: true; ok: boolean; error: string }
  /** No systemctl on PATH. */
  | { ran: false };

/** Runs `systemctl [--user] ARGS…` (found on `path`), returning how it went. */
export async function systemctl(
  scope: ServiceScope,
  args: string[],
  path: string | undefined,
): Promise<SystemctlOutcome> {
  const program = findExecutable("systemctl", path);
  if (!program) return { ran: false };
  const output = await new Deno.Command(program, {
    args: [...(scope === "user" ? ["--user"] : []), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  // systemctl says what it did before what went wrong: the last line is the error.
  const error = new TextDecoder().decode(output.stderr).trim().split("\n").at(-1) ?? "";
  return { ran: true, ok: output.success, error: error || `exit code ${output.code}` };
}

/** The `systemctl` command line a user types, for messages. */
export function systemctlLine(scope: ServiceScope, args: string[]): string {
  return ["systemctl", ...(scope === "user" ? ["--user"] : []), ...args].join(" ");
}

/**
 * How to run this program again from a unit: the compiled binary itself, or, from a checkout,
 * `deno run -A` with the absolute path of the main module (as `worker start --detach` does).
 */
export function queuectlProgram(
  execPath: string = Deno.execPath(),
  mainModule: string = Deno.mainModule,
): string[] {
  const executable = execPath.split(/[\\/]/).at(-1) ?? "";
  if (!/^deno(\.exe)?$/.test(executable)) return [execPath];
  const main = mainModule.startsWith("file:") ? fromFileUrl(mainModule) : mainModule;
  return [execPath, "run", "-A", main];
}
