/**
 * The peers queuectl is compared with, installed on demand outside the project: task-spooler
 * (Debian's `task-spooler`, binary `tsp`) and graphile-worker (npm, in the cache directory),
 * each running the same `sh -c true` jobs with 4 at a time.
 *
 * @module
 */
import { join } from "node:path";
import { type BenchContext, waitFor } from "./context.ts";
import { newSchema } from "./postgres.ts";

/** A peer that can run, or why it cannot. */
export type Peer<T> = { ok: true; value: T } | { ok: false; reason: string };

interface RunResult {
  success: boolean;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  try {
    const output = await new Deno.Command(command, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      success: output.success,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } catch (error) {
    return { success: false, stdout: "", stderr: String(error) };
  }
}

// ---------------------------------------------------------------------------------------------
// task-spooler

/** task-spooler's binary: `tsp` on Debian (whose `ts` is moreutils'), `ts` elsewhere. */
async function tspBinary(dir: string): Promise<string | undefined> {
  const env = { TS_SOCKET: join(dir, "tsp-probe.sock"), TMPDIR: dir };
  for (const name of ["tsp", "ts"]) {
    const result = await run(name, ["-V"], env);
    if (/task.?spooler/i.test(result.stdout + result.stderr)) return name;
  }
  return undefined;
}

/** Finds task-spooler, installing Debian's package when allowed, as root, with apt. */
export async function findTsp(ctx: BenchContext, install: boolean): Promise<Peer<string>> {
  const found = await tspBinary(ctx.dir);
  if (found) return { ok: true, value: found };
  if (!install) return { ok: false, reason: "not installed (quick mode installs nothing)" };
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) {
    return { ok: false, reason: "not installed, and not root to apt-get install it" };
  }
  const apt = ["install", "-y", "-q", "task-spooler"];
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  ctx.log("Installing task-spooler with apt-get");
  let result = await run("apt-get", apt, env);
  if (!result.success) {
    await run("apt-get", ["update", "-q"], env); // The package lists may be missing or stale.
    result = await run("apt-get", apt, env);
  }
  const binary = await tspBinary(ctx.dir);
  if (binary) return { ok: true, value: binary };
  return {
    ok: false,
    reason: `apt-get install task-spooler failed: ${result.stderr.trim().split("\n").at(-1)}`,
  };
}

/**
 * Drains `jobs` `sh -c true` jobs through `tsp -S 4`. The jobs are queued first behind 4 gate
 * jobs that hold the slots, then the gates are killed and the clock runs until the list shows
 * nothing queued or running: the same "queued, then drained" measure as queuectl's.
 */
export async function runTsp(
  ctx: BenchContext,
  binary: string,
  jobs: number,
): Promise<{ jobs: number; ms: number }> {
  const dir = await Deno.makeTempDir({ dir: ctx.dir, prefix: "tsp-" });
  const env = {
    TS_SOCKET: join(dir, "socket"),
    TMPDIR: dir,
    TS_SLOTS: "4",
    TS_MAXFINISHED: String(jobs + 16),
  };
  const tsp = async (...args: string[]) => {
    const result = await run(binary, args, env);
    return result.stdout.trim();
  };
  try {
    await tsp("-S", "4");
    // A fresh server numbers jobs from 0 (and `-n` prints no id): the gates are 0-3.
    const gates = ["0", "1", "2", "3"];
    for (const _ of gates) await tsp("-n", "sleep", "600");
    const enqueue = await run(
      "sh",
      ["-c", `for i in $(seq ${jobs}); do "${binary}" -n sh -c true; done`],
      env,
    );
    if (!enqueue.success) throw new Error(`tsp enqueue failed: ${enqueue.stderr}`);
    const last = String(gates.length + jobs - 1);
    const queued = (await tsp("-l")).split("\n").filter((line) => /^\d+\s+queued\s/.test(line));
    if (queued.length !== jobs || !new RegExp(`^${last}\\s`, "m").test(await tsp("-l"))) {
      throw new Error(`tsp queued ${queued.length} of ${jobs} jobs`);
    }
    const start = performance.now();
    await Promise.all(gates.map((gate) => tsp("-k", gate)));
    await tsp("-w", last);
    await waitFor("tsp to finish", async () => {
      const list = await tsp("-l");
      return !/^\d+\s+(running|queued|allocating)\b/m.test(list);
    }, { timeoutMs: 60_000 + jobs * 50, intervalMs: 10 });
    const ms = performance.now() - start;
    const list = await tsp("-l");
    const finished = list.split("\n").filter((line) => /^\d+\s+finished\s.*sh -c true/.test(line));
    if (finished.length < jobs) {
      throw new Error(`tsp finished ${finished.length} of ${jobs} jobs`);
    }
    return { jobs, ms };
  } finally {
    await tsp("-K");
  }
}

