/**
 * A bounded HTTP fuzz test of every dashboard route, on every store: a few thousand requests,
 * written byte for byte (so Host, Content-Length and the body can be anything), with random
 * methods, headers, bodies and path segments, at two dashboards on 127.0.0.1 (one without a
 * token, one with), both with `--allow-worker-control`.
 *
 * No request may change the stored data: the fuzzer never sends the right token, and sends the
 * right CSRF token only with a body that every action refuses (not UTF-8, not JSON, not an
 * object, a `__proto__` key, a key no action knows, over the size cap). So every action must be
 * refused, and the database must be byte for byte what it was. Also: no 5xx, no request left
 * unanswered (unless the fuzzer itself hung up early), and both still answer /healthz.
 *
 * The sequence comes from a seeded PRNG: a failure prints the seed; rerun it with
 * `QUEUECTL_FUZZ_SEED=<seed>`. `QUEUECTL_FUZZ_REQUESTS` changes how many requests are sent.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, snapshotDatabase } from "../helpers/cli.ts";
import {
  makeDead,
  rawHttp,
  type RawRequest,
  type RunningDashboard,
  withDashboard,
} from "../helpers/dashboard.ts";
import { enqueue } from "../helpers/jobs.ts";

const TOKEN = "fuzz-dashboard-token-0123";
const REQUESTS = Number(Deno.env.get("QUEUECTL_FUZZ_REQUESTS") ?? 8000);
/** The fuzzing stops early (with what it sent so far) rather than run past this. */
const BUDGET_MS = 20_000;
const PARALLEL = 4;
const MAX_BODY = 1 << 20;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)];
  const chance = (p: number) => next() < p;
  const bytes = (length: number) => Uint8Array.from({ length }, () => int(0, 255));
  return { next, int, pick, chance, bytes };
}
type Random = ReturnType<typeof prng>;

/** What one fuzz request is, for the failure message. */
interface FuzzCase {
  index: number;
  dashboard: "open" | "token";
  request: RawRequest;
  /** The fuzzer hangs up or breaks HTTP framing: getting no answer is fine. */
  mayDrop: boolean;
  /** Sent with the right CSRF token (and a body every action refuses). */
  rightCsrf: boolean;
}

const encoder = new TextEncoder();

/** Path segments: known ids, traversal, broken %-encoding, very long, odd characters. */
function segment(random: Random): string {
  return random.pick([
    () => random.pick(["p-1", "d-1", "no-such-job", "x"]),
    () =>
      random.pick([
        "..",
        ".",
        "%2e%2e",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "%00",
        "a%00b",
        "%ZZ",
        "%",
        "%E0%A4%A",
        "%C0%AE%C0%AE",
        "%FF%FE",
        "a;b",
        "a%20b",
        "~root",
        "%2F",
        "__proto__",
        "constructor",
      ]),
    () => "a".repeat(random.int(129, 12_000)),
    () =>
      encodeURIComponent(
        String.fromCodePoint(
          ...Array.from({ length: random.int(1, 8) }, () => random.int(1, 0x2fff)),
        ),
      ),
    () =>
      Array.from(random.bytes(random.int(1, 30)), (b) => `%${b.toString(16).padStart(2, "0")}`)
        .join(""),
  ])();
}

