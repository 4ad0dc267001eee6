/**
 * The dashboard's access rules over HTTP, on every store, with the server started as a user
 * starts it (`dashboard --port 0`): off loopback a token; without one only loopback Hosts (DNS
 * rebinding); the CSRF token and the Origin of every POST; byte caps on bodies; throttled token
 * guesses; session cookies and logout. What is refused changes nothing (`snapshotDatabase`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, snapshotDatabase, waitFor } from "../helpers/cli.ts";
import {
  cliError,
  makeDead,
  postHeaders,
  rawHttp,
  runToExit,
  withDashboard,
} from "../helpers/dashboard.ts";
import { enqueue, startWorker } from "../helpers/jobs.ts";

const TOKEN = "s3cret-dashboard-token";

onEveryStore.test("dashboard security: a POST without the right X-CSRF-Token is 403 and changes nothing", async () => {
  await using sandbox = await makeSandbox();
  await makeDead(sandbox, ["dead-1"]);
  await enqueue(sandbox, ["--id", "p-1", "--queue", "elsewhere", "--", "echo p"]);
  // A live worker (for the stop endpoint) that serves a queue with no jobs, so nothing runs.
  const worker = await startWorker(sandbox, ["--queue", "idle"]);
  const workerId = String(
    (await sandbox.status()).workers.find((w) => w.pid === worker.handle.pid)!.id,
  );
  await withDashboard(sandbox, ["--allow-worker-control"], async (dashboard) => {
    const good = await dashboard.csrf();
    const before = await snapshotDatabase(sandbox);
    const posts: [string, unknown][] = [
      ["/api/jobs", { command: "echo forged" }],
      ["/api/jobs/p-1/cancel", {}],
      ["/api/dlq/retry", { all: true }],
      ["/api/dlq/retry", { ids: ["dead-1"] }],
      ["/api/jobs/retry", { ids: ["dead-1"] }],
      ["/api/jobs/retry", { filter: { state: "dead" }, dry_run: false }],
      ["/api/jobs/p-1/edit", { command: "echo forged" }],
      ["/api/queues/elsewhere/pause", {}],
      ["/api/queues/elsewhere/resume", {}],
      [`/api/workers/${workerId}/stop`, { mode: "now" }],
      ["/api/workers/start", { count: 1 }],
    ];
    const wrongs: (string | null)[] = [
      null,
      "",
      "0".repeat(32),
      good.slice(0, -1),
      good + "0",
      good.toUpperCase() === good ? good.toLowerCase() : good.toUpperCase(),
    ];
    for (const [path, body] of posts) {
      for (const csrf of wrongs) {
        const answer = await dashboard.post(path, body, { csrf });
        assert.equal(answer.status, 403, `${path} with csrf ${csrf}: ${answer.text}`);
        assert.match(answer.json.error, /CSRF/);
      }
      // A form post from another site cannot set the header either.
      const form = await dashboard.request("POST", path, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "command=echo+forged",
      });
      assert.equal(form.status, 403, `${path} as a form: ${form.text}`);
    }
    assert.equal(await snapshotDatabase(sandbox), before, "a refused POST changed the database");
    const status = await sandbox.status();
    assert.deepEqual(status.workers.map((w) => w.id), [workerId], "no worker started or gone");
    assert.equal(status.workers[0].stop_requested, null);

    // The same request with the page's token works.
    const cancel = await dashboard.post("/api/jobs/p-1/cancel", {}, { csrf: good });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal((await sandbox.info("p-1")).state, "canceled");
  });
  worker.handle.kill("SIGTERM");
  assert.equal(await worker.exited, 0, worker.log());
});

onEveryStore.test("dashboard security: off loopback without a token it exits 2 with one line on stderr", async () => {
  await using sandbox = await makeSandbox();
  const refused = await runToExit(sandbox, ["dashboard", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(refused.code, 2, `exit ${refused.code}\n${refused.stderr}`);
  assert.equal(refused.stdout, "");
  assert.match(cliError(refused), /token/i);

  const short = await runToExit(sandbox, [
    "dashboard",
    "--host",
    "0.0.0.0",
    "--port",
    "0",
    "--token",
    "1234567",
  ]);
  assert.equal(short.code, 2, `exit ${short.code}\n${short.stderr}`);
  assert.match(cliError(short), /at least 8 characters/);

  const badPort = await runToExit(sandbox, ["dashboard", "--port", "65536"]);
  assert.equal(badPort.code, 2, badPort.stderr);
  assert.match(cliError(badPort), /--port/);

  // QUEUECTL_DASHBOARD_TOKEN is a token too.
  await withDashboard(
    sandbox,
    ["--host", "0.0.0.0"],
    async (dashboard) => {
      assert.match(dashboard.printed, /^http:\/\/0\.0\.0\.0:\d+\/$/);
      assert.equal((await dashboard.get("/api/overview")).status, 401);
      const withToken = await dashboard.get("/api/overview", {
        authorization: `Bearer ${TOKEN}`,
      });
      assert.equal(withToken.status, 200);
    },
    { env: { QUEUECTL_DASHBOARD_TOKEN: TOKEN } },
  );
});

onEveryStore.test("dashboard security: with --token every request needs it (Bearer or the login cookie) except /healthz", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "t-1", "--", "echo t"]);
  await withDashboard(sandbox, ["--host", "0.0.0.0", "--token", TOKEN], async (dashboard) => {
    assert.match(dashboard.printed, /^http:\/\/0\.0\.0\.0:\d+\/$/);
    const gets = [
      "/api/overview",
      "/api/jobs",
      "/api/jobs/t-1",
      "/api/jobs/t-1/output",
      "/api/schedules",
      "/api/workers",
      "/api/session",
      "/api/nope",
      "/metrics",
    ];
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    // Wrong Bearer tokens are guesses, throttled after ten (see the throttle test): three
    // kinds on two paths here; what is no guess at all on every path.
    const guesses = [bearer("wrong-token-123"), bearer(TOKEN + "x"), bearer(TOKEN.slice(0, -1))];
    for (const [index, path] of gets.entries()) {
      const none = await dashboard.get(path);
      assert.equal(none.status, 401, `${path} without a token: ${none.text}`);
      assert.match(none.json.error, /token/);
      for (
        const headers of [
          ...index < 2 ? guesses : [],
          { authorization: TOKEN },
          { authorization: `Basic ${btoa(`user:${TOKEN}`)}` },
          { cookie: "queuectl_session=wrong-session-123" },
          { cookie: `queuectl_token=${TOKEN}` },
        ]
      ) {
        const wrong = await dashboard.get(path, headers);
        assert.equal(wrong.status, 401, `${path} with ${JSON.stringify(headers)}`);
      }
      const right = await dashboard.get(path, bearer(TOKEN));
      assert.equal(right.status, path === "/api/nope" ? 404 : 200, `${path}: ${right.text}`);
    }
    // POSTs are refused before the CSRF check: even a right CSRF token does not help.
    const csrf = (await dashboard.get("/api/session", bearer(TOKEN))).json.csrf_token;
    const before = await snapshotDatabase(sandbox);
    const posts: [string, unknown][] = [
      ["/api/jobs", { command: "echo x" }],
      ["/api/jobs/t-1/cancel", {}],
      ["/api/dlq/retry", { all: true }],
      ["/api/jobs/retry", { filter: { state: "dead" }, dry_run: false }],
      ["/api/jobs/t-1/edit", { command: "echo x" }],
      ["/api/queues/default/pause", {}],
    ];
    for (const [path, body] of posts) {
      const answer = await dashboard.post(path, body, { csrf });
      assert.equal(answer.status, 401, `${path}: ${answer.text}`);
    }
    assert.equal(await snapshotDatabase(sandbox), before);

    const health = await dashboard.get("/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: "ok" });

    const login = await dashboard.get("/");
    assert.equal(login.status, 401);
    assert.match(login.text, /<form method="post" action="\/login" id="login-form">/);
    assert.match(login.text, /name="token"/);
    assert.ok(!login.text.includes("csrf-token"), "the login page must not hold the CSRF token");
    assert.ok(!login.text.includes(TOKEN));
    assert.ok(login.headers.get("content-security-policy")?.includes("default-src 'none'"));

    const form = (token: string) =>
      dashboard.request("POST", "/login", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    const wrongLogin = await form("wrong-token-123");
    assert.equal(wrongLogin.status, 401);
    assert.equal(wrongLogin.headers.get("set-cookie"), null);
    assert.match(wrongLogin.text, /id="login-error"/);

    const rightLogin = await form(TOKEN);
    assert.equal(rightLogin.status, 303);
    assert.equal(rightLogin.headers.get("location"), "/");
    const setCookie = rightLogin.headers.get("set-cookie") ?? "";
    const attributes = setCookie.split(";").map((part) => part.trim());
    assert.ok(attributes.includes("HttpOnly"), setCookie);
    assert.ok(attributes.includes("SameSite=Strict"), setCookie);
    assert.ok(attributes.includes("Path=/"), setCookie);
    const cookie = attributes[0];
    assert.match(cookie, /^queuectl_session=/);

    const withCookie = await dashboard.get("/api/overview", { cookie });
    assert.equal(withCookie.status, 200, withCookie.text);
    assert.equal(withCookie.json.counts.pending, 1);
    const page = await dashboard.get("/", { cookie });
    assert.equal(page.status, 200);
    assert.match(page.text, /<meta name="csrf-token" content="[0-9a-f]{32}">/);
    const wrongCookie = await dashboard.get("/api/overview", {
      cookie: setCookie.replace(/^queuectl_session=[^;]*/, "queuectl_session=x"),
    });
    assert.equal(wrongCookie.status, 401);

    // With the cookie and the page's CSRF token, actions work.
    const canceled = await dashboard.post("/api/jobs/t-1/cancel", {}, {
      csrf,
      headers: { cookie },
    });
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal((await sandbox.info("t-1")).state, "canceled");
  });
});

