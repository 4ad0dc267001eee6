/**
 * How the CLI shows things to people: aligned tables, relative times (`12s ago`), short
 * durations, and pretty-printed JSON. What the JSON holds is the contract in
 * src/json_contract.ts; a table shows the same values, a stored value queuectl cannot show
 * reading `"invalid"` there too.
 *
 * @module
 */
import { isTimeInRange } from "../clock.ts";
import type { Job } from "../job.ts";
import { countJson, integerJson, INVALID, stateJson } from "../json_contract.ts";

/** A JSON value as a table cell: "-" for null, the number or text as it reads. */
function cell(value: number | string | null): string {
  return value === null ? "-" : String(value);
}

/** Pretty JSON and a newline. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** An aligned table; cells are cut to `maxWidth` characters with an ellipsis. */
export function table(headers: string[], rows: string[][], maxWidth = 60): string {
  const cut = (cell: string) => {
    const flat = cell.replace(/\s+/g, " ");
    return flat.length > maxWidth ? flat.slice(0, maxWidth - 1) + "…" : flat;
  };
  const cells = [headers, ...rows.map((row) => row.map(cut))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) =>
    row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()
  )
    .join("\n") + "\n";
}

/** `12s ago`, `in 4m`, relative to `now`; "invalid" for a time out of range. */
export function relativeTime(ms: number | null, now: number): string {
  if (ms === null) return "-";
  if (!isTimeInRange(ms)) return INVALID;
  const delta = ms - now;
  const text = shortDuration(Math.abs(delta));
  if (Math.abs(delta) < 1000) return "now";
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

/** `850ms`, `12s`, `4m`, `3h`, `2d`. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** How many runs a job may have: `max_retries + 1`, or "invalid". */
export function attemptsAllowed(job: Job): string {
  const maxRetries = countJson(job.maxRetries);
  return maxRetries === INVALID ? INVALID : String(maxRetries + 1);
}

/**
 * The job table shared by `list` and `dlq list`; `waitsOn` gives blocked jobs' NEXT RUN text.
 */
export function jobTable(jobs: Job[], now: number, waitsOn = new Map<string, string>()): string {
  return table(
    ["ID", "STATE", "QUEUE", "PRI", "ATTEMPTS", "NEXT RUN", "UPDATED", "COMMAND"],
    jobs.map((job) => [
      job.id,
      stateJson(job.state),
      job.queue,
      cell(integerJson(job.priority)),
      `${cell(countJson(job.attempts))}/${attemptsAllowed(job)}`,
      waitsOn.get(job.id) ??
        (job.state === "pending" || job.state === "failed" ? relativeTime(job.runAt, now) : "-"),
      relativeTime(job.updatedAt, now),
      job.command,
    ]),
  );
}