function target(random: Random): string {
  const s = () => segment(random);
  const path = random.pick([
    () => "/",
    () => "/healthz",
    () => "/metrics",
    () => "/login",
    () => "/logout",
    () => "/assets/app.js",
    () => "/assets/style.css",
    () => `/assets/${s()}`,
    () => "/api/session",
    () => "/api/overview",
    () => "/api/jobs",
    () => "/api/jobs",
    () => "/api/jobs",
    () => `/api/jobs/${s()}`,
    () => `/api/jobs/${s()}/output`,
    () => `/api/jobs/${random.pick(["p-1", "d-1"])}/output`,
    () => `/api/jobs/${s()}/cancel`,
    () => "/api/jobs/retry",
    () => `/api/jobs/${random.pick(["p-1", "d-1", s()])}/edit`,
    () => "/api/dlq/retry",
    () => "/api/schedules",
    () => "/api/workers",
    () => "/api/workers/start",
    () => `/api/workers/${s()}/stop`,
    () => `/api/${s()}`,
    () => `/${s()}`,
    () => `/api/jobs/${s()}/${s()}/${s()}`,
    () => random.pick(["//api/jobs", "/api/jobs/", "/API/JOBS", "/api//jobs", "/./api/jobs"]),
  ])();
  // Queries mostly where they are read: the job list and a job's output.
  const reads = path === "/api/jobs" || path.endsWith("/output");
  if (!random.chance(reads ? 0.8 : 0.2)) return path;
  // Mostly valid values, so that the one odd value is what a request is judged on.
  const valid: Record<string, string[]> = {
    state: ["pending", "dead", "pending,failed", "all"],
    queue: ["default", "alpha,beta"],
    q: ["echo", "p-1", ""],
    limit: ["1", "500"],
    offset: ["0", "5"],
    stdout: ["0", "3"],
    stderr: ["0", "7"],
    x: ["1"],
    __proto__: ["1"],
  };
  const odd = [
    "",
    "-1",
    "1.5",
    "1e9",
    "9007199254740993",
    "abc",
    "pending,nope",
    "%00",
    "a%00b",
    "%01%1F%7F",
    "%FF",
    "%25",
    "a_b",
    "a".repeat(5000),
  ];
  const names = reads
    ? ["state", "queue", "q", "q", "limit", "offset", "stdout", "stderr"]
    : Object.keys(valid);
  const pairs = Array.from({ length: random.int(1, 2) }, () => {
    const name = random.pick(names);
    return `${name}=${random.chance(0.35) ? random.pick(odd) : random.pick(valid[name])}`;
  });
  return `${path}?${pairs.join("&")}`;
}

/** JSON every action refuses: not an object, `__proto__`, or a key no action knows. */
const REFUSED_JSON = [
  "null",
  "42",
  "true",
  '"text"',
  "[]",
  "[{}]",
  "1e400",
  '{"__proto__":{"polluted":true}}',
  '{"command":"echo fuzz","__proto__":{}}',
  '{"zz_unknown":1}',
  '{"command":"echo fuzz","zz_unknown":[1]}',
  '{"count":1,"zz_unknown":null}',
  '{"all":true,"zz_unknown":0}',
  '{"mode":"now","zz_unknown":"x"}',
  '{"filter":{}}',
  '{"filter":{"state":"zombie"},"dry_run":false}',
  '{"filter":{"state":"dead"},"dry_run":"no"}',
  '{"filter":{"state":"dead","zz_unknown":1},"dry_run":false}',
  "[".repeat(3000) + "]".repeat(3000),
  '{"a":'.repeat(2000) + "1" + "}".repeat(2000),
];

/** JSON of every sort, some of it acceptable: only sent without the right CSRF token. */
const ANY_JSON = [
  ...REFUSED_JSON,
  "{}",
  '{"command":"echo fuzz"}',
  '{"command":5}',
  '{"command":"echo fuzz","id":"../etc"}',
  '{"count":64}',
  '{"count":1}',
  '{"count":"2"}',
  '{"all":true}',
  '{"ids":["d-1"]}',
  '{"ids":"d-1"}',
  '{"mode":"now"}',
  '{"mode":5}',
  '{"filter":{"state":"dead"},"dry_run":false}',
  '{"priority":3}',
];