// ------------------------------------------------------------------ hardening (the security issue)

/** A port that is not the dashboard's. */
function otherPort(port: number): number {
  return port === 65535 ? port - 1 : port + 1;
}

onEveryStore.test("dashboard security: without a token only loopback Hosts at its port are served, else 421 (DNS rebinding), on every route but /healthz", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const port = dashboard.port;
    const csrf = await dashboard.csrf();
    const get = (target: string, host: string | null, version?: string) =>
      rawHttp(port, { target, version, headers: host === null ? [] : [["host", host]] });
    for (
      const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        `LocalHost:${port}`,
        `localhost.:${port}`,
        `127.0.0.2:${port}`,
        `127.255.255.254:${port}`,
        `[::1]:${port}`,
      ]
    ) {
      const session = await get("/api/session", host);
      assert.equal(session.status, 200, `Host ${host}: ${session.status} ${session.text}`);
      assert.equal(session.json.csrf_token, csrf);
    }
    // No browser leaves Host out, so a request without one cannot be a rebinding page's.
    const old = await get("/api/session", null, "HTTP/1.0");
    assert.equal(old.status, 200, `HTTP/1.0 without Host: ${old.status} ${old.text}`);

    const before = await snapshotDatabase(sandbox);
    const foreign = [
      `evil.example:${port}`,
      "evil.example",
      `127.0.0.1:${otherPort(port)}`,
      "127.0.0.1",
      "localhost",
      `localhost.evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `evil-localhost:${port}`,
      `0.0.0.0:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `[::2]:${port}`,
      `256.0.0.1:${port}`,
      `127.0.0.1:${port}@evil.example`,
      `127.0.0.1:${port}/x`,
      "",
    ];
    const routes: [string, string][] = [
      ["GET", "/"],
      ["GET", "/api/session"],
      ["GET", "/api/overview"],
      ["GET", "/api/jobs"],
      ["GET", "/metrics"],
      ["GET", "/assets/app.js"],
      ["GET", "/nope"],
      ["POST", "/api/jobs"],
      ["POST", "/login"],
    ];
    for (const host of foreign) {
      for (const [method, target] of routes) {
        const answer = await rawHttp(port, {
          method,
          target,
          headers: postHeaders(host, csrf, [["origin", `http://${host}`]]),
          body: method === "POST" ? '{"command":"echo rebound"}' : undefined,
        });
        const what = `${method} ${target} with Host ${JSON.stringify(host)}`;
        assert.equal(answer.status, 421, `${what}: ${answer.status} ${answer.text}`);
        assert.equal(typeof answer.json.error, "string", what);
        assert.match(answer.json.error, /Host/, what);
        assert.ok(!answer.text.includes(csrf), `${what} leaked the CSRF token`);
      }
    }
    assert.equal(await snapshotDatabase(sandbox), before, "a rebound POST changed the database");

    // /healthz stays open for probes: it says "ok" and nothing else.
    const health = await get("/healthz", `evil.example:${port}`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: "ok" });
  });
});

