/**
 * The JSON API under `/api/`: everything the page shows and does, for scripts as well. Shapes
 * follow the CLI's `--json` output (snake_case, ISO 8601 UTC times); errors are
 * `{"error": "…"}` with the status of their kind. Input is checked exactly as the CLI checks it.
 *
 * @module
 */
import { isoTime } from "../clock.ts";
import { type Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { type BatchSpec, enqueueJobs } from "../enqueue.ts";
import { errorMessage, ExitCode, QueuectlError, UsageError } from "../errors.ts";
import { JOB_STATES, type JobState } from "../job.ts";
import {
  jobSpecFromValue,
  parseRunAt,
  validateCommand,
  validateEnv,
  validateJobId,
  validatePriority,
  validateQueueName,
} from "../job_spec.ts";
import type { JobEditParams, OutputChunk, Store, WorkerProcessWithJobs } from "../store/mod.ts";
import {
  batchToJson,
  enqueuedJobToJson,
  jobToJson,
  queueToJson,
  runToJson,
  scheduleToJson,
  workerToJson,
} from "../json_contract.ts";
import { formatRate, parseGroupLimit, parseRate } from "../queue_limits.ts";
import { pauseEnd } from "../queue_pause.ts";
import { RETRY_FILTER_KEYS, retryFilter, retryFinished } from "../retry_finished.ts";
import { liveWorkers } from "../worker/liveness.ts";
import { readJobDetail } from "../job_detail.ts";
import { HttpError, readJsonBody } from "./request_body.ts";

/** Starts worker slots inside the dashboard's process (`--allow-worker-control`). */
export interface WorkerControl {
  /**
   * Starts a worker process of `count` slots; resolves to its id once it runs. What it starts
   * counts in `running()` from the call on (synchronously), so concurrent requests cannot both
   * pass the caps.
   */
  start(count: number): Promise<string>;
  /** The slots, and worker processes, this process runs now (`--workers` and the page's). */
  running(): { slots: number; processes: number };
}

/** What the API handlers work with. */
export interface ApiContext {
  store: Store;
  clock: Clock;
  /** The config in force (read from the store). */
  config(): Promise<Config>;
  /** This host's id, to tell which workers' pids can be checked here. */
  host: string;
  /** The database location, password masked. */
  location: string;
  /** Relative `cwd`s of enqueued jobs resolve against this directory. */
  cwd: string;
  workerControl: WorkerControl | null;
}

/** Largest request body accepted. */
const MAX_BODY_BYTES = 1 << 20;
/** Most slots one `POST /api/workers/start` starts. */
const MAX_START_SLOTS = 64;
/** Most slots the dashboard's process runs in all: beyond it, starting more is refused. */
const MAX_TOTAL_SLOTS = 64;
/**
 * Most worker processes the dashboard's process runs: each has its own threads (~12 MiB each)
 * and store connection, so many small starts would cost more than one big one.
 */
const MAX_WORKER_PROCESSES = 4;
/** Most jobs one page of `/api/jobs` returns. */
const MAX_PAGE = 500;

type Handler = (request: Request, params: string[], url: URL) => Promise<Response>;

/** Answers a request under `/api/`. */
export async function handleApi(
  request: Request,
  url: URL,
  context: ApiContext,
): Promise<Response> {
  const routes: [string, RegExp, Handler][] = [
    ["GET", /^\/api\/overview$/, () => overview(context)],
    ["GET", /^\/api\/jobs$/, (_r, _p, url) => listJobs(context, url)],
    ["POST", /^\/api\/jobs$/, (request) => enqueue(context, request)],
    ["GET", /^\/api\/jobs\/([^/]+)$/, (_r, [id]) => jobDetail(context, id)],
    ["GET", /^\/api\/jobs\/([^/]+)\/output$/, (_r, [id], url) => jobOutput(context, id, url)],
    ["POST", /^\/api\/jobs\/([^/]+)\/cancel$/, (request, [id]) => cancel(context, request, id)],
    ["POST", /^\/api\/jobs\/retry$/, (request) => retryFinishedJobs(context, request)],
    ["POST", /^\/api\/jobs\/([^/]+)\/edit$/, (request, [id]) => edit(context, request, id)],
    ["POST", /^\/api\/dlq\/retry$/, (request) => retryDead(context, request)],
    ["GET", /^\/api\/queues$/, () => queues(context)],
    [
      "POST",
      /^\/api\/queues\/([^/]+)\/pause$/,
      (request, [name]) => pauseQueue(context, request, name),
    ],
    [
      "POST",
      /^\/api\/queues\/([^/]+)\/resume$/,
      (request, [name]) => resumeQueue(context, request, name),
    ],
    ["GET", /^\/api\/batches$/, () => batches(context)],
    ["GET", /^\/api\/batches\/([^/]+)$/, (_r, [name]) => batch(context, name)],
    [
      "POST",
      /^\/api\/queues\/([^/]+)\/rate$/,
      (request, [name]) => setQueueRate(context, request, name),
    ],
    [
      "POST",
      /^\/api\/queues\/([^/]+)\/group-concurrency$/,
      (request, [name]) => setGroupConcurrency(context, request, name),
    ],
    ["GET", /^\/api\/schedules$/, () => schedules(context)],
    ["GET", /^\/api\/workers$/, async () => ok(await workersJson(context))],
    ["POST", /^\/api\/workers\/start$/, (request) => startWorkers(context, request)],
    [
      "POST",
      /^\/api\/workers\/([^/]+)\/stop$/,
      (request, [id]) => stopWorker(context, request, id),
    ],
  ];
  try {
    let pathMatched = false;
    for (const [method, pattern, handler] of routes) {
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (request.method !== method) continue;
      const params = match.slice(1).map((part) => decodeURIComponent(part));
      return await handler(request, params, url);
    }
    return pathMatched
      ? errorResponse(405, `${request.method} is not allowed on ${url.pathname}`)
      : errorResponse(404, `No such API endpoint: ${url.pathname}`);
  } catch (error) {
    return errorFromException(error);
  }
}

/** `{"error": message}` with `status`. */
export function errorResponse(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}

function ok(value: unknown, status = 200): Response {
  return Response.json(value, { status });
}

function errorFromException(error: unknown): Response {
  if (error instanceof QueuectlError) {
    const status: Record<number, number> = {
      [ExitCode.usage]: 400,
      [ExitCode.notFound]: 404,
      [ExitCode.conflict]: 409,
      [ExitCode.storeUnavailable]: 503,
    };
    return errorResponse(status[error.exitCode] ?? 500, error.message);
  }
  if (error instanceof HttpError) return errorResponse(error.status, error.message);
  if (error instanceof URIError) return errorResponse(400, "Malformed URL encoding");
  return errorResponse(500, `Internal error: ${errorMessage(error)}`);
}

async function overview(context: ApiContext): Promise<Response> {
  const now = context.clock.now();
  const since = Math.floor((now - 3_600_000) / 60_000) * 60_000 + 60_000;
  const [counts, queues, workers, buckets] = await Promise.all([
    context.store.jobCountByState(),
    context.store.queueList(),
    workersJson(context),
    context.store.runStats({ since, bucketMs: 60_000 }),
  ]);
  const byStart = new Map<number, Record<string, number>>();
  const lastHour: Record<string, number> = {};
  for (const bucket of buckets) {
    const outcomes = byStart.get(bucket.start) ?? {};
    outcomes[bucket.outcome] = bucket.count;
    byStart.set(bucket.start, outcomes);
    lastHour[bucket.outcome] = (lastHour[bucket.outcome] ?? 0) + bucket.count;
  }
  const completed = lastHour.completed ?? 0;
  const failed = (lastHour.failed ?? 0) + (lastHour.timeout ?? 0);
  return ok({
    location: context.location,
    counts,
    queues: queues.map((queue) => queueToJson(queue, now)),
    workers,
    throughput: {
      since: isoTime(since),
      bucket_seconds: 60,
      buckets: [...byStart].map(([start, outcomes]) => ({ start: isoTime(start), outcomes })),
    },
    last_hour: {
      runs: Object.values(lastHour).reduce((sum, count) => sum + count, 0),
      completed,
      failed,
      failure_rate: completed + failed === 0 ? 0 : failed / (completed + failed),
    },
    worker_control: context.workerControl !== null,
  });
}

async function listJobs(context: ApiContext, url: URL): Promise<Response> {
  const query = url.searchParams;
  const states = listParam(query.get("state")).map((state) => {
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new UsageError(`Unknown state "${state}": use ${JOB_STATES.join(", ")}`);
    }
    return state as JobState;
  });
  const queues = listParam(query.get("queue")).map((queue) => validateQueueName(queue));
  const limit = intParam(query.get("limit"), 50, 1, MAX_PAGE, "limit");
  const offset = intParam(query.get("offset"), 0, 0, Number.MAX_SAFE_INTEGER, "offset");
  const search = query.get("q") ?? undefined;
  // PostgreSQL refuses NUL in text; other control characters are no job's either.
  if (search !== undefined && hasControlCharacter(search)) {
    throw new UsageError(`Invalid q ${JSON.stringify(search)}: it contains a control character`);
  }
  const batchName = query.get("batch");
  const filter = {
    states,
    queues: queues.length > 0 ? queues : undefined,
    search,
    batch: batchName === null ? undefined : validateQueueName(batchName, "batch"),
  };
  const [jobs, total] = await Promise.all([
    context.store.jobList({ ...filter, order: "newest", limit, offset }),
    context.store.jobCount(filter),
  ]);
  return ok({ jobs: jobs.map(jobToJson), total, limit, offset });
}

