/**
 * `queuectl service install`: writes a systemd unit that runs `queuectl worker start` with this
 * program and the database resolved now, reloads systemd, and says (or, with `--now`, runs) how
 * to start it. The unit itself is `workerUnit`'s (src/service/), a pure function.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { configFromOverrides } from "../../config.ts";
import { parseDuration } from "../../duration.ts";
import { errorMessage, QueuectlError, UsageError } from "../../errors.ts";
import {
  environmentFileLine,
  parseScope,
  parseServiceName,
  queuectlProgram,
  removeServiceFile,
  type ServiceFiles,
  serviceFiles,
  type ServiceScope,
  type StopTimeout,
  stopTimeoutFromConfig,
  systemctl,
  systemctlLine,
  workerUnit,
  type WorkerUnitSpec,
  writeServiceFile,
} from "../../service/mod.ts";
import { displayLocation, locationHasSecret, peekStore } from "../../store/mod.ts";
import { parseCount, parseQueues, WORKER_OPTIONS } from "../flags.ts";
import type { CommandContext, CommandDefinition, ParsedArgs } from "../command.ts";

/** `queuectl service install`. */
export const serviceInstallCommand: CommandDefinition = {
  path: ["service", "install"],
  summary: "Install a systemd service that runs a worker process (worker start)",
  usage: [
    "service install [--user] [--count N] [--queue NAMES] [--name NAME] [--now] [--dry-run]",
    "service install --system [--run-as USER] [--stop-timeout DURATION] [the options above]",
  ],
  description: `
Writes a systemd unit that runs "queuectl worker start" with this program (from a checkout:
"deno run -A" with its main.ts) and pins the database resolved now (--db, $QUEUECTL_DB or the
default) as QUEUECTL_DB. A PostgreSQL URL with a password (or a password= parameter) goes to
an environment file only its owner can read (mode 0600), not into the unit.

  --user (default)  \${XDG_CONFIG_HOME:-~/.config}/systemd/user/queuectl[-NAME].service, run by
                    your own service manager; "loginctl enable-linger $USER" keeps it running
                    when you are logged out, and starts it at boot
  --system          /etc/systemd/system/queuectl[-NAME].service (as root); its jobs run as root
                    unless --run-as USER

Stopping: systemd sends SIGTERM to the worker process only (KillMode=mixed), which drains:
running jobs finish, no new one starts, then it exits. TimeoutStopSec bounds the drain:
job_timeout + kill_grace + 30 s from the database's config, or 300 s when job_timeout is 0
(no limit); --stop-timeout sets it (a duration such as 2h, or "infinity"); jobs with a longer
timeout of their own need it. Jobs still running then are killed with the worker and run again
when it is back. Restart=on-failure restarts a worker that crashed or lost its database.

After writing it runs "systemctl daemon-reload" and prints the "systemctl enable --now" command
to run (--now runs it). Without systemctl (containers) the file is written, a warning printed,
and the exit status is 0. Run install again to change the unit; extra settings (PATH for the
jobs, limits) go in "systemctl [--user] edit queuectl".`,
  options: {
    user: { type: "boolean", description: "install for this user (default)" },
    system: { type: "boolean", description: "install for the whole system (needs root)" },
    ...WORKER_OPTIONS,
    name: {
      type: "string",
      valueName: "NAME",
      description: "call the unit queuectl-NAME.service (several can coexist)",
    },
    "stop-timeout": {
      type: "string",
      valueName: "DURATION",
      description: "TimeoutStopSec: how long a drain may take, or infinity (default: see above)",
    },
    "run-as": {
      type: "string",
      valueName: "USER",
      description: "with --system: the user the worker and its jobs run as",
    },
    now: { type: "boolean", description: "also run systemctl enable --now" },
    "dry-run": { type: "boolean", description: "print the unit; write nothing" },
  },
  examples: [
    "queuectl service install --count 4 --now",
    "sudo queuectl service install --system --run-as deploy --db /srv/queue/queue.db",
    "queuectl service install --name ci --queue ci --count 2 --dry-run",
  ],
  async run(context, args) {
    const options = parseInstallOptions(args);
    const files = serviceFiles(options.scope, options.name, context.env);
    const database = pinnedDatabase(context);
    const unit = workerUnit(await unitSpec(context, options, { files, database }));
    if (options.dryRun) {
      context.stdout(unit);
      const secret = database.secret ? ` and ${files.environmentPath} (mode 0600)` : "";
      context.stderr(`Dry run: would write ${files.unitPath}${secret}\n`);
      return;
    }
    await writeFiles(files, unit, database);
    context.stdout(`${files.unitPath}\n`);
    context.stderr(`Wrote ${files.unitPath} (database: ${displayLocation(context.location)})\n`);
    if (options.scope === "system" && !options.runAs) {
      context.stderr("Note: its jobs run as root; --run-as USER runs them as USER\n");
    }
    await activate(context, { scope: options.scope, files, now: options.now });
  },
};

