/**
 * Cron expressions, through the `croner` package (kept, dependency-free, time-zone aware).
 * Users get the standard 5 fields and the `@hourly`-style nicknames; a seconds field is only
 * accepted when `QUEUECTL_TEST_CRON_SECONDS=1` (a hook for tests, not a user feature).
 *
 * This module loads an npm package: import it lazily (worker, `schedule` commands), never from
 * the start-up path of other commands.
 *
 * @module
 */
import { Cron } from "croner";
import { UsageError } from "../errors.ts";

const NICKNAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** A checked cron expression in a time zone, which can tell its next run time. */
export interface CronSchedule {
  expression: string;
  timezone: string;
  /** The first run time strictly after `after` (epoch ms), or undefined if there is none. */
  nextRunAfter(after: number): number | undefined;
}

/**
 * Checks `expression` and `timezone` (an IANA name, default UTC) and returns the schedule.
 *
 * @example
 * ```ts
 * import { parseCron } from "./cron.ts";
 * const cron = parseCron("*\/5 * * * *", "UTC");
 * console.assert(cron.nextRunAfter(Date.UTC(2026, 0, 1, 0, 1)) === Date.UTC(2026, 0, 1, 0, 5));
 * ```
 */
export function parseCron(
  expression: string,
  timezone = "UTC",
  allowSeconds = secondsAllowed(),
): CronSchedule {
  const trimmed = expression.trim().replace(/\s+/g, " ");
  const fields = trimmed.split(" ").length;
  const nickname = NICKNAMES.includes(trimmed.toLowerCase());
  if (!nickname && fields !== 5 && !(allowSeconds && fields === 6)) {
    throw new UsageError(
      `Invalid cron expression ${
        JSON.stringify(expression)
      }: expected 5 fields (minute hour day-of-month month day-of-week) or one of ${
        NICKNAMES.join(", ")
      }`,
    );
  }
  const zone = canonicalTimezone(timezone);
  let cron: Cron;
  try {
    cron = new Cron(nickname ? trimmed.toLowerCase() : trimmed, { timezone: zone, paused: true });
    cron.nextRun(new Date());
  } catch (error) {
    const message = (error as Error).message;
    if (/timezone/i.test(message)) {
      throw new UsageError(
        `Invalid time zone ${
          JSON.stringify(timezone)
        }: use an IANA name such as UTC or Europe/Berlin`,
      );
    }
    throw new UsageError(
      `Invalid cron expression ${JSON.stringify(expression)}: ${
        message.replace(/^CronPattern: /, "")
      }`,
    );
  }
  return {
    expression: trimmed,
    timezone: zone,
    nextRunAfter: (after) => cron.nextRun(new Date(after))?.getTime(),
  };
}

/**
 * The standard spelling of an IANA zone (`europe/berlin` → `Europe/Berlin`). An empty name is
 * refused: croner would read it as the machine's local zone, which differs between hosts.
 */
function canonicalTimezone(timezone: string): string {
  try {
    if (timezone.trim() === "") throw new Error("empty");
    return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {
    throw new UsageError(
      `Invalid time zone ${
        JSON.stringify(timezone)
      }: use an IANA name such as UTC or Europe/Berlin`,
    );
  }
}

function secondsAllowed(): boolean {
  try {
    return Deno.env.get("QUEUECTL_TEST_CRON_SECONDS") === "1";
  } catch {
    return false;
  }
}