function body(random: Random, rightCsrf: boolean): Uint8Array {
  const kind = random.int(0, 9);
  if (rightCsrf) {
    if (kind < 4) return encoder.encode(random.pick(REFUSED_JSON));
    if (kind < 6) {
      // Not UTF-8 (a lone 0xff), whatever follows.
      return Uint8Array.from([0xff, ...random.bytes(random.int(0, 400))]);
    }
    if (kind < 8) {
      const text = random.pick(ANY_JSON.filter((json) => json.length > 2));
      return encoder.encode(text.slice(0, random.int(1, text.length - 1)) + "\u0001");
    }
    return new Uint8Array(MAX_BODY + random.int(1, 4096)).fill(0x7b);
  }
  if (kind < 4) return encoder.encode(random.pick(ANY_JSON));
  if (kind < 6) return random.bytes(random.int(0, 2000));
  if (kind < 8) {
    return encoder.encode(
      new URLSearchParams({
        token: random.pick(["", "wrong-token", TOKEN.slice(0, -1), "x".repeat(3000)]),
        csrf_token: random.pick(["", "0".repeat(32), "nope"]),
      }).toString(),
    );
  }
  if (kind < 9) return new Uint8Array(0);
  return new Uint8Array(random.chance(0.5) ? 5000 : MAX_BODY + 10).fill(0x61);
}