// ---------------------------------------------------------------------------------------------
// graphile-worker

/**
 * Adds jobs (`add`) or runs them with concurrency 4 (`work`: prints "done" once `count` jobs
 * succeeded and the jobs table is empty, i.e. every completion is committed).
 */
const GRAPHILE_SCRIPT = `"use strict";
const { run, makeWorkerUtils, Logger } = require("graphile-worker");
const { execFile } = require("node:child_process");
const { Pool } = require("pg");
const [mode, connectionString, schema, countText] = process.argv.slice(2);
const count = Number(countText);
const logger = new Logger(() => () => {});

async function add() {
  const utils = await makeWorkerUtils({ connectionString, schema, logger });
  try {
    await utils.migrate();
    for (let start = 0; start < count; start += 10000) {
      const specs = [];
      for (let i = start; i < Math.min(count, start + 10000); i++) {
        specs.push({ identifier: "sh", payload: {} });
      }
      await utils.addJobs(specs);
    }
  } finally {
    await utils.release();
  }
}

async function work() {
  let succeeded = 0;
  let allSucceeded;
  let firstStart;
  const done = new Promise((resolve) => (allSucceeded = resolve));
  const runner = await run({
    connectionString,
    schema,
    concurrency: 4,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
    taskList: {
      sh: () =>
        new Promise((resolve, reject) => {
          firstStart ??= Date.now();
          execFile("sh", ["-c", "true"], (error) => (error ? reject(error) : resolve()));
        }),
    },
  });
  runner.events.on("job:success", () => {
    if (++succeeded === count) allSucceeded();
  });
  await done;
  const pool = new Pool({ connectionString, max: 1 });
  const table = '"' + schema + '"._private_jobs';
  for (;;) {
    const { rows } = await pool.query("select count(*)::int as n from " + table);
    if (rows[0].n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // From the first job's start to the last completion committed, as queuectl is timed.
  process.stdout.write("done " + (Date.now() - firstStart) + "\\n");
  await pool.end();
  await runner.stop();
}

(mode === "add" ? add() : work()).catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

/** Finds graphile-worker in the cache directory, installing it with npm when allowed. */
export async function findGraphile(ctx: BenchContext, install: boolean): Promise<Peer<string>> {
  const dir = join(ctx.cacheDir, "graphile-worker");
  const installed = async () => {
    for (const name of ["graphile-worker", "pg"]) {
      try {
        await Deno.stat(join(dir, "node_modules", name, "package.json"));
      } catch {
        return false;
      }
    }
    return true;
  };
  if (!(await run("node", ["--version"])).success) return { ok: false, reason: "no node" };
  if (!(await installed())) {
    if (!install) return { ok: false, reason: "not installed (quick mode installs nothing)" };
    ctx.log(`Installing graphile-worker and pg with npm into ${dir}`);
    await Deno.mkdir(dir, { recursive: true });
    const result = await run("npm", [
      "install",
      "--prefix",
      dir,
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      "graphile-worker",
      "pg",
    ]);
    if (!result.success || !(await installed())) {
      return {
        ok: false,
        reason: `npm install graphile-worker pg failed: ${result.stderr.trim().split("\n").at(-1)}`,
      };
    }
  }
  const script = join(dir, "bench_graphile.cjs");
  await Deno.writeTextFile(script, GRAPHILE_SCRIPT);
  return { ok: true, value: script };
}

/**
 * Drains `jobs` jobs through graphile-worker (concurrency 4) on a fresh schema of the
 * benchmarks' database: added first, then timed (by the script) from the first job's start until
 * every job's completion is committed; `startupMs` is from the process's spawn to that start.
 */
export async function runGraphile(
  script: string,
  postgresUrl: string,
  jobs: number,
): Promise<{ jobs: number; ms: number; startupMs: number; version: string }> {
  const schema = newSchema("bench_gw");
  const add = await run("node", [script, "add", postgresUrl, schema, String(jobs)]);
  if (!add.success) throw new Error(`graphile-worker add failed: ${add.stderr}`);
  const start = performance.now();
  const child = new Deno.Command("node", {
    args: [script, "work", postgresUrl, schema, String(jobs)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
  let ms: number | undefined;
  let wallMs: number | undefined;
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk);
    const done = text.match(/done (\d+)\n/);
    if (ms === undefined && done) {
      wallMs = performance.now() - start;
      ms = Number(done[1]);
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  if (ms === undefined || !status.success) {
    throw new Error(`graphile-worker failed: ${(await stderr).trim().slice(-500)}`);
  }
  const manifest = JSON.parse(
    await Deno.readTextFile(
      join(script, "..", "node_modules", "graphile-worker", "package.json"),
    ),
  );
  return { jobs, ms, startupMs: wallMs! - ms, version: String(manifest.version) };
}
