/**
 * Memory: VmRSS of `worker start --count 8` (one process: the supervisor and its Web Workers are
 * threads of it, one per core, at most 4), idle, while it drains jobs that each print 4 KB, and
 * idle again once its spare threads have stopped (spare_threads.ts). An idle worker runs one Web
 * Worker; the rows say how many ran.
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
  runCli,
  sleep,
  startWorker,
  timeCli,
  unavailable,
  waitFor,
  waitForCompleted,
  waitForWorker,
} from "./context.ts";
import { memoryField, MIB, webWorkerThreads } from "./procfs.ts";

const TARGET_MIB = 120;

/** Samples VmRSS every `intervalMs` until `until` settles; returns the samples in bytes. */
async function sampleRss(
  pid: number,
  intervalMs: number,
  until: Promise<unknown>,
): Promise<number[]> {
  let done = false;
  const ended = until.finally(() => done = true);
  const samples: number[] = [];
  while (!done) {
    samples.push(await memoryField(pid, "VmRSS"));
    await Promise.race([sleep(intervalMs), ended.catch(() => {})]);
  }
  await ended;
  return samples;
}

/**
 * The same run's baseline: VmRSS of a bare `deno run` holding one idle Web Worker, the least any
 * worker process can weigh (Deno, V8, one isolate beside the main one, no queuectl code).
 */
async function bareDenoRss(ctx: BenchContext, sampleMs: number): Promise<number> {
  const script = join(ctx.dir, "bare_web_worker.ts");
  await Deno.writeTextFile(
    script,
    `const url = URL.createObjectURL(new Blob(["postMessage(0)"], { type: "text/javascript" }));
const worker = new Worker(url, { type: "module" });
await new Promise((resolve) => worker.onmessage = resolve);
console.log("ready");
setInterval(() => {}, 60_000);
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    for (let text = ""; !text.includes("ready");) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the bare deno run ended before its Web Worker started");
      text += value;
    }
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    await sleep(1000);
    return Math.max(...await sampleRss(child.pid, 100, sleep(sampleMs)));
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

function row(
  title: string,
  bytes: number,
  bare: number,
  raw: Record<string, unknown>,
  note: string,
): Metric {
  return {
    title,
    value: bytes / MIB,
    unit: "MiB",
    baseline: { name: "deno run, one idle Web Worker", value: round(bare / MIB, 1), unit: "MiB" },
    ratio: round(bytes / bare),
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
    ctx.record(
      "memory_idle_after_load",
      unavailable("RSS, worker --count 8, idle after load", `≤ ${TARGET_MIB} MiB`, reason, "MiB"),
    );
    return;
  }
  const jobs = ctx.quick ? 200 : 1000;
  const db = join(ctx.dir, "memory.db");
  ctx.log(`memory: worker --count 8 idle, then draining ${jobs} jobs`);
  await timeCli(db, ["status"]);
  const file = await jobsFile(ctx.dir, jobs, "seq 1000");
  const bare = await bareDenoRss(ctx, ctx.quick ? 1000 : 3000);
  const store = await openBenchStore(db);
  const worker = startWorker(db, 8);
  try {
    await waitForWorker(store, worker);
    await sleep(ctx.quick ? 1000 : 2000);
    const idle = await sampleRss(worker.pid, 100, sleep(ctx.quick ? 1000 : 3000));
    const idleThreads = await webWorkerThreads(worker.pid);
    const load = await sampleRss(
      worker.pid,
      50,
      (async () => {
        await timeCli(db, ["enqueue", "--file", file]);
        await waitForCompleted(store, jobs, { timeoutMs: 120_000 + jobs * 200, worker });
      })(),
    );
    const peak = await memoryField(worker.pid, "VmHWM");
    const loadThreads = await webWorkerThreads(worker.pid);
    // Spares stop after 6 idle heartbeats: 30 s at the default interval, 3 s at this one (the
    // worker reloads its config at its next heartbeat, within 5 s).
    await runCli(db, ["config", "set", "heartbeat_interval", "0.5"]);
    await waitFor(
      "the spare threads to stop",
      async () => await webWorkerThreads(worker.pid) === 1,
      {
        timeoutMs: 60_000,
        intervalMs: 100,
        worker,
      },
    );
    const after = await sampleRss(worker.pid, 100, sleep(ctx.quick ? 1000 : 3000));
    const idleRss = Math.max(...idle);
    const loadRss = Math.max(...load);
    const afterRss = Math.max(...after);
    /** A row's raw numbers: its samples, and how many Web Workers ran. */
    const sampled = (samples: number[], webWorkers: number) => ({
      samples: samples.length,
      max_mib: round(Math.max(...samples) / MIB),
      median_mib: round(median(samples) / MIB),
      web_workers: webWorkers,
    });
    ctx.record(
      "memory_idle",
      row(
        "RSS, worker --count 8, idle",
        idleRss,
        bare,
        sampled(idle, idleThreads),
        `max of VmRSS samples; ${idleThreads} Web Worker(s) running`,
      ),
    );
    ctx.record(
      "memory_load",
      row(
        "RSS, worker --count 8, load",
        loadRss,
        bare,
        { jobs, command: "seq 1000", ...sampled(load, loadThreads), vm_hwm_mib: round(peak / MIB) },
        `max VmRSS draining ${jobs} jobs; VmHWM ${
          round(peak / MIB, 1)
        } MiB; ${loadThreads} Web Worker(s)`,
      ),
    );
    ctx.record(
      "memory_idle_after_load",
      row(
        "RSS, worker --count 8, idle after load",
        afterRss,
        bare,
        sampled(after, 1),
        "max of VmRSS samples once the spare threads stopped; 1 Web Worker running",
      ),
    );
  } finally {
    await worker.stop();
    await store.close();
  }
}
