/**
 * The shells a job can run in: the names queuectl accepts (the `shell` config key, a job's
 * `shell` field, `--shell`), the platform's default, and how each one is asked to run a command
 * line. Pure: nothing here starts a process (that is `worker/process_tree.ts`).
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** How a shell takes a command line; shells of one family also share their quoting rules. */
export type ShellFamily = "posix" | "fish" | "powershell" | "cmd";

/** The shells known by name, and their family. */
const KNOWN_SHELLS: Readonly<Record<string, ShellFamily>> = {
  sh: "posix",
  bash: "posix",
  zsh: "posix",
  dash: "posix",
  ksh: "posix",
  fish: "fish",
  pwsh: "powershell",
  powershell: "powershell",
  cmd: "cmd",
};

/** The names `validateShell` accepts besides absolute paths, for messages and help. */
export const SHELL_NAMES: readonly string[] = Object.keys(KNOWN_SHELLS);

/** The shell of a job that names none, when the config names none either: the platform's. */
export function defaultShell(os: typeof Deno.build.os = Deno.build.os): string {
  return os === "windows" ? "cmd" : "sh";
}

/** `/bin/bash`, `C:\…`, `C:/…` or `\\server\share\…`: a path that means the same from any directory. */
const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

/**
 * Checks a shell: one of `SHELL_NAMES` (any case; returned in lower case), or an absolute path
 * to a shell binary. Whether it exists is not checked: the worker that runs the job may be on
 * another host, and a missing shell fails that run as a command that cannot start.
 *
 * @example
 * ```ts
 * import { validateShell } from "./shell.ts";
 * console.assert(validateShell("Bash") === "bash");
 * console.assert(validateShell("/usr/local/bin/fish") === "/usr/local/bin/fish");
 * ```
 */
export function validateShell(value: unknown, where = "shell"): string {
  const shell = parseShell(value);
  if (shell === undefined) {
    throw new UsageError(
      `Invalid ${where} ${JSON.stringify(value) ?? String(value)}: use ${SHELL_CHOICES}`,
    );
  }
  return shell;
}

/** What a shell may be, for messages. */
export const SHELL_CHOICES = `${SHELL_NAMES.join(", ")} or an absolute path to a shell`;

/** The shell `value` names (a known name in lower case, or an absolute path); else undefined. */
export function parseShell(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const name = value.toLowerCase();
  // Own names only: "constructor" is not a shell, whatever Object.prototype holds.
  if (Object.hasOwn(KNOWN_SHELLS, name)) return name;
  if (
    ABSOLUTE_PATH.test(value) && !value.includes("\0") && value.length <= 1024 &&
    value.isWellFormed()
  ) {
    return value;
  }
  return undefined;
}

/**
 * The family of a valid shell. A path is known by its file name (`/opt/bin/bash`,
 * `C:\Program Files\PowerShell\7\pwsh.exe`); any other binary is taken to follow `sh -c`.
 */
export function shellFamily(shell: string): ShellFamily {
  const file = shell.split(/[\\/]/).at(-1)!.toLowerCase().replace(/\.exe$/, "");
  return Object.hasOwn(KNOWN_SHELLS, file) ? KNOWN_SHELLS[file] : "posix";
}

/** The program and arguments that run a command line in a shell. */
export interface ShellInvocation {
  program: string;
  args: string[];
  /**
   * Pass `args` to Windows as they are, unquoted (`windowsRawArguments`): cmd.exe does not
   * parse its command line the way the C runtime quoting expects.
   */
  rawArguments: boolean;
}

/**
 * How `shell` runs `command`:
 * - `sh`, `bash`, `zsh`, `dash`, `ksh`, `fish`, other paths: `SHELL -c COMMAND`
 * - `pwsh`, `powershell`: `SHELL -NoProfile -NonInteractive -Command COMMAND`
 * - `cmd`: `cmd.exe /d /s /c "COMMAND"`, unquoted: `/d` skips AutoRun commands from the
 *   registry, `/s` strips exactly the outer quotes, so the line reaches cmd as it was given (what
 *   Node's `shell: true` does on Windows).
 *
 * @example
 * ```ts
 * import { shellInvocation } from "./shell.ts";
 * const { program, args } = shellInvocation("bash", "echo $BASH_VERSION");
 * console.assert(program === "bash" && args.join(" ") === "-c echo $BASH_VERSION");
 * ```
 */
export function shellInvocation(shell: string, command: string): ShellInvocation {
  switch (shellFamily(shell)) {
    case "powershell":
      return {
        program: shell,
        args: ["-NoProfile", "-NonInteractive", "-Command", command],
        rawArguments: false,
      };
    case "cmd":
      return {
        program: shell === "cmd" ? "cmd.exe" : shell,
        args: ["/d", "/s", "/c", `"${command}"`],
        rawArguments: true,
      };
    default:
      return { program: shell, args: ["-c", command], rawArguments: false };
  }
}
