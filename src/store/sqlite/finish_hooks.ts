/**
 * Finish hooks on SQLite (see `Store` and `src/finish_hooks.ts`): a trigger on the job's state
 * adds the hook jobs in the very transaction that makes the job final. A trigger, not a call at
 * each place a job ends, because those places are many (a run's finish, a rescue, a cancel of a
 * waiting job, the cancel of every job waiting on one that failed) and a missed one would lose a
 * hook silently; the trigger sees them all, and any added later.
 *
 * What a job without hooks pays: the trigger's WHEN, evaluated only when a job's state changes
 * to a final one; its last term is a primary-key lookup of one config row, made only for jobs
 * without a hook of their own (all the others are the branch on `on_finish`). Nothing else runs.
 *
 * @module
 */

/**
 * The migration that adds finish hooks. Its text is a migration's: never edit it once shipped,
 * add a migration instead.
 *
 * - `on_finish`: the job's own hook (a command or an http(s) URL), NULL for none.
 * - `on_finish_when`: a JSON array of the outcomes it fires on, NULL for every outcome. Matched
 *   as text (`"dead"` within it), so an unreadable value can never fail the finish that reads it.
 * - `hook_for`: on a hook job, the id of the job whose end it reports; such a job fires no hooks.
 *
 * The hook job's id is `hook-` and 16 random hex digits (the trigger cannot call
 * `generateJobId`); `now` is the finish's own `updated_at`, so no clock is read here. Its
 * max_retries is the `max_retries` config's, or 3 (its default in `config.ts`) when unset or not
 * a stored integer from 0 to 1000.
 */
export const FINISH_HOOKS_MIGRATION = `
  ALTER TABLE jobs ADD COLUMN on_finish TEXT;
  ALTER TABLE jobs ADD COLUMN on_finish_when TEXT;
  ALTER TABLE jobs ADD COLUMN hook_for TEXT;

  CREATE TRIGGER jobs_finish_hooks AFTER UPDATE OF state ON jobs
  WHEN NEW.state IN ('completed','dead','canceled') AND OLD.state <> NEW.state
    AND NEW.hook_for IS NULL
    AND (NEW.on_finish IS NOT NULL OR EXISTS (SELECT 1 FROM config WHERE key = 'on_' || NEW.state))
  BEGIN
    INSERT INTO jobs (id, command, state, max_retries, run_at, priority, queue, cwd, shell, env,
      hook_for, created_at, updated_at)
    SELECT 'hook-' || lower(hex(randomblob(8))), hook.command, 'pending',
      coalesce((SELECT CAST(value AS INTEGER) FROM config
                WHERE key = 'max_retries' AND trim(value) NOT GLOB '*[^0-9]*' AND trim(value) <> ''
                  AND length(trim(value)) <= 4 AND CAST(value AS INTEGER) <= 1000), 3),
      NEW.updated_at, NEW.priority, NEW.queue, hook.cwd, hook.shell,
      json_object('QUEUECTL_JOB_ID', NEW.id, 'QUEUECTL_JOB_STATE', NEW.state,
        'QUEUECTL_JOB_EXIT_CODE', coalesce(CAST(NEW.exit_code AS TEXT), ''),
        'QUEUECTL_JOB_QUEUE', NEW.queue, 'QUEUECTL_JOB_COMMAND', NEW.command,
        'QUEUECTL_JOB_ERROR', coalesce(NEW.last_error, '')),
      NEW.id, NEW.updated_at, NEW.updated_at
    FROM (
      SELECT 1 AS n, NEW.on_finish AS command, NEW.cwd AS cwd, NEW.shell AS shell
      WHERE NEW.on_finish IS NOT NULL
        AND (NEW.on_finish_when IS NULL OR instr(NEW.on_finish_when, '"' || NEW.state || '"') > 0)
      UNION ALL
      SELECT 2, value, NULL, NULL FROM config WHERE key = 'on_' || NEW.state
    ) AS hook
    ORDER BY hook.n;
  END;
`;
