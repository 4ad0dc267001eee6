/**
 * `deno task bench [--quick]`: speed measured as ratios against a baseline taken in the same run
 * (the machines are shared and noisy, so absolute times mean little). Writes a table to stdout
 * and `bench/results.json`.
 *
 * - single enqueue: one `queuectl enqueue` call vs an empty `deno run` (target ≤ 1.5×)
 * - drain: N `true` jobs through `worker start --count 4` vs `xargs -P4 sh -c true`
 *   (target ≥ 0.85 of xargs)
 * - batch enqueue: `enqueue --file` of 100k `{"command":"true"}` lines, the whole CLI call
 *   (target ≥ 100k jobs/s; ≥ 200k for the benchmarks issue)
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock } from "../src/clock.ts";
import { enqueueJobs } from "../src/enqueue.ts";
import { openStore } from "../src/store/mod.ts";

const quick = Deno.args.includes("--quick");
const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const dir = await Deno.makeTempDir({ prefix: "queuectl-bench-" });
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores`,
  deno: Deno.version.deno,
  quick,
};

async function timeCommand(command: string, args: string[], env = {}): Promise<number> {
  const start = performance.now();
  const output = await new Deno.Command(command, { args, env, stdout: "null", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(`${command} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function benchSingleEnqueue(): Promise<void> {
  const empty = join(dir, "empty.ts");
  await Deno.writeTextFile(empty, "");
  const env = { QUEUECTL_DB: join(dir, "enqueue.db") };
  await timeCommand(Deno.execPath(), ["run", "-A", main, "status"], env); // create + warm up
  const rounds = quick ? 10 : 30;
  const baseline: number[] = [];
  const enqueue: number[] = [];
  for (let i = 0; i < rounds; i++) {
    baseline.push(await timeCommand(Deno.execPath(), ["run", "-A", empty]));
    enqueue.push(
      await timeCommand(Deno.execPath(), ["run", "-A", main, "enqueue", "--", "true"], env),
    );
  }
  results.single_enqueue = {
    empty_deno_run_ms: median(baseline),
    enqueue_ms: median(enqueue),
    ratio: median(enqueue) / median(baseline),
    target: "≤ 1.5",
  };
}

async function benchDrain(): Promise<void> {
  const jobs = quick ? 500 : 5000;
  const xargsMs = await timeCommand("sh", [
    "-c",
    `seq ${jobs} | xargs -P4 -I{} sh -c true`,
  ]);
  const db = join(dir, "drain.db");
  const store = await openStore({ kind: "sqlite", path: db });
  await enqueueJobs(store, systemClock, Array.from({ length: jobs }, () => ({ command: "true" })));
  const start = performance.now();
  const worker = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "worker", "start", "--count", "4", "-q"],
    env: { QUEUECTL_DB: db },
    stdout: "null",
    stderr: "null",
  }).spawn();
  while ((await store.jobCountByState()).completed < jobs) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const queuectlMs = performance.now() - start;
  worker.kill("SIGTERM");
  await worker.status;
  await store.close();
  results.drain = {
    jobs,
    xargs_ms: xargsMs,
    queuectl_ms: queuectlMs,
    jobs_per_second: jobs / (queuectlMs / 1000),
    ratio_of_xargs_throughput: xargsMs / queuectlMs,
    target: "≥ 0.85",
  };
}

async function benchBatchEnqueue(): Promise<void> {
  const jobs = quick ? 20_000 : 100_000;
  const file = join(dir, "jobs.jsonl");
  await Deno.writeTextFile(file, '{"command":"true"}\n'.repeat(jobs));
  const rounds = quick ? 1 : 3;
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const env = { QUEUECTL_DB: join(dir, `batch-${round}.db`) };
    await timeCommand(Deno.execPath(), ["run", "-A", main, "status"], env); // create the file
    times.push(
      await timeCommand(Deno.execPath(), ["run", "-A", main, "enqueue", "--file", file], env),
    );
  }
  results.batch_enqueue = {
    jobs,
    ms: median(times),
    jobs_per_second: jobs / (median(times) / 1000),
    target: "≥ 100000",
  };
}

/**
 * The store's own cost per job: 4 connections (as 4 worker slots would) claim and complete
 * no-op jobs through the `Store` interface, no process spawned.
 */
async function benchClaimComplete(kind: "sqlite" | "postgres"): Promise<void> {
  const jobs = quick ? 2_000 : 20_000;
  const schema = `bench_${Date.now()}`;
  const location = kind === "sqlite" ? { kind, path: join(dir, "claims.db") } as const : {
    kind,
    url: `${POSTGRES_URL}${POSTGRES_URL.includes("?") ? "&" : "?"}schema=${schema}`,
  } as const;
  const stores = [];
  for (let i = 0; i < 4; i++) stores.push(await openStore(location, { durability: "normal" }));
  try {
    await enqueueJobs(
      stores[0],
      systemClock,
      Array.from({ length: jobs }, () => ({ command: "true" })),
    );
    const start = performance.now();
    let done = 0;
    await Promise.all(stores.map(async (store, slot) => {
      for (;;) {
        const now = Date.now();
        const job = await store.jobClaim({ workerId: `bench-${slot}`, leaseMs: 60_000, now });
        if (!job) return;
        const empty = new Uint8Array();
        await store.jobFinish({
          id: job.id,
          leaseToken: job.leaseToken,
          now: Date.now(),
          state: "completed",
          exitCode: 0,
          error: null,
          outcome: "completed",
          stdout: empty,
          stderr: empty,
          stdoutBytes: 0,
          stderrBytes: 0,
        });
        done++;
      }
    }));
    const ms = performance.now() - start;
    if (done !== jobs) throw new Error(`claimed and completed ${done} of ${jobs} jobs`);
    results[`claim_complete_${kind}`] = {
      jobs,
      in_flight: 4,
      ms,
      jobs_per_second: jobs / (ms / 1000),
      target: kind === "postgres" ? "≥ 8000" : "-",
    };
  } finally {
    for (const store of stores) await store.close();
    if (kind === "postgres") await dropSchema(schema);
  }
}

/** The PostgreSQL server of the PostgreSQL benchmarks. */
const POSTGRES_URL = Deno.env.get("QUEUECTL_BENCH_POSTGRES_URL") ??
  "postgres://root@127.0.0.1:5432/test";

async function dropSchema(schema: string): Promise<void> {
  const { default: postgres } = await import("postgres");
  const sql = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end();
}

const only = Deno.args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
const benches: Record<string, () => Promise<void>> = {
  single_enqueue: benchSingleEnqueue,
  batch_enqueue: benchBatchEnqueue,
  drain: benchDrain,
  claim_complete_sqlite: () => benchClaimComplete("sqlite"),
  claim_complete_postgres: () => benchClaimComplete("postgres"),
};

try {
  for (const [name, bench] of Object.entries(benches)) {
    if (only === undefined || only.split(",").includes(name)) await bench();
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

console.table(
  Object.fromEntries(
    Object.entries(results).filter(([, value]) => typeof value === "object"),
  ),
);
const outDir = fileURLToPath(new URL("../bench/", import.meta.url));
await Deno.mkdir(outDir, { recursive: true });
await Deno.writeTextFile(join(outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
console.log(JSON.stringify(results, null, 2));