/** One random request at `dashboard` (its port and CSRF token), never with the right token. */
function fuzzCase(
  random: Random,
  index: number,
  which: "open" | "token",
  port: number,
  csrf: string,
): FuzzCase {
  const rightCsrf = random.chance(0.25);
  let mayDrop = false;
  const method = rightCsrf ? "POST" : random.pick([
    "GET",
    "GET",
    "GET",
    "GET",
    "GET",
    "POST",
    "POST",
    "POST",
    "PUT",
    "DELETE",
    "HEAD",
    "OPTIONS",
    "PATCH",
    "TRACE",
    "get",
    "FOO",
  ]);
  let path = target(random);
  // The right CSRF token goes only to actions, whose every body here is refused.
  if (rightCsrf && !path.startsWith("/api/")) path = "/api/jobs";
  const headers: [string, string][] = [];
  // Mostly a Host the dashboard serves, so most requests get past the Host check.
  const host = random.chance(0.6) ? `127.0.0.1:${port}` : random.pick([
    `localhost:${port}`,
    `[::1]:${port}`,
    `evil.example:${port}`,
    "evil.example",
    `127.0.0.1:${port === 65535 ? 1 : port + 1}`,
    "",
    "a b",
    "\u00ff\u00fe",
    `127.0.0.1:${port}/../x`,
    null,
  ]);
  if (host !== null) headers.push(["host", host]);
  if (random.chance(0.4)) {
    headers.push([
      "origin",
      random.pick([
        `http://127.0.0.1:${port}`,
        "http://evil.example",
        "null",
        "junk",
        `http://${host}`,
      ]),
    ]);
  }
  if (random.chance(0.3)) {
    headers.push([
      "sec-fetch-site",
      random.pick(["same-origin", "cross-site", "same-site", "none", "junk"]),
    ]);
  }
  if (random.chance(0.8)) {
    headers.push([
      "content-type",
      random.pick([
        "application/json",
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "text/plain",
        "junk/\u00ff",
      ]),
    ]);
  }
  if (rightCsrf) {
    headers.push(["x-csrf-token", csrf]);
  } else if (random.chance(0.6)) {
    const flipped = csrf.slice(0, -1) + (csrf.endsWith("0") ? "1" : "0");
    headers.push([
      "x-csrf-token",
      random.pick([
        "",
        flipped,
        csrf.toUpperCase() === csrf ? "" : csrf.toUpperCase(),
        "0".repeat(32),
        "x".repeat(5000),
      ]),
    ]);
  }
  if (random.chance(0.3)) {
    headers.push([
      "cookie",
      random.pick([
        `queuectl_session=${
          Array.from(random.bytes(16), (b) => b.toString(16).padStart(2, "0")).join("")
        }`,
        `queuectl_token=${TOKEN.slice(0, -1)}`,
        `queuectl_session=${TOKEN}`,
        "=;=;;queuectl_session",
        `a=${"b".repeat(6000)}`,
        "queuectl_session=%ZZ",
      ]),
    ]);
  }
  if (random.chance(0.3)) {
    headers.push([
      "authorization",
      random.pick([
        `Bearer wrong-${random.int(0, 1e9)}`,
        `Bearer ${TOKEN}x`,
        "Bearer",
        "Basic Zm9v",
        TOKEN.slice(1),
      ]),
    ]);
  }
  if (random.chance(0.1)) {
    headers.push([`x-fuzz-${random.int(0, 99)}`, "v".repeat(random.int(0, 3000))]);
  }
  const request: RawRequest = { method, target: path, headers };
  if (random.chance(0.05)) {
    request.version = random.pick(["HTTP/1.0", "HTTP/1.0", "HTTP/2.0", "HTTP/9"]);
  }
  if (request.version !== undefined && request.version !== "HTTP/1.0") mayDrop = true;

  const hasBody = rightCsrf || random.chance(method === "POST" ? 0.9 : 0.2);
  if (hasBody) {
    const bytes = body(random, rightCsrf);
    // How the body is framed; with the right CSRF token always whole, or refused by size.
    const framing = rightCsrf ? random.pick(["length", "chunked", "huge"]) : random.pick([
      "length",
      "length",
      "chunked",
      "huge",
      "short",
      "unterminated",
      "bogus",
      "both",
    ]);
    switch (framing) {
      case "length":
        request.body = bytes;
        break;
      case "chunked": {
        const cut = random.int(0, bytes.length);
        request.chunks = [bytes.subarray(0, cut), bytes.subarray(cut)].filter((c) => c.length > 0);
        break;
      }
      case "huge":
        // Declared over the cap, sent in part, the connection kept open: refused unread.
        headers.push([
          "content-length",
          random.pick(["2097152", "300000000", "99999999999999999999"]),
        ]);
        request.body = bytes.subarray(0, 100);
        request.endless = true;
        break;
      case "short":
        // Declares more than it sends, then hangs up.
        headers.push(["content-length", String(bytes.length + random.int(1, 1000))]);
        request.body = bytes;
        request.halfClose = true;
        mayDrop = true;
        break;
      case "unterminated":
        request.chunks = [bytes];
        request.endless = true;
        request.halfClose = true;
        mayDrop = true;
        break;
      case "bogus":
        headers.push(["content-length", random.pick(["abc", "-1", "1, 2", "0x10", " "])]);
        request.body = bytes;
        mayDrop = true;
        break;
      case "both":
        headers.push(["content-length", String(bytes.length)]);
        request.chunks = [bytes];
        mayDrop = true;
        break;
    }
  }
  if (host !== null && /[^\x21-\x7e]/.test(host)) mayDrop = true;
  if (request.method === "FOO" || request.method === "get") mayDrop = true;
  return { index, dashboard: which, request, mayDrop, rightCsrf };
}

function describe(fuzz: FuzzCase): string {
  const { request } = fuzz;
  const bytes = request.chunks
    ? request.chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    : typeof request.body === "string"
    ? request.body.length
    : request.body?.length ?? 0;
  const preview = request.chunks?.[0] ?? request.body;
  const start = preview === undefined ? "" : JSON.stringify(new TextDecoder().decode(
    typeof preview === "string" ? encoder.encode(preview.slice(0, 120)) : preview.subarray(0, 120),
  ));
  return `#${fuzz.index} at the ${fuzz.dashboard} dashboard: ${request.method} ${
    (request.target ?? "").slice(0, 200)
  } ${request.version ?? "HTTP/1.1"}\n  headers ${
    JSON.stringify(request.headers?.map(([n, v]) => [n, v.slice(0, 120)]))
  }\n  body ${bytes} bytes${request.chunks ? " chunked" : ""}${request.endless ? " endless" : ""}${
    request.halfClose ? " half-closed" : ""
  } ${start}`;
}

