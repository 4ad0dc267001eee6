/**
 * The systemd unit that runs `queuectl worker start` as a service, as a pure function of what it
 * runs, so every line of it can be tested without systemd. Also systemd's quoting rules
 * (`systemd.syntax(7)`, `systemd.exec(5)`), which differ per setting: `%` starts a specifier
 * everywhere, `$` a variable in `ExecStart=` only, and quotes group words in `ExecStart=` and
 * `Environment=` but not in `EnvironmentFile=`.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { VERSION } from "../version.ts";

/** Where the unit is installed: the user's own service manager, or the system's. */
export type ServiceScope = "user" | "system";

/** How long systemd waits for the worker to drain before it kills what is left. */
export interface StopTimeout {
  /** Seconds, or `infinity` (wait for as long as the jobs take). */
  value: number | "infinity";
  /** Where the value comes from, for a comment in the unit. */
  reason: string;
}

/** Everything the unit says. */
export interface WorkerUnitSpec {
  scope: ServiceScope;
  /** The program and its first arguments: the queuectl binary, or `deno run -A …/main.ts`. */
  program: string[];
  count: number;
  /** Queues to serve; all when not given. */
  queues?: string[];
  /** `QUEUECTL_DB`, written in the unit, or read from an environment file (which holds secrets). */
  database: { value: string } | { environmentFile: string };
  /** Other variables the worker needs (`DENO_DIR` when run through `deno run`). */
  environment?: Record<string, string>;
  stopTimeout: StopTimeout;
  /** `User=` of a system unit: whose jobs these are (root when not given). */
  runAs?: string;
  /** Wait for the network before starting (a database on another host). */
  afterNetwork?: boolean;
}

/** Room, after the last job's end, to record its result and for the worker to exit. */
const RECORD_MARGIN_SECONDS = 30;

/** The stop timeout when jobs have no time limit (job_timeout 0): a drain cannot wait forever. */
const UNLIMITED_JOBS_STOP_SECONDS = 300;

/**
 * The unit file's text.
 *
 * @example
 * ```ts
 * import { workerUnit } from "./systemd_unit.ts";
 * const unit = workerUnit({
 *   scope: "user",
 *   program: ["/opt/queuectl/queuectl"],
 *   count: 2,
 *   database: { value: "/home/me/.local/share/queuectl/queue.db" },
 *   stopTimeout: { value: 335, reason: "default" },
 * });
 * console.assert(unit.includes("ExecStart=/opt/queuectl/queuectl worker start --count 2\n"));
 * ```
 */
export function workerUnit(spec: WorkerUnitSpec): string {
  const command = [...spec.program, "worker", "start", "--count", String(spec.count)];
  if (spec.queues) command.push("--queue", spec.queues.join(","));
  const network = spec.afterNetwork && spec.scope === "system"
    ? ["After=network-online.target", "Wants=network-online.target"]
    : [];
  const environment = Object.entries(spec.environment ?? {})
    .map(([name, value]) => `Environment=${quoteEnvironment(name, value)}`);
  const database = "value" in spec.database
    ? `Environment=${quoteEnvironment("QUEUECTL_DB", spec.database.value)}`
    : `EnvironmentFile=${escapeSpecifiers(checkLine(spec.database.environmentFile))}`;
  return [
    `# A queuectl worker, written by "queuectl service install" (queuectl ${VERSION}).`,
    `# Run it again to change this file; "queuectl service uninstall" removes it.`,
    "[Unit]",
    `Description=${escapeSpecifiers(describe(spec))}`,
    ...network,
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${command.map(quoteExecArgument).join(" ")}`,
    database,
    ...environment,
    ...(spec.runAs ? [`User=${spec.runAs}`] : []),
    "# SIGTERM to the worker process only: it takes no new jobs and lets the running ones finish",
    "# (each runs in a process group of its own, which the worker stops itself when it must),",
    "# then exits 0. Whatever is left when it has exited, or at TimeoutStopSec, gets SIGKILL;",
    "# jobs killed that way run again when the worker is back (the run counts as an attempt).",
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `# ${spec.stopTimeout.reason}`,
    `TimeoutStopSec=${spec.stopTimeout.value}`,
    "Restart=on-failure",
    "RestartSec=5s",
    "",
    "[Install]",
    `WantedBy=${spec.scope === "user" ? "default.target" : "multi-user.target"}`,
    "",
  ].join("\n");
}

/**
 * How long a stop may take: a job may run for `job_timeout`, then `kill_grace` after its
 * SIGTERM, and its result must still be recorded. With no `job_timeout` a drain is bounded
 * anyway, so that a stop (and a shutdown) cannot hang on one endless job.
 */
export function stopTimeoutFromConfig(
  config: { jobTimeout: number; killGrace: number },
): StopTimeout {
  if (config.jobTimeout > 0) {
    return {
      value: Math.ceil(config.jobTimeout + config.killGrace + RECORD_MARGIN_SECONDS),
      reason:
        `Drain time: job_timeout ${config.jobTimeout} s + kill_grace ${config.killGrace} s + ${RECORD_MARGIN_SECONDS} s to record the results.`,
    };
  }
  return {
    value: UNLIMITED_JOBS_STOP_SECONDS,
    reason:
      `Drain time: job_timeout is 0 (no limit), so a drain is cut after ${UNLIMITED_JOBS_STOP_SECONDS} s (--stop-timeout to change).`,
  };
}

/** `queuectl` or `queuectl-NAME`, the unit's name without `.service`. */
export function unitBaseName(name: string | undefined): string {
  return name === undefined ? "queuectl" : `queuectl-${name}`;
}

/**
 * One word of `ExecStart=`: bare when plainly safe, else in double quotes with `\` and `"`
 * escaped; `%` (specifiers) and `$` (variables) are doubled either way.
 *
 * @example
 * ```ts
 * import { quoteExecArgument } from "./systemd_unit.ts";
 * console.assert(quoteExecArgument("/opt/my apps/queuectl") === '"/opt/my apps/queuectl"');
 * console.assert(quoteExecArgument("50%") === "50%%");
 * ```
 */
export function quoteExecArgument(word: string): string {
  // "$$$$" is the replacement text "$$": in replaceAll, "$$" stands for one "$".
  const escaped = checkLine(word).replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * One `NAME=value` of `Environment=`, in double quotes (so spaces stay in the value), with `\`,
 * `"` and `%` escaped. systemd does not expand `$` there.
 */
export function quoteEnvironment(name: string, value: string): string {
  const assignment = `${name}=${checkLine(value)}`;
  return `"${escapeSpecifiers(assignment).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** One line of an `EnvironmentFile=`: the value in double quotes, with `\ " $` and backquote escaped. */
export function environmentFileLine(name: string, value: string): string {
  return `${name}="${checkLine(value).replace(/[\\"$`]/g, "\\$&")}"\n`;
}

function describe(spec: WorkerUnitSpec): string {
  const queues = spec.queues ? `queues ${spec.queues.join(", ")}` : "all queues";
  return `queuectl worker (${spec.count} at once, ${queues})`;
}

function escapeSpecifiers(text: string): string {
  return text.replaceAll("%", "%%");
}

/** A unit file is line-based: a value with a control character cannot be written into it. */
function checkLine(text: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) {
    throw new UsageError(
      `Cannot write ${JSON.stringify(text)} into a systemd unit: it holds a control character`,
    );
  }
  return text;
}
