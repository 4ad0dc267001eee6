/** Turning SQLite rows into the store's types. */
import type { SQLInputValue } from "node:sqlite";

export {
  jobFromRow,
  numberOrNull,
  runFromRow,
  scheduleFromRow,
  stringOrNull,
  workerFromRow,
} from "../stored_row.ts";

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLInputValue>;
