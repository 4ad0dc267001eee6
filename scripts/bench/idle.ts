/**
 * Idle cost: the CPU an idle `worker start --count 4` uses (all its threads, children
 * included), from /proc/PID/stat, over 10 s after it has settled.
 *
 * @module
 */
import { join } from "node:path";
import {
  type BenchContext,
  openBenchStore,
  round,
  sleep,
  startWorker,
  timeCli,
  unavailable,
  waitForWorker,
} from "./context.ts";
import { newPostgresDb } from "./postgres.ts";
import { cpuTicks, ticksPerSecond } from "./procfs.ts";

export async function benchIdle(ctx: BenchContext, kind: "sqlite" | "postgres"): Promise<void> {
  const label = kind === "sqlite" ? "SQLite" : "PostgreSQL";
  const title = `idle CPU, worker --count 4 (${label})`;
  if (Deno.build.os !== "linux") {
    ctx.record(`idle_cpu_${kind}`, unavailable(title, "≤ 1% of a core", "needs /proc", "%"));
    return;
  }
  if (kind === "postgres" && ctx.postgresError) {
    ctx.record(`idle_cpu_${kind}`, unavailable(title, "≤ 1% of a core", ctx.postgresError, "%"));
    return;
  }
  const seconds = ctx.quick ? 3 : 10;
  const db = kind === "sqlite" ? join(ctx.dir, "idle.db") : newPostgresDb();
  ctx.log(`idle cost (${label}): ${seconds} s`);
  await timeCli(db, ["status"]);
  const worker = startWorker(db, 4);
  try {
    const store = await openBenchStore(db);
    try {
      await waitForWorker(store, worker);
    } finally {
      await store.close();
    }
    await sleep(ctx.quick ? 1000 : 2000); // past start-up
    const hz = await ticksPerSecond();
    const startTicks = await cpuTicks(worker.pid);
    const start = performance.now();
    await sleep(seconds * 1000);
    const ticks = (await cpuTicks(worker.pid)) - startTicks;
    const elapsed = (performance.now() - start) / 1000;
    if (worker.exited()) throw new Error("The worker exited while idle");
    const percent = (ticks / hz) / elapsed * 100;
    ctx.record(`idle_cpu_${kind}`, {
      title,
      value: percent,
      unit: "% core",
      target: "≤ 1% of a core",
      met: percent <= 1,
      status: "measured",
      note: `${ticks} ticks of 1/${hz} s in ${round(elapsed, 1)} s`,
      raw: { seconds: round(elapsed, 3), cpu_ticks: ticks, ticks_per_second: hz, percent },
    });
  } finally {
    await worker.stop();
  }
}
