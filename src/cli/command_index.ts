/**
 * The command tree as paths and loaders. A CLI call imports only the module of the command it
 * runs: importing all of them (dashboard, worker, schedules…) cost ~25 ms of every call's start.
 *
 * @module
 */
import type { CommandDefinition } from "./command.ts";

/** A command's words and how to load its definition. */
export interface CommandEntry {
  path: string[];
  load(): Promise<CommandDefinition>;
}

/** Every command, in the order help lists them. */
export const COMMAND_INDEX: readonly CommandEntry[] = [
  { path: ["enqueue"], load: () => loadCommand("enqueue", "enqueueCommand") },
  {
    path: ["worker", "start"],
    load: () => loadCommand("worker_start", "workerStartCommand"),
  },
  {
    path: ["worker", "stop"],
    load: () => loadCommand("worker_stop", "workerStopCommand"),
  },
  { path: ["status"], load: () => loadCommand("status", "statusCommand") },
  { path: ["list"], load: () => loadCommand("list", "listCommand") },
  { path: ["info"], load: () => loadCommand("info", "infoCommand") },
  { path: ["logs"], load: () => loadCommand("logs", "logsCommand") },
  { path: ["wait"], load: () => loadCommand("wait", "waitCommand") },
  { path: ["run"], load: () => loadCommand("run", "runCommand") },
  { path: ["cancel"], load: () => loadCommand("cancel", "cancelCommand") },
  { path: ["retry"], load: () => loadCommand("retry", "retryCommand") },
  { path: ["edit"], load: () => loadCommand("edit", "editCommand") },
  {
    path: ["dlq", "list"],
    load: () => loadCommand("dlq_list", "dlqListCommand"),
  },
  {
    path: ["dlq", "retry"],
    load: () => loadCommand("dlq_retry", "dlqRetryCommand"),
  },
  {
    path: ["batch", "list"],
    load: () => loadCommand("batch_list", "batchListCommand"),
  },
  {
    path: ["batch", "info"],
    load: () => loadCommand("batch_info", "batchInfoCommand"),
  },
  {
    path: ["queue", "list"],
    load: () => loadCommand("queue_list", "queueListCommand"),
  },
  {
    path: ["queue", "set-concurrency"],
    load: () => loadCommand("queue_set_concurrency", "queueSetConcurrencyCommand"),
  },
  {
    path: ["queue", "set-rate"],
    load: () => loadCommand("queue_set_rate", "queueSetRateCommand"),
  },
  {
    path: ["queue", "set-group-concurrency"],
    load: () => loadCommand("queue_set_group_concurrency", "queueSetGroupConcurrencyCommand"),
  },
  {
    path: ["queue", "pause"],
    load: () => loadCommand("queue_pause", "queuePauseCommand"),
  },
  {
    path: ["queue", "resume"],
    load: () => loadCommand("queue_pause", "queueResumeCommand"),
  },
  {
    path: ["queue", "set-retry"],
    load: () => loadCommand("queue_set_retry", "queueSetRetryCommand"),
  },
  { path: ["purge"], load: () => loadCommand("purge", "purgeCommand") },
  {
    path: ["schedule", "add"],
    load: () => loadCommand("schedule_add", "scheduleAddCommand"),
  },
  {
    path: ["schedule", "list"],
    load: () => loadCommand("schedule_list", "scheduleListCommand"),
  },
  {
    path: ["schedule", "remove"],
    load: () => loadCommand("schedule_remove", "scheduleRemoveCommand"),
  },
  {
    path: ["schedule", "pause"],
    load: () => loadCommand("schedule_pause", "schedulePauseCommand"),
  },
  {
    path: ["schedule", "resume"],
    load: () => loadCommand("schedule_pause", "scheduleResumeCommand"),
  },
  {
    path: ["config", "get"],
    load: () => loadCommand("config_get", "configGetCommand"),
  },
  {
    path: ["config", "set"],
    load: () => loadCommand("config_set", "configSetCommand"),
  },
  {
    path: ["config", "unset"],
    load: () => loadCommand("config_unset", "configUnsetCommand"),
  },
  {
    path: ["config", "list"],
    load: () => loadCommand("config_list", "configListCommand"),
  },
  { path: ["migrate"], load: () => loadCommand("migrate", "migrateCommand") },
  {
    path: ["dashboard"],
    load: () => loadCommand("dashboard", "dashboardCommand"),
  },
  { path: ["doctor"], load: () => loadCommand("doctor", "doctorCommand") },
  {
    path: ["service", "install"],
    load: () => loadCommand("service_install", "serviceInstallCommand"),
  },
  {
    path: ["service", "uninstall"],
    load: () => loadCommand("service_uninstall", "serviceUninstallCommand"),
  },
  {
    path: ["completions"],
    load: () => loadCommand("completions", "completionsCommand"),
  },
];

/** Every command's definition (for help over the whole tree or a group). */
export function loadCommands(entries: readonly CommandEntry[]): Promise<CommandDefinition[]> {
  return Promise.all(entries.map((entry) => entry.load()));
}

async function loadCommand(file: string, name: string): Promise<CommandDefinition> {
  const module = await import(new URL(`./commands/${file}.ts`, import.meta.url).href);
  return module[name];
}
