/**
 * Helpers for the dashboard's end-to-end tests: start `queuectl dashboard --port 0 …` as a user
 * would (its URL is the first line it prints), call its HTTP API, parse `/metrics` strictly, and
 * seed a sandbox with jobs in every state through the CLI.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { cliEnvironment, type CliResult, MAIN, type Sandbox, waitFor } from "./cli.ts";
import { postgresForTests } from "./postgres.ts";
import { startWorker, stopWorker, waitForState } from "./jobs.ts";

/** A parsed HTTP answer (its body always read, so no response is left open). */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** A running `queuectl dashboard` process. */
export interface RunningDashboard {
  /** The URL it printed (e.g. `http://0.0.0.0:43211/`). */
  printed: string;
  /** Where to connect: the printed URL, with 127.0.0.1 for a wildcard address. */
  base: string;
  port: number;
  process: Deno.ChildProcess;
  /** What it wrote to stderr so far. */
  log(): string;
  /** `fetch` relative to `base`; the caller reads or cancels the body. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A request relative to `base`, its body read (and parsed when it is JSON). */
  request(method: string, path: string, init?: RequestInit): Promise<HttpResult>;
  get(path: string, headers?: Record<string, string>): Promise<HttpResult>;
  /**
   * POSTs `body` as JSON (a string is sent as is) with the page's CSRF token, or with `csrf`
   * when given (`null`: no header at all).
   */
  post(
    path: string,
    body?: unknown,
    options?: { csrf?: string | null; headers?: Record<string, string> },
  ): Promise<HttpResult>;
  /** The CSRF token of `GET /api/session` (fetched once). */
  csrf(): Promise<string>;
  /** SIGTERM, then its exit code (once; later calls return the same code). */
  stop(): Promise<number>;
}

/** Options of `startDashboard`. */
export interface DashboardStart {
  /** Extra environment (on top of the sandbox's). */
  env?: Record<string, string>;
  /** Sent as `Authorization: Bearer …` by `get`/`post` (for dashboards with a token). */
  bearer?: string;
  /** Working directory of the process (default: the sandbox's directory). */
  cwd?: string;
}

/**
 * Starts `queuectl dashboard --port 0 ARGS…` with the sandbox's environment and waits until it
 * prints its URL; fails (with its stderr) if it exits first. Always `stop()` it in `finally`.
 */
