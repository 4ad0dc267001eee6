import { NotFoundError, UsageError } from "../../errors.ts";
import { type Job, type JobRun } from "../../job.ts";
import { validateJobId } from "../../job_spec.ts";
import type { OutputStream, Store } from "../../store/mod.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";

/** `queuectl logs ID`: a run's output; `--follow` streams a running job's output live. */
export const logsCommand: CommandDefinition = {
  path: ["logs"],
  summary: "Print a job's output (the last run's by default); --follow streams it live",
  usage: ["logs ID [--attempt N] [--stdout | --stderr] [--follow]"],
  description: `
The job's stdout goes to stdout and its stderr to stderr; --stdout or --stderr prints only that
stream, to stdout. Each run keeps the last output_limit bytes of each stream (config); when more
was cut, a "[queuectl: N earlier bytes cut]" line says so. --follow waits for a pending job to
start, prints its output as it comes, and ends when the run ends.`,
  options: {
    attempt: { type: "string", valueName: "N", description: "the run of attempt N (latest such)" },
    stdout: { type: "boolean", description: "only the job's stdout" },
    stderr: { type: "boolean", description: "only the job's stderr" },
    follow: { type: "boolean", short: "f", description: "stream a running job's output live" },
  },
  examples: [
    "queuectl logs build-1",
    "queuectl logs build-1 --follow",
    "queuectl logs job1 --attempt 2 --stderr",
  ],
  async run(context, args) {
    if (args.positionals.length !== 1) {
      throw new UsageError(`Expected one job id, got ${args.positionals.length}`);
    }
    if (args.values.stdout && args.values.stderr) {
      throw new UsageError("Give --stdout or --stderr, not both (neither prints both)");
    }
    const id = validateJobId(args.positionals[0]);
    const attempt = parseAttempt(args.values.attempt as string | undefined);
    if (attempt !== undefined && args.values.follow) {
      throw new UsageError("--follow streams the current run: it cannot be used with --attempt");
    }
    const store = await context.store();
    const job = await store.jobGet({ id });
    if (!job) throw new NotFoundError(`No job with id "${id}"`);
    const print = printer(context, args.values);
    if (args.values.follow) return await follow(store, job, print);
    const runs = await store.jobRuns({ id });
    if (attempt !== undefined) {
      const run = runs.findLast((run) => run.attempt === attempt);
      if (!run) throw new NotFoundError(`Job "${id}" has no finished run of attempt ${attempt}`);
      return printRun(run, print);
    }
    if (job.state === "processing") {
      // The run in progress: what it has printed so far.
      const chunks = await store.jobOutputRead({
        id,
        run: job.leaseToken,
        from: { stdout: 0, stderr: 0 },
      });
      for (const chunk of chunks) print(chunk.stream, chunk.data);
      return;
    }
    const last = runs.at(-1);
    if (!last) return context.stderr(`Job "${id}" has not run yet (it is ${job.state})\n`);
    printRun(last, print);
  },
};

type Print = (stream: OutputStream, data: Uint8Array) => void;

function printer(context: CommandContext, values: Record<string, unknown>): Print {
  const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  return (stream, data) => {
    if (values.stdout && stream !== "stdout") return;
    if (values.stderr && stream !== "stderr") return;
    const text = decoder[stream].decode(data, { stream: true });
    if (values.stdout || values.stderr || stream === "stdout") context.stdout(text);
    else context.stderr(text);
  };
}

function printRun(run: JobRun, print: Print): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const tail = run[stream];
    const total = stream === "stdout" ? run.stdoutBytes : run.stderrBytes;
    if (total > tail.length) {
      print(
        stream,
        new TextEncoder().encode(`[queuectl: ${total - tail.length} earlier bytes cut]\n`),
      );
    }
    print(stream, tail);
  }
}

/** Streams the current (or next) run's output until that run ends. */
async function follow(store: Store, job: Job, print: Print): Promise<void> {
  const poll = () => new Promise((resolve) => setTimeout(resolve, 100));
  let current: Job | undefined = job;
  while (current && (current.state === "pending" || current.state === "failed")) {
    await poll();
    current = await store.jobGet({ id: job.id });
  }
  if (!current || current.state !== "processing") {
    const last = (await store.jobRuns({ id: job.id })).at(-1);
    if (last) printRun(last, print);
    return;
  }
  const run = current.leaseToken;
  const printed: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  const emit = (stream: OutputStream, offset: number, data: Uint8Array) => {
    if (offset > printed[stream]) {
      print(
        stream,
        new TextEncoder().encode(`[queuectl: ${offset - printed[stream]} bytes skipped]\n`),
      );
      printed[stream] = offset;
    }
    const fresh = data.subarray(printed[stream] - offset);
    if (fresh.length > 0) print(stream, fresh);
    printed[stream] = Math.max(printed[stream], offset + data.length);
  };
  for (;;) {
    for (const chunk of await store.jobOutputRead({ id: job.id, run, from: printed })) {
      emit(chunk.stream, chunk.offset, chunk.data);
    }
    const now = await store.jobGet({ id: job.id });
    if (!now || now.state !== "processing" || now.leaseToken !== run) break;
    await poll();
  }
  // The run ended: its kept tail holds whatever came after the last live read.
  const finished = (await store.jobRuns({ id: job.id })).find((entry) => entry.run === run);
  if (!finished) return;
  emit("stdout", finished.stdoutBytes - finished.stdout.length, finished.stdout);
  emit("stderr", finished.stderrBytes - finished.stderr.length, finished.stderr);
}

function parseAttempt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const attempt = Number(text);
  // A safe integer: a larger one is rounded, and the message would name another attempt.
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new UsageError(
      `Invalid --attempt ${
        JSON.stringify(text)
      }: expected an integer from 1 to ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return attempt;
}
