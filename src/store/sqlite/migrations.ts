/**
 * The SQLite schema, as numbered, append-only migrations embedded in code (nothing reads a SQL
 * file at run time, so the compiled binary carries its schema). `PRAGMA user_version` holds the
 * number of the last migration applied; `PRAGMA application_id` marks the file as queuectl's.
 *
 * @module
 */
import { FINISH_HOOKS_MIGRATION } from "./finish_hooks.ts";

/** "qctl" in ASCII: tells a queuectl database from any other SQLite file. */
export const APPLICATION_ID = 0x7163746c;

/** Migration N (1-based) is `MIGRATIONS[N - 1]`. Never edit one that has shipped: append. */
export const MIGRATIONS: readonly string[] = [
  // 1: jobs with lease fields from day one, their run history and live output, queues, worker
  // processes, config.
  `
  CREATE TABLE jobs (
    -- A new seq is one more than the largest stored, so seq order is enqueue order. (Without
    -- AUTOINCREMENT, whose bookkeeping costs ~10% of a batch insert: a purged seq may come back,
    -- but its runs, output and links went with it.)
    seq              INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    command          TEXT    NOT NULL,
    state            TEXT    NOT NULL
                     CHECK (state IN ('blocked','pending','processing','completed','failed','dead','canceled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_retries      INTEGER NOT NULL,
    priority         INTEGER NOT NULL DEFAULT 0,
    queue            TEXT    NOT NULL DEFAULT 'default',
    timeout_seconds  REAL,
    backoff_base     REAL,
    cwd              TEXT,
    env              TEXT,    -- JSON object of extra environment variables
    run_at           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    exit_code        INTEGER,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_token      INTEGER NOT NULL DEFAULT 0,
    lease_expires_at INTEGER,
    pgid             INTEGER,
    pgid_start_time  TEXT,
    cancel_requested_at INTEGER,
    unique_key       TEXT
  );
  -- At most one unfinished job per unique key.
  CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('blocked','pending','processing','failed');
  -- The claim walks this index, per queue, and stops at the first due row.
  CREATE INDEX jobs_due ON jobs (queue, priority DESC, run_at, seq)
    WHERE state IN ('pending','failed');
  CREATE INDEX jobs_running ON jobs (queue) WHERE state = 'processing';
  CREATE INDEX jobs_state ON jobs (state, seq);
  CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE state IN ('completed','dead','canceled');
  CREATE INDEX jobs_leased ON jobs (lease_owner) WHERE state = 'processing';
  CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'processing';

  CREATE TABLE job_runs (
    job_seq     INTEGER NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    -- The job's lease_token of that run: unique per job even after a DLQ retry resets attempts.
    run         INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    worker_id   TEXT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    exit_code   INTEGER,
    error       TEXT,
    -- The tail of each stream, and how many bytes the stream had in all.
    stdout      BLOB    NOT NULL DEFAULT x'',
    stderr      BLOB    NOT NULL DEFAULT x'',
    stdout_bytes INTEGER NOT NULL DEFAULT 0,
    stderr_bytes INTEGER NOT NULL DEFAULT 0,
    -- When the job was due for this run (its run_at): due_at → started_at is its wait.
    due_at      INTEGER,
    PRIMARY KEY (job_seq, run)
  ) WITHOUT ROWID;
  -- The dashboard's last hour, and /metrics.
  CREATE INDEX job_runs_finished ON job_runs (finished_at);

  -- Output of runs in progress, appended as it comes (for logs --follow); trimmed to the tail,
  -- and removed when the run ends (its tail moves to job_runs).
  CREATE TABLE job_output (
    job_seq INTEGER NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    run     INTEGER NOT NULL,
    stream  TEXT    NOT NULL CHECK (stream IN ('stdout','stderr')),
    offset  INTEGER NOT NULL,  -- byte offset of data within the stream
    data    BLOB    NOT NULL,
    PRIMARY KEY (job_seq, run, stream, offset)
  ) WITHOUT ROWID;

  -- A child runs only after all its parents completed.
  CREATE TABLE job_dependencies (
    child_seq  INTEGER NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    parent_seq INTEGER NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    PRIMARY KEY (child_seq, parent_seq)
  ) WITHOUT ROWID;
  CREATE INDEX job_dependencies_parent ON job_dependencies (parent_seq);

  -- Cron schedules; next_run_at is also the compare-and-set token that makes one process win
  -- each scheduled time.
  CREATE TABLE schedules (
    name        TEXT    PRIMARY KEY,
    cron        TEXT    NOT NULL,
    timezone    TEXT    NOT NULL,
    job         TEXT    NOT NULL,  -- JSON: command and job options of each run
    missed      TEXT    NOT NULL CHECK (missed IN ('run-once','skip')),
    paused      INTEGER NOT NULL DEFAULT 0,
    next_run_at INTEGER,
    last_run_at INTEGER,
    created_at  INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- Every queue that has had a job, with its concurrency limit across all workers (NULL: none).
  CREATE TABLE queues (
    name        TEXT PRIMARY KEY,
    concurrency INTEGER
  ) WITHOUT ROWID;

  CREATE TABLE workers (
    id             TEXT    PRIMARY KEY,
    host           TEXT    NOT NULL,
    pid            INTEGER NOT NULL,
    pid_start_time TEXT,
    concurrency    INTEGER NOT NULL,
    started_at     INTEGER NOT NULL,
    heartbeat_at   INTEGER NOT NULL,
    stop_requested TEXT CHECK (stop_requested IN ('drain','now'))
  );

  CREATE TABLE config (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: a job's own shell (NULL: the shell config when it runs). A new column at the end, NULL
  // for every stored job: no table rewrite.
  `
  ALTER TABLE jobs ADD COLUMN shell TEXT;
  `,
  // 3: job counts per state, kept by triggers, so `status` answers at once however many jobs
  // there are (a count over 1M rows took ~70 ms, ~170 ms with the worker's page cache). Writers
  // are serialized in SQLite anyway, so the counter rows cost no concurrency; ~0.2 µs per insert.
  `
  CREATE TABLE job_counts (
    state TEXT    PRIMARY KEY,
    n     INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO job_counts (state, n) SELECT state, count(*) FROM jobs GROUP BY state;
  CREATE TRIGGER jobs_counted_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts (state, n) VALUES (NEW.state, 1)
      ON CONFLICT (state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER jobs_counted_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
  END;
  CREATE TRIGGER jobs_counted_update AFTER UPDATE OF state ON jobs
  WHEN OLD.state <> NEW.state BEGIN
    UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
    INSERT INTO job_counts (state, n) VALUES (NEW.state, 1)
      ON CONFLICT (state) DO UPDATE SET n = n + 1;
  END;
  `,
  // 4: pausing a queue, and retrying only on chosen exit codes (issue #20). New nullable columns
  // at the end: no table rewrite. A queue is paused while paused_at is set and paused_until is
  // NULL (until resumed) or still ahead: the claim reads both from the queues row it already
  // looks at, so a timed pause ends by itself. retry_on / no_retry_on hold JSON arrays of exit
  // codes (NULL: not set); the policy that reads them is TypeScript (worker/backoff.ts).
  `
  ALTER TABLE queues ADD COLUMN paused_at INTEGER;
  ALTER TABLE queues ADD COLUMN paused_until INTEGER;
  ALTER TABLE queues ADD COLUMN retry_on TEXT;
  ALTER TABLE queues ADD COLUMN no_retry_on TEXT;
  ALTER TABLE jobs ADD COLUMN retry_on TEXT;
  ALTER TABLE jobs ADD COLUMN no_retry_on TEXT;
  `,
  // 5: finish hooks (issue #20): jobs.on_finish, on_finish_when, hook_for and the trigger that
  // adds hook jobs when a job becomes final. The text lives beside its reasons, in
  // finish_hooks.ts.
  FINISH_HOOKS_MIGRATION,
  // 6 (batches, issue #20): a batch of jobs with one status and the callbacks run when it
  // settles. open_jobs counts its jobs not in a final state; the triggers below keep it, so every
  // path that moves a job (finish, rescue, cancel, a parent's cascade, retry) counts without
  // knowing of batches, and a job without a batch pays one WHEN test. The callbacks are jobs
  // added blocked with the batch (ids and defaults resolved by the enqueue, in TypeScript): the
  // settle only releases the one of the outcome and cancels the other, guarded by
  // state = 'blocked', so a batch run again (retry) never releases one twice.
  `
  ALTER TABLE jobs ADD COLUMN batch TEXT;
  CREATE INDEX jobs_batch ON jobs (batch, state) WHERE batch IS NOT NULL;
  CREATE TABLE batches (
    name            TEXT    PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    open_jobs       INTEGER NOT NULL DEFAULT 0,
    settled_at      INTEGER,
    outcome         TEXT,  -- 'completed' or 'failed' once settled
    on_complete     TEXT,  -- the callbacks' commands (compared when a later enqueue names them)
    on_complete_job TEXT,
    on_failure      TEXT,
    on_failure_job  TEXT
  ) WITHOUT ROWID;
  CREATE TRIGGER jobs_batch_reopened AFTER UPDATE OF state ON jobs
  WHEN NEW.batch IS NOT NULL AND OLD.state IN ('completed','dead','canceled')
    AND NEW.state NOT IN ('completed','dead','canceled') BEGIN
    UPDATE batches SET open_jobs = open_jobs + 1 WHERE name = NEW.batch;
  END;
  CREATE TRIGGER jobs_batch_finished AFTER UPDATE OF state ON jobs
  WHEN NEW.batch IS NOT NULL AND OLD.state NOT IN ('completed','dead','canceled')
    AND NEW.state IN ('completed','dead','canceled') BEGIN
    UPDATE batches SET open_jobs = open_jobs - 1 WHERE name = NEW.batch;
    UPDATE batches SET settled_at = NEW.updated_at,
      outcome = CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE batch = NEW.batch
                                  AND state <> 'completed') THEN 'failed' ELSE 'completed' END
    WHERE name = NEW.batch AND open_jobs <= 0 AND settled_at IS NULL;
    -- An env that is no JSON (a row edited by hand) stays as it is: the run reports it.
    UPDATE jobs SET state = 'pending', run_at = NEW.updated_at, updated_at = NEW.updated_at,
      env = CASE WHEN NOT json_valid(coalesce(env, '{}')) THEN env
        ELSE json_set(coalesce(env, '{}'), '$.QUEUECTL_BATCH', NEW.batch,
        '$.QUEUECTL_BATCH_OUTCOME',
        (SELECT outcome FROM batches WHERE name = NEW.batch),
        '$.QUEUECTL_BATCH_COMPLETED', (SELECT CAST(count(*) AS TEXT) FROM jobs
                                       WHERE batch = NEW.batch AND state = 'completed'),
        '$.QUEUECTL_BATCH_DEAD', (SELECT CAST(count(*) AS TEXT) FROM jobs
                                  WHERE batch = NEW.batch AND state = 'dead'),
        '$.QUEUECTL_BATCH_CANCELED', (SELECT CAST(count(*) AS TEXT) FROM jobs
                                      WHERE batch = NEW.batch AND state = 'canceled')) END
    WHERE state = 'blocked' AND id = (
      SELECT CASE outcome WHEN 'completed' THEN on_complete_job ELSE on_failure_job END
      FROM batches WHERE name = NEW.batch AND settled_at IS NOT NULL);
    UPDATE jobs SET state = 'canceled', finished_at = NEW.updated_at, updated_at = NEW.updated_at,
      last_error = 'Canceled: batch "' || NEW.batch || '" settled ' ||
        (SELECT outcome FROM batches WHERE name = NEW.batch) || ', so this callback does not apply'
    WHERE state = 'blocked' AND id = (
      SELECT CASE outcome WHEN 'completed' THEN on_failure_job ELSE on_complete_job END
      FROM batches WHERE name = NEW.batch AND settled_at IS NOT NULL);
  END;
  `,
  // 7: rate limits and per-group concurrency in the claim (issue #20). New nullable columns at
  // the end: no table rewrite. queue_starts holds the start times of a rate-limited queue's
  // recent claims (written and pruned in the claim's transaction; no rows for other queues), so
  // the count of starts in the window is exact across processes. jobs_running_group counts the
  // running jobs of one (queue, group_key); jobs without a group key are not in it.
  `
  ALTER TABLE jobs ADD COLUMN group_key TEXT;
  ALTER TABLE queues ADD COLUMN rate_limit INTEGER;
  ALTER TABLE queues ADD COLUMN rate_period_ms INTEGER;
  ALTER TABLE queues ADD COLUMN group_concurrency INTEGER;
  CREATE TABLE queue_starts (
    queue      TEXT    NOT NULL,
    started_at INTEGER NOT NULL
  );
  CREATE INDEX queue_starts_window ON queue_starts (queue, started_at);
  CREATE INDEX jobs_running_group ON jobs (queue, group_key)
    WHERE state = 'processing' AND group_key IS NOT NULL;
  `,
  // 8: unique-key policies (issue #20). The policy and debounce cap a job was enqueued with,
  // shown by info; the decision (keep, replace, debounce) is TypeScript (unique_policy.ts), and
  // the partial unique index of migration 1 still allows one unfinished job per key.
  `
  ALTER TABLE jobs ADD COLUMN unique_policy TEXT;
  ALTER TABLE jobs ADD COLUMN debounce_max_ms INTEGER;
  `,
];