/** What the unit says, from the flags, this program and the database. */
async function unitSpec(
  context: CommandContext,
  options: InstallOptions,
  target: { files: ServiceFiles; database: PinnedDatabase },
): Promise<WorkerUnitSpec> {
  const { files, database } = target;
  return {
    scope: options.scope,
    program: queuectlProgram(),
    count: options.count,
    queues: options.queues,
    database: database.secret
      ? { environmentFile: files.environmentPath }
      : { value: database.value },
    environment: denoEnvironment(context),
    stopTimeout: options.stopTimeout ?? await stopTimeoutFromDatabase(context),
    runAs: options.runAs,
    afterNetwork: context.location.kind === "postgres",
  };
}

/** The unit, and the environment file when the database URL is secret (else none, not a stale one). */
async function writeFiles(
  files: ServiceFiles,
  unit: string,
  database: PinnedDatabase,
): Promise<void> {
  if (database.secret) {
    const line = environmentFileLine("QUEUECTL_DB", database.value);
    await writeServiceFile(files.environmentPath, line, { file: 0o600, directory: 0o700 });
  } else {
    await removeServiceFile(files.environmentPath);
  }
  await writeServiceFile(files.unitPath, unit, { file: 0o644, directory: 0o755 });
}

/** The flags of `service install`, checked. */
interface InstallOptions {
  scope: ServiceScope;
  name?: string;
  count: number;
  queues?: string[];
  stopTimeout?: StopTimeout;
  runAs?: string;
  now: boolean;
  dryRun: boolean;
}

function parseInstallOptions(args: ParsedArgs): InstallOptions {
  const values = args.values;
  if (args.positionals.length > 0) {
    throw new UsageError(`Unexpected argument "${args.positionals[0]}"`);
  }
  const scope = parseScope({ user: values.user === true, system: values.system === true });
  const runAs = values["run-as"] as string | undefined;
  if (runAs !== undefined) {
    if (scope !== "system") {
      throw new UsageError("--run-as needs --system (a user unit runs as you)");
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(runAs)) {
      throw new UsageError(`Invalid --run-as ${JSON.stringify(runAs)}: expected a user name`);
    }
  }
  if (values.now && values["dry-run"]) throw new UsageError("--dry-run writes nothing: drop --now");
  return {
    scope,
    name: parseServiceName(values.name as string | undefined),
    count: parseCount(values.count as string | undefined),
    queues: parseQueues(values.queue as string | undefined),
    stopTimeout: parseStopTimeout(values["stop-timeout"] as string | undefined),
    runAs,
    now: values.now === true,
    dryRun: values["dry-run"] === true,
  };
}

function parseStopTimeout(text: string | undefined): StopTimeout | undefined {
  if (text === undefined) return undefined;
  const reason = "Drain time: set with --stop-timeout.";
  if (text.trim().toLowerCase() === "infinity") return { value: "infinity", reason };
  const seconds = Math.ceil(parseDuration(text, "--stop-timeout") / 1000);
  if (seconds < 1) {
    throw new UsageError(`Invalid --stop-timeout ${JSON.stringify(text)}: expected at least 1 s`);
  }
  return { value: seconds, reason };
}

