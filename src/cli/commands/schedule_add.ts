import { isoTime } from "../../clock.ts";
import { UsageError } from "../../errors.ts";
import {
  validateCwd,
  validateMaxRetries,
  validatePriority,
  validateQueueName,
  validateTimeout,
} from "../../job_spec.ts";
import { validateShell } from "../../shell.ts";
import type { MissedPolicy, ScheduledJob } from "../../store/mod.ts";
import type { CommandDefinition, ParsedArgs } from "../command.ts";
import { commandFromRest, envFlag, numberFlag } from "../flags.ts";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Checks a schedule name: it prefixes the ids of the jobs it enqueues. */
export function validateScheduleName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(
      `Invalid schedule name ${
        JSON.stringify(name)
      }: use 1 to 64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** `queuectl schedule add NAME CRON -- COMMAND`: a job enqueued at every cron time. */
export const scheduleAddCommand: CommandDefinition = {
  path: ["schedule", "add"],
  summary: "Enqueue a command on a cron schedule",
  usage: ['schedule add NAME "CRON" [options] -- COMMAND [ARG...]'],
  description: `
CRON is a standard 5-field expression (minute hour day-of-month month day-of-week, e.g.
"*/5 * * * *", "0 3 * * 1-5") or @hourly, @daily, @weekly, @monthly, @yearly, read in --tz
(default UTC). Running workers enqueue each scheduled run exactly once, however many worker
processes share the database; the job's id is NAME-<time>, e.g. backup-20261124T030000Z.
Runs missed while no worker was up run once when a worker starts (--missed skip: not at all).`,
  options: {
    tz: { type: "string", valueName: "ZONE", description: "IANA time zone (default UTC)" },
    queue: {
      type: "string",
      valueName: "NAME",
      description: 'queue of the jobs (default "default")',
    },
    priority: { type: "string", valueName: "N", description: "priority of the jobs (default 0)" },
    timeout: { type: "string", valueName: "SECONDS", description: "time limit of each run" },
    "max-retries": { type: "string", valueName: "N", description: "retries of each job" },
    cwd: { type: "string", valueName: "DIR", description: "directory to run in (default: here)" },
    env: {
      type: "string",
      multiple: true,
      valueName: "NAME=VALUE",
      description: "add a variable to the jobs' environment (repeatable)",
    },
    shell: {
      type: "string",
      valueName: "SHELL",
      description: "the jobs' shell (default: config shell when each runs)",
    },
    missed: {
      type: "string",
      valueName: "POLICY",
      description: "run-once (default) or skip: runs missed while no worker was up",
    },
  },
  examples: [
    'queuectl schedule add backup "0 3 * * *" -- ./backup.sh',
    'queuectl schedule add report "@daily" --tz Europe/Berlin --queue reports -- ./report.sh',
  ],
  async run(context, args) {
    if (args.positionals.length !== 2) {
      throw new UsageError(
        'Expected a name and a cron expression: schedule add NAME "CRON" -- COMMAND',
      );
    }
    const name = validateScheduleName(args.positionals[0]);
    if (!args.rest) throw new UsageError('Missing command after "--"');
    const job = scheduledJob(args, context.cwd);
    const missed = (args.values.missed as string | undefined) ?? "run-once";
    if (missed !== "run-once" && missed !== "skip") {
      throw new UsageError(`Invalid --missed ${JSON.stringify(missed)}: use run-once or skip`);
    }
    // croner is an npm package: loaded here only, so other commands start fast.
    const { parseCron } = await import("../../schedule/cron.ts");
    const cron = parseCron(args.positionals[1], (args.values.tz as string | undefined) ?? "UTC");
    const now = context.clock.now();
    const nextRunAt = cron.nextRunAfter(now) ?? null;
    if (nextRunAt === null) {
      throw new UsageError(
        `Invalid cron expression ${
          JSON.stringify(cron.expression)
        }: it matches no date from now on`,
      );
    }
    await (await context.store()).scheduleAdd({
      schedule: {
        name,
        cron: cron.expression,
        timezone: cron.timezone,
        job,
        missed: missed as MissedPolicy,
        paused: false,
        nextRunAt,
        lastRunAt: null,
        createdAt: now,
      },
    });
    context.stdout(`${name}: next run at ${isoTime(nextRunAt) ?? "never"}\n`);
  },
};

function scheduledJob(args: ParsedArgs, cwd: string): ScheduledJob {
  const rest = args.rest!;
  const text = (name: string) => args.values[name] as string | undefined;
  const number = (name: string) => numberFlag(text(name)!);
  const shell = text("shell") === undefined ? undefined : validateShell(text("shell"), "--shell");
  const job: ScheduledJob = {
    command: commandFromRest(rest, shell),
    cwd: text("cwd") === undefined ? cwd : validateCwd(text("cwd"), "--cwd"),
  };
  if (shell !== undefined) job.shell = shell;
  if (text("queue") !== undefined) job.queue = validateQueueName(text("queue"), "--queue");
  if (text("priority") !== undefined) {
    job.priority = validatePriority(number("priority"), "--priority");
  }
  if (text("timeout") !== undefined) {
    job.timeoutSeconds = validateTimeout(number("timeout"), "--timeout");
  }
  if (text("max-retries") !== undefined) {
    job.maxRetries = validateMaxRetries(number("max-retries"), "--max-retries");
  }
  const env = args.values.env as string[] | undefined;
  if (env !== undefined) job.env = envFlag(env);
  return job;
}
