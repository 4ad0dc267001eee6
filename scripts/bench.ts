/**
 * `deno task bench [--quick] [--only=name,…]`: queuectl's performance, measured through the real
 * CLI on real stores, mostly as ratios against baselines taken in the same run (the machines are
 * shared and noisy, so absolute times mean little). Prints a table, writes `bench/results.json`
 * (the machine, the date, every metric with its raw numbers, ratio, target and `met`),
 * `bench/drain.svg` and `bench/latency.svg`.
 *
 * One module per benchmark under `scripts/bench/`. Peers are installed on demand outside the
 * project (task-spooler with apt-get, graphile-worker with npm into ~/.cache/queuectl-bench/);
 * one that cannot be installed is reported "unavailable". PostgreSQL benchmarks use
 * `QUEUECTL_BENCH_POSTGRES_URL` (default `postgres://root@127.0.0.1:5432/test`), each in a
 * fresh schema dropped at the end.
 *
 * `--quick` (< 2 minutes, run by CI) shrinks every size, queues 50k instead of 1M for the scale
 * benchmark and installs no peer (installed ones still run). Only a full run of every benchmark
 * writes to `bench/` (what the README shows); a quick or `--only` run writes to `bench/out/`.
 *
 * The run fails (exit 1) when a benchmark itself fails or a same-run ratio falls past its CI gate
 * (`scripts/bench/gates.ts`, printed after the table), never on a missed target.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchClaimComplete } from "./bench/claims.ts";
import type { BenchContext, Metric } from "./bench/context.ts";
import { MAIN, round } from "./bench/context.ts";
import { benchDrain } from "./bench/drain.ts";
import {
  benchBatchEnqueue,
  benchBatchEnqueuePostgres,
  benchSingleEnqueue,
} from "./bench/enqueue.ts";
import { benchIdle } from "./bench/idle.ts";
import { benchLatency } from "./bench/latency.ts";
import { benchMemory } from "./bench/memory.ts";
import { dropSchemas, POSTGRES_URL, postgresVersion } from "./bench/postgres.ts";
import { checkGates, formatGates } from "./bench/gates.ts";
import { formatTable, machineInfo, revision } from "./bench/report.ts";
import { benchScale } from "./bench/scale.ts";
import { drainSvg, latencySvg } from "./bench/svg.ts";

type Bench = { run: (ctx: BenchContext) => Promise<void>; postgres?: boolean };

/** Every benchmark, in the order they run; `--only` takes these names. */
const BENCHES: Record<string, Bench> = {
  single_enqueue: { run: benchSingleEnqueue },
  batch_enqueue: { run: benchBatchEnqueue },
  batch_enqueue_postgres: { run: benchBatchEnqueuePostgres, postgres: true },
  claim_complete_sqlite: { run: (ctx) => benchClaimComplete(ctx, "sqlite") },
  claim_complete_postgres: { run: (ctx) => benchClaimComplete(ctx, "postgres"), postgres: true },
  drain: { run: (ctx) => benchDrain(ctx, "sqlite") },
  drain_postgres: { run: (ctx) => benchDrain(ctx, "postgres"), postgres: true },
  pickup_latency: { run: (ctx) => benchLatency(ctx, "sqlite") },
  pickup_latency_postgres: { run: (ctx) => benchLatency(ctx, "postgres"), postgres: true },
  idle_cost: { run: (ctx) => benchIdle(ctx, "sqlite") },
  idle_cost_postgres: { run: (ctx) => benchIdle(ctx, "postgres"), postgres: true },
  memory: { run: benchMemory },
  scale: { run: benchScale },
};

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(
    `deno task bench [--quick] [--only=NAME,…]\n\nbenchmarks: ${Object.keys(BENCHES).join(", ")}`,
  );
  Deno.exit(0);
}
const quick = Deno.args.includes("--quick");
const only = Deno.args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(
  ",",
).filter(Boolean);
const unknown = only?.filter((name) => !(name in BENCHES)) ?? [];
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(", ")}. Known: ${Object.keys(BENCHES)}`);
  Deno.exit(2);
}
const selected = Object.keys(BENCHES).filter((name) => only === undefined || only.includes(name));

const runStart = performance.now();
const elapsed = () => ((performance.now() - runStart) / 1000).toFixed(1).padStart(6);
const metrics: Record<string, Metric> = {};
const dir = await Deno.makeTempDir({ prefix: "queuectl-bench-" });
const ctx: BenchContext = {
  quick,
  dir,
  main: MAIN,
  cacheDir: join(
    Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? dir, ".cache"),
    "queuectl-bench",
  ),
  postgresUrl: POSTGRES_URL,
  record: (key, metric) => metrics[key] = metric,
  log: (message) => console.error(`[${elapsed()} s] ${message}`),
};
if (quick) {
  ctx.log("quick mode: smaller sizes, scale with 50k queued (1M skipped), no peer installs");
}

let postgres: string | null = null;
if (selected.some((name) => BENCHES[name].postgres)) {
  try {
    postgres = await postgresVersion();
  } catch (error) {
    ctx.postgresError = `PostgreSQL unreachable: ${error instanceof Error ? error.message : error}`;
    ctx.log(ctx.postgresError);
  }
}
const machine = await machineInfo(postgres);
const measured = await revision();
const errors: Record<string, string> = {};
const durations: Record<string, number> = {};
try {
  for (const name of selected) {
    const start = performance.now();
    try {
      await BENCHES[name].run(ctx);
    } catch (error) {
      errors[name] = error instanceof Error ? (error.stack ?? error.message) : String(error);
      ctx.log(`${name} FAILED: ${errors[name]}`);
      metrics[`${name}_error`] = {
        title: name,
        value: null,
        unit: "",
        target: "-",
        met: null,
        status: "error",
        note: error instanceof Error ? error.message : String(error),
        raw: {},
      };
    }
    durations[name] = round((performance.now() - start) / 1000, 1);
    ctx.log(`${name}: ${durations[name]} s`);
  }
} finally {
  await dropSchemas().catch((error) => ctx.log(`Cannot drop the bench schemas: ${error}`));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

const totalSeconds = round((performance.now() - runStart) / 1000, 1);
const date = new Date().toISOString();
console.log(formatTable(metrics));
const missed = Object.values(metrics).filter((metric) => metric.met === false);
console.log(
  `\n${Object.keys(metrics).length} rows, ${missed.length} target(s) missed, ` +
    `${Object.keys(errors).length} benchmark(s) failed; ${totalSeconds} s` +
    (quick ? " (quick mode: 1M scale and peer installs skipped)" : ""),
);

const gates = checkGates(metrics, selected);
const failedGates = gates.filter((gate) => !gate.passed);
if (gates.length > 0) {
  console.log(`\nCI gates (scripts/bench/gates.ts):\n${formatGates(gates)}`);
}

// The committed results (the README's table and charts) come from full runs of everything only.
const official = !quick && only === undefined;
const outDir = fileURLToPath(new URL(official ? "../bench/" : "../bench/out/", import.meta.url));
const outName = official ? "bench" : "bench/out";
await Deno.mkdir(outDir, { recursive: true });
const subtitle = `${date.slice(0, 16).replace("T", " ")} UTC · ${machine.cores} cores ${
  machine.cpu ?? ""
} · ${quick ? "quick run" : "full run"}`;
await Deno.writeTextFile(
  join(outDir, "results.json"),
  JSON.stringify(
    {
      date,
      machine,
      queuectl: measured,
      quick,
      only: only ?? null,
      total_seconds: totalSeconds,
      seconds_per_benchmark: durations,
      metrics,
      errors,
    },
    null,
    2,
  ) + "\n",
);
const written = [`${outName}/results.json`];
if (selected.some((name) => name.startsWith("drain"))) {
  await Deno.writeTextFile(join(outDir, "drain.svg"), drainSvg(metrics, subtitle));
  written.push(`${outName}/drain.svg`);
}
if (selected.some((name) => name.startsWith("pickup_latency"))) {
  await Deno.writeTextFile(join(outDir, "latency.svg"), latencySvg(metrics, subtitle));
  written.push(`${outName}/latency.svg`);
}
// In the form `deno fmt` gives them, so that `deno task check` stays clean with them present.
const formatted = await new Deno.Command(Deno.execPath(), {
  args: ["fmt", "-q", ...written],
  cwd: fileURLToPath(new URL("../", import.meta.url)),
  stdout: "null",
  stderr: "inherit",
}).output();
if (!formatted.success) ctx.log(`deno fmt of ${written.join(", ")} failed`);
console.log(`Wrote ${written.join(", ")}`);
if (failedGates.length > 0) {
  console.error(
    `${failedGates.length} CI gate(s) failed: ${
      failedGates.map(({ gate }) => gate.metric).join(", ")
    }`,
  );
}
if (Object.keys(errors).length > 0 || failedGates.length > 0) Deno.exit(1);
