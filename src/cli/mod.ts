/**
 * The command line: the command tree, and `runCli`, which parses, runs and maps errors to exit
 * codes. Only `main.ts` exits the process.
 *
 * @module
 */
import { systemClock } from "../clock.ts";
import { errorMessage, ExitCode, QueuectlError, UsageError } from "../errors.ts";
import { LOG_LEVELS, type LogLevel } from "../log.ts";
import { openStore, resolveStoreLocation, type Store } from "../store/mod.ts";
import { VERSION } from "../version.ts";
import type { CommandContext, CommandDefinition } from "./command.ts";
import { configGetCommand } from "./commands/config_get.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { dashboardCommand } from "./commands/dashboard.ts";
import { configListCommand } from "./commands/config_list.ts";
import { configSetCommand } from "./commands/config_set.ts";
import { configUnsetCommand } from "./commands/config_unset.ts";
import { dlqListCommand } from "./commands/dlq_list.ts";
import { dlqRetryCommand } from "./commands/dlq_retry.ts";
import { enqueueCommand } from "./commands/enqueue.ts";
import { infoCommand } from "./commands/info.ts";
import { listCommand } from "./commands/list.ts";
import { statusCommand } from "./commands/status.ts";
import { workerStartCommand } from "./commands/worker_start.ts";
import { workerStopCommand } from "./commands/worker_stop.ts";
import { cancelCommand } from "./commands/cancel.ts";
import { logsCommand } from "./commands/logs.ts";
import { purgeCommand } from "./commands/purge.ts";
import { queueListCommand } from "./commands/queue_list.ts";
import { queueSetConcurrencyCommand } from "./commands/queue_set_concurrency.ts";
import { waitCommand } from "./commands/wait.ts";
import { scheduleAddCommand } from "./commands/schedule_add.ts";
import { scheduleListCommand } from "./commands/schedule_list.ts";
import { schedulePauseCommand, scheduleResumeCommand } from "./commands/schedule_pause.ts";
import { scheduleRemoveCommand } from "./commands/schedule_remove.ts";
import { commandHelp, groupHelp } from "./help.ts";
import { parseCommandArgs, resolveCommand } from "./parse.ts";

/** Every command, in the order help lists them. */
export const COMMANDS: CommandDefinition[] = [
  enqueueCommand,
  workerStartCommand,
  workerStopCommand,
  statusCommand,
  listCommand,
  infoCommand,
  logsCommand,
  waitCommand,
  cancelCommand,
  dlqListCommand,
  dlqRetryCommand,
  queueListCommand,
  queueSetConcurrencyCommand,
  purgeCommand,
  scheduleAddCommand,
  scheduleListCommand,
  scheduleRemoveCommand,
  schedulePauseCommand,
  scheduleResumeCommand,
  configGetCommand,
  configSetCommand,
  configUnsetCommand,
  configListCommand,
  migrateCommand,
  dashboardCommand,
];

/** Where a CLI run writes. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  isTerminal: boolean;
  stderrIsTerminal: boolean;
  env(name: string): string | undefined;
  cwd: string;
  readStdin(): Promise<string>;
}

/** Runs one command line and returns the exit code. User mistakes become one line on stderr. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  let store: Store | undefined;
  try {
    if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
      io.stdout(`queuectl ${VERSION} (deno ${Deno.version.deno})\n`);
      return ExitCode.ok;
    }
    const resolution = resolveCommand(args, COMMANDS);
    if (resolution.kind === "group") {
      const help = groupHelp(resolution.path, COMMANDS, VERSION);
      const asked = resolution.args.includes("--help") || resolution.args.includes("-h");
      if (asked || resolution.path.length === 0 && resolution.args.length === 0) {
        io.stdout(help);
        return ExitCode.ok;
      }
      if (resolution.path.length === 0) {
        throw new UsageError(`Unknown option "${resolution.args[0]}": see "queuectl --help"`);
      }
      throw new UsageError(
        `Missing subcommand: "queuectl ${resolution.path.join(" ")}" needs one of ${
          COMMANDS.filter((command) => command.path[0] === resolution.path[0])
            .map((command) => command.path.at(-1)).join(", ")
        }`,
      );
    }
    const { command } = resolution;
    const parsed = parseCommandArgs(command, resolution.args);
    if (parsed.values.help) {
      io.stdout(commandHelp(command));
      return ExitCode.ok;
    }
    const dbFlag = parsed.values.db as string | undefined;
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
    if (error instanceof QueuectlError) {
      io.stderr(`queuectl: ${errorMessage(error)}\n`);
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