onEveryStore.test("dashboard security: a POST from another origin or site is 403, with or without a token", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "p-1", "--", "echo p"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    const port = dashboard.port;
    const csrf = await dashboard.csrf();
    const host = `127.0.0.1:${port}`;
    const before = await snapshotDatabase(sandbox);
    const crossSite: [string, string][][] = [
      [["origin", "http://evil.example"]],
      [["origin", `http://evil.example:${port}`]],
      [["origin", "null"]],
      [["origin", "junk"]],
      [["origin", `http://localhost:${port}`]],
      [["origin", `http://127.0.0.1:${otherPort(port)}`]],
      [["origin", `http://127.0.0.2:${port}`]],
      [["sec-fetch-site", "cross-site"]],
      // Ports do not separate sites: another local web app is "same-site".
      [["sec-fetch-site", "same-site"]],
      [["origin", `http://${host}`], ["sec-fetch-site", "cross-site"]],
    ];
    const posts: [string, unknown][] = [
      ["/api/jobs", { command: "echo forged" }],
      ["/api/jobs/p-1/cancel", {}],
      ["/api/dlq/retry", { all: true }],
      ["/api/jobs/retry", { filter: { state: "dead" }, dry_run: false }],
      ["/api/jobs/p-1/edit", { command: "echo forged" }],
      ["/api/queues/default/pause", {}],
      ["/api/workers/start", { count: 1 }],
      ["/logout", {}],
      ["/login", {}],
    ];
    for (const extra of crossSite) {
      for (const [target, body] of posts) {
        const answer = await rawHttp(port, {
          method: "POST",
          target,
          headers: postHeaders(host, csrf, extra),
          body: JSON.stringify(body),
        });
        const what = `POST ${target} with ${JSON.stringify(extra)}`;
        assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.text}`);
        assert.equal(typeof answer.json.error, "string", what);
      }
    }
    assert.equal(await snapshotDatabase(sandbox), before, "a cross-site POST changed something");

    // The page's own requests, and scripts (which send no Origin), still work.
    const accepted: [string, [string, string][]][] = [
      [host, [["origin", `http://${host}`], ["sec-fetch-site", "same-origin"]]],
      [host, []],
      [host, [["sec-fetch-site", "none"]]],
      [`localhost:${port}`, [["origin", `http://localhost:${port}`]]],
      [`[::1]:${port}`, [["origin", `http://[::1]:${port}`]]],
    ];
    for (const [asHost, extra] of accepted) {
      const answer = await rawHttp(port, {
        method: "POST",
        target: "/api/jobs",
        headers: postHeaders(asHost, csrf, extra),
        body: '{"command":"echo same origin"}',
      });
      assert.equal(answer.status, 201, `${asHost} ${JSON.stringify(extra)}: ${answer.text}`);
    }
  });

  // With a token off loopback, Host is free (a proxy's name), but Origin on POST is not.
  await withDashboard(sandbox, ["--host", "0.0.0.0", "--token", TOKEN], async (dashboard) => {
    const port = dashboard.port;
    const host = `dash.example:${port}`;
    const bearer: [string, string] = ["authorization", `Bearer ${TOKEN}`];
    const session = await rawHttp(port, {
      target: "/api/session",
      headers: [["host", host], bearer],
    });
    assert.equal(session.status, 200, session.text);
    const csrf = String(session.json.csrf_token);
    const before = await snapshotDatabase(sandbox);
    for (
      const extra of [
        [["origin", "http://evil.example"]],
        [["origin", `http://127.0.0.1:${port}`]],
        [["sec-fetch-site", "cross-site"]],
      ] as [string, string][][]
    ) {
      const answer = await rawHttp(port, {
        method: "POST",
        target: "/api/jobs",
        headers: postHeaders(host, csrf, [bearer, ...extra]),
        body: '{"command":"echo forged"}',
      });
      assert.equal(answer.status, 403, `${JSON.stringify(extra)}: ${answer.text}`);
      // Even the right token does not log a browser in from another site (login CSRF).
      const login = await rawHttp(port, {
        method: "POST",
        target: "/login",
        headers: [
          ["host", host],
          ["content-type", "application/x-www-form-urlencoded"],
          ...extra,
        ],
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
      assert.equal(login.status, 403, `login with ${JSON.stringify(extra)}: ${login.text}`);
      assert.equal(login.headers.get("set-cookie"), null);
    }
    assert.equal(await snapshotDatabase(sandbox), before);
    const same = await rawHttp(port, {
      method: "POST",
      target: "/api/jobs",
      headers: postHeaders(host, csrf, [bearer, ["origin", `http://${host}`]]),
      body: '{"command":"echo from the proxy name"}',
    });
    assert.equal(same.status, 201, same.text);
    // Behind a TLS proxy the page's origin is https with the same host.
    const tls = await rawHttp(port, {
      method: "POST",
      target: "/api/jobs",
      headers: postHeaders("dash.example", csrf, [bearer, ["origin", "https://dash.example"]]),
      body: '{"command":"echo through tls"}',
    });
    assert.equal(tls.status, 201, tls.text);
  });
});