onEveryStore.test("dashboard fuzz: random requests at every route get no 5xx, leave the data as it was, and the server still answers", async () => {
  const seed = Number(
    Deno.env.get("QUEUECTL_FUZZ_SEED") ?? (crypto.getRandomValues(new Uint32Array(1))[0]),
  );
  await using sandbox = await makeSandbox();
  await makeDead(sandbox, ["d-1"]);
  await enqueue(sandbox, ["--id", "p-1", "--", "echo p"]);
  await enqueue(sandbox, ["--id", "c-1", "--after", "p-1", "--", "echo c"]);
  const args = ["--allow-worker-control"];
  await withDashboard(sandbox, args, async (open) => {
    await withDashboard(sandbox, [...args, "--token", TOKEN], async (guarded) => {
      const csrf = {
        open: await open.csrf(),
        token: (await guarded.get("/api/session", { authorization: `Bearer ${TOKEN}` })).json
          .csrf_token as string,
      };
      const dashboards: Record<"open" | "token", RunningDashboard> = { open, token: guarded };
      const before = await snapshotDatabase(sandbox);
      const random = prng(seed);
      // Made up front and in order, so the seed alone decides every request.
      const cases = Array.from({ length: REQUESTS }, (_, index) => {
        // Most to the dashboard without a token: the other refuses nearly all with a 401.
        const which = random.chance(0.7) ? "open" : "token";
        return fuzzCase(random, index, which, dashboards[which].port, csrf[which]);
      });
      const started = Date.now();
      const statuses = new Map<number, number>();
      let sent = 0;
      let dropped = 0;
      const failures: string[] = [];
      const check = (fuzz: FuzzCase, condition: boolean, what: string) => {
        if (!condition) failures.push(`${what}\n  ${describe(fuzz)}`);
      };
      const lane = async () => {
        while (sent < cases.length && failures.length === 0 && Date.now() - started < BUDGET_MS) {
          const fuzz = cases[sent++];
          let answer;
          try {
            answer = await rawHttp(dashboards[fuzz.dashboard].port, fuzz.request, 10_000);
          } catch (error) {
            check(fuzz, false, `no usable answer: ${error}`);
            continue;
          }
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status === 0) {
            dropped++;
            check(fuzz, fuzz.mayDrop, "the connection closed without an answer");
            continue;
          }
          check(
            fuzz,
            answer.status < 500,
            `answered ${answer.status}: ${answer.text.slice(0, 300)}`,
          );
          const method = fuzz.request.method ?? "GET";
          if (method === "POST" || fuzz.rightCsrf) {
            check(
              fuzz,
              answer.status >= 300,
              `an action was not refused: ${answer.status} ${answer.text.slice(0, 300)}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, lane));
      const elapsed = Date.now() - started;
      const summary =
        `seed ${seed} (rerun: QUEUECTL_FUZZ_SEED=${seed}): ${sent} of ${cases.length} ` +
        `requests in ${elapsed} ms, statuses ${
          JSON.stringify(Object.fromEntries([...statuses].sort()))
        }, ` +
        `${dropped} dropped`;
      console.log(`dashboard fuzz: ${summary}`);
      assert.deepEqual(failures, [], `${summary}\n${failures.slice(0, 5).join("\n")}`);
      assert.ok(
        sent >= Math.min(cases.length, 500),
        `only ${sent} requests were sent: ${summary}`,
      );

      for (const dashboard of [open, guarded]) {
        const health = await dashboard.get("/healthz");
        assert.equal(health.status, 200, `${summary}: /healthz ${health.status}`);
        assert.deepEqual(health.json, { status: "ok" });
      }
      assert.equal(
        await snapshotDatabase(sandbox),
        before,
        `${summary}: a refused request changed the stored data`,
      );
    });
  });
});