export async function startDashboard(
  sandbox: Sandbox,
  args: string[] = [],
  options: DashboardStart = {},
): Promise<RunningDashboard> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "dashboard", "--port", "0", ...args],
    env: cliEnvironment({ ...sandbox.env, ...options.env }),
    clearEnv: true,
    cwd: options.cwd ?? sandbox.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const drained = Promise.all([
    collect(process.stdout, (text) => stdout += text),
    collect(process.stderr, (text) => stderr += text),
  ]);
  let exitCode: number | undefined;
  const exited = process.status.then(async (status) => {
    await drained;
    exitCode = status.code;
    return status.code;
  });
  let printed: string;
  try {
    printed = await waitFor("the dashboard to print its URL", () => {
      if (exitCode !== undefined) {
        throw new Error(`queuectl dashboard exited ${exitCode} before printing its URL`);
      }
      const newline = stdout.indexOf("\n");
      return newline < 0 ? undefined : stdout.slice(0, newline);
    }, 30_000);
  } catch (error) {
    if (exitCode === undefined) process.kill("SIGKILL");
    await exited;
    throw new Error(`${error}\n--- stderr\n${stderr}`);
  }
  const url = new URL(printed);
  assert.equal(url.protocol, "http:", `the dashboard printed ${printed}`);
  const port = Number(url.port);
  const wildcard = ["0.0.0.0", "[::]"].includes(url.hostname);
  const base = wildcard ? `http://127.0.0.1:${port}/` : url.href;
  let csrf: string | undefined;
  let stopped: Promise<number> | undefined;
  const authorization: Record<string, string> = options.bearer
    ? { authorization: `Bearer ${options.bearer}` }
    : {};
  const dashboard: RunningDashboard = {
    printed,
    base,
    port,
    process,
    log: () => stderr,
    fetch: (path, init) => fetch(new URL(path.replace(/^\//, ""), base), init),
    async request(method, path, init = {}) {
      const response = await dashboard.fetch(path, {
        ...init,
        method,
        headers: { ...authorization, ...init.headers as Record<string, string> },
        redirect: "manual",
      });
      const text = await response.text();
      let json: unknown = undefined;
      if ((response.headers.get("content-type") ?? "").includes("json")) {
        json = JSON.parse(text);
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    get: (path, headers = {}) => dashboard.request("GET", path, { headers }),
    async post(path, body, postOptions = {}) {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        ...postOptions.headers,
      };
      const token = postOptions.csrf === undefined ? await dashboard.csrf() : postOptions.csrf;
      if (token !== null) headers["x-csrf-token"] = token;
      return await dashboard.request("POST", path, {
        headers,
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
      });
    },
    async csrf() {
      if (csrf === undefined) {
        const session = await dashboard.get("/api/session");
        assert.equal(session.status, 200, `GET /api/session: ${session.status} ${session.text}`);
        csrf = String(session.json.csrf_token);
      }
      return csrf;
    },
    stop() {
      return stopped ??= (async () => {
        if (exitCode === undefined) {
          try {
            process.kill("SIGTERM");
          } catch {
            // Already gone.
          }
        }
        return await exited;
      })();
    },
  };
  return dashboard;
}

/**
 * Runs `fn` with a dashboard started with `args`, stops it afterwards, and (when `fn` passed)
 * checks that SIGTERM made it exit 0. A failure shows what the dashboard logged.
 */
export async function withDashboard<T>(
  sandbox: Sandbox,
  args: string[],
  fn: (dashboard: RunningDashboard) => Promise<T>,
  options: DashboardStart = {},
): Promise<T> {
  const dashboard = await startDashboard(sandbox, args, options);
  let result: T;
  try {
    result = await fn(dashboard);
  } catch (error) {
    await dashboard.stop();
    if (error instanceof Error) {
      error.message += `\n--- the dashboard's stderr\n${dashboard.log()}`;
    }
    throw error;
  } finally {
    await dashboard.stop();
  }
  const code = await dashboard.stop();
  assert.equal(code, 0, `the dashboard exited ${code} on SIGTERM:\n${dashboard.log()}`);
  return result;
}

async function collect(stream: ReadableStream<Uint8Array>, add: (text: string) => void) {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  } catch {
    // The process was killed.
  }
}

/**
 * Runs `queuectl ARGS…` that is expected to exit by itself, killing it (and failing) when it
 * is still running after `timeoutMs`: for commands that would serve forever if they did not.
 */
export async function runToExit(
  sandbox: Sandbox,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: cliEnvironment({ ...sandbox.env, ...options.env }),
    clearEnv: true,
    cwd: sandbox.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let result: CliResult | undefined;
  const output = child.output().then((out) =>
    result = {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    }
  );
  try {
    return await waitFor(`queuectl ${args.join(" ")} to exit`, () => result, options.timeoutMs);
  } catch (error) {
    child.kill("SIGKILL");
    await output;
    throw new Error(`${error}\n--- stdout\n${result?.stdout}--- stderr\n${result?.stderr}`);
  }
}

/** The message of a failed CLI call: its one stderr line without `queuectl: `. */
export function cliError(result: CliResult): string {
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], /^queuectl: /);
  return lines[0].slice("queuectl: ".length);
}

// ------------------------------------------------------------------ raw HTTP

/** One request written byte for byte by `rawHttp` (fetch cannot set `Host` or omit it). */
export interface RawRequest {
  method?: string;
  /** The request target as sent (no encoding is added). */
  target?: string;
  /** "HTTP/1.1" by default. */
  version?: string;
  /** In order, as given: include `host` yourself (none: no Host header at all). */
  headers?: [string, string][];
  /** Sent after the head, with a Content-Length unless `headers` has one. */
  body?: string | Uint8Array;
  /** Sent as `Transfer-Encoding: chunked` chunks (the header is added). */
  chunks?: Uint8Array[];
  /**
   * Leaves the body unfinished (no last chunk; fewer bytes than declared) and the connection
   * open: the server must answer without waiting for the rest.
   */
  endless?: boolean;
  /** Shuts the writing side once all is sent (a client that leaves: it may get no answer). */
  halfClose?: boolean;
}

/** What came back; `status` 0 when the server closed the connection without an answer. */
export interface RawResult extends HttpResult {
  /** The status line and headers as received. */
  head: string;
}

/**
 * Writes `request` on a new connection to 127.0.0.1:`port` (the body in the background, so a
 * server that answers before reading it all is not deadlocked) and reads one response; fails
 * after `timeoutMs` without one.
 */
