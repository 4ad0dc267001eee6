/**
 * Memory: VmRSS of `worker start --count 8` (one process: the supervisor and its 8 Web Workers
 * are threads of it), idle, and while it drains jobs that each print 4 KB.
 *
 * @module
 */
import { join } from "node:path";
import {
  type BenchContext,
  jobsFile,
  median,
  type Metric,
  openBenchStore,
  round,
  sleep,
  startWorker,
  timeCli,
  unavailable,
  waitForCompleted,
  waitForWorker,
  type WorkerHandle,
} from "./context.ts";
import { memoryField, MIB } from "./procfs.ts";

const TARGET_MIB = 120;

/** Samples VmRSS every `intervalMs` until `until` settles; returns the samples in bytes. */
async function sampleRss(
  worker: WorkerHandle,
  intervalMs: number,
  until: Promise<unknown>,
): Promise<number[]> {
  let done = false;
  const ended = until.finally(() => done = true);
  const samples: number[] = [];
  while (!done) {
    samples.push(await memoryField(worker.pid, "VmRSS"));
    await Promise.race([sleep(intervalMs), ended.catch(() => {})]);
  }
  await ended;
  return samples;
}

function row(title: string, bytes: number, raw: Record<string, unknown>, note: string): Metric {
  return {
    title,
    value: bytes / MIB,
    unit: "MiB",
    target: `≤ ${TARGET_MIB} MiB`,
    met: bytes / MIB <= TARGET_MIB,
    status: "measured",
    note,
    raw,
  };
}

export async function benchMemory(ctx: BenchContext): Promise<void> {
  if (Deno.build.os !== "linux") {
    const reason = "needs /proc";
    ctx.record(
      "memory_idle",
      unavailable("RSS, worker --count 8, idle", `≤ ${TARGET_MIB} MiB`, reason, "MiB"),
    );
    ctx.record(
      "memory_load",
      unavailable("RSS, worker --count 8, load", `≤ ${TARGET_MIB} MiB`, reason, "MiB"),
    );
    return;
  }
  const jobs = ctx.quick ? 200 : 1000;
  const db = join(ctx.dir, "memory.db");
  ctx.log(`memory: worker --count 8 idle, then draining ${jobs} jobs`);
  await timeCli(db, ["status"]);
  const file = await jobsFile(ctx.dir, jobs, "seq 1000");
  const store = await openBenchStore(db);
  const worker = startWorker(db, 8);
  try {
    await waitForWorker(store, worker);
    await sleep(ctx.quick ? 1000 : 2000);
    const idle = await sampleRss(worker, 100, sleep(ctx.quick ? 1000 : 3000));
    const load = await sampleRss(
      worker,
      50,
      (async () => {
        await timeCli(db, ["enqueue", "--file", file]);
        await waitForCompleted(store, jobs, { timeoutMs: 120_000 + jobs * 200, worker });
      })(),
    );
    const peak = await memoryField(worker.pid, "VmHWM");
    const idleRss = Math.max(...idle);
    const loadRss = Math.max(...load);
    ctx.record(
      "memory_idle",
      row("RSS, worker --count 8, idle", idleRss, {
        samples: idle.length,
        max_mib: round(idleRss / MIB),
        median_mib: round(median(idle) / MIB),
      }, "max of VmRSS samples"),
    );
    ctx.record(
      "memory_load",
      row("RSS, worker --count 8, load", loadRss, {
        jobs,
        command: "seq 1000",
        samples: load.length,
        max_mib: round(loadRss / MIB),
        median_mib: round(median(load) / MIB),
        vm_hwm_mib: round(peak / MIB),
      }, `max VmRSS draining ${jobs} jobs; VmHWM ${round(peak / MIB, 1)} MiB`),
    );
  } finally {
    await worker.stop();
    await store.close();
  }
}
