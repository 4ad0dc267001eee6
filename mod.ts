/**
 * queuectl as a library: a Deno/TypeScript program enqueues shell commands, reads the queue's
 * status and waits for jobs on the same database as the `queuectl` CLI, through the same code,
 * without spawning it. Jobs still run in `queuectl worker start` processes, which the library's
 * enqueues wake at once, as the CLI's do.
 *
 * - {@linkcode Queue}: `Queue.open({ db })`, then `enqueue`, `enqueueMany`, `status`, `job`,
 *   `wait`, `queues`, `pauseQueue`, `resumeQueue`, `setQueueRate`, `setGroupConcurrency`,
 *   `retry`, `edit`, `batches`, `batch`, `waitForBatch` and `close` (or `await using`).
 * - What it takes: {@linkcode QueueOptions}, {@linkcode JobInput} (the fields of the
 *   `queuectl enqueue` JSON form), {@linkcode WaitOptions}, {@linkcode BatchOptions},
 *   {@linkcode RetryRequest} with its {@linkcode RetryFilterInput}.
 * - What it returns, in the shapes of the CLI's `--json` output: {@linkcode EnqueuedJob},
 *   {@linkcode EnqueuedJobJson}, {@linkcode JobJson}, {@linkcode JobInfoJson}, {@linkcode RunJson},
 *   {@linkcode StatusJson}, {@linkcode WorkerJson}, {@linkcode QueueJson},
 *   {@linkcode PausedQueueJson}, {@linkcode BatchJson}, {@linkcode BatchCallbackJson},
 *   {@linkcode RetryJson}, {@linkcode RateLimitedQueueJson}, {@linkcode WaitResult},
 *   {@linkcode JobState}.
 * - What it throws, each a {@linkcode QueuectlError} carrying the CLI's exit code:
 *   {@linkcode UsageError} (a bad job or option; 2), {@linkcode NotFoundError} (3),
 *   {@linkcode StoreUnavailableError} (4), {@linkcode ConflictError} (a duplicate id; 5),
 *   {@linkcode WaitTimeoutError} (124).
 *
 * Permissions: `--allow-read` and `--allow-write` for the database's directory (SQLite) or
 * `--allow-net` for the server (PostgreSQL), `--allow-read` for the current directory (where a
 * job's relative `cwd` starts), and `--allow-env` with `--allow-sys=hostname` for
 * `Queue.open()` without `db` and for `status()` (which tells this host's workers by pid);
 * `-A` covers them all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Queue, WaitTimeoutError } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using queue = await Queue.open({ db: `${dir}/queue.db` }); // or QUEUECTL_DB
 *   const build = await queue.enqueue({ id: "build", command: "make", queue: "ci" });
 *   await queue.enqueueMany([
 *     { id: "test", command: "make test", after: ["build"] },
 *     { id: "lint", command: "make lint", after: ["build"] },
 *   ]);
 *   assert.equal((await queue.status()).jobs.blocked, 2);
 *   assert.deepEqual((await queue.job("test"))?.after, [build.id]);
 *   // Resolves once `queuectl worker start` (on this database) has run them.
 *   await assert.rejects(queue.wait(["test", "lint"], { timeoutMs: 50 }), WaitTimeoutError);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./src/client/mod.ts";
