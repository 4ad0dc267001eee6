/**
 * `queuectl doctor`: runs the checks of `src/doctor/` and prints them for people or, with
 * `--json`, for programs. Exits 1 when a check failed.
 *
 * @module
 */
import { ExitCode, UsageError } from "../../errors.ts";
import { hostId } from "../../worker/liveness.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";
import { json } from "../render.ts";
import { defaultLogFile } from "../worker_log.ts";

/** `queuectl doctor`: checks the database, the workers and this machine; never changes a thing. */
export const doctorCommand: CommandDefinition = {
  path: ["doctor"],
  summary: "Check the database, workers and this machine, and say how to fix what is wrong",
  usage: ["doctor [--json]"],
  description: `
Each check prints ok, warn or fail, and for warn and fail a one-line fix. It checks where the
database is (and for SQLite that its directory is writable and its files are not readable by
other users), that it is a queuectl database of the schema version this queuectl expects, that
PostgreSQL answers (password masked), stale worker processes, jobs stuck in processing with an
expired lease, waiting jobs with no worker, that sh (and on Linux setsid) is on PATH, and the
directory of the detached worker's log.

Doctor never changes the database: it opens it read-only, and does not create a missing one.
Exit status: 0 when every check is ok or warn, 1 when any check failed.`,
  options: {
    json: {
      type: "boolean",
      description: 'print {"ok","location","checks":[{"name","status","message","fix"}]}',
    },
  },
  examples: [
    "queuectl doctor",
    "QUEUECTL_DB=postgres://queue@db.internal/jobs queuectl doctor --json",
  ],
  async run(context, args) {
    if (args.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${args.positionals[0]}"`);
    }
    // Loaded here: only doctor needs the checks.
    const { hasFailures, runDoctor } = await import("../../doctor/mod.ts");
    const report = await runDoctor({
      location: context.location,
      source: locationSource(context),
      logFile: defaultLogFile(context),
      path: context.env("PATH"),
      host: hostId(context.env),
      now: context.clock.now(),
      os: Deno.build.os,
    });
    const failed = hasFailures(report);
    if (args.values.json) {
      const checks = report.checks.map((check) => ({ ...check, fix: check.fix ?? null }));
      context.stdout(json({ ok: !failed, location: report.location, checks }));
    } else {
      context.stdout(renderReport(report.checks));
    }
    return failed ? ExitCode.failure : ExitCode.ok;
  },
};

/** Which setting chose the database, as resolveStoreLocation ranks them. */
function locationSource(context: CommandContext): string {
  if (context.dbFlag !== undefined) return "--db";
  if (context.env("QUEUECTL_DB") !== undefined) return "$QUEUECTL_DB";
  return "the default location";
}

/** One line per check (`ok    name  message`), its fix indented below, then the totals. */
function renderReport(
  checks: { name: string; status: string; message: string; fix?: string }[],
): string {
  const width = Math.max(...checks.map((check) => check.name.length));
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${check.status.padEnd(4)}  ${check.name.padEnd(width)}  ${check.message}`);
    if (check.fix) lines.push(`${" ".repeat(width + 8)}fix: ${check.fix}`);
  }
  const count = (status: string) => checks.filter((check) => check.status === status).length;
  lines.push("", `${count("ok")} ok, ${count("warn")} warn, ${count("fail")} fail`);
  return lines.join("\n") + "\n";
}
