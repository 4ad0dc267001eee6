/**
 * Enqueue costs through the CLI: one `enqueue` call against an empty `deno run`; a batch of
 * `enqueue --file` on SQLite (against a plain node:sqlite insert of the same rows) and on
 * PostgreSQL.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BenchContext,
  jobsFile,
  median,
  round,
  timeCli,
  timeCommand,
  unavailable,
} from "./context.ts";
import { newPostgresDb } from "./postgres.ts";

const BASELINE_SCRIPT = fileURLToPath(new URL("./sqlite_insert_baseline.ts", import.meta.url));

/** The wall time of `deno run -A` of an empty script: Deno's own start-up. */
export async function emptyDenoRunMs(dir: string): Promise<number> {
  const empty = join(dir, "empty.ts");
  await Deno.writeTextFile(empty, "");
  return await timeCommand(Deno.execPath(), ["run", "-A", empty]);
}

export async function benchSingleEnqueue(ctx: BenchContext): Promise<void> {
  const db = join(ctx.dir, "enqueue.db");
  const rounds = ctx.quick ? 10 : 30;
  ctx.log(`single enqueue: ${rounds} rounds`);
  await timeCli(db, ["status"]); // create + warm up
  await emptyDenoRunMs(ctx.dir);
  const baseline: number[] = [];
  const enqueue: number[] = [];
  for (let i = 0; i < rounds; i++) {
    baseline.push(await emptyDenoRunMs(ctx.dir));
    enqueue.push(await timeCli(db, ["enqueue", "--", "true"]));
  }
  const ratio = median(enqueue) / median(baseline);
  ctx.record("single_enqueue", {
    title: "single enqueue (CLI call)",
    value: median(enqueue),
    unit: "ms",
    baseline: { name: "empty deno run", value: median(baseline), unit: "ms" },
    ratio,
    target: "≤ 1.5× empty deno run",
    met: ratio <= 1.5,
    status: "measured",
    raw: {
      rounds,
      enqueue_ms: enqueue.map((value) => round(value)),
      empty_deno_run_ms: baseline.map((value) => round(value)),
    },
  });
}

export async function benchBatchEnqueue(ctx: BenchContext): Promise<void> {
  const jobs = ctx.quick ? 20_000 : 100_000;
  const rounds = ctx.quick ? 1 : 3;
  const file = await jobsFile(ctx.dir, jobs);
  ctx.log(`batch enqueue (SQLite): ${jobs} jobs, ${rounds} round(s), and the node:sqlite baseline`);
  const queuectl: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const db = join(ctx.dir, `batch-${round}.db`);
    const plain = join(ctx.dir, `batch-plain-${round}.db`);
    await timeCli(db, ["status"]); // create the file
    await timeCli(plain, ["status"]); // the same schema, for the baseline
    queuectl.push(await timeCli(db, ["enqueue", "--file", file]));
    baseline.push(
      await timeCommand(Deno.execPath(), ["run", "-A", BASELINE_SCRIPT, plain, file]),
    );
  }
  const rate = jobs / (median(queuectl) / 1000);
  const baselineRate = jobs / (median(baseline) / 1000);
  const raw = {
    jobs,
    queuectl_ms: queuectl.map((value) => round(value)),
    node_sqlite_baseline_ms: baseline.map((value) => round(value)),
    queuectl_jobs_per_s: round(rate),
    baseline_jobs_per_s: round(baselineRate),
  };
  ctx.record("batch_enqueue", {
    title: "batch enqueue --file (SQLite)",
    value: rate,
    unit: "jobs/s",
    target: "≥ 200000 jobs/s",
    met: rate >= 200_000,
    status: "measured",
    note: `${jobs} jobs, the whole CLI call, median of ${rounds}`,
    raw,
  });
  ctx.record("batch_enqueue_vs_node_sqlite", {
    title: "batch enqueue vs plain node:sqlite",
    value: rate,
    unit: "jobs/s",
    baseline: { name: "node:sqlite insert", value: baselineRate, unit: "jobs/s" },
    ratio: rate / baselineRate,
    target: "-",
    met: null,
    status: "measured",
    note: "baseline: a deno run that parses the same file, multi-row INSERTs",
    raw,
  });
}

export async function benchBatchEnqueuePostgres(ctx: BenchContext): Promise<void> {
  const title = "batch enqueue --file (PostgreSQL)";
  if (ctx.postgresError) {
    ctx.record(
      "batch_enqueue_postgres",
      unavailable(title, "≥ 100000 jobs/s", ctx.postgresError, "jobs/s"),
    );
    return;
  }
  const jobs = ctx.quick ? 20_000 : 100_000;
  const rounds = ctx.quick ? 1 : 3;
  const file = await jobsFile(ctx.dir, jobs);
  ctx.log(`batch enqueue (PostgreSQL): ${jobs} jobs, ${rounds} round(s)`);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const db = newPostgresDb();
    await timeCli(db, ["status"]); // create the schema
    times.push(await timeCli(db, ["enqueue", "--file", file]));
  }
  const rate = jobs / (median(times) / 1000);
  ctx.record("batch_enqueue_postgres", {
    title,
    value: rate,
    unit: "jobs/s",
    target: "≥ 100000 jobs/s",
    met: rate >= 100_000,
    status: "measured",
    note: `${jobs} jobs, the whole CLI call, median of ${rounds}`,
    raw: { jobs, ms: times.map((value) => round(value)), jobs_per_s: round(rate) },
  });
}
