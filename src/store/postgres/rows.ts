/** Turning PostgreSQL rows into the store's types (bigint columns arrive as numbers). */

export {
  bytesFromColumn,
  jobFromRow,
  runFromRow,
  scheduleFromRow,
  workerFromRow,
} from "../stored_row.ts";
