/**
 * `queuectl doctor`'s checks: where the database is and whether it can be used, whether it is
 * queuectl's and of the schema version this queuectl expects, whether PostgreSQL answers, stale
 * workers and stuck jobs, the programs jobs need, and the worker log's directory. Nothing is
 * changed: the store is only looked at (`peekStore`, read-only), and a missing database is
 * reported, not created.
 *
 * @module
 */
import { configFromOverrides } from "../config.ts";
import { errorMessage } from "../errors.ts";
import { displayLocation, peekStore, type StoreLocation, type StoreReader } from "../store/mod.ts";
import { type Check, fail, ok } from "./check.ts";
import { databaseDirectoryCheck, databasePermissionsCheck, logFileCheck } from "./file_checks.ts";
import { programChecks } from "./host_checks.ts";
import { connectionCheck, databaseChecks, type PeekOutcome } from "./store_checks.ts";
import { workerChecks } from "./worker_checks.ts";

export type { Check, CheckStatus } from "./check.ts";

/** What the doctor looks at. */
export interface DoctorOptions {
  location: StoreLocation;
  /** Where the location came from, for the report: `--db`, `$QUEUECTL_DB`, the default. */
  source: string;
  /** The log `worker start --detach` writes when given no `--log-file`. */
  logFile: string;
  /** The `PATH` jobs' programs are looked up in. */
  path: string | undefined;
  /** This host's id: only its worker processes can be checked by pid. */
  host: string;
  now: number;
  os: typeof Deno.build.os;
}

/** Every finding, in the order they were made. */
export interface DoctorReport {
  /** The database, as it may be printed (password masked). */
  location: string;
  checks: Check[];
}

/**
 * Runs every check. Never throws for what it finds: an unreachable or foreign database is a
 * failed check.
 *
 * @example
 * ```ts
 * import { runDoctor } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const report = await runDoctor({
 *   location: { kind: "sqlite", path: `${dir}/queue.db` },
 *   source: "--db",
 *   logFile: `${dir}/worker.log`,
 *   path: Deno.env.get("PATH"),
 *   host: "test",
 *   now: Date.now(),
 *   os: Deno.build.os,
 * });
 * console.assert(report.checks.find((check) => check.name === "database")?.status === "warn");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { location } = options;
  const display = displayLocation(location);
  const checks: Check[] = [ok("location", `${display} (from ${options.source})`)];
  if (location.kind === "sqlite") {
    checks.push(databaseDirectoryCheck(location.path));
    const permissions = databasePermissionsCheck(location.path);
    if (permissions) checks.push(permissions);
  }
  const outcome: PeekOutcome = await peekStore(location).then(
    (peek) => ({ peek }),
    (error) => ({ error }),
  );
  if (location.kind === "postgres") checks.push(connectionCheck(outcome));
  checks.push(...databaseChecks(outcome, location));
  let overrides: Record<string, string> = {};
  if ("peek" in outcome && outcome.peek.state === "queuectl" && outcome.peek.reader) {
    const read = await readerChecks(outcome.peek.reader, options);
    checks.push(...read.checks);
    overrides = read.overrides;
  }
  checks.push(
    ...programChecks({ path: options.path, os: options.os, configuredShell: overrides.shell }),
    logFileCheck(options.logFile),
  );
  return { location: display, checks };
}

/** True when any check failed (`doctor` then exits 1). */
export function hasFailures(report: DoctorReport): boolean {
  return report.checks.some((check) => check.status === "fail");
}

/** The checks that read the database, and its config overrides (for the shell check). */
async function readerChecks(
  reader: StoreReader,
  options: DoctorOptions,
): Promise<{ checks: Check[]; overrides: Record<string, string> }> {
  try {
    const overrides = await reader.configOverrides();
    const config = configFromOverrides(overrides);
    return {
      checks: await workerChecks({ reader, config, now: options.now, host: options.host }),
      overrides,
    };
  } catch (error) {
    const message = `Cannot read the workers and jobs: ${errorMessage(error)}`;
    return { checks: [fail("workers", message, `run "queuectl doctor" again`)], overrides: {} };
  } finally {
    await reader.close();
  }
}