async function jobDetail(context: ApiContext, rawId: string): Promise<Response> {
  const id = validateJobId(rawId);
  const detail = await readJobDetail(context.store, id);
  if (!detail) return errorResponse(404, `No job with id "${id}"`);
  return ok({
    ...jobToJson(detail.job),
    runs: detail.runs.map(runToJson),
    parents: detail.parents,
    children: detail.children,
  });
}

async function jobOutput(context: ApiContext, rawId: string, url: URL): Promise<Response> {
  const id = validateJobId(rawId);
  const job = await context.store.jobGet({ id });
  if (!job) return errorResponse(404, `No job with id "${id}"`);
  const from = {
    stdout: intParam(url.searchParams.get("stdout"), 0, 0, Number.MAX_SAFE_INTEGER, "stdout"),
    stderr: intParam(url.searchParams.get("stderr"), 0, 0, Number.MAX_SAFE_INTEGER, "stderr"),
  };
  if (job.state !== "processing") {
    return ok({
      state: job.state,
      run: null,
      stdout: { offset: from.stdout, next: from.stdout, text: "" },
      stderr: { offset: from.stderr, next: from.stderr, text: "" },
    });
  }
  const chunks = await context.store.jobOutputRead({ id, run: job.leaseToken, from });
  return ok({
    state: job.state,
    run: job.attempts,
    stdout: streamText(chunks, "stdout", from.stdout),
    stderr: streamText(chunks, "stderr", from.stderr),
  });
}

