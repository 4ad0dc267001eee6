/** Turning PostgreSQL rows into the store's types (bigint columns arrive as numbers). */
import type { PgRow } from "./connection.ts";
import { numberOrNull } from "../stored_row.ts";

export {
  bytesFromColumn,
  jobFromRow,
  runFromRow,
  scheduleFromRow,
  workerFromRow,
} from "../stored_row.ts";
