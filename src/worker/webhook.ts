/**
 * The webhook form of a finish hook: a hook job whose command is an http(s) URL POSTs the JSON
 * of the job that ended (the shape of `info --json`) to it, instead of running a shell. Its
 * result is a `RunResult` like a command's, so a failed POST is retried (and ends in the DLQ)
 * by the same rules: a 2xx answer is exit code 0; anything else, or no answer, a failure.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { jobDetailToJson } from "../json_contract.ts";
import { readJobDetail } from "../job_detail.ts";
import type { Job } from "../job.ts";
import type { Store } from "../store/mod.ts";
import { VERSION } from "../version.ts";
import { OutputTail } from "./output_tail.ts";
import type { RunResult } from "./run_command.ts";

/** The time limit of a POST whose job has none (`timeout`, `job_timeout`): 30 s. */
export const WEBHOOK_TIMEOUT_MS = 30_000;

/** What a POST needs. */
export interface WebhookOptions {
  /** The hook job (its command is the URL, its `hookFor` the job that ended). */
  hook: Job;
  store: Store;
  /** Stop the POST after this many ms (0: `WEBHOOK_TIMEOUT_MS`). */
  timeoutMs: number;
  outputLimit: number;
  /** Aborting stops the POST (its `reason` is reported back as `stopReason`). */
  signal: AbortSignal;
}

/**
 * POSTs the finished job's JSON to the hook's URL; never throws. The answer's body is kept as
 * the run's stdout (its tail), for `logs` and `info`. Redirects are not followed: a POST
 * redirected would be re-sent as a GET, without the job.
 */
export async function postWebhook(options: WebhookOptions): Promise<RunResult> {
  const { hook, store } = options;
  const stdout = new OutputTail(options.outputLimit);
  const stderr = new OutputTail(0);
  const ended = (fields: Partial<RunResult>): RunResult => ({
    exitCode: null,
    stopReason: null,
    spawnError: null,
    ...fields,
    stdout: { tail: stdout.tail(), total: stdout.total },
    stderr: { tail: stderr.tail(), total: stderr.total },
  });
  const limitMs = options.timeoutMs > 0 ? options.timeoutMs : WEBHOOK_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(limitMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  const url = hook.command.trim();
  try {
    const body = await webhookBody(store, hook);
    const response = await fetch(url, {
      method: "POST",
      body,
      redirect: "manual",
      signal,
      headers: {
        "content-type": "application/json",
        "user-agent": `queuectl/${VERSION}`,
        "x-queuectl-job-id": hook.env?.QUEUECTL_JOB_ID ?? "",
        "x-queuectl-job-state": hook.env?.QUEUECTL_JOB_STATE ?? "",
        "x-queuectl-hook-job-id": hook.id,
      },
    });
    // Read as a stream into the tail: a huge answer costs no more memory than the limit.
    if (response.body) { for await (const chunk of response.body) stdout.push(chunk); }
    if (response.status >= 200 && response.status < 300) return ended({ exitCode: 0 });
    return ended({
      failure: `Webhook POST to ${url} answered ${response.status} ${response.statusText}`.trim(),
    });
  } catch (error) {
    if (options.signal.aborted) return ended({ stopReason: String(options.signal.reason) });
    if (timeout.aborted) {
      return ended({
        stopReason: "timeout",
        failure: `Webhook POST to ${url} got no answer within ${limitMs / 1000} s`,
      });
    }
    return ended({ failure: `Webhook POST to ${url} failed: ${errorMessage(error)}` });
  }
}

/**
 * The body: the job as `info --json` shows it now; a job deleted meanwhile (purged) is sent as
 * what the hook job knows of it, so a purge cannot make its hook fail for ever.
 */
async function webhookBody(store: Store, hook: Job): Promise<string> {
  const detail = hook.hookFor === null ? undefined : await readJobDetail(store, hook.hookFor);
  if (detail) return JSON.stringify(jobDetailToJson(detail));
  const env = hook.env ?? {};
  const exitCode = env.QUEUECTL_JOB_EXIT_CODE;
  return JSON.stringify({
    id: hook.hookFor,
    state: env.QUEUECTL_JOB_STATE ?? null,
    exit_code: exitCode === undefined || exitCode === "" ? null : Number(exitCode),
    queue: env.QUEUECTL_JOB_QUEUE ?? null,
    command: env.QUEUECTL_JOB_COMMAND ?? null,
    last_error: env.QUEUECTL_JOB_ERROR || null,
  });
}