export async function rawHttp(
  port: number,
  request: RawRequest,
  timeoutMs = 15_000,
): Promise<RawResult> {
  const encoder = new TextEncoder();
  const headers = [...request.headers ?? []];
  const body = typeof request.body === "string" ? encoder.encode(request.body) : request.body;
  if (request.chunks) headers.push(["transfer-encoding", "chunked"]);
  else if (body && !headers.some(([name]) => name.toLowerCase() === "content-length")) {
    headers.push(["content-length", String(body.length)]);
  }
  const head = `${request.method ?? "GET"} ${request.target ?? "/"} ${
    request.version ?? "HTTP/1.1"
  }\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`;
  const parts: Uint8Array[] = [latin1(head)];
  if (request.chunks) {
    for (const chunk of request.chunks) {
      parts.push(encoder.encode(`${chunk.length.toString(16)}\r\n`), chunk, encoder.encode("\r\n"));
    }
    if (!request.endless) parts.push(encoder.encode("0\r\n\r\n"));
  } else if (body) {
    parts.push(body);
  }
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const writing = (async () => {
      for (const part of parts) {
        for (let at = 0; at < part.length;) at += await conn.write(part.subarray(at));
      }
      // Deno takes a half-closed connection for a client that left: only when asked.
      if (request.halfClose) await conn.closeWrite();
    })().catch(() => {
      // The server may answer and close before reading everything: that is its right.
    });
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`No answer within ${timeoutMs} ms to ${JSON.stringify(head)}`)),
        timeoutMs,
      );
    });
    const result = await Promise.race([readResponse(conn, request.method === "HEAD"), timedOut]);
    if (!request.endless) await Promise.race([writing, timedOut]);
    return result;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0) & 0xff);
}

/**
 * Reads one HTTP/1.x response (Content-Length, chunked, or until the connection closes; no body
 * after a HEAD).
 */
async function readResponse(conn: Deno.Conn, head: boolean): Promise<RawResult> {
  let buffer = new Uint8Array(0);
  let closed = false;
  const more = async () => {
    const chunk = new Uint8Array(65_536);
    let n: number | null = null;
    try {
      n = await conn.read(chunk);
    } catch {
      // A reset after the answer, or instead of one.
    }
    if (n === null) {
      closed = true;
      return;
    }
    const next = new Uint8Array(buffer.length + n);
    next.set(buffer);
    next.set(chunk.subarray(0, n), buffer.length);
    buffer = next;
  };
  const decoder = new TextDecoder();
  let end = -1;
  while ((end = indexOf(buffer, "\r\n\r\n")) < 0) {
    if (closed) {
      return {
        status: 0,
        headers: new Headers(),
        text: decoder.decode(buffer),
        json: undefined,
        head: "",
      };
    }
    await more();
  }
  const headText = decoder.decode(buffer.subarray(0, end));
  const [statusLine, ...lines] = headText.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body = buffer.subarray(end + 4);
  const rest = async () => {
    await more();
    body = buffer.subarray(end + 4);
  };
  const length = headers.get("content-length");
  if (head) {
    body = body.subarray(0, 0);
  } else if (length !== null) {
    while (body.length < Number(length) && !closed) await rest();
    body = body.subarray(0, Number(length));
  } else if ((headers.get("transfer-encoding") ?? "").includes("chunked")) {
    const out: number[] = [];
    let at = 0;
    for (;;) {
      let line = indexOf(body, "\r\n", at);
      while (line < 0 && !closed) {
        await rest();
        line = indexOf(body, "\r\n", at);
      }
      if (line < 0) break;
      const size = parseInt(decoder.decode(body.subarray(at, line)), 16);
      if (!(size > 0)) break;
      while (body.length < line + 2 + size + 2 && !closed) await rest();
      out.push(...body.subarray(line + 2, line + 2 + size));
      at = line + 2 + size + 2;
    }
    body = Uint8Array.from(out);
  } else if (status !== 204 && status !== 304) {
    while (!closed) await rest();
  }
  const text = decoder.decode(body);
  let json: unknown = undefined;
  if (!head && (headers.get("content-type") ?? "").includes("json")) json = JSON.parse(text);
  return { status, headers, text, json, head: headText };
}

function indexOf(bytes: Uint8Array, needle: string, from = 0): number {
  const codes = Array.from(needle, (char) => char.charCodeAt(0));
  outer: for (let i = from; i <= bytes.length - codes.length; i++) {
    for (let j = 0; j < codes.length; j++) if (bytes[i + j] !== codes[j]) continue outer;
    return i;
  }
  return -1;
}

