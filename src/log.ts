/**
 * Logging for long-running processes (workers), through `@logtape/logtape`. Loaded on demand
 * only: short CLI calls never import it, which keeps their start-up fast (an npm import costs
 * ~30 ms under Deno).
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { maskSecrets } from "./store/mod.ts";

export type { Logger };

/** The levels a user may pick with `--log-level`. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;
/** One of `LOG_LEVELS`. */
export type LogLevel = typeof LOG_LEVELS[number];

/**
 * Sends records of category `queuectl` at `level` and above to stderr, or appended to `file`,
 * one human-readable line each, written synchronously so nothing is lost when the process exits.
 * Every URL in a line is masked, and so is each secret of `location` (the database as given),
 * should a message quote one.
 */
export async function setupLogging(
  options: { level: LogLevel; file?: string; location?: string },
): Promise<(category: string) => Logger> {
  const { configure, getLogger, getTextFormatter } = await import("@logtape/logtape");
  const format = getTextFormatter({ timestamp: "date-time-tz", level: "FULL" });
  const output = options.file
    ? Deno.openSync(options.file, { append: true, create: true, mode: 0o600 })
    : Deno.stderr;
  const encoder = new TextEncoder();
  await configure({
    reset: true,
    sinks: {
      text: (record) =>
        writeAll(output, encoder.encode(maskSecrets(format(record), options.location ?? ""))),
    },
    loggers: [
      { category: ["queuectl"], lowestLevel: options.level, sinks: ["text"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["text"] },
    ],
  });
  return (category) => getLogger(["queuectl", category]);
}

function writeAll(output: { writeSync(data: Uint8Array): number }, data: Uint8Array): void {
  let written = 0;
  while (written < data.length) written += output.writeSync(data.subarray(written));
}
