/**
 * The command line: the command tree, and `runCli`, which parses, runs and maps errors to exit
 * codes. Only `main.ts` exits the process.
 *
 * @module
 */
import { systemClock } from "../clock.ts";
import { errorMessage, ExitCode, QueuectlError, UsageError } from "../errors.ts";
import { LOG_LEVELS, type LogLevel } from "../log.ts";
import { maskSecrets, openStore, resolveStoreLocation, type Store } from "../store/mod.ts";
import { VERSION } from "../version.ts";
import { type CommandContext, GLOBAL_OPTIONS } from "./command.ts";
import { nearestWord } from "./did_you_mean.ts";
import { COMMAND_INDEX, loadCommands } from "./command_index.ts";
import { commandHelp, groupHelp } from "./help.ts";
import { parseCommandArgs, resolveCommand } from "./parse.ts";

/** Where a CLI run writes. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  isTerminal: boolean;
  stderrIsTerminal: boolean;
  env(name: string): string | undefined;
  cwd: string;
  readStdin(): Promise<Uint8Array>;
}

/** Runs one command line and returns the exit code. User mistakes become one line on stderr. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let store: Store | undefined;
  let dbFlag: string | undefined;
  try {
    if (args.includes("--version") || args.includes("-V")) {
      // Loaded only here: it looks at the database its own, read-only way.
      const { parseVersionRequest, versionReport } = await import("./version_report.ts");
      const request = parseVersionRequest(args);
      if (request) {
        io.stdout(await versionReport(request, io.env));
        return ExitCode.ok;
      }
    }
    const resolution = resolveCommand(args, COMMAND_INDEX);
    if (resolution.kind === "group") {
      const asked = resolution.args.includes("--help") || resolution.args.includes("-h");
      if (asked || resolution.path.length === 0 && resolution.args.length === 0) {
        io.stdout(groupHelp(resolution.path, await loadCommands(COMMAND_INDEX), VERSION));
        return ExitCode.ok;
      }
      if (resolution.path.length === 0) {
        const typed = resolution.args[0];
        const known = [
          "--help",
          "--version",
          ...Object.keys(GLOBAL_OPTIONS).map((long) => `--${long}`),
        ];
        const nearest = typed.startsWith("--") ? nearestWord(typed, known) : undefined;
        throw new UsageError(
          nearest === undefined
            ? `Unknown option "${typed}": see "queuectl --help"`
            : `Unknown option "${typed}". Did you mean "${nearest}"?`,
        );
      }
      throw new UsageError(
        `Missing subcommand: "queuectl ${resolution.path.join(" ")}" needs one of ${
          COMMAND_INDEX.filter((command) => command.path[0] === resolution.path[0])
            .map((command) => command.path.at(-1)).join(", ")
        }`,
      );
    }
    const command = await resolution.command.load();
    const parsed = parseCommandArgs(command, resolution.args);
    if (parsed.values.help) {
      io.stdout(commandHelp(command));
      return ExitCode.ok;
    }
    dbFlag = parsed.values.db as string | undefined;
    const location = resolveStoreLocation(dbFlag, io.env);
    const context: CommandContext = {
      store: async () => store ??= await openStore(location),
      location,
      clock: systemClock,
      stdout: io.stdout,
      stderr: io.stderr,
      isTerminal: io.isTerminal,
      logLevel: logLevel(parsed.values),
      dbFlag,
      env: io.env,
      cwd: io.cwd,
      readStdin: io.readStdin,
      stderrIsTerminal: io.stderrIsTerminal,
    };
    return (await command.run(context, parsed)) ?? ExitCode.ok;
  } catch (error) {
    // Every user-facing error passes here: whatever raised it (a driver, a URL that did not
    // parse), a password of the database it quotes is masked.
    const location = dbFlag ?? io.env("QUEUECTL_DB") ?? "";
    if (error instanceof QueuectlError) {
      io.stderr(`queuectl: ${maskSecrets(errorMessage(error), location)}\n`);
      return error.exitCode;
    }
    throw error;
  } finally {
    await store?.close();
  }
}

function logLevel(values: Record<string, unknown>): LogLevel {
  if (values.verbose) return "debug";
  if (values.quiet) return "error";
  const level = values["log-level"];
  if (level === undefined) return "info";
  if (typeof level === "string" && (LOG_LEVELS as readonly string[]).includes(level)) {
    return level as LogLevel;
  }
  throw new UsageError(
    `Invalid --log-level ${JSON.stringify(level)}: use one of ${LOG_LEVELS.join(", ")}`,
  );
}
