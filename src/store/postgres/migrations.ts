/**
 * The PostgreSQL schema, as numbered, append-only migrations embedded in code. Every object lives
 * in one schema (default `queuectl`, the `schema` parameter of the URL), found through the
 * connection's `search_path`; `schema_migrations` there records what was applied.
 *
 * Times are epoch milliseconds in `bigint` columns, as in the SQLite store, so both stores hand
 * the same numbers to the same code.
 *
 * @module
 */
import { FINISH_HOOKS_MIGRATION } from "./finish_hooks.ts";

/** Migration N (1-based) is `MIGRATIONS[N - 1]`. Never edit one that has shipped: append. */
export const MIGRATIONS: readonly string[] = [
  // 1: jobs with lease fields from day one, their run history and live output, dependencies,
  // schedules, queues, worker processes, config; the claim and finish functions.
  `
  CREATE TABLE jobs (
    seq              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               text    NOT NULL UNIQUE,
    command          text    NOT NULL,
    state            text    NOT NULL
                     CHECK (state IN ('blocked','pending','processing','completed','failed','dead','canceled')),
    attempts         integer NOT NULL DEFAULT 0,
    max_retries      integer NOT NULL,
    priority         integer NOT NULL DEFAULT 0,
    queue            text    NOT NULL DEFAULT 'default',
    timeout_seconds  double precision,
    backoff_base     double precision,
    cwd              text,
    env              text,    -- JSON object of extra environment variables
    run_at           bigint  NOT NULL,
    created_at       bigint  NOT NULL,
    updated_at       bigint  NOT NULL,
    started_at       bigint,
    finished_at      bigint,
    exit_code        integer,
    last_error       text,
    lease_owner      text,
    lease_token      bigint  NOT NULL DEFAULT 0,
    lease_expires_at bigint,
    pgid             integer,
    pgid_start_time  text,
    cancel_requested_at bigint,
    unique_key       text
  );
  -- At most one unfinished job per unique key: also what settles two hosts enqueueing one key.
  CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('blocked','pending','processing','failed');
  -- The claim walks this index, per queue, and stops at the first due row it can lock.
  CREATE INDEX jobs_due ON jobs (queue, priority DESC, run_at, seq)
    WHERE state IN ('pending','failed');
  CREATE INDEX jobs_running ON jobs (queue) WHERE state = 'processing';
  CREATE INDEX jobs_state ON jobs (state, seq);
  CREATE INDEX jobs_finished ON jobs (state, finished_at)
    WHERE state IN ('completed','dead','canceled');
  CREATE INDEX jobs_leased ON jobs (lease_owner) WHERE state = 'processing';
  CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'processing';

  CREATE TABLE job_runs (
    job_seq      bigint  NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    -- The job's lease_token of that run: unique per job even after a DLQ retry resets attempts.
    run          bigint  NOT NULL,
    attempt      integer NOT NULL,
    worker_id    text,
    started_at   bigint  NOT NULL,
    finished_at  bigint  NOT NULL,
    outcome      text    NOT NULL,
    exit_code    integer,
    error        text,
    stdout       bytea   NOT NULL DEFAULT '',
    stderr       bytea   NOT NULL DEFAULT '',
    stdout_bytes bigint  NOT NULL DEFAULT 0,
    stderr_bytes bigint  NOT NULL DEFAULT 0,
    -- When the job was due for this run (its run_at): due_at → started_at is its wait.
    due_at       bigint,
    PRIMARY KEY (job_seq, run)
  );
  -- The dashboard's last hour, and /metrics.
  CREATE INDEX job_runs_finished ON job_runs (finished_at);

  -- Output of runs in progress (for logs --follow), trimmed to the tail, removed when the run
  -- ends (its tail moves to job_runs).
  CREATE TABLE job_output (
    job_seq     bigint NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    run         bigint NOT NULL,
    stream      text   NOT NULL CHECK (stream IN ('stdout','stderr')),
    byte_offset bigint NOT NULL,  -- of data within the stream
    data        bytea  NOT NULL,
    PRIMARY KEY (job_seq, run, stream, byte_offset)
  );

  -- A child runs only after all its parents completed.
  CREATE TABLE job_dependencies (
    child_seq  bigint NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    parent_seq bigint NOT NULL REFERENCES jobs (seq) ON DELETE CASCADE,
    PRIMARY KEY (child_seq, parent_seq)
  );
  CREATE INDEX job_dependencies_parent ON job_dependencies (parent_seq);

  -- Cron schedules; next_run_at is also the compare-and-set token that makes one process win
  -- each scheduled time.
  CREATE TABLE schedules (
    name        text    PRIMARY KEY,
    cron        text    NOT NULL,
    timezone    text    NOT NULL,
    job         text    NOT NULL,  -- JSON: command and job options of each run
    missed      text    NOT NULL CHECK (missed IN ('run-once','skip')),
    paused      boolean NOT NULL DEFAULT false,
    next_run_at bigint,
    last_run_at bigint,
    created_at  bigint  NOT NULL
  );

  -- Every queue that has had a job, with its concurrency limit across all workers (NULL: none).
  -- A claim from a limited queue locks its row, so limits hold across hosts.
  CREATE TABLE queues (
    name        text PRIMARY KEY,
    concurrency integer
  );

  CREATE TABLE workers (
    id             text    PRIMARY KEY,
    host           text    NOT NULL,
    pid            integer NOT NULL,
    pid_start_time text,
    concurrency    integer NOT NULL,
    started_at     bigint  NOT NULL,
    heartbeat_at   bigint  NOT NULL,
    stop_requested text CHECK (stop_requested IN ('drain','now'))
  );

  CREATE TABLE config (
    key   text PRIMARY KEY,
    value text NOT NULL
  );

  -- Takes the next due job for a worker, in one round trip. In PL/pgSQL each statement sees the
  -- database as it is when that statement starts: the running jobs of a limited queue are
  -- counted only after its row is locked, so a claim on another host that held the lock and
  -- committed is always counted. A limited queue another claim holds right now is skipped, not
  -- waited for; unlimited queues take no lock at all.
  CREATE FUNCTION claim_job(p_worker text, p_lease_ms bigint, p_now bigint, p_queues text[])
  RETURNS SETOF jobs LANGUAGE plpgsql AS $$
  DECLARE
    v_locked text[];
  BEGIN
    SELECT coalesce(array_agg(name), '{}') INTO v_locked FROM (
      SELECT name FROM queues
      WHERE concurrency IS NOT NULL AND (p_queues IS NULL OR name = ANY (p_queues))
      ORDER BY name
      FOR NO KEY UPDATE SKIP LOCKED
    ) limited;
    RETURN QUERY
    WITH open_queues AS (
      SELECT q.name FROM queues q
      WHERE (p_queues IS NULL OR q.name = ANY (p_queues))
        AND (q.concurrency IS NULL
             OR (q.name = ANY (v_locked) AND q.concurrency >
                 (SELECT count(*) FROM jobs r WHERE r.queue = q.name AND r.state = 'processing')))
    ), heads AS (
      SELECT head.seq, head.priority, head.run_at FROM open_queues o
      CROSS JOIN LATERAL (
        SELECT j.seq, j.priority, j.run_at FROM jobs j
        WHERE j.queue = o.name AND j.state IN ('pending','failed') AND j.run_at <= p_now
        ORDER BY j.priority DESC, j.run_at, j.seq
        LIMIT 1
        FOR NO KEY UPDATE SKIP LOCKED
      ) head
    ), best AS (
      SELECT seq FROM heads ORDER BY priority DESC, run_at, seq LIMIT 1
    )
    UPDATE jobs SET state = 'processing', attempts = jobs.attempts + 1,
      lease_owner = p_worker, lease_token = jobs.lease_token + 1,
      lease_expires_at = p_now + p_lease_ms, started_at = p_now, finished_at = NULL,
      updated_at = p_now, pgid = NULL, pgid_start_time = NULL
    FROM best WHERE jobs.seq = best.seq
    RETURNING jobs.*;
  END $$;

  -- After a job ended in p_state: children whose parents all completed become pending (locked
  -- first, so two parents finishing at once cannot both miss the last one), or, for dead and
  -- canceled, every job waiting on it becomes canceled. Returns how many were released.
  CREATE FUNCTION settle_children(p_seq bigint, p_id text, p_state text, p_now bigint)
  RETURNS integer LANGUAGE plpgsql AS $$
  DECLARE
    v_released integer := 0;
  BEGIN
    IF p_state = 'completed' THEN
      PERFORM 1 FROM jobs c
      WHERE c.seq IN (SELECT child_seq FROM job_dependencies WHERE parent_seq = p_seq)
      ORDER BY c.seq FOR NO KEY UPDATE;
      UPDATE jobs c SET state = 'pending', updated_at = p_now
      WHERE c.state = 'blocked'
        AND c.seq IN (SELECT child_seq FROM job_dependencies WHERE parent_seq = p_seq)
        AND NOT EXISTS (
          SELECT 1 FROM job_dependencies d JOIN jobs p ON p.seq = d.parent_seq
          WHERE d.child_seq = c.seq AND p.state <> 'completed');
      GET DIAGNOSTICS v_released = ROW_COUNT;
    ELSIF p_state IN ('dead', 'canceled') THEN
      WITH RECURSIVE waiting (seq) AS (
        SELECT child_seq FROM job_dependencies WHERE parent_seq = p_seq
        UNION
        SELECT d.child_seq FROM job_dependencies d JOIN waiting w ON d.parent_seq = w.seq)
      UPDATE jobs SET state = 'canceled', finished_at = p_now, updated_at = p_now,
        last_error = format(
          'Canceled: job "%s", which it waited on (directly or not), ended %s', p_id, p_state)
      WHERE state = 'blocked' AND seq IN (SELECT seq FROM waiting);
    END IF;
    RETURN v_released;
  END $$;

  -- Ends a run under its lease (see Store.jobFinish), in one round trip. Returns whether it was
  -- recorded, and whether other workers should look again (a place in a limited queue came
  -- free, or children became pending).
  CREATE FUNCTION finish_job(
    p_id text, p_lease_token bigint, p_now bigint, p_state text, p_run_at bigint,
    p_exit_code integer, p_error text, p_outcome text, p_stdout bytea, p_stderr bytea,
    p_stdout_bytes bigint, p_stderr_bytes bigint, p_refund boolean, p_expired_before bigint,
    p_channel text,
    OUT recorded boolean, OUT wake boolean)
  LANGUAGE plpgsql AS $$
  DECLARE
    v_job jobs%ROWTYPE;
    v_canceled boolean;
    v_state text;
    v_limited boolean;
    v_released integer;
  BEGIN
    SELECT * INTO v_job FROM jobs
    WHERE id = p_id AND state = 'processing' AND lease_token = p_lease_token
      AND (p_expired_before IS NULL OR lease_expires_at < p_expired_before)
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      recorded := false; wake := false; RETURN;
    END IF;
    v_canceled := v_job.cancel_requested_at IS NOT NULL AND p_state <> 'completed';
    v_state := CASE WHEN v_canceled THEN 'canceled' ELSE p_state END;
    UPDATE jobs SET state = v_state, run_at = coalesce(p_run_at, run_at), exit_code = p_exit_code,
      last_error = CASE WHEN v_canceled THEN 'Canceled by a user while running' ELSE p_error END,
      attempts = v_job.attempts - CASE WHEN p_refund AND NOT v_canceled THEN 1 ELSE 0 END,
      finished_at = CASE WHEN v_state = 'pending' THEN NULL ELSE p_now END,
      updated_at = p_now,
      cancel_requested_at = CASE WHEN v_canceled THEN cancel_requested_at END,
      lease_owner = NULL, lease_expires_at = NULL, pgid = NULL, pgid_start_time = NULL
    WHERE seq = v_job.seq;
    DELETE FROM job_output WHERE job_seq = v_job.seq AND run = p_lease_token;
    INSERT INTO job_runs (job_seq, run, attempt, worker_id, started_at, finished_at, outcome,
      exit_code, error, stdout, stderr, stdout_bytes, stderr_bytes, due_at)
    VALUES (v_job.seq, p_lease_token, v_job.attempts, v_job.lease_owner,
      coalesce(v_job.started_at, p_now), p_now,
      CASE WHEN v_canceled THEN 'canceled' ELSE p_outcome END, p_exit_code, p_error,
      p_stdout, p_stderr, p_stdout_bytes, p_stderr_bytes, v_job.run_at);
    v_released := settle_children(v_job.seq, p_id, v_state, p_now);
    SELECT concurrency IS NOT NULL INTO v_limited FROM queues WHERE name = v_job.queue;
    recorded := true;
    wake := coalesce(v_limited, false) OR v_released > 0;
    IF wake THEN
      PERFORM pg_notify(p_channel, '');
    END IF;
  END $$;
  `,
  // 2: a job's own shell (NULL: the shell config when it runs). Adding a nullable column without
  // a default changes only the catalog, not the rows. claim_job() returns jobs.*, so it returns
  // the new column with no change of its own.
  `
  ALTER TABLE jobs ADD COLUMN shell text;
  `,
  // 3: the finish rules live once, in TypeScript (src/finish_rules.ts): the caller passes both
  // writes a finish can lead to, and finish_job() only picks one by the job's cancel request, in
  // the same statement that locks the job under its lease token, so a finish stays one round
  // trip. What stays here is what must happen inside the database: fencing, the run's history
  // and attempt number, settling children, waking workers. The old function goes: a caller of
  // its signature is a queuectl older than this schema, which refuses to open it anyway.
  `
  DROP FUNCTION finish_job(text, bigint, bigint, text, bigint, integer, text, text, bytea, bytea,
    bigint, bigint, boolean, bigint, text);

  -- One write of a finish (FinishWrite in src/finish_rules.ts).
  CREATE TYPE finish_write AS (
    state              text,
    last_error         text,
    outcome            text,
    refund_attempt     boolean,
    keep_cancel_request boolean,
    finished_at        bigint
  );

  -- Ends a run under its lease (see Store.jobFinish), in one round trip: writes p_if_cancel when
  -- the job has a cancel request, else p_as_proposed. Returns whether it was recorded, and
  -- whether other workers should look again (a place in a limited queue came free, or children
  -- became pending).
  CREATE FUNCTION finish_job(
    p_id text, p_lease_token bigint, p_now bigint, p_run_at bigint, p_exit_code integer,
    p_error text, p_stdout bytea, p_stderr bytea, p_stdout_bytes bigint, p_stderr_bytes bigint,
    p_expired_before bigint, p_channel text, p_as_proposed finish_write, p_if_cancel finish_write,
    OUT recorded boolean, OUT wake boolean)
  LANGUAGE plpgsql AS $$
  DECLARE
    v_job jobs%ROWTYPE;
    v_write finish_write;
    v_limited boolean;
    v_released integer;
  BEGIN
    SELECT * INTO v_job FROM jobs
    WHERE id = p_id AND state = 'processing' AND lease_token = p_lease_token
      AND (p_expired_before IS NULL OR lease_expires_at < p_expired_before)
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
      recorded := false; wake := false; RETURN;
    END IF;
    v_write := CASE WHEN v_job.cancel_requested_at IS NOT NULL THEN p_if_cancel
                    ELSE p_as_proposed END;
    UPDATE jobs SET state = v_write.state, run_at = coalesce(p_run_at, run_at),
      exit_code = p_exit_code, last_error = v_write.last_error,
      attempts = v_job.attempts - CASE WHEN v_write.refund_attempt THEN 1 ELSE 0 END,
      finished_at = v_write.finished_at, updated_at = p_now,
      cancel_requested_at = CASE WHEN v_write.keep_cancel_request THEN cancel_requested_at END,
      lease_owner = NULL, lease_expires_at = NULL, pgid = NULL, pgid_start_time = NULL
    WHERE seq = v_job.seq;
    DELETE FROM job_output WHERE job_seq = v_job.seq AND run = p_lease_token;
    INSERT INTO job_runs (job_seq, run, attempt, worker_id, started_at, finished_at, outcome,
      exit_code, error, stdout, stderr, stdout_bytes, stderr_bytes, due_at)
    VALUES (v_job.seq, p_lease_token, v_job.attempts, v_job.lease_owner,
      coalesce(v_job.started_at, p_now), p_now, v_write.outcome, p_exit_code, p_error,
      p_stdout, p_stderr, p_stdout_bytes, p_stderr_bytes, v_job.run_at);
    v_released := settle_children(v_job.seq, p_id, v_write.state, p_now);
    SELECT concurrency IS NOT NULL INTO v_limited FROM queues WHERE name = v_job.queue;
    recorded := true;
    wake := coalesce(v_limited, false) OR v_released > 0;
    IF wake THEN
      PERFORM pg_notify(p_channel, '');
    END IF;
  END $$;
  `,
  // 4: pausing a queue, and retrying only on chosen exit codes (issue #20). Nullable columns
  // without defaults: a catalog change only. A queue is paused while paused_at is set and
  // paused_until is NULL (until resumed) or still ahead; claim_job() reads both from the queues
  // rows it already reads (one more condition per queue row, no new lookup), so a timed pause
  // ends by itself. retry_on / no_retry_on hold JSON arrays of exit codes (NULL: not set); the
  // policy that reads them is TypeScript (worker/backoff.ts). Same signature, so CREATE OR
  // REPLACE: callers do not change. A paused limited queue is not locked either.
  `
  ALTER TABLE queues ADD COLUMN paused_at bigint;
  ALTER TABLE queues ADD COLUMN paused_until bigint;
  ALTER TABLE queues ADD COLUMN retry_on text;
  ALTER TABLE queues ADD COLUMN no_retry_on text;
  ALTER TABLE jobs ADD COLUMN retry_on text;
  ALTER TABLE jobs ADD COLUMN no_retry_on text;

  CREATE OR REPLACE FUNCTION claim_job(p_worker text, p_lease_ms bigint, p_now bigint,
    p_queues text[])
  RETURNS SETOF jobs LANGUAGE plpgsql AS $$
  DECLARE
    v_locked text[];
  BEGIN
    SELECT coalesce(array_agg(name), '{}') INTO v_locked FROM (
      SELECT name FROM queues
      WHERE concurrency IS NOT NULL AND (p_queues IS NULL OR name = ANY (p_queues))
        AND (paused_at IS NULL OR paused_until <= p_now)
      ORDER BY name
      FOR NO KEY UPDATE SKIP LOCKED
    ) limited;
    RETURN QUERY
    WITH open_queues AS (
      SELECT q.name FROM queues q
      WHERE (p_queues IS NULL OR q.name = ANY (p_queues))
        AND (q.paused_at IS NULL OR q.paused_until <= p_now)
        AND (q.concurrency IS NULL
             OR (q.name = ANY (v_locked) AND q.concurrency >
                 (SELECT count(*) FROM jobs r WHERE r.queue = q.name AND r.state = 'processing')))
    ), heads AS (
      SELECT head.seq, head.priority, head.run_at FROM open_queues o
      CROSS JOIN LATERAL (
        SELECT j.seq, j.priority, j.run_at FROM jobs j
        WHERE j.queue = o.name AND j.state IN ('pending','failed') AND j.run_at <= p_now
        ORDER BY j.priority DESC, j.run_at, j.seq
        LIMIT 1
        FOR NO KEY UPDATE SKIP LOCKED
      ) head
    ), best AS (
      SELECT seq FROM heads ORDER BY priority DESC, run_at, seq LIMIT 1
    )
    UPDATE jobs SET state = 'processing', attempts = jobs.attempts + 1,
      lease_owner = p_worker, lease_token = jobs.lease_token + 1,
      lease_expires_at = p_now + p_lease_ms, started_at = p_now, finished_at = NULL,
      updated_at = p_now, pgid = NULL, pgid_start_time = NULL
    FROM best WHERE jobs.seq = best.seq
    RETURNING jobs.*;
  END $$;
  `,
  // 5: finish hooks (issue #20): jobs.on_finish, on_finish_when, hook_for and the trigger that
  // adds hook jobs when a job becomes final. The text lives beside its reasons, in
  // finish_hooks.ts.
  FINISH_HOOKS_MIGRATION,
  // 6 (batches, issue #20): a batch of jobs with one status and the callbacks run when it
  // settles. open_jobs counts its jobs not in a final state; a trigger keeps it, so every path
  // that moves a job (finish_job, a rescue, a cancel, settle_children's cascade, a retry) counts
  // without knowing of batches and none of their functions changes; a job without a batch pays
  // one WHEN test. The decrement is an UPDATE of the batch row, which takes its row lock: two
  // jobs of one batch finishing at once on two hosts are serialized there, and the second one
  // re-reads the row the first committed (READ COMMITTED), so exactly one sees open_jobs reach 0
  // and settles. The callbacks are jobs added blocked with the batch (ids and defaults resolved by
  // the enqueue, in TypeScript): the settle releases the one of the outcome and cancels the
  // other, each guarded by state = 'blocked'. The channel is the store's (schema.work).
  `
  ALTER TABLE jobs ADD COLUMN batch text;
  CREATE INDEX jobs_batch ON jobs (batch, state) WHERE batch IS NOT NULL;
  CREATE TABLE batches (
    name            text    PRIMARY KEY,
    created_at      bigint  NOT NULL,
    open_jobs       integer NOT NULL DEFAULT 0,
    settled_at      bigint,
    outcome         text,  -- 'completed' or 'failed' once settled
    on_complete     text,  -- the callbacks' commands (compared when a later enqueue names them)
    on_complete_job text,
    on_failure      text,
    on_failure_job  text
  );

  CREATE FUNCTION batch_job_moved() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    v_batch batches%ROWTYPE;
    v_completed bigint;
    v_dead bigint;
    v_canceled bigint;
    v_outcome text;
    v_run text;
  BEGIN
    IF NEW.state NOT IN ('completed','dead','canceled') THEN
      UPDATE batches SET open_jobs = open_jobs + 1 WHERE name = NEW.batch;
      RETURN NULL;
    END IF;
    UPDATE batches SET open_jobs = open_jobs - 1 WHERE name = NEW.batch
    RETURNING * INTO v_batch;
    IF NOT FOUND OR v_batch.open_jobs > 0 OR v_batch.settled_at IS NOT NULL THEN
      RETURN NULL;
    END IF;
    -- A new snapshot, taken with the batch row locked: every other job's move is committed.
    SELECT count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state = 'dead'),
      count(*) FILTER (WHERE state = 'canceled')
    INTO v_completed, v_dead, v_canceled
    FROM jobs WHERE batch = NEW.batch;
    v_outcome := CASE WHEN v_dead + v_canceled = 0 THEN 'completed' ELSE 'failed' END;
    UPDATE batches SET settled_at = NEW.updated_at, outcome = v_outcome WHERE name = NEW.batch;
    v_run := CASE v_outcome WHEN 'completed' THEN v_batch.on_complete_job
                            ELSE v_batch.on_failure_job END;
    BEGIN
      UPDATE jobs SET state = 'pending', run_at = NEW.updated_at, updated_at = NEW.updated_at,
        env = (coalesce(env, '{}')::jsonb || jsonb_build_object(
          'QUEUECTL_BATCH', NEW.batch, 'QUEUECTL_BATCH_OUTCOME', v_outcome,
          'QUEUECTL_BATCH_COMPLETED', v_completed::text, 'QUEUECTL_BATCH_DEAD', v_dead::text,
          'QUEUECTL_BATCH_CANCELED', v_canceled::text))::text
      WHERE state = 'blocked' AND id = v_run;
    EXCEPTION WHEN invalid_text_representation THEN
      -- An env that is no JSON (a row edited by hand) stays as it is: the run reports it.
      UPDATE jobs SET state = 'pending', run_at = NEW.updated_at, updated_at = NEW.updated_at
      WHERE state = 'blocked' AND id = v_run;
    END;
    IF FOUND THEN
      PERFORM pg_notify(current_schema() || '.work', '');
    END IF;
    UPDATE jobs SET state = 'canceled', finished_at = NEW.updated_at, updated_at = NEW.updated_at,
      last_error = format('Canceled: batch "%s" settled %s, so this callback does not apply',
        NEW.batch, v_outcome)
    WHERE state = 'blocked' AND id = CASE v_outcome WHEN 'completed' THEN v_batch.on_failure_job
                                      ELSE v_batch.on_complete_job END;
    RETURN NULL;
  END $$;

  CREATE TRIGGER jobs_batch_moved AFTER UPDATE OF state ON jobs FOR EACH ROW
  WHEN (NEW.batch IS NOT NULL AND (OLD.state IN ('completed','dead','canceled'))
        <> (NEW.state IN ('completed','dead','canceled')))
  EXECUTE FUNCTION batch_job_moved();
  `,
  // 7: rate limits and per-group concurrency in the claim (issue #20). Nullable columns without
  // defaults: a catalog change only. queue_starts holds the start times of a rate-limited
  // queue's recent claims, written and pruned by claim_job() in the claim's statement; no rows
  // for other queues. A queue with any limit (concurrency, rate, group) is locked by
  // claim_job() before its counts are taken (SKIP LOCKED: another claimer of it goes on to
  // other queues), so under READ COMMITTED two claims never both see a place that only one may
  // take; queues without limits are never locked and pay one more NULL test per queue row.
  // The group condition is in the head's scan: a full group's jobs are passed over, so other
  // groups' jobs behind them still start. finish_job() only wakes workers for a queue limit; the
  // trigger wakes them when a grouped job of a group-limited queue ends (a place came free)
  // without replacing that function.
  `
  ALTER TABLE jobs ADD COLUMN group_key text;
  ALTER TABLE queues ADD COLUMN rate_limit integer;
  ALTER TABLE queues ADD COLUMN rate_period_ms bigint;
  ALTER TABLE queues ADD COLUMN group_concurrency integer;
  CREATE TABLE queue_starts (
    queue      text   NOT NULL,
    started_at bigint NOT NULL
  );
  CREATE INDEX queue_starts_window ON queue_starts (queue, started_at);
  CREATE INDEX jobs_running_group ON jobs (queue, group_key)
    WHERE state = 'processing' AND group_key IS NOT NULL;

  CREATE FUNCTION wake_on_group_finish() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF EXISTS (SELECT 1 FROM queues WHERE name = OLD.queue AND group_concurrency IS NOT NULL) THEN
      PERFORM pg_notify(TG_TABLE_SCHEMA || '.work', '');
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER jobs_group_finish AFTER UPDATE OF state ON jobs FOR EACH ROW
    WHEN (OLD.state = 'processing' AND NEW.state <> 'processing' AND OLD.group_key IS NOT NULL)
    EXECUTE FUNCTION wake_on_group_finish();

  CREATE OR REPLACE FUNCTION claim_job(p_worker text, p_lease_ms bigint, p_now bigint,
    p_queues text[])
  RETURNS SETOF jobs LANGUAGE plpgsql AS $$
  DECLARE
    v_locked text[];
  BEGIN
    SELECT coalesce(array_agg(name), '{}') INTO v_locked FROM (
      SELECT name FROM queues
      WHERE (concurrency IS NOT NULL OR rate_limit IS NOT NULL OR group_concurrency IS NOT NULL)
        AND (p_queues IS NULL OR name = ANY (p_queues))
        AND (paused_at IS NULL OR paused_until <= p_now)
      ORDER BY name
      FOR NO KEY UPDATE SKIP LOCKED
    ) limited;
    RETURN QUERY
    WITH open_queues AS (
      SELECT q.name, q.rate_limit, q.rate_period_ms, q.group_concurrency FROM queues q
      WHERE (p_queues IS NULL OR q.name = ANY (p_queues))
        AND (q.paused_at IS NULL OR q.paused_until <= p_now)
        AND ((q.concurrency IS NULL AND q.rate_limit IS NULL AND q.group_concurrency IS NULL)
             OR q.name = ANY (v_locked))
        AND (q.concurrency IS NULL OR q.concurrency >
             (SELECT count(*) FROM jobs r WHERE r.queue = q.name AND r.state = 'processing'))
        AND (q.rate_limit IS NULL OR q.rate_limit >
             (SELECT count(*) FROM queue_starts s
              WHERE s.queue = q.name AND s.started_at > p_now - q.rate_period_ms))
    ), heads AS (
      SELECT head.seq, head.priority, head.run_at FROM open_queues o
      CROSS JOIN LATERAL (
        SELECT j.seq, j.priority, j.run_at FROM jobs j
        WHERE j.queue = o.name AND j.state IN ('pending','failed') AND j.run_at <= p_now
          AND (o.group_concurrency IS NULL OR j.group_key IS NULL OR o.group_concurrency >
               (SELECT count(*) FROM jobs g WHERE g.queue = j.queue AND g.group_key = j.group_key
                  AND g.state = 'processing'))
        ORDER BY j.priority DESC, j.run_at, j.seq
        LIMIT 1
        FOR NO KEY UPDATE SKIP LOCKED
      ) head
    ), best AS (
      SELECT seq FROM heads ORDER BY priority DESC, run_at, seq LIMIT 1
    ), claimed AS (
      UPDATE jobs SET state = 'processing', attempts = jobs.attempts + 1,
        lease_owner = p_worker, lease_token = jobs.lease_token + 1,
        lease_expires_at = p_now + p_lease_ms, started_at = p_now, finished_at = NULL,
        updated_at = p_now, pgid = NULL, pgid_start_time = NULL
      FROM best WHERE jobs.seq = best.seq
      RETURNING jobs.*
    ), started AS (
      INSERT INTO queue_starts (queue, started_at)
      SELECT c.queue, p_now FROM claimed c JOIN open_queues o ON o.name = c.queue
      WHERE o.rate_limit IS NOT NULL
    ), pruned AS (
      DELETE FROM queue_starts s USING claimed c, open_queues o
      WHERE o.name = c.queue AND o.rate_limit IS NOT NULL AND s.queue = c.queue
        AND s.started_at <= p_now - o.rate_period_ms
    )
    SELECT * FROM claimed;
  END $$;
  `,
  // 8: unique-key policies (issue #20). The policy and debounce cap a job was enqueued with,
  // shown by info; the decision (keep, replace, debounce) is TypeScript (unique_policy.ts), and
  // the partial unique index jobs_unique_key still allows one unfinished job per key.
  `
  ALTER TABLE jobs ADD COLUMN unique_policy text, ADD COLUMN debounce_max_ms bigint;
  `,
  // 9: a finish that also claims the slot's next job (Store.jobFinishAndClaim, issue #18): one
  // round trip and one commit per job instead of two. Both functions run unchanged in one
  // transaction; each statement of claim_job() takes a new snapshot, which sees this
  // transaction's finish (the place it freed, the children or hook jobs it released), and the
  // claim's locks are SKIP LOCKED, so it waits for nothing the finish's locks could deadlock
  // with. A finish the fence rejects claims nothing. `next` is NULL when nothing was claimed.
  `
  CREATE FUNCTION finish_claim_job(
    p_id text, p_lease_token bigint, p_now bigint, p_run_at bigint, p_exit_code integer,
    p_error text, p_stdout bytea, p_stderr bytea, p_stdout_bytes bigint, p_stderr_bytes bigint,
    p_expired_before bigint, p_channel text, p_as_proposed finish_write, p_if_cancel finish_write,
    p_worker text, p_lease_ms bigint, p_claim_now bigint, p_queues text[],
    OUT recorded boolean, OUT next jobs)
  LANGUAGE plpgsql AS $$
  BEGIN
    SELECT f.recorded INTO recorded FROM finish_job(p_id, p_lease_token, p_now, p_run_at,
      p_exit_code, p_error, p_stdout, p_stderr, p_stdout_bytes, p_stderr_bytes, p_expired_before,
      p_channel, p_as_proposed, p_if_cancel) f;
    IF recorded THEN
      SELECT * INTO next FROM claim_job(p_worker, p_lease_ms, p_claim_now, p_queues);
    END IF;
  END $$;
  `,
  // 10: a claim that finds nothing says whether a limited queue with a due job was skipped
  // because another transaction held it (`busy`). claim_job() locks limited queues SKIP LOCKED,
  // so that a claimer goes on to other queues rather than wait; but a claimer that lost that race
  // found nothing, and nothing woke it again: two worker processes waking at a rate window's end
  // left one of them idle until its next poll, and one process took every start. Waiting for the
  // lock instead could deadlock two claimers that each hold one queue and want the other's; so
  // the caller looks again a moment later (postgres/claims.ts), once the holder's short
  // transaction has ended. New functions beside the old ones, which stay as they were: a worker
  // of the previous version still running against this schema keeps calling those.
  //
  // claim_next_job() is claim_job() (migration 7's, the same statements) that also returns
  // `busy`: it remembers which limited queues its first statement locked, so any in scope that it
  // did not lock was held by another transaction. Only such a queue with a due job counts: every
  // claimer holds all the limited queues it serves while its transaction lasts, whichever queue
  // it takes a job from.
  `
  CREATE FUNCTION claim_next_job(p_worker text, p_lease_ms bigint, p_now bigint, p_queues text[],
    OUT busy boolean, OUT next jobs)
  LANGUAGE plpgsql AS $$
  DECLARE
    v_locked text[];
  BEGIN
    SELECT coalesce(array_agg(name), '{}') INTO v_locked FROM (
      SELECT name FROM queues
      WHERE (concurrency IS NOT NULL OR rate_limit IS NOT NULL OR group_concurrency IS NOT NULL)
        AND (p_queues IS NULL OR name = ANY (p_queues))
        AND (paused_at IS NULL OR paused_until <= p_now)
      ORDER BY name
      FOR NO KEY UPDATE SKIP LOCKED
    ) limited;
    WITH open_queues AS (
      SELECT q.name, q.rate_limit, q.rate_period_ms, q.group_concurrency FROM queues q
      WHERE (p_queues IS NULL OR q.name = ANY (p_queues))
        AND (q.paused_at IS NULL OR q.paused_until <= p_now)
        AND ((q.concurrency IS NULL AND q.rate_limit IS NULL AND q.group_concurrency IS NULL)
             OR q.name = ANY (v_locked))
        AND (q.concurrency IS NULL OR q.concurrency >
             (SELECT count(*) FROM jobs r WHERE r.queue = q.name AND r.state = 'processing'))
        AND (q.rate_limit IS NULL OR q.rate_limit >
             (SELECT count(*) FROM queue_starts s
              WHERE s.queue = q.name AND s.started_at > p_now - q.rate_period_ms))
    ), heads AS (
      SELECT head.seq, head.priority, head.run_at FROM open_queues o
      CROSS JOIN LATERAL (
        SELECT j.seq, j.priority, j.run_at FROM jobs j
        WHERE j.queue = o.name AND j.state IN ('pending','failed') AND j.run_at <= p_now
          AND (o.group_concurrency IS NULL OR j.group_key IS NULL OR o.group_concurrency >
               (SELECT count(*) FROM jobs g WHERE g.queue = j.queue AND g.group_key = j.group_key
                  AND g.state = 'processing'))
        ORDER BY j.priority DESC, j.run_at, j.seq
        LIMIT 1
        FOR NO KEY UPDATE SKIP LOCKED
      ) head
    ), best AS (
      SELECT seq FROM heads ORDER BY priority DESC, run_at, seq LIMIT 1
    ), claimed AS (
      UPDATE jobs SET state = 'processing', attempts = jobs.attempts + 1,
        lease_owner = p_worker, lease_token = jobs.lease_token + 1,
        lease_expires_at = p_now + p_lease_ms, started_at = p_now, finished_at = NULL,
        updated_at = p_now, pgid = NULL, pgid_start_time = NULL
      FROM best WHERE jobs.seq = best.seq
      RETURNING jobs.*
    ), started AS (
      INSERT INTO queue_starts (queue, started_at)
      SELECT c.queue, p_now FROM claimed c JOIN open_queues o ON o.name = c.queue
      WHERE o.rate_limit IS NOT NULL
    ), pruned AS (
      DELETE FROM queue_starts s USING claimed c, open_queues o
      WHERE o.name = c.queue AND o.rate_limit IS NOT NULL AND s.queue = c.queue
        AND s.started_at <= p_now - o.rate_period_ms
    )
    SELECT * INTO next FROM claimed;
    busy := next.seq IS NULL AND EXISTS (
      SELECT 1 FROM queues q
      WHERE (q.concurrency IS NOT NULL OR q.rate_limit IS NOT NULL
             OR q.group_concurrency IS NOT NULL)
        AND (p_queues IS NULL OR q.name = ANY (p_queues))
        AND (q.paused_at IS NULL OR q.paused_until <= p_now)
        AND NOT (q.name = ANY (v_locked))
        AND EXISTS (SELECT 1 FROM jobs j WHERE j.queue = q.name
                      AND j.state IN ('pending','failed') AND j.run_at <= p_now));
  END $$;

  -- finish_claim_job() with claim_next_job()'s busy: a finish that also claims the slot's next job.
  CREATE FUNCTION finish_claim_next_job(
    p_id text, p_lease_token bigint, p_now bigint, p_run_at bigint, p_exit_code integer,
    p_error text, p_stdout bytea, p_stderr bytea, p_stdout_bytes bigint, p_stderr_bytes bigint,
    p_expired_before bigint, p_channel text, p_as_proposed finish_write, p_if_cancel finish_write,
    p_worker text, p_lease_ms bigint, p_claim_now bigint, p_queues text[],
    OUT recorded boolean, OUT busy boolean, OUT next jobs)
  LANGUAGE plpgsql AS $$
  DECLARE
    v_claim record;
  BEGIN
    SELECT f.recorded INTO recorded FROM finish_job(p_id, p_lease_token, p_now, p_run_at,
      p_exit_code, p_error, p_stdout, p_stderr, p_stdout_bytes, p_stderr_bytes, p_expired_before,
      p_channel, p_as_proposed, p_if_cancel) f;
    busy := false;
    IF recorded THEN
      SELECT * INTO v_claim FROM claim_next_job(p_worker, p_lease_ms, p_claim_now, p_queues);
      busy := v_claim.busy;
      next := v_claim.next;
    END IF;
  END $$;
  `,
];