/**
 * One stream's bytes from `from` on (or from the oldest byte still kept), up to the last whole
 * UTF-8 character: `next` is where to ask from next time.
 */
function streamText(chunks: OutputChunk[], stream: "stdout" | "stderr", from: number) {
  const mine = chunks.filter((chunk) => chunk.stream === stream)
    .sort((a, b) => a.offset - b.offset);
  const offset = Math.max(from, mine[0]?.offset ?? from);
  const parts: Uint8Array[] = [];
  let cursor = offset;
  for (const chunk of mine) {
    const end = chunk.offset + chunk.data.length;
    if (end <= cursor || chunk.offset > cursor) continue;
    parts.push(chunk.data.subarray(cursor - chunk.offset));
    cursor = end;
  }
  const bytes = new Uint8Array(cursor - offset);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  const whole = wholeCharacters(bytes);
  return {
    offset,
    next: offset + whole,
    text: new TextDecoder().decode(bytes.subarray(0, whole)),
  };
}

/** How many leading bytes end on a UTF-8 character boundary. */
function wholeCharacters(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

async function enqueue(context: ApiContext, request: Request): Promise<Response> {
  const body = await readJson(request);
  // A job's fields, and for a batch its callbacks ("on_complete", "on_failure": commands).
  let callbacks: BatchSpec | undefined;
  let fields = body;
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const { on_complete: onComplete, on_failure: onFailure, ...rest } = body as Record<
      string,
      unknown
    >;
    fields = rest;
    if (onComplete !== undefined || onFailure !== undefined) {
      if (rest.batch === undefined) {
        throw new UsageError(
          `"${onComplete !== undefined ? "on_complete" : "on_failure"}" needs "batch"`,
        );
      }
      callbacks = {
        name: validateQueueName(rest.batch, "batch"),
        onComplete: onComplete === undefined
          ? undefined
          : validateCommand(onComplete, "on_complete"),
        onFailure: onFailure === undefined ? undefined : validateCommand(onFailure, "on_failure"),
      };
    }
  }
  const spec = jobSpecFromValue(fields);
  const [result] = await enqueueJobs(context.store, context.clock, [spec], {
    cwd: context.cwd,
    batch: callbacks,
  });
  return ok(enqueuedJobToJson(result), result.existing ? 200 : 201);
}