// ------------------------------------------------------------------ /metrics

/** One sample line of the text format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# HELP`, `# TYPE` and samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  samples: MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses a whole Prometheus text exposition (format 0.0.4) and checks it strictly: every line is
 * a `# HELP`/`# TYPE` comment or a `name{labels} value` sample; every family has one HELP and one
 * TYPE before its samples, which are contiguous; no sample is repeated; histograms have
 * increasing `le` bounds with cumulative counts ending at `+Inf`, equal to `_count`, and a `_sum`.
 */
export function parseMetrics(text: string): Map<string, MetricFamily> {
  assert.ok(text.endsWith("\n"), "the exposition must end with a newline");
  const families = new Map<string, MetricFamily>();
  const seen = new Set<string>();
  let current: MetricFamily | undefined;
  const finished = new Set<string>();
  text.slice(0, -1).split("\n").forEach((line, index) => {
    const where = `line ${index + 1} ${JSON.stringify(line)}`;
    if (line.startsWith("#")) {
      const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!comment) {
        assert.ok(!/^# *(HELP|TYPE)/.test(line), `malformed comment: ${where}`);
        return; // Other comments are allowed.
      }
      const [, kind, name, rest] = comment;
      assert.match(name, METRIC_NAME, `metric name: ${where}`);
      let family = families.get(name);
      if (!family) {
        assert.ok(!finished.has(name), `${name} is declared again after other metrics: ${where}`);
        family = { name, help: "", type: "", samples: [] };
        families.set(name, family);
      }
      assert.equal(family.samples.length, 0, `${kind} after samples of ${name}: ${where}`);
      if (kind === "HELP") {
        assert.equal(family.help, "", `a second HELP for ${name}: ${where}`);
        assert.ok(rest.trim() !== "", `empty HELP: ${where}`);
        family.help = rest;
      } else {
        assert.equal(family.type, "", `a second TYPE for ${name}: ${where}`);
        assert.ok(
          ["counter", "gauge", "histogram", "summary", "untyped"].includes(rest),
          `unknown type: ${where}`,
        );
        family.type = rest;
      }
      if (current && current.name !== name) finished.add(current.name);
      current = family;
      return;
    }
    assert.ok(line.trim() !== "", `empty line: ${where}`);
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, families);
    assert.ok(family, `sample of an undeclared metric: ${where}`);
    assert.ok(family.help !== "", `${family.name} has no # HELP: ${where}`);
    assert.ok(family.type !== "", `${family.name} has no # TYPE: ${where}`);
    assert.ok(
      current === family,
      `samples of ${family.name} are not contiguous with its HELP/TYPE: ${where}`,
    );
    const key = sample.name + JSON.stringify(Object.entries(sample.labels).sort());
    assert.ok(!seen.has(key), `repeated sample: ${where}`);
    seen.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) {
    assert.ok(family.help !== "" && family.type !== "", `${family.name} lacks HELP or TYPE`);
    assert.ok(family.samples.length > 0, `${family.name} has no samples`);
    if (family.type === "counter") {
      for (const sample of family.samples) {
        assert.ok(sample.value >= 0, `a negative counter: ${JSON.stringify(sample)}`);
      }
    }
    if (family.type === "histogram") checkHistogram(family);
  }
  return families;
}

function familyOf(sampleName: string, families: Map<string, MetricFamily>) {
  const direct = families.get(sampleName);
  if (direct && direct.type !== "histogram" && direct.type !== "summary") return direct;
  const base = /^(.*)_(bucket|sum|count)$/.exec(sampleName)?.[1];
  const family = base === undefined ? undefined : families.get(base);
  return family && (family.type === "histogram" || family.type === "summary") ? family : direct;
}

