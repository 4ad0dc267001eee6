/**
 * Every query of the PostgreSQL store, one per `Store` method: what `storeFromQueries` builds the
 * store from. The SQL lives in one module per area; this object only names the queries.
 *
 * @module
 */
import type { StoreQueries } from "../store_from_queries.ts";
import { batchGet, batchList } from "./batches.ts";
import {
  jobClaim,
  jobFinish,
  jobFinishAndClaim,
  jobListRescuable,
  jobNextRunAt,
  jobSetProcess,
  leaseExtend,
} from "./claims.ts";
import type { PgConnection } from "./connection.ts";
import { jobDependencies } from "./dependencies.ts";
import { jobEdit, jobRetryFinished } from "./job_edit.ts";
import { jobInsert } from "./job_insert.ts";
import {
  jobCancel,
  jobCount,
  jobCountByState,
  jobGet,
  jobList,
  jobListCancelRequested,
  jobPurge,
  jobRetryDead,
  jobRuns,
} from "./jobs.ts";
import { jobOutputAppend, jobOutputRead } from "./output.ts";
import {
  scheduleAdd,
  scheduleFire,
  scheduleList,
  scheduleListDue,
  scheduleRemove,
  scheduleSetPaused,
} from "./schedules.ts";
import {
  configOverrides,
  configSet,
  configUnset,
  queueList,
  queueSetConcurrency,
  queueSetPaused,
  queueSetRetry,
  queueSettings,
} from "./settings.ts";
import { jobGroupRunning, queueSetGroupConcurrency, queueSetRate } from "./queue_limits.ts";
import { runStats, runTotals } from "./stats.ts";
import {
  workerDeregister,
  workerHeartbeat,
  workerList,
  workerRegister,
  workerRequestStop,
} from "./workers.ts";

/** The PostgreSQL store's queries, in the order of the `Store` interface. */
export const postgresQueries: StoreQueries<PgConnection> = {
  jobInsert,
  batchList,
  batchGet,
  jobDependencies,
  jobGet,
  jobList,
  jobCountByState,
  jobCount,
  runStats,
  runTotals,
  jobClaim,
  jobNextRunAt,
  jobCancel,
  jobListCancelRequested,
  jobOutputAppend,
  jobOutputRead,
  jobPurge,
  queueSetConcurrency,
  queueList,
  queueSettings,
  queueSetPaused,
  queueSetRetry,
  queueSetRate,
  queueSetGroupConcurrency,
  jobGroupRunning,
  scheduleAdd,
  scheduleList,
  scheduleRemove,
  scheduleSetPaused,
  scheduleListDue,
  scheduleFire,
  jobSetProcess,
  jobFinish,
  jobFinishAndClaim,
  leaseExtend,
  jobListRescuable,
  jobRetryDead,
  jobRetryFinished,
  jobEdit,
  jobRuns,
  workerRegister,
  workerHeartbeat,
  workerList,
  workerRequestStop,
  workerDeregister,
  configOverrides,
  configSet,
  configUnset,
};