async function batches(context: ApiContext): Promise<Response> {
  return ok((await context.store.batchList()).map(batchToJson));
}

async function batch(context: ApiContext, raw: string): Promise<Response> {
  const name = validateQueueName(raw, "batch name");
  const found = await context.store.batchGet({ name });
  if (!found) return errorResponse(404, `No batch "${name}"`);
  return ok(batchToJson(found));
}

async function queues(context: ApiContext): Promise<Response> {
  const now = context.clock.now();
  return ok((await context.store.queueList()).map((queue) => queueToJson(queue, now)));
}

/** `{"until": ISO}`, `{"for": "2h"}` or `{}` (until resumed); creates an unknown queue. */
async function pauseQueue(context: ApiContext, request: Request, raw: string): Promise<Response> {
  const body = objectBody(
    await readJson(request, {}),
    ["until", "for"],
    '{"until": "2026-12-01T09:00:00Z"}, {"for": "2h"} or {}',
  );
  const name = validateQueueName(raw);
  const now = context.clock.now();
  const until = pauseEnd({ until: body.until, duration: body.for }, now, ["until", "for"]);
  await context.store.queueSetPaused({ name, pausedAt: now, pausedUntil: until });
  return ok({ name, paused: true, paused_until: isoTime(until) });
}

async function resumeQueue(context: ApiContext, request: Request, raw: string): Promise<Response> {
  objectBody(await readJson(request, {}), [], "{}");
  const name = validateQueueName(raw);
  await context.store.queueSetPaused({ name, pausedAt: null, pausedUntil: null });
  return ok({ name, paused: false, paused_until: null });
}

/** `{"rate": "10/1s"}`, or `{"rate": null}` (or `"off"`) to remove it; creates an unknown queue. */
async function setQueueRate(context: ApiContext, request: Request, raw: string): Promise<Response> {
  const shape = '{"rate": "10/1s"} or {"rate": null}';
  const body = objectBody(await readJson(request), ["rate"], shape);
  if (!("rate" in body)) throw new UsageError(`Missing field "rate": expected ${shape}`);
  const name = validateQueueName(raw);
  const rate = body.rate === null ? null : parseRate(body.rate);
  await context.store.queueSetRate({ name, rate });
  return ok({ name, rate: rate === null ? null : formatRate(rate) });
}

