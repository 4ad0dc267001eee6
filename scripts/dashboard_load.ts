/**
 * `deno run -A scripts/dashboard_load.ts [--jobs N] [--postgres] [--rounds R]`: how the dashboard
 * behaves on a big queue. Measures, does not assert: enqueues N jobs (default 100,000) in eight
 * queues with one `queuectl enqueue --file`, starts `queuectl dashboard --port 0`, then times
 *
 * - the JSON API from a script (`/api/overview`, job list pages, filters, search, `/metrics`);
 * - the page in headless Chromium: from navigation to the data shown, for the overview (the
 *   pending count reads N) and the jobs list (50 rows and "… of N"), on a fresh page each round,
 *   and the in-page switch from the overview to the jobs list.
 *
 * The database is a temporary SQLite file, or with `--postgres` a temporary schema on
 * `QUEUECTL_TEST_POSTGRES_URL` (default `postgres://root@127.0.0.1:5432/test`); both are removed
 * afterwards. Prints a table of medians (and every round) in milliseconds.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { CHROMIUM, CHROMIUM_ARGS, VIEWPORT } from "../tests/helpers/browser.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    jobs: { type: "string", default: "100000" },
    rounds: { type: "string", default: "5" },
    postgres: { type: "boolean", default: false },
  },
});
const JOBS = Number(flags.jobs);
const ROUNDS = Number(flags.rounds);
const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const QUEUES = ["default", "emails", "reports", "images", "deploy", "billing", "search", "etl"];

const dir = await Deno.makeTempDir({ prefix: "queuectl-dashboard-load-" });
let db = join(dir, "queue.db");
let dropSchema = async () => {};
if (flags.postgres) {
  const server = Deno.env.get("QUEUECTL_TEST_POSTGRES_URL") ??
    "postgres://root@127.0.0.1:5432/test";
  const schema = `dashboard_load_${crypto.randomUUID().slice(0, 8)}`;
  const url = new URL(server);
  url.searchParams.set("schema", schema);
  db = url.href;
  dropSchema = async () => {
    const sql = postgres(server, { max: 1, onnotice: () => {} });
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await sql.end();
  };
}
const env = { ...Deno.env.toObject(), QUEUECTL_DB: db, NO_COLOR: "1" };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const rows: [string, number[]][] = [];
function record(what: string, times: number[]) {
  rows.push([what, times]);
  console.error(`  ${what}: ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
}

let dashboard: Deno.ChildProcess | undefined;
try {
  // ---------------------------------------------------------------- enqueue
  const file = join(dir, "jobs.jsonl");
  const lines: string[] = [];
  for (let i = 1; i <= JOBS; i++) {
    lines.push(JSON.stringify({
      command: `echo "job ${i}: process batch ${i % 977}"`,
      queue: QUEUES[i % QUEUES.length],
      priority: i % 10 === 0 ? 5 : 0,
    }));
  }
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  console.error(`enqueueing ${JOBS} jobs into ${flags.postgres ? "PostgreSQL" : "SQLite"}…`);
  const enqueueStart = performance.now();
  const enqueued = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "enqueue", "--file", file],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!enqueued.success) throw new Error(new TextDecoder().decode(enqueued.stderr));
  record("enqueue --file (whole CLI call)", [performance.now() - enqueueStart]);

  // ---------------------------------------------------------------- dashboard
  dashboard = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "dashboard", "--port", "0"],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = dashboard.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  const deadline = Date.now() + 30_000;
  while (!printed.includes("\n")) {
    if (Date.now() > deadline) throw new Error("the dashboard printed no URL within 30 s");
    const { value, done } = await reader.read();
    if (done) throw new Error("the dashboard exited before printing its URL");
    printed += value;
  }
  reader.releaseLock();
  dashboard.stdout.cancel().catch(() => {});
  const base = printed.split("\n")[0];
  console.error(`dashboard at ${base}`);

  // ---------------------------------------------------------------- API
  const last = QUEUES[JOBS % QUEUES.length];
  const api: [string, string][] = [
    ["GET /api/overview", "api/overview"],
    ["GET /api/jobs (first page of 50)", "api/jobs"],
    ["GET /api/jobs?offset=N-50 (last page)", `api/jobs?offset=${Math.max(0, JOBS - 50)}`],
    ["GET /api/jobs?state=pending&queue=…", `api/jobs?state=pending&queue=${last}`],
    ["GET /api/jobs?q=job N: (search)", `api/jobs?q=${encodeURIComponent(`job ${JOBS}:`)}`],
    ["GET /api/jobs?q=nothing-matches", "api/jobs?q=nothing-matches"],
    ["GET /metrics", "metrics"],
  ];
  for (const [what, path] of api) {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now();
      const response = await fetch(new URL(path, base));
      await response.text();
      if (!response.ok) throw new Error(`${what}: HTTP ${response.status}`);
      times.push(performance.now() - start);
    }
    record(what, times);
  }

  // ---------------------------------------------------------------- Chromium
  const { chromium } = await import("npm:playwright-core@1.65.1");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    // Evaluated in the page, as functions (the page's CSP forbids eval of strings); this script
    // has no DOM types, hence the casts. Each returns the page's clock (milliseconds since the
    // navigation started) once the data is shown, else 0.
    const countsShown = (n: string) => {
      // deno-lint-ignore no-explicit-any
      const document = (globalThis as any).document;
      const count = document.querySelector('#state-counts [data-state="pending"] .count');
      return count?.textContent === n ? performance.now() : 0;
    };
    const rowsShown = (n: string) => {
      // deno-lint-ignore no-explicit-any
      const document = (globalThis as any).document;
      const rows = document.querySelectorAll("table.jobs tbody tr").length;
      const info = document.querySelector("#page-info")?.textContent ?? "";
      return rows === Math.min(50, Number(n)) && info.endsWith(`of ${n}`) ? performance.now() : 0;
    };
    const total = String(JOBS);
    const times: Record<string, number[]> = {};
    const add = (what: string, ms: number) => (times[what] ??= []).push(ms);
    const open = async (hash: string, shown: (n: string) => number) => {
      const context = await browser.newContext({ viewport: VIEWPORT });
      const page = await context.newPage();
      page.setDefaultTimeout(120_000);
      const start = performance.now();
      await page.goto(new URL(hash, base).href);
      const inPage = await (await page.waitForFunction(shown, total, { polling: 5 })).jsonValue();
      return { context, page, wall: performance.now() - start, inPage: Number(inPage) };
    };
    for (let round = 0; round < ROUNDS; round++) {
      const overview = await open("#/", countsShown);
      add("overview", overview.inPage);
      add("overview-wall", overview.wall);
      // In-page navigation, as a click on "Jobs" does (without playwright's click checks).
      const before = Number(
        await overview.page.evaluate(() => {
          // deno-lint-ignore no-explicit-any
          (globalThis as any).location.hash = "#/jobs";
          return performance.now();
        }),
      );
      const after = await overview.page.waitForFunction(rowsShown, total, { polling: 5 });
      add("switch", Number(await after.jsonValue()) - before);
      await overview.context.close();

      const jobs = await open("#/jobs", rowsShown);
      add("jobs", jobs.inPage);
      add("jobs-wall", jobs.wall);
      await jobs.context.close();
    }
    record("Chromium: #/ from navigation start to the counts shown", times["overview"]);
    record("  the same, as playwright sees it (goto + wait)", times["overview-wall"]);
    record("Chromium: #/jobs from navigation start to 50 rows + total shown", times["jobs"]);
    record("  the same, as playwright sees it (goto + wait)", times["jobs-wall"]);
    record("Chromium: overview -> jobs list (hash change to rows shown)", times["switch"]);
  } finally {
    await browser.close();
  }
} finally {
  if (dashboard) {
    dashboard.kill("SIGTERM");
    await dashboard.status;
  }
  await dropSchema();
  await Deno.remove(dir, { recursive: true });
}

console.log(
  `\ndashboard with ${JOBS} jobs on ${flags.postgres ? "PostgreSQL" : "SQLite"}` +
    ` (${ROUNDS} rounds; ms)\n`,
);
const width = Math.max(...rows.map(([what]) => what.length));
console.log(`${"what".padEnd(width)}  median     min     max`);
for (const [what, times] of rows) {
  const [m, lo, hi] = [median(times), Math.min(...times), Math.max(...times)];
  console.log(
    `${what.padEnd(width)}  ${m.toFixed(0).padStart(6)}  ${lo.toFixed(0).padStart(6)}  ${
      hi.toFixed(0).padStart(6)
    }`,
  );
}