onEveryStore.test("dashboard security: request bodies stop at a byte cap (413), declared or streamed", async () => {
  await using sandbox = await makeSandbox();
  const kib = (n: number, byte = 0x61) => new Uint8Array(n * 1024).fill(byte);
  await withDashboard(sandbox, [], async (dashboard) => {
    const port = dashboard.port;
    const headers = postHeaders(`127.0.0.1:${port}`, await dashboard.csrf());
    const before = await snapshotDatabase(sandbox);
    const tooLarge = async (what: string, request: Parameters<typeof rawHttp>[1]) => {
      const answer = await rawHttp(
        port,
        { method: "POST", target: "/api/jobs", ...request },
        8000,
      );
      assert.equal(answer.status, 413, `${what}: ${answer.status} ${answer.text}`);
      assert.match(answer.json.error, /too large/i, what);
    };
    // Refused from the header alone: the body is never sent.
    await tooLarge("Content-Length: 2 MiB", {
      headers: [...headers, ["content-length", String(2 << 20)]],
      endless: true,
    });
    // No Content-Length: the reading stops at the cap instead of waiting for the end.
    await tooLarge("an endless chunked body", {
      headers,
      chunks: Array.from({ length: 24 }, () => kib(64)),
      endless: true,
    });
    // The cap counts bytes: 600 Ki "é" are 1.2 MB of UTF-8 but 600 Ki UTF-16 units.
    const wide = new TextEncoder().encode(`{"command":"echo ${"é".repeat(600 * 1024)}"}`);
    await tooLarge("1.2 MB of two-byte characters, chunked", {
      headers,
      chunks: [wide.subarray(0, 1 << 19), wide.subarray(1 << 19)],
    });
    assert.equal(await snapshotDatabase(sandbox), before, "a refused body changed the database");
    // A chunked body under the cap is read as a whole.
    const small = new TextEncoder().encode('{"command":"echo chunked"}');
    const ok = await rawHttp(port, {
      method: "POST",
      target: "/api/jobs",
      headers,
      chunks: [small.subarray(0, 5), small.subarray(5)],
    });
    assert.equal(ok.status, 201, ok.text);
  });

  await withDashboard(sandbox, ["--token", TOKEN], async (dashboard) => {
    const port = dashboard.port;
    const form: [string, string][] = [
      ["host", `127.0.0.1:${port}`],
      ["content-type", "application/x-www-form-urlencoded"],
    ];
    const login = (request: Parameters<typeof rawHttp>[1]) =>
      rawHttp(port, { method: "POST", target: "/login", ...request }, 8000);
    const declared = await login({
      headers: [...form, ["content-length", "300000000"]],
      endless: true,
    });
    assert.equal(declared.status, 413, `a 300 MB login: ${declared.status} ${declared.text}`);
    assert.match(declared.json.error, /too large/i);
    const streamed = await login({
      headers: form,
      chunks: [new TextEncoder().encode("token="), ...Array.from({ length: 8 }, () => kib(16))],
      endless: true,
    });
    assert.equal(streamed.status, 413, `an endless login: ${streamed.status} ${streamed.text}`);
    const right = await login({
      headers: form,
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    assert.equal(right.status, 303, right.text);
  });
});

onEveryStore.test("dashboard security: after ten wrong tokens, guesses are throttled (429) whatever they are, while sessions keep working", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, ["--token", TOKEN], async (dashboard) => {
    const form = (token: string) =>
      dashboard.request("POST", "/login", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    const cookie = (await form(TOKEN)).headers.get("set-cookie")!.split(";")[0];
    // Ten wrong guesses at once (the bucket is full), from the form or as a Bearer token.
    const guesses = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          i % 2 === 0
            ? form(`wrong-token-${i}`)
            : dashboard.get("/api/overview", { authorization: `Bearer wrong-token-${i}` }),
      ),
    );
    assert.deepEqual(guesses.map((answer) => answer.status), Array(10).fill(401));
    // Then the next guesses are refused before they are compared, even a right one.
    for (const answer of [await form("wrong-token-x"), await form(TOKEN)]) {
      assert.equal(answer.status, 429, answer.text);
      assert.ok(Number(answer.headers.get("retry-after")) >= 1, "Retry-After");
      assert.equal(answer.headers.get("set-cookie"), null);
    }
    const bearer = await dashboard.get("/api/overview", { authorization: `Bearer ${TOKEN}` });
    assert.equal(bearer.status, 429, bearer.text);
    assert.match(bearer.json.error, /Too many wrong tokens/);
    // A logged-in browser is not locked out by someone else's guessing.
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 200);
    // One guess a second comes back.
    const later = await waitFor(
      "a login to be allowed again",
      async () => {
        const answer = await form(TOKEN);
        return answer.status === 303 ? answer : undefined;
      },
      5000,
      300,
    );
    assert.match(later.headers.get("set-cookie") ?? "", /^queuectl_session=/);
  });
});