/** `{"group_concurrency": 2}`, or `{"group_concurrency": null}` to remove it. */
async function setGroupConcurrency(
  context: ApiContext,
  request: Request,
  raw: string,
): Promise<Response> {
  const shape = '{"group_concurrency": 2} or {"group_concurrency": null}';
  const body = objectBody(await readJson(request), ["group_concurrency"], shape);
  if (!("group_concurrency" in body)) {
    throw new UsageError(`Missing field "group_concurrency": expected ${shape}`);
  }
  const name = validateQueueName(raw);
  const value = body.group_concurrency;
  if (value !== null && typeof value !== "number") {
    throw new UsageError(
      `Invalid group_concurrency ${
        JSON.stringify(value)
      }: expected an integer from 1 to 100000, or null`,
    );
  }
  const limit = parseGroupLimit(value, "group_concurrency");
  await context.store.queueSetGroupConcurrency({ name, groupConcurrency: limit });
  return ok({ name, group_concurrency: limit });
}

async function cancel(context: ApiContext, request: Request, rawId: string): Promise<Response> {
  objectBody(await readJson(request, {}), [], "{}");
  const id = validateJobId(rawId);
  if (!await context.store.jobGet({ id })) return errorResponse(404, `No job with id "${id}"`);
  return ok(await context.store.jobCancel({ ids: [id], now: context.clock.now() }));
}

async function retryDead(context: ApiContext, request: Request): Promise<Response> {
  const expected = '{"ids": [...]} or {"all": true}';
  const body = objectBody(await readJson(request), ["ids", "all"], expected);
  const now = context.clock.now();
  if (body.all === true && body.ids === undefined) {
    return ok({ retried: await context.store.jobRetryDead({ ids: "all", now }) });
  }
  if (
    body.all !== undefined || !Array.isArray(body.ids) ||
    body.ids.some((id) => typeof id !== "string")
  ) {
    throw new UsageError(`Expected ${expected}`);
  }
  const ids = (body.ids as string[]).map((id) => validateJobId(id));
  return ok({ retried: await context.store.jobRetryDead({ ids, now }) });
}

/**
 * `{"ids": [...]}` or `{"filter": {"state", "queue", "since"}, "dry_run": bool}`: finished jobs
 * run again (`queuectl retry`), answering as `retry --json` does. By filter, when more than one
 * job matches nothing changes unless `"dry_run": false` (the CLI's `--yes`); `"dry_run": true`
 * only lists the matching jobs, however many.
 */
async function retryFinishedJobs(context: ApiContext, request: Request): Promise<Response> {
  const expected = '{"ids": [...]} or {"filter": {"state": "dead"}, "dry_run": false}';
  const body = objectBody(await readJson(request), ["ids", "filter", "dry_run"], expected);
  const now = context.clock.now();
  if (body.ids !== undefined && body.filter !== undefined) {
    throw new UsageError("Give ids or filter, not both");
  }
  if (body.filter !== undefined) {
    const filter = objectBody(
      body.filter,
      [...RETRY_FILTER_KEYS],
      'a filter like {"state": "dead", "queue": "images", "since": "1h"}',
    );
    if (body.dry_run !== undefined && typeof body.dry_run !== "boolean") {
      throw new UsageError("dry_run must be true or false");
    }
    return ok(
      await retryFinished(
        context.store,
        { filter: retryFilter(filter, now, "filter"), dryRun: body.dry_run as boolean | undefined },
        now,
      ),
    );
  }
  if (body.dry_run !== undefined) throw new UsageError("dry_run goes with filter");
  if (
    !Array.isArray(body.ids) || body.ids.length === 0 ||
    body.ids.some((id) => typeof id !== "string")
  ) {
    throw new UsageError(`Expected ${expected} with one or more job ids`);
  }
  return ok(await retryFinished(context.store, { ids: body.ids as string[] }, now));
}

/** `{"command", "env", "priority", "run_at"}` (at least one): changes a waiting job. */
async function edit(context: ApiContext, request: Request, rawId: string): Promise<Response> {
  const fields = ["command", "env", "priority", "run_at"];
  const body = objectBody(await readJson(request), fields, `an object of ${fields.join(", ")}`);
  const id = validateJobId(rawId);
  const params: JobEditParams = { id, now: context.clock.now() };
  if (body.command !== undefined) params.command = validateCommand(body.command);
  if (body.env !== undefined) params.env = validateEnv(body.env);
  if (body.priority !== undefined) params.priority = validatePriority(body.priority);
  if (body.run_at !== undefined) params.runAt = parseRunAt(body.run_at);
  if (Object.keys(params).length === 2) {
    throw new UsageError(`Nothing to change: give ${fields.join(", ")}`);
  }
  return ok(jobToJson(await context.store.jobEdit(params)));
}

