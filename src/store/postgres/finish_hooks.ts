/**
 * Finish hooks on PostgreSQL (see `Store` and `src/finish_hooks.ts`): a row trigger on the job's
 * state adds the hook jobs in the very transaction that makes the job final, as on SQLite (see
 * `store/sqlite/finish_hooks.ts` for why a trigger and not a call at every place a job ends).
 *
 * What a job without hooks pays: the trigger's WHEN (no function call) on every change of
 * state; for a job that became final and is no hook job, one call of `add_finish_hooks()`,
 * whose first statement is a primary-key lookup of one config row when the job has no hook of
 * its own, and which returns then. PostgreSQL allows no subquery in a trigger's WHEN, so that
 * lookup cannot move there.
 *
 * @module
 */

/**
 * The migration that adds finish hooks (columns as on SQLite). Its text is a migration's: never
 * edit it once shipped, add a migration instead.
 *
 * The hook job's id is `hook-` and 16 hex digits of a random UUID; `now` is the finish's own
 * `updated_at`, so no clock is read here. Its max_retries is the `max_retries` config's, or 3
 * (its default in `config.ts`) when unset or not a stored integer from 0 to 1000: checked
 * before the cast, since a failed cast would fail the finish itself. Workers are woken on the
 * schema's channel (`<schema>.work`, see `connection.ts`), which `current_schema()` names: the
 * connection's `search_path` starts with it.
 */
export const FINISH_HOOKS_MIGRATION = `
  ALTER TABLE jobs ADD COLUMN on_finish text;
  ALTER TABLE jobs ADD COLUMN on_finish_when text;
  ALTER TABLE jobs ADD COLUMN hook_for text;

  CREATE FUNCTION add_finish_hooks() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    v_global text;
    v_added integer;
  BEGIN
    IF NEW.on_finish IS NULL THEN
      SELECT value INTO v_global FROM config WHERE key = 'on_' || NEW.state;
      IF NOT FOUND THEN RETURN NULL; END IF;
    END IF;
    INSERT INTO jobs (id, command, state, max_retries, run_at, priority, queue, cwd, shell, env,
      hook_for, created_at, updated_at)
    SELECT 'hook-' || left(md5(gen_random_uuid()::text), 16), hook.command, 'pending',
      coalesce((SELECT least(trim(value)::integer, 1000) FROM config
                WHERE key = 'max_retries' AND trim(value) ~ '^[0-9]{1,4}$'), 3),
      NEW.updated_at, NEW.priority, NEW.queue, hook.cwd, hook.shell,
      json_build_object('QUEUECTL_JOB_ID', NEW.id, 'QUEUECTL_JOB_STATE', NEW.state,
        'QUEUECTL_JOB_EXIT_CODE', coalesce(NEW.exit_code::text, ''),
        'QUEUECTL_JOB_QUEUE', NEW.queue, 'QUEUECTL_JOB_COMMAND', NEW.command,
        'QUEUECTL_JOB_ERROR', coalesce(NEW.last_error, ''))::text,
      NEW.id, NEW.updated_at, NEW.updated_at
    FROM (
      SELECT 1 AS n, NEW.on_finish AS command, NEW.cwd AS cwd, NEW.shell AS shell
      WHERE NEW.on_finish IS NOT NULL
        AND (NEW.on_finish_when IS NULL OR strpos(NEW.on_finish_when, '"' || NEW.state || '"') > 0)
      UNION ALL
      SELECT 2, value, NULL, NULL FROM config WHERE key = 'on_' || NEW.state
    ) AS hook
    ORDER BY hook.n;
    GET DIAGNOSTICS v_added = ROW_COUNT;
    IF v_added > 0 THEN
      PERFORM pg_notify(current_schema() || '.work', '');
    END IF;
    RETURN NULL;
  END $$;

  CREATE TRIGGER jobs_finish_hooks AFTER UPDATE OF state ON jobs FOR EACH ROW
  WHEN (NEW.state IN ('completed','dead','canceled') AND OLD.state <> NEW.state
        AND NEW.hook_for IS NULL)
  EXECUTE FUNCTION add_finish_hooks();
`;