function parseSample(line: string, where: string): MetricSample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
  assert.ok(match, `not a "name{labels} value" line: ${where}`);
  const [, name, , labelText, valueText] = match;
  const labels: Record<string, string> = {};
  if (labelText !== undefined && labelText !== "") {
    let rest = labelText;
    for (;;) {
      const label = /^([^=]+)="((?:[^"\\]|\\[\\"n])*)"/.exec(rest);
      assert.ok(label, `bad labels: ${where}`);
      assert.match(label[1], LABEL_NAME, `label name: ${where}`);
      assert.ok(!(label[1] in labels), `label ${label[1]} repeated: ${where}`);
      labels[label[1]] = label[2].replace(
        /\\([\\"n])/g,
        (_all, c: string) => c === "n" ? "\n" : c,
      );
      rest = rest.slice(label[0].length);
      if (rest === "" || rest === ",") break;
      assert.ok(rest.startsWith(","), `bad labels: ${where}`);
      rest = rest.slice(1);
    }
  }
  const value = valueText === "+Inf"
    ? Infinity
    : valueText === "-Inf"
    ? -Infinity
    : valueText === "NaN"
    ? NaN
    : Number(valueText);
  assert.ok(
    ["+Inf", "-Inf", "NaN"].includes(valueText) || /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(
      valueText,
    ),
    `bad value: ${where}`,
  );
  return { name, labels, value };
}

function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, MetricSample[]>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...groups.get(key) ?? [], sample]);
  }
  for (const [key, samples] of groups) {
    const what = `${family.name}${key}`;
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const sums = samples.filter((s) => s.name === `${family.name}_sum`);
    const counts = samples.filter((s) => s.name === `${family.name}_count`);
    assert.ok(buckets.length >= 1, `${what}: no buckets`);
    assert.equal(sums.length, 1, `${what}: one _sum`);
    assert.equal(counts.length, 1, `${what}: one _count`);
    let previousBound = -Infinity;
    let previousCount = 0;
    for (const bucket of buckets) {
      assert.ok("le" in bucket.labels, `${what}: a bucket without le`);
      const bound = bucket.labels.le === "+Inf" ? Infinity : Number(bucket.labels.le);
      assert.ok(!Number.isNaN(bound), `${what}: le=${bucket.labels.le}`);
      assert.ok(bound > previousBound, `${what}: le bounds must increase (${bucket.labels.le})`);
      assert.ok(
        bucket.value >= previousCount,
        `${what}: buckets must be cumulative (le=${bucket.labels.le}: ${bucket.value} < ${previousCount})`,
      );
      previousBound = bound;
      previousCount = bucket.value;
    }
    assert.equal(buckets.at(-1)!.labels.le, "+Inf", `${what}: the last bucket must be +Inf`);
    assert.equal(buckets.at(-1)!.value, counts[0].value, `${what}: +Inf bucket != _count`);
    assert.ok(sums[0].value >= 0, `${what}: a negative _sum`);
    assert.ok(counts[0].value > 0 || sums[0].value === 0, `${what}: a _sum without runs`);
  }
}

/** The value of the sample `name` with exactly `labels` (fails when there is none). */
export function metricValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (
        sample.name === name &&
        JSON.stringify(Object.entries(sample.labels).sort()) ===
          JSON.stringify(Object.entries(labels).sort())
      ) {
        return sample.value;
      }
    }
  }
  throw new Error(`no sample ${name}${JSON.stringify(labels)} in /metrics`);
}

// ------------------------------------------------------------------ seeding

/** Every job state, in the order the CLI prints them. */
export const STATES = [
  "pending",
  "processing",
  "completed",
  "failed",
  "dead",
  "canceled",
  "blocked",
] as const;

/** What `seedStates` made. */
export interface Seeded {
  /** Job ids by the state they are in. */
  ids: Record<string, string[]>;
  /** Expected job counts by queue, then state (every state present). */
  byQueue: Record<string, Record<string, number>>;
  /** Expected counts by state. */
  counts: Record<string, number>;
  /** Runs recorded, by outcome. */
  runs: { completed: number; failed: number };
}

/**
 * Puts jobs in six states through the CLI, with a worker that runs some of them and is then
 * stopped (no worker is left running):
 * - alpha: `ok-1..3` completed (`echo alpha-ok-N`), `wait-1`, `wait-2` pending, `child-1`
 *   blocked (after `wait-1`);
 * - beta: `dead-1` dead (prints `to-stderr` on stderr, exits 3, max_retries 0), `flaky-1`
 *   failed (exits 1, next run in 1000 s), `cancel-me` canceled;
 * - gamma: `wait-3`, `wait-4` pending.
 */