async function schedules(context: ApiContext): Promise<Response> {
  return ok((await context.store.scheduleList()).map(scheduleToJson));
}

async function workersJson(context: ApiContext): Promise<Record<string, unknown>[]> {
  const [workers, config] = await Promise.all([context.store.workerList(), context.config()]);
  const alive = new Set(
    (await liveWorkers(workers, { host: context.host, now: context.clock.now(), config }))
      .map((worker: WorkerProcessWithJobs) => worker.id),
  );
  return workers.map((worker) => ({ ...workerToJson(worker), alive: alive.has(worker.id) }));
}

/** Counts the live worker processes (for /metrics). */
export async function aliveWorkerCount(context: ApiContext): Promise<number> {
  return (await workersJson(context)).filter((worker) => worker.alive).length;
}

async function stopWorker(context: ApiContext, request: Request, id: string): Promise<Response> {
  const body = objectBody(await readJson(request, {}), ["mode"], '{"mode": "drain"}');
  if (id.length > 256 || hasControlCharacter(id)) {
    throw new UsageError(`Invalid worker id ${JSON.stringify(id)}`);
  }
  const mode = body.mode ?? "drain";
  if (mode !== "drain" && mode !== "now") throw new UsageError('mode must be "drain" or "now"');
  const stopping = await context.store.workerRequestStop({ ids: [id], mode });
  if (stopping.length === 0) return errorResponse(404, `No worker process "${id}"`);
  return ok({ stopping });
}

async function startWorkers(context: ApiContext, request: Request): Promise<Response> {
  if (!context.workerControl) {
    return errorResponse(
      403,
      "Starting workers from the dashboard is off: run it with --allow-worker-control",
    );
  }
  const body = objectBody(await readJson(request), ["count"], '{"count": 2}');
  const count = body.count;
  if (
    typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > MAX_START_SLOTS
  ) {
    throw new UsageError(`count must be an integer from 1 to ${MAX_START_SLOTS}`);
  }
  // Checked and started with no await in between: concurrent requests see each other's slots.
  const { slots, processes } = context.workerControl.running();
  if (slots + count > MAX_TOTAL_SLOTS) {
    return errorResponse(
      409,
      `This dashboard already runs ${slots} worker slots: ${count} more would pass its limit of ` +
        `${MAX_TOTAL_SLOTS}`,
    );
  }
  if (processes >= MAX_WORKER_PROCESSES) {
    return errorResponse(
      409,
      `This dashboard already runs ${processes} worker processes, its limit: stop one first`,
    );
  }
  return ok({ worker_id: await context.workerControl.start(count) }, 201);
}

/** The request's JSON body (or `fallback` when it has none), at most `MAX_BODY_BYTES`. */
function readJson(request: Request, fallback?: unknown): Promise<unknown> {
  return readJsonBody(request, MAX_BODY_BYTES, fallback);
}

/** `value` as a JSON object with only the `allowed` keys (a usage error otherwise). */
function objectBody(
  value: unknown,
  allowed: string[],
  expected: string,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new UsageError(`Expected a JSON object like ${expected}, got ${got}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new UsageError(
        `Unknown field ${JSON.stringify(key)}: expected ${expected}`,
      );
    }
  }
  return value as Record<string, unknown>;
}

/** Whether `text` has a C0 control character or DEL (NUL among them). */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function listParam(value: string | null): string[] {
  return (value ?? "").split(",").map((part) => part.trim()).filter((part) =>
    part !== "" && part !== "all"
  );
}

function intParam(value: string | null, fallback: number, min: number, max: number, name: string) {
  if (value === null || value === "") return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`Invalid ${name} "${value}": expected an integer from ${min} to ${max}`);
  }
  return number;
}