/** QUEUECTL_DB for the service, and whether it must be kept out of the unit (a password). */
interface PinnedDatabase {
  value: string;
  secret: boolean;
}

/**
 * QUEUECTL_DB as the service must see it: an absolute file path (the service does not start in
 * this directory), or the URL, which is secret when it holds a password (what `maskLocation`
 * hides). It is the unit's only variable that can be: the worker reads no other secret.
 */
function pinnedDatabase(context: CommandContext): PinnedDatabase {
  const { location } = context;
  if (location.kind === "sqlite") {
    return { value: resolve(context.cwd, location.path), secret: false };
  }
  return { value: location.url, secret: locationHasSecret(location.url) };
}

/** From a checkout, the service must find the same Deno cache (as root, HOME may be unset). */
function denoEnvironment(context: CommandContext): Record<string, string> {
  if (queuectlProgram().length === 1) return {};
  const configured = context.env("DENO_DIR");
  if (configured) return { DENO_DIR: resolve(context.cwd, configured) };
  const cache = context.env("XDG_CACHE_HOME") ||
    (context.env("HOME") ? join(context.env("HOME")!, ".cache") : undefined);
  return cache ? { DENO_DIR: join(cache, "deno") } : {};
}

/** The drain time from the database's config, looked at without changing it; defaults if none. */
async function stopTimeoutFromDatabase(context: CommandContext): Promise<StopTimeout> {
  let overrides: Record<string, string> = {};
  try {
    const peek = await peekStore(context.location, { timeoutMs: 5000 });
    if (peek.state === "queuectl" && peek.reader) {
      try {
        overrides = await peek.reader.configOverrides();
      } finally {
        await peek.reader.close();
      }
    }
  } catch (error) {
    context.stderr(
      `Warning: cannot read the config from the database (${
        errorMessage(error)
      }); TimeoutStopSec uses the defaults\n`,
    );
  }
  return stopTimeoutFromConfig(configFromOverrides(overrides));
}

/** `systemctl daemon-reload`, then `enable --now` or the advice to run it. */
async function activate(
  context: CommandContext,
  target: { scope: ServiceScope; files: ServiceFiles; now: boolean },
): Promise<void> {
  const { scope, files } = target;
  const path = context.env("PATH");
  const reload = systemctlLine(scope, ["daemon-reload"]);
  const enable = systemctlLine(scope, ["enable", "--now", files.unitName]);
  const reloaded = await systemctl(scope, ["daemon-reload"], path);
  if (!reloaded.ran) {
    context.stderr(
      `Warning: systemctl was not found, so systemd does not know the unit yet. Where systemd runs: ${reload} && ${enable}\n`,
    );
    return;
  }
  if (!reloaded.ok && !target.now) {
    context.stderr(
      `Warning: "${reload}" failed: ${reloaded.error}. Where systemd runs: ${reload} && ${enable}\n`,
    );
    return;
  }
  if (target.now) {
    const started = await systemctl(scope, ["enable", "--now", files.unitName], path);
    if (!started.ran || !started.ok) {
      throw new QueuectlError(
        `Wrote ${files.unitPath}, but "${enable}" failed: ${
          started.ran ? started.error : "no systemctl"
        }`,
      );
    }
    context.stderr(
      `Enabled and started ${files.unitName}: ${
        systemctlLine(scope, ["status", files.unitName])
      }\n`,
    );
  } else {
    context.stderr(`Start it now and at every ${scope === "user" ? "login" : "boot"}: ${enable}\n`);
  }
  if (scope === "user") {
    context.stderr(
      `To keep it running while you are logged out: loginctl enable-linger ${
        context.env("USER") ?? "$USER"
      }\n`,
    );
  }
}