onEveryStore.test("dashboard security: the login cookie is a session id, not the token; it has a Max-Age and logout ends it", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const page = await dashboard.get("/");
    assert.ok(!page.text.includes('action="/logout"'), "no logout without a token");
  });
  await withDashboard(sandbox, ["--token", TOKEN], async (dashboard) => {
    const login = async () => {
      const answer = await dashboard.request("POST", "/login", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
      assert.equal(answer.status, 303, answer.text);
      return answer.headers.get("set-cookie") ?? "";
    };
    const setCookie = await login();
    const [cookie, ...attributes] = setCookie.split(";").map((part) => part.trim());
    assert.match(cookie, /^queuectl_session=[0-9a-f]{32}$/, setCookie);
    assert.ok(!setCookie.includes(TOKEN) && !setCookie.includes(encodeURIComponent(TOKEN)));
    for (const attribute of ["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"]) {
      assert.ok(attributes.includes(attribute), `${setCookie} lacks ${attribute}`);
    }
    assert.notEqual(await login(), setCookie, "every login is a new session");
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 200);
    for (const forged of [`queuectl_token=${TOKEN}`, `queuectl_session=${TOKEN}`]) {
      const answer = await dashboard.get("/api/overview", { cookie: forged });
      assert.equal(answer.status, 401, `${forged}: ${answer.text}`);
    }

    const page = await dashboard.get("/", { cookie });
    assert.equal(page.status, 200);
    const csrf = /<meta name="csrf-token" content="([0-9a-f]{32})">/.exec(page.text)![1];
    assert.match(page.text, /<form method="post" action="\/logout" id="logout-form">/);
    assert.ok(
      page.text.includes(`<input type="hidden" name="csrf_token" value="${csrf}">`),
      "the logout form carries the CSRF token",
    );

    const logout = (headers: Record<string, string>, body = "") =>
      dashboard.request("POST", "/logout", { headers: { cookie, ...headers }, body });
    const forgedLogout = await logout({ "content-type": "application/x-www-form-urlencoded" });
    assert.equal(forgedLogout.status, 403, forgedLogout.text);
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 200);

    // The page's form: the CSRF token as a field.
    const out = await logout(
      { "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ csrf_token: csrf }).toString(),
    );
    assert.equal(out.status, 303, out.text);
    assert.equal(out.headers.get("location"), "/");
    const cleared = out.headers.get("set-cookie") ?? "";
    assert.match(cleared, /^queuectl_session=;/);
    assert.ok(cleared.split(";").map((part) => part.trim()).includes("Max-Age=0"), cleared);
    // The session is over on the server too, not only in that browser.
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 401);
    assert.equal((await dashboard.get("/", { cookie })).status, 401);

    // A script: the CSRF token as a header.
    const second = (await login()).split(";")[0];
    const scripted = await dashboard.request("POST", "/logout", {
      headers: { cookie: second, "x-csrf-token": csrf },
    });
    assert.equal(scripted.status, 303, scripted.text);
    assert.equal((await dashboard.get("/api/overview", { cookie: second })).status, 401);
  });
});

onEveryStore.test("dashboard --help: says --token shows in the process list and the environment variable does not", async () => {
  await using sandbox = await makeSandbox();
  const help = (await sandbox.ok(["dashboard", "--help"])).replace(/\s+/g, " ");
  assert.match(help, /--token shows in the process list/);
  assert.match(help, /QUEUECTL_DASHBOARD_TOKEN does not/);
});