export async function seedStates(sandbox: Sandbox): Promise<Seeded> {
  const toRun = [
    { id: "ok-1", command: "echo alpha-ok-1", queue: "alpha" },
    { id: "ok-2", command: "echo alpha-ok-2", queue: "alpha" },
    { id: "ok-3", command: "echo alpha-ok-3", queue: "alpha" },
    { id: "dead-1", command: "echo to-stderr >&2; exit 3", queue: "beta", max_retries: 0 },
    { id: "flaky-1", command: "exit 1", queue: "beta", max_retries: 2, backoff_base: 1000 },
  ];
  await enqueueFile(sandbox, toRun);
  const worker = await startWorker(sandbox, ["--count", "3"]);
  try {
    for (const id of ["ok-1", "ok-2", "ok-3"]) await waitForState(sandbox, id, "completed");
    await waitForState(sandbox, "dead-1", "dead");
    await waitForState(sandbox, "flaky-1", "failed");
  } finally {
    await stopWorker(worker);
  }
  await enqueueFile(sandbox, [
    { id: "wait-1", command: "echo pending-1", queue: "alpha" },
    { id: "wait-2", command: "echo pending-2", queue: "alpha" },
    { id: "wait-3", command: "echo pending-3", queue: "gamma" },
    { id: "wait-4", command: "echo pending-4", queue: "gamma" },
    { id: "cancel-me", command: "echo never", queue: "beta" },
    { id: "child-1", command: "echo child", queue: "alpha", after: ["wait-1"] },
  ]);
  await sandbox.ok(["cancel", "cancel-me"]);
  const ids: Record<string, string[]> = {
    pending: ["wait-1", "wait-2", "wait-3", "wait-4"],
    processing: [],
    completed: ["ok-1", "ok-2", "ok-3"],
    failed: ["flaky-1"],
    dead: ["dead-1"],
    canceled: ["cancel-me"],
    blocked: ["child-1"],
  };
  const zero = () => Object.fromEntries(STATES.map((state) => [state, 0]));
  const byQueue: Record<string, Record<string, number>> = {
    alpha: { ...zero(), completed: 3, pending: 2, blocked: 1 },
    beta: { ...zero(), dead: 1, failed: 1, canceled: 1 },
    gamma: { ...zero(), pending: 2 },
  };
  const counts = Object.fromEntries(STATES.map((state) => [state, ids[state].length]));
  return { ids, byQueue, counts, runs: { completed: 3, failed: 2 } };
}

/** `queuectl enqueue --file` with these jobs (one JSON object a line); returns the ids. */
export async function enqueueFile(
  sandbox: Sandbox,
  jobs: Record<string, unknown>[],
  args: string[] = [],
): Promise<string[]> {
  const file = await Deno.makeTempFile({ dir: sandbox.dir, suffix: ".jsonl" });
  await Deno.writeTextFile(file, jobs.map((job) => JSON.stringify(job)).join("\n") + "\n");
  const stdout = await sandbox.ok(["enqueue", "--file", file, ...args]);
  const ids = stdout.trim().split("\n");
  assert.equal(ids.length, jobs.length, `enqueue --file printed ${JSON.stringify(stdout)}`);
  return ids;
}

/** Makes dead jobs (`exit 3`, max_retries 0) with a worker that is stopped afterwards. */
export async function makeDead(sandbox: Sandbox, ids: string[]): Promise<void> {
  await enqueueFile(
    sandbox,
    ids.map((id) => ({ id, command: `echo dying ${id}; exit 3`, max_retries: 0 })),
  );
  const worker = await startWorker(sandbox, ["--count", "2"]);
  try {
    for (const id of ids) await waitForState(sandbox, id, "dead");
  } finally {
    await stopWorker(worker);
  }
}

/**
 * Runs one SQL statement on the sandbox's database directly (SQLite file or PostgreSQL schema):
 * how a test fakes the past. `statement` gets a function that names a table in the right schema;
 * the SQL must be valid on both stores.
 */
export async function execSql(
  sandbox: Sandbox,
  statement: (table: (name: string) => string) => string,
): Promise<void> {
  if (sandbox.store === "postgres") {
    const pg = await postgresForTests();
    assert.ok(pg, "PostgreSQL is not available");
    await pg.query(statement((name) => `"${sandbox.schema}"."${name}"`));
    return;
  }
  const db = new DatabaseSync(sandbox.db);
  try {
    db.exec(statement((name) => `"${name}"`));
  } finally {
    db.close();
  }
}

/** Headers of a JSON POST to the dashboard at `host` with `csrf`, then `extra`. */
export function postHeaders(host: string, csrf: string, extra: [string, string][] = []) {
  return [
    ["host", host],
    ["content-type", "application/json"],
    ["x-csrf-token", csrf],
    ...extra,
  ] as [string, string][];
}
